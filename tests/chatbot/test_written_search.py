"""The turn's search mixes the state's query with the request as the user wrote it (`chatbot.turn.search`)."""

from __future__ import annotations

import dataclasses

import pytest

import chatbot.turn as turn_module
from chatbot import DialogueState, Recommender, TurnParser, apply_turn, take_turn
from chatbot.query import as_written_query, build_query, literal_share
from retriever import Hit, SearchQuery, Track, load_vocabulary


@pytest.fixture(scope="module")
def vocabulary():  # noqa: ANN201
    return load_vocabulary()


def state_for(message: str, vocabulary) -> DialogueState:  # noqa: ANN001
    return apply_turn(DialogueState(), TurnParser(vocabulary).parse(message))[0]


def test_the_written_query_keeps_the_wording_and_adds_only_what_the_turn_inferred(vocabulary) -> None:  # noqa: ANN001
    state = state_for("rap with lots of autotune, no drums", vocabulary)
    assert state.texts == ("rap with lots of autotune",)  # the state's text drops the negated clause
    # as written, less the words that only ask ("with", "of", "I'd love to hear")
    assert state.written == ("rap lots autotune, no drums",)
    query = build_query(state, frozenset({"drums"}))
    written = as_written_query(state, query)
    assert written is not None and written.text == "rap lots autotune, no drums"
    assert written.excluded_descriptors == query.excluded_descriptors  # same filters
    # "rap" is said in so many words; "auto-tuned vocals" is what the turn read into "autotune"
    assert "rap" in query.weighted_phrases and "rap" not in written.weighted_phrases
    assert written.weighted_phrases == {"auto-tuned vocals": query.weighted_phrases["auto-tuned vocals"]}
    assert literal_share(state) == pytest.approx(0.5)


def test_a_request_that_names_an_artist_or_a_song_is_searched_by_the_state_alone(vocabulary) -> None:  # noqa: ANN001
    state = state_for("upbeat reggae", vocabulary)
    assert as_written_query(state, build_query(state, frozenset())) is not None
    for named in ({"artists_like": ("Bob Marley",)}, {"artists_by": ("Bob Marley",)}, {"references": ("t1",)}):
        named_state = dataclasses.replace(state, **named)
        assert as_written_query(named_state, build_query(named_state, frozenset())) is None


class ScriptedSearcher:
    """Returns fixed hits for each query text: the state's text or the request as written."""

    def __init__(self, tracks: list[Track], scores: dict[str, dict[str, float]]) -> None:
        self.tracks = {t.id: t for t in tracks}
        self.scores = scores
        self.queries: list[SearchQuery] = []

    def search(self, query: SearchQuery) -> list[Hit]:
        self.queries.append(query)
        ranked = sorted(self.scores[query.text].items(), key=lambda pair: -pair[1])
        return [Hit(self.tracks[i], score) for i, score in ranked][: query.k]


def test_the_written_side_weighs_by_the_share_of_the_wants_said_literally(vocabulary) -> None:  # noqa: ANN001
    a = Track(id="a", title="A", artist="x", descriptors=("rap",))
    b = Track(id="b", title="B", artist="y", descriptors=("rap",))
    said = state_for("upbeat rap, no drums", vocabulary)  # every want said literally: the wording weighs 0.75
    query = build_query(said, frozenset())
    scripted = {query.text: {"a": 1.0, "b": 0.0}, "upbeat rap, no drums": {"a": 0.0, "b": 1.0}}
    searcher = ScriptedSearcher([a, b], scripted)
    hits = turn_module.search(searcher, said, query, 10)
    assert [h.track.id for h in hits] == ["b", "a"]
    assert [h.score for h in hits] == pytest.approx([1 - turn_module.STATE_WEIGHT, turn_module.STATE_WEIGHT])
    assert len(searcher.queries) == 2 and all(q.k >= turn_module.CANDIDATES for q in searcher.queries)
    # half the wants inferred ("autotune"): the written side weighs (1 - STATE_WEIGHT) / 2
    inferred = state_for("rap with lots of autotune, no drums", vocabulary)
    query = build_query(inferred, frozenset())
    searcher = ScriptedSearcher([a, b], {query.text: {"a": 1.0, "b": 0.0}, inferred.written[0]: {"a": 0.0, "b": 1.0}})
    weight = (1 - turn_module.STATE_WEIGHT) / 2
    assert [(h.track.id, h.score) for h in turn_module.search(searcher, inferred, query, 10)] == [
        ("a", pytest.approx(1 - weight)), ("b", pytest.approx(weight))]


def test_songs_described_alike_by_other_artists_both_stay_at_the_top_of_a_turn() -> None:
    tracks = [Track(id=f"t{i}", title=f"Song {i}", artist=f"Artist {i}", descriptors=("calm", "piano", "ambient"))
              for i in range(3)] + [Track(id="t-other", title="Other", artist="Z", descriptors=("calm", "guitar"))]
    scores = {"t0": 1.0, "t1": 0.95, "t2": 0.9, "t-other": 0.7}
    recommender = Recommender(ScriptedSearcher(tracks, {"calm ambient piano": scores}), load_vocabulary(), k=3,
                              use_encoder_for_parsing=False)
    _, turn = take_turn(recommender, DialogueState(), "calm ambient piano")
    # three songs carry every word asked for; a song with the same descriptors is another song, not a copy
    assert [view.track.id for view in turn.results] == ["t0", "t1", "t2"]
