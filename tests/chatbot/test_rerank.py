"""`rerank`: the bonuses on top of the retriever's score, and variety of songs and artists (not of descriptors)."""

from __future__ import annotations

import pytest

from chatbot import DialogueState, Recommender, TurnParser, apply_turn, take_turn
from chatbot.reply import rerank
from retriever import Hit, Track, load_vocabulary


@pytest.fixture(scope="module")
def vocabulary():  # noqa: ANN201
    return load_vocabulary()


def track(track_id: str, *descriptors: str, artist: str = "") -> Track:
    return Track(id=track_id, title=track_id, artist=artist or track_id, descriptors=descriptors)


def state_for(message: str, vocabulary) -> DialogueState:  # noqa: ANN001
    return apply_turn(DialogueState(), TurnParser(vocabulary).parse(message))[0]


def test_the_wanted_coverage_lifts_a_song_that_carries_what_was_asked(vocabulary) -> None:  # noqa: ANN001
    state = state_for("calm piano", vocabulary)
    hits = [Hit(track("guitar", "calm", "acoustic guitar"), 0.9), Hit(track("piano", "calm", "mellow piano melody"), 0.85)]
    # "piano" is carried by "mellow piano melody": every wanted word is in one of its descriptors
    assert [h.track.id for h, _ in rerank(hits, state)] == ["piano", "guitar"]
    far = [Hit(hits[0].track, 0.9), Hit(hits[1].track, 0.5)]  # the bonus is a nudge, not a rewrite
    assert [h.track.id for h, _ in rerank(far, state)] == ["guitar", "piano"]


def test_songs_described_alike_keep_their_order_while_copies_of_one_song_and_artist_move_down(
    vocabulary,  # noqa: ANN001
) -> None:
    state = state_for("calm piano", vocabulary)
    best = track("best", "calm", "piano", "ambient", artist="Ann")
    alike = track("alike", "calm", "piano", "ambient", artist="Bo")  # same descriptors, another song
    again = Track(id="again", title="best", artist="Ann", descriptors=("calm", "piano", "ambient"))  # the same song
    third = track("third", "calm", "piano", artist="Ann")  # Ann's third song
    other = track("other", "calm", "piano", "strings", artist="Cy")
    hits = [Hit(best, 1.0), Hit(alike, 0.99), Hit(again, 0.98), Hit(track("second", "calm", "piano", artist="Ann"), 0.97),
            Hit(third, 0.96), Hit(other, 0.9)]
    order = [h.track.id for h, _ in rerank(hits, state)]
    assert order[:2] == ["best", "alike"]  # the best match first, and an equally good song right after it
    assert order.index("again") > order.index("other") and order.index("third") > order.index("other")


def test_what_an_intent_implies_counts_less_than_what_was_said(vocabulary) -> None:  # noqa: ANN001
    turn = TurnParser(vocabulary).parse("piano songs for a party")
    assert "piano" in turn.wanted and "piano" not in turn.implied
    assert turn.implied and set(turn.implied) <= set(turn.wanted)
    state = apply_turn(DialogueState(), turn)[0]
    assert state.wanted["piano"] == 1.0 and all(state.wanted[d] == 0.5 for d in turn.implied)
    # said and implied at once: said wins
    turn = TurnParser(vocabulary).parse("upbeat songs for a party")
    assert "upbeat" in turn.wanted and "upbeat" not in turn.implied


class ScriptedSearcher:
    """Returns fixed scores whatever the query: the retriever's order, before the turn's re-rank."""

    def __init__(self, tracks: list[Track], scores: dict[str, float]) -> None:
        self.tracks = {t.id: t for t in tracks}
        self.scores = scores

    def search(self, query) -> list[Hit]:  # noqa: ANN001 - a SearchQuery
        ranked = sorted(self.scores.items(), key=lambda pair: -pair[1])
        return [Hit(self.tracks[i], score) for i, score in ranked if i not in query.excluded_ids][: query.k]


def test_songs_described_alike_by_other_artists_all_stay_at_the_top_of_a_turn() -> None:
    tracks = [Track(id=f"t{i}", title=f"Song {i}", artist=f"Artist {i}", descriptors=("calm", "piano", "ambient"))
              for i in range(3)] + [Track(id="t-other", title="Other", artist="Z", descriptors=("calm", "guitar"))]
    searcher = ScriptedSearcher(tracks, {"t0": 1.0, "t1": 0.95, "t2": 0.9, "t-other": 0.7})
    recommender = Recommender(searcher, load_vocabulary(), k=3, use_encoder_for_parsing=False)
    _, turn = take_turn(recommender, DialogueState(), "calm ambient piano")
    # three songs carry every word asked for; one with the same descriptors is another song, not a copy
    assert [view.track.id for view in turn.results] == ["t0", "t1", "t2"]
