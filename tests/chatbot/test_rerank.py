"""`rerank`: the bonuses on top of the retriever's score, and diversity between near-copies only."""

from __future__ import annotations

import pytest

from chatbot import DialogueState, TurnParser, apply_turn
from chatbot.reply import DIVERSITY, requested_lead, rerank
from retriever import Hit, Track, load_vocabulary


@pytest.fixture(scope="module")
def vocabulary():  # noqa: ANN201
    return load_vocabulary()


def track(track_id: str, *descriptors: str, artist: str = "") -> Track:
    return Track(id=track_id, title=track_id, artist=artist or track_id, descriptors=descriptors)


def state_for(message: str, vocabulary) -> DialogueState:  # noqa: ANN001
    return apply_turn(DialogueState(), TurnParser(vocabulary).parse(message))[0]


def test_only_the_instrument_the_request_leads_with_earns_the_lead_bonus(vocabulary) -> None:  # noqa: ANN001
    state = state_for("a steel drum melody with piano, bass guitar and drums", vocabulary)
    assert requested_lead(state.all_wanted, vocabulary) == "steel drums"
    hits = [Hit(track("bass-led", "bass guitar", "calm"), 0.9), Hit(track("steel-led", "steel drums", "calm"), 0.85)]
    assert [h.track.id for h, _ in rerank(hits, state, vocabulary)] == ["steel-led", "bass-led"]
    # a song led by another instrument the request names gets no lead bonus over an equal one
    state = state_for("piano, bass guitar and drums", vocabulary)
    hits = [Hit(track("drum-led", "drums", "calm"), 0.9), Hit(track("bass-led", "bass guitar", "calm"), 0.89)]
    assert [h.track.id for h, _ in rerank(hits, state, vocabulary)] == ["drum-led", "bass-led"]


def test_diversity_moves_a_near_copy_down_and_leaves_merely_similar_songs_in_place(vocabulary) -> None:  # noqa: ANN001
    state = state_for("calm piano", vocabulary)
    best = track("best", "calm", "piano", "ambient", "slow tempo")
    copy = track("copy", "calm", "piano", "ambient", "slow tempo", "reverb")  # Jaccard 0.8 with the best
    similar = track("similar", "calm", "piano", "jazz", "live", "vocals")  # shares two of eight: 0.25
    other = track("other", "calm", "piano", "strings", "film score")
    hits = [Hit(best, 1.0), Hit(copy, 0.99), Hit(similar, 0.98), Hit(other, 0.9)]
    order = [h.track.id for h, _ in rerank(hits, state, vocabulary, diversity=DIVERSITY)]
    assert order[0] == "best"  # the best match always comes first
    assert order.index("similar") == 1 and order.index("copy") == 3
    assert [h.track.id for h, _ in rerank(hits, state, vocabulary)] == ["best", "copy", "similar", "other"]


def test_what_an_intent_implies_counts_less_than_what_was_said(vocabulary) -> None:  # noqa: ANN001
    turn = TurnParser(vocabulary).parse("piano songs for a party")
    assert "piano" in turn.wanted and "piano" not in turn.implied
    assert turn.implied and set(turn.implied) <= set(turn.wanted)
    state = apply_turn(DialogueState(), turn)[0]
    assert state.wanted["piano"] == 1.0 and all(state.wanted[d] == 0.5 for d in turn.implied)
    # said and implied at once: said wins
    turn = TurnParser(vocabulary).parse("upbeat songs for a party")
    assert "upbeat" in turn.wanted and "upbeat" not in turn.implied
