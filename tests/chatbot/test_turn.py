"""`take_turn` with a fake searcher: a pure function over a frozen state, and a failed step changes nothing."""

from __future__ import annotations

import pytest

from chatbot import Conversation, DialogueState, Recommender, current_results, give_feedback, search_again, take_turn
from retriever import InteractionLog, load_vocabulary, read_interactions
from retriever.interactions import FeedbackEvent, TurnEvent
from tests.conftest import FakeSearcher, small_tracks


@pytest.fixture()
def searcher() -> FakeSearcher:
    return FakeSearcher(small_tracks())


@pytest.fixture()
def recommender(searcher: FakeSearcher) -> Recommender:
    return Recommender(searcher, load_vocabulary(), k=3, use_encoder_for_parsing=False)


def test_a_turn_returns_a_new_state_and_leaves_the_given_one_alone(recommender: Recommender) -> None:
    start = DialogueState()
    state, turn = take_turn(recommender, start, "calm piano, no vocals")
    assert start == DialogueState()
    assert state.turns == 1 and "vocals" in state.excluded and state.last_results
    assert [v.track.id for v in turn.results] == list(state.last_results)
    assert all("vocals" not in " ".join(v.track.descriptors) for v in turn.results)
    assert turn.state == state.snapshot()


def test_the_same_turn_on_the_same_state_gives_the_same_answer(recommender: Recommender) -> None:
    state, _ = take_turn(recommender, DialogueState(), "upbeat music")
    once = take_turn(recommender, state, "more like #1")
    again = take_turn(recommender, state, "more like #1")
    assert once[0] == again[0] and once[1].reply == again[1].reply


def test_a_search_that_raises_after_parsing_leaves_the_state_as_it_was(
    recommender: Recommender, searcher: FakeSearcher
) -> None:
    state, _ = take_turn(recommender, DialogueState(), "calm piano")
    before = state
    searcher.fail_on = "jazz"
    with pytest.raises(RuntimeError):
        take_turn(recommender, state, "jazz please, no drums")
    assert state == before and state.turns == 1 and "drums" not in state.excluded
    searcher.fail_on = None
    state, turn = take_turn(recommender, state, "jazz please")
    assert state.turns == 2 and turn.results


def test_references_resolve_against_the_list_on_screen(recommender: Recommender) -> None:
    state, first = take_turn(recommender, DialogueState(), "upbeat music")
    second_id = first.results[1].track.id
    state, turn = take_turn(recommender, state, "I like #2")
    assert second_id in state.liked
    state, turn = take_turn(recommender, state, "#42")
    assert "no result #42" in turn.reply and "unchanged" in turn.reply


def test_feedback_and_search_again_are_functions_too(tmp_path, searcher: FakeSearcher) -> None:  # noqa: ANN001
    log = InteractionLog(tmp_path / "log.jsonl")
    recommender = Recommender(searcher, load_vocabulary(), k=3, log=log, use_encoder_for_parsing=False)
    state, turn = take_turn(recommender, DialogueState(), "calm piano", session_id="s")
    liked = give_feedback(recommender, state, turn.results[0].track.id, is_liked=True, session_id="s")
    assert liked.liked == (turn.results[0].track.id,) and state.liked == ()
    with pytest.raises(ValueError, match="unknown track id"):
        give_feedback(recommender, state, "no-such-track", is_liked=True)
    again, _ = search_again(recommender, liked, session_id="s")
    assert again.last_results and current_results(recommender, again)[0].track.id == again.last_results[0]
    events = list(read_interactions(log.path))
    assert [type(e) for e in events] == [TurnEvent, FeedbackEvent, TurnEvent]
    assert events[0].query_text == "calm piano" and events[0].shown[0][0] == turn.results[0].track.id
    assert events[1].is_liked and events[2].liked == liked.liked


def test_a_conversation_keeps_the_latest_state(recommender: Recommender) -> None:
    conversation = Conversation(recommender)
    conversation.say("sad folk")
    conversation.say("no vocals")
    assert conversation.state.turns == 2 and "vocals" in conversation.state.excluded


def test_a_dislike_replaces_the_song_with_the_next_best(recommender: Recommender) -> None:
    from chatbot import replace_disliked

    state, turn = take_turn(recommender, DialogueState(), "calm sad upbeat piano")
    disliked = turn.results[0].track.id
    after, views = replace_disliked(recommender, state, disliked)
    ids = [v.track.id for v in views]
    assert disliked not in ids and disliked in after.disliked and len(ids) == len(turn.results)
    assert ids[:-1] == [v.track.id for v in turn.results[1:]]  # the rest stays in place


def test_more_like_shows_one_reference_chip_not_every_descriptor(recommender: Recommender) -> None:
    from chatbot.state import filter_chips, remove_filter

    state, first = take_turn(recommender, DialogueState(), "calm piano")
    state, turn = take_turn(recommender, state, "more like #1")
    reference = first.results[0].track
    assert turn.state["wanted"] == first.state["wanted"]  # no chip per descriptor of #1
    chip = f"like: {reference.title} — {reference.artist}"
    assert filter_chips(state, recommender.tracks) == [chip] and "like:" in turn.summary
    cleared = remove_filter(state, chip, recommender.tracks)
    assert cleared.references == () and cleared.reference_wanted == {}


@pytest.mark.parametrize("message", ["hello", "Hi there! Can you help me make a playlist?", "hey, how are you?"])
def test_a_greeting_gets_a_greeting_back_and_no_songs(recommender: Recommender, searcher: FakeSearcher,
                                                      message: str) -> None:
    searched = len(searcher.queries)
    state, turn = take_turn(recommender, DialogueState(), message)
    assert turn.results == [] and turn.reply.startswith("Hi!") and "what you'd like to hear" in turn.reply
    assert state == DialogueState() and len(searcher.queries) == searched  # nothing was searched


def test_thanks_and_ok_keep_the_list_on_screen(recommender: Recommender) -> None:
    state, first = take_turn(recommender, DialogueState(), "upbeat music")
    for message in ["thanks!", "ok cool", "Thank you for the recommendations"]:
        after, turn = take_turn(recommender, state, message)
        assert after == state  # "#2" still means the same song, and no words were added to the request
        assert [v.track.id for v in turn.results] == [v.track.id for v in first.results]
    assert take_turn(recommender, state, "bye")[1].reply.startswith("Enjoy the music")


def test_a_greeting_or_thanks_around_a_request_is_not_searched_for(recommender: Recommender) -> None:
    parsed = recommender.parser.parse("Hi! upbeat reggae please, thanks!")
    assert parsed.text.strip(" ,") == "upbeat reggae please" and not parsed.small_talk
    morning = recommender.parser.parse("good morning music")  # a request, not a greeting
    assert not morning.small_talk and "morning" in morning.wanted
    assert recommender.parser.parse("cool jazz").small_talk == ""


@pytest.mark.parametrize(("message", "reply"), [("hola", "Hi!"), ("Bonjour !", "Hi!"), ("muchas gracias", "You're welcome"),
                                                ("tschüss", "Bye!"), ("grazie mille", "You're welcome")])
def test_small_talk_in_other_languages(recommender: Recommender, message: str, reply: str) -> None:
    _, turn = take_turn(recommender, DialogueState(), message)
    assert turn.results == [] and turn.reply.startswith(reply)
    assert recommender.parser.parse("hola, quiero reggae").wanted == ("reggae",)  # the greeting tips the language


@pytest.mark.parametrize(("years", "explicit", "said"), [
    ((1980, 1989), True, "from the 1980s"), ((1985, 1990), True, "from 1985-1990"),
    ((1900, 1989), False, "leaning to before 1990"), ((1900, 1999), True, "from before 2000"),
])
def test_a_list_header_names_its_era_in_english(years: tuple[int, int], explicit: bool, said: str) -> None:
    from chatbot.reply import describe_list

    state = DialogueState(years=years, years_explicit=explicit)
    assert describe_list(10, [], [], state) == f"Here are 10 songs {said}"


def test_a_message_that_names_nothing_keeps_the_list_and_says_what_was_not_understood(
        recommender: Recommender, searcher: FakeSearcher) -> None:
    """"not so cheesy" after a list answered "Tell me what you'd like to hear." and showed no songs."""
    state, first = take_turn(recommender, DialogueState(), "upbeat music")
    searched = len(searcher.queries)
    after, turn = take_turn(recommender, state, "not so cheesy")
    assert after == state and len(searcher.queries) == searched
    assert [v.track.id for v in turn.results] == [v.track.id for v in first.results]
    assert turn.reply.startswith("I didn't understand \"not so cheesy\", so your list stays as it is.")
    _, turn = take_turn(recommender, DialogueState(), "not so cheesy")
    assert turn.results == [] and "nothing to search for yet" in turn.reply
    assert take_turn(recommender, DialogueState(), "")[1].reply.startswith("Tell me what you'd like to hear")


def test_ruling_out_what_no_song_on_screen_carries_says_so(recommender: Recommender) -> None:
    """"less jazzy" after an instrumental hip hop list that no song tags jazz listed the same songs under
    "(excluding jazz)", and the reply did not say why nothing changed."""
    state, first = take_turn(recommender, DialogueState(), "calm piano")
    assert first.results and not any("reggae" in v.track.descriptors for v in first.results)
    _, turn = take_turn(recommender, state, "no reggae")
    assert "None of the songs on screen is reggae; I'll keep reggae out from now on." in turn.notices
    _, turn = take_turn(recommender, state, "no piano")  # the list has piano songs: they go, nothing to say
    assert not any(notice.startswith("None of the songs on screen") for notice in turn.notices)
    _, fresh = take_turn(recommender, DialogueState(), "no reggae")  # no list on screen: nothing to compare
    assert not any(notice.startswith("None of the songs on screen") for notice in fresh.notices)
