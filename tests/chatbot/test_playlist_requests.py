"""How real people open a playlist conversation (phrasings of CPCD's first turns), read as they mean it."""

from __future__ import annotations

import numpy as np
import pytest

from chatbot import TurnParser
from chatbot.names import find_names
from retriever import BUILTIN_CATALOGUE, ArtistDirectory, ArtistProfile, load_catalog, load_vocabulary, profiles_from_tracks


@pytest.fixture(scope="module")
def parser() -> TurnParser:
    return TurnParser(load_vocabulary())


@pytest.fixture(scope="module")
def builtin_names():  # noqa: ANN201 - (directory, tracks) of the built-in catalogue
    tracks = {t.id: t for t in load_catalog(BUILTIN_CATALOGUE, "jsonl").tracks}
    return ArtistDirectory(profiles_from_tracks(tracks.values())), tracks


def test_slow_jams_are_rnb_not_the_jam(parser: TurnParser, builtin_names) -> None:  # noqa: ANN001
    directory, tracks = builtin_names
    assert find_names("I want to create a slow jams playlist", directory, tracks) == []
    # a possessive that lost its apostrophe still names its artist
    assert [m.profile.name for m in find_names("more like radioheads stuff", directory, tracks)] == ["Radiohead"]
    wanted = parser.parse("I want to create a slow jams playlist").wanted
    assert {"r&b", "slow tempo"} <= set(wanted)


def test_my_grandsons_birthday_names_no_band(builtin_names) -> None:  # noqa: ANN001
    directory, tracks = builtin_names
    knowledge = ArtistDirectory([*directory.profiles, ArtistProfile("grandson", descriptors=("alternative rock",),
                                                                    source="spotify")])
    message = "Hi, I need to create a playlist for my grandson's themed birthday party."
    assert find_names(message, knowledge, tracks) == []
    assert [m.profile.name for m in find_names("songs like grandson's", knowledge, tracks)] == ["grandson"]
    assert [m.profile.name for m in find_names("play my Radiohead favourites", directory, tracks)] == ["Radiohead"]
    assert [m.profile.name for m in find_names("play my radiohead favourites", directory, tracks)] == ["Radiohead"]


def test_a_spaced_r_and_b_is_rnb(parser: TurnParser) -> None:
    for message in ("a 80s R & B playlist", "some r&b", "rnb please"):
        assert "r&b" in parser.parse(message).wanted, message


@pytest.mark.parametrize(
    ("message", "wanted", "not_wanted"),
    [
        ("music in my car while running errands", "road trip", "running"),
        ("I need music for running", "running", None),
        ("hello, i'm driving home from work, can you make me a playlist", "road trip", "focus"),
        ("a playlist for when I'm driving back from work", "road trip", "focus"),
        ("music for work", "focus", None),
        ("songs for a cross country trip", "road trip", "country"),
        ("cross country skiing music", None, "country"),
        ("some country music", "country", None),
        ("a playlist for rocking out on the weekend", "rock", None),
        ("Hi, I want to create a playlist of Latin songs", "latin pop", None),
        ("some latin jazz please", "latin jazz", "reggaeton"),
        ("hello, i'm having a girls sleep over, can you make a playlist for me", "party", "sleep"),
        ("a playlist that makes me feel like I'm at a rave", "edm", None),
        ("I want to create a sex playlist for some cozy time with my partner", "sensual", None),
        ("How about some 80's head banging music", "heavy metal", None),
        ("I'm looking for a playlist that has some uplifting music by my bible study.", "gospel", "study"),
        ("a playlist to listen to when camping with friends and family", "folk", "kids"),
        ("i want to create a playlist for hiking", "acoustic", None),
        ("hello, i want to do laundry, can you make me a playlist", "upbeat", None),
        ("a playlist I can listen to while I clean out my basement", "upbeat", None),
        ("a playlist for cleaning/working around the house", "upbeat", "house"),
        ("Hey! Play me some Rock music", "rock", None),
        ("family friendly songs please", "kids", None),
    ],
)
def test_everyday_phrases_read_as_meant(parser: TurnParser, message: str, wanted: str | None,
                                        not_wanted: str | None) -> None:
    turn = parser.parse(message)
    if wanted is not None:
        assert wanted in turn.wanted, turn.wanted
    if not_wanted is not None:
        assert not_wanted not in turn.wanted, turn.wanted


def test_a_paraphrase_never_makes_a_plain_word_a_genre() -> None:
    """The encoder puts "home" next to "house" and "heartbroken" next to "sad": the mood is a paraphrase,
    the genre named by a plain English word is read only when it is said."""
    vocabulary = load_vocabulary()
    names = list(vocabulary.descriptors)
    near = {"home": "house", "heartbroken": "sad", "jazzy": "jazz"}

    def embed(texts: list[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), len(names)), dtype=np.float32)
        for row, text in enumerate(texts):
            name = near.get(text, text)
            if name in names:
                vectors[row, names.index(name)] = 1.0
        return vectors

    parser = TurnParser(vocabulary, embed=embed)
    assert "house" not in parser.parse("a playlist for my home office").wanted
    assert "house" in parser.parse("some house music").wanted
    assert "sad" in parser.parse("i am heartbroken").wanted
    assert "jazz" in parser.parse("something jazzy").wanted  # the genre's own word, with an ending


@pytest.mark.parametrize("message", ["More like it. Some more please", "more like these", "Amazing! Some more please",
                                     "ok, more like that"])
def test_asking_for_more_in_a_sentence_of_its_own_gives_new_songs(parser: TurnParser, message: str) -> None:
    turn = parser.parse(message)
    assert turn.wants_new and turn.text == ""  # never a search for the words "more like these"
    assert not parser.parse("more like #2").wants_new and not parser.parse("more upbeat").wants_new


def test_more_like_it_after_a_list_keeps_the_request_with_new_songs(builtin_recommender) -> None:  # noqa: ANN001
    from chatbot import Conversation

    conversation = Conversation(builtin_recommender)
    first = conversation.say("some hip hop please")
    more = conversation.say("More like it. Some more please")
    assert len(more.results) == 10  # was "Tell me what you'd like to hear." and no list
    assert not {v.track.id for v in first.results} & {v.track.id for v in more.results}
    assert sum("hip hop" in v.track.descriptors for v in more.results) >= 8


def test_lets_switch_to_starts_a_new_request_that_keeps_the_exclusions(parser: TurnParser) -> None:
    from chatbot import DialogueState, apply_turn
    from chatbot.state import is_topic_shift

    state, _ = apply_turn(DialogueState(), parser.parse("upbeat afrobeat for a party, no vocals"))
    for message in ("Amazing. Ok lets switch to something calm", "can you change it to something calm",
                    "Actually, let's change directions: something calm"):
        turn = parser.parse(message)
        assert turn.is_switch and not turn.is_refinement and is_topic_shift(state, turn), message
        new, _ = apply_turn(state, turn)
        assert "calm" in new.wanted and "afrobeat" not in new.wanted and "vocals" in new.excluded, new
    assert not is_topic_shift(state, parser.parse("more calm"))  # a refinement, as before
    assert not is_topic_shift(state, parser.parse("something calm"))  # one word alone refines
    assert not parser.parse("songs to go to sleep to").is_switch


def test_a_capitalised_genre_before_music_is_the_genre_not_a_band(builtin_names) -> None:  # noqa: ANN001
    """"Play me some Rock music" was the band Rock; "play some Heart songs" is still Heart."""
    directory, tracks = builtin_names
    knowledge = ArtistDirectory([*directory.profiles, ArtistProfile("Rock", descriptors=("hip hop",)),
                                 ArtistProfile("Heart", descriptors=("hard rock",))])
    assert find_names("Hey! Play me some Rock music", knowledge, tracks) == []
    assert find_names("I want some Blues songs", knowledge, tracks) == []
    assert [m.profile.name for m in find_names("play some Heart songs", knowledge, tracks)] == ["Heart"]
    assert [m.profile.name for m in find_names("play songs by Rock", knowledge, tracks)] == ["Rock"]
