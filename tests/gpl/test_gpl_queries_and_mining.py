"""Queries from the log and the catalogue; hard negatives that never include the positive or its near-duplicates."""

from __future__ import annotations

import random

import pytest

from gpl import (
    Candidates,
    MiningConfig,
    QueryConfig,
    TrainingQuery,
    build_queries,
    build_triplets,
    mine_candidates,
)
from gpl.mining import is_near_duplicate, sampled_view
from gpl.queries import caption_sentences, is_heldout, log_queries, synthesise_request
from retriever import FeedbackEvent, Track, TurnEvent


def test_synthesised_requests_name_descriptors_verbatim() -> None:
    rng = random.Random(0)
    descriptors = ("steel drums", "calypso", "upbeat", "instrumental")
    for _ in range(50):
        text = synthesise_request(descriptors, rng)
        assert any(d in text for d in descriptors), text


def test_log_turns_get_the_tracks_the_user_liked_as_positives() -> None:
    shown = (("t-jazz-piano", 0.9), ("t-study-piano", 0.8), ("t-gone", 0.7))
    log = [
        TurnEvent("s1", "calm piano", "calm piano", (), shown),
        FeedbackEvent("s1", "t-study-piano", is_liked=True),
        TurnEvent("s1", "more like #1", "calm piano", ("solo piano",), shown, liked=("t-study-piano",)),
        TurnEvent("s1", "I like #1", "calm piano", (), shown, liked=("t-study-piano", "t-jazz-piano")),
    ]
    queries = log_queries(log, {"t-jazz-piano", "t-study-piano"})["s1"]
    by_id = {q.query_id.rsplit("-", 2)[-2] + "-" + q.source: q for q in queries}
    assert by_id["0-log-message"].positive_ids == ("t-study-piano",)  # thumbs up after turn 0
    assert by_id["0-log-message"].shown_ids == ("t-jazz-piano", "t-study-piano")  # unknown ids dropped
    assert by_id["1-log-query"].text == "calm piano. solo piano"
    assert by_id["1-log-message"].positive_ids == ("t-jazz-piano",)  # turn 2 added it to the liked list
    assert by_id["2-log-message"].positive_ids == ()
    assert "0-log-query" not in by_id  # same text as the message: not repeated


def test_sessions_are_held_out_whole_and_stably() -> None:
    assert [is_heldout(f"s{i}", 0.3) for i in range(100)] == [is_heldout(f"s{i}", 0.3) for i in range(100)]
    assert 15 <= sum(is_heldout(f"s{i}", 0.3) for i in range(100)) <= 45
    assert not any(is_heldout(f"s{i}", 0.0) for i in range(100))


def test_build_queries_uses_captions_templates_and_the_split(tracks) -> None:  # noqa: ANN001
    captioned = Track(
        "t-cap", "Cap", "A", ("jazz", "piano"), metadata={"caption": "A calm jazz tune. It has piano"}
    )
    train, heldout = build_queries([*tracks, captioned], [], QueryConfig(templates_per_track=1))
    sources = {q.source for q in train}
    assert sources == {"caption", "template"} and heldout == []
    assert {q.text for q in train if q.source == "caption"} == {"A calm jazz tune", "It has piano"}
    assert len(build_queries(tracks, [], QueryConfig(templates_per_track=1, max_queries=4))[0]) == 4
    assert caption_sentences("Short. A longer sentence here.\nAnd more words here") == [
        "A longer sentence here",
        "And more words here",
    ]


def test_sampled_views_keep_a_mentioned_descriptor() -> None:
    rng = random.Random(1)
    descriptors = ("mellow piano melody", "soft female vocal", "sad", "ballad", "low quality")
    for _ in range(30):
        view = sampled_view("This ballad has a mellow piano melody", descriptors, rng)
        assert {"mellow piano melody", "ballad"} & set(view)
        assert len(view) == len(set(view))


def test_mined_negatives_exclude_the_positive_and_near_duplicates(keyword_encoder, tracks) -> None:  # noqa: ANN001
    twin = Track("t-jazz-twin", "Twin", "X", ("jazz", "piano", "calm", "instrumental", "late night"))
    catalogue = [*tracks, twin]
    queries = [
        TrainingQuery("q1", "calm jazz piano", "template", ("t-jazz-piano",)),
        TrainingQuery("q2", "happy reggae", "log-message", ()),
    ]
    config = MiningConfig(
        candidates_per_retriever=5, num_negatives=3, sampled_view_fraction=0.0, views_per_query=1, sibling_fraction=0.0
    )
    candidates = mine_candidates(queries, catalogue, keyword_encoder, config, show_progress_bar=False)
    assert candidates[0].dense[0] in {"t-jazz-piano", "t-jazz-twin"}
    assert candidates[0].lexical[0] in {"t-jazz-piano", "t-jazz-twin"}
    assert is_near_duplicate(twin, tracks[0], 0.8)
    triplets = build_triplets(queries, candidates, catalogue, None, config, show_progress_bar=False)
    assert {t.query_id for t in triplets} == {"q1"}  # q2 has no positive and no teacher: skipped
    assert len(triplets) == 3
    for triplet in triplets:
        assert (
            triplet.positive_id == "t-jazz-piano"
            and triplet.positive == "jazz, piano, calm, instrumental, late night"
        )
        assert triplet.negative_id not in {"t-jazz-piano", "t-jazz-twin"}


class ReggaeTeacher:
    """A fake teacher that prefers documents mentioning reggae."""

    def score(self, query: str, documents) -> list[float]:  # noqa: ANN001
        return [float("reggae" in d) for d in documents]


def test_the_teacher_picks_the_positive_of_an_unlabelled_request(keyword_encoder, tracks) -> None:  # noqa: ANN001
    queries = [TrainingQuery("q2", "happy reggae", "log-message", (), ("t-synth", "t-reggae"))]
    config = MiningConfig(candidates_per_retriever=6, num_negatives=2, views_per_query=1, sibling_fraction=0.0)
    candidates = [Candidates("q2", ("t-synth", "t-steel", "t-rock-guitar"), ("t-reggae", "t-metal"))]
    triplets = build_triplets(queries, candidates, tracks, ReggaeTeacher(), config, show_progress_bar=False)
    assert [t.positive_id for t in triplets] == ["t-reggae", "t-reggae"]


def test_a_positive_the_request_does_not_mention_is_shown_in_full(tracks) -> None:  # noqa: ANN001
    from gpl.mining import document_text

    rng = random.Random(0)
    jazz = tracks[0]
    assert document_text("the recording quality is poor", jazz, rng, True, is_positive=True) == jazz.document
    view = document_text("calm jazz please", jazz, rng, True, is_positive=True)
    assert set(view.split(", ")) & {"jazz", "calm"} and set(view.split(", ")) <= set(jazz.descriptors)


def test_negative_depth_keeps_negatives_among_the_best_candidates(tracks) -> None:  # noqa: ANN001
    queries = [TrainingQuery("q1", "calm jazz piano", "template", ("t-jazz-piano",))]
    dense = ("t-jazz-piano", "t-study-piano", "t-vocal-jazz", "t-violin", "t-metal")
    lexical = ("t-study-piano", "t-vocal-jazz", "t-synth", "t-reggae")
    candidates = [Candidates("q1", dense, lexical)]
    for seed in range(20):
        config = MiningConfig(
            num_negatives=1, negative_depth=2, sampled_view_fraction=0.0, views_per_query=1, sibling_fraction=0.0,
            seed=seed,
        )
        (triplet,) = build_triplets(queries, candidates, tracks, None, config, show_progress_bar=False)
        # interleaved: jazz-piano (the positive), study-piano, vocal-jazz, ... -> the first two others
        assert triplet.negative_id in {"t-study-piano", "t-vocal-jazz"}
    with pytest.raises(ValueError, match="negative_depth"):
        MiningConfig(num_negatives=3, negative_depth=2)


def test_caption_sentences_that_name_no_descriptor_can_be_left_out(tracks) -> None:  # noqa: ANN001
    import dataclasses

    from gpl.queries import caption_queries

    jazz = dataclasses.replace(
        tracks[0], metadata={"caption": "A calm jazz tune for the evening. The recording quality is poor"}
    )
    assert [q.text for q in caption_queries([jazz])] == [
        "A calm jazz tune for the evening",
        "The recording quality is poor",
    ]
    assert [q.text for q in caption_queries([jazz], needs_mention=True)] == ["A calm jazz tune for the evening"]


def test_sibling_views_are_mostly_about_what_the_request_does_not_name() -> None:
    from gpl.mining import mentioned, sibling_view

    rng = random.Random(2)
    descriptors = ("mellow piano melody", "soft female vocal", "sad", "ballad", "low quality")
    request = "This ballad has a mellow piano melody"
    seen = set()
    for _ in range(200):
        view = sibling_view(request, descriptors, rng)
        named = mentioned(request, view)
        assert set(view) <= set(descriptors) and len(view) == len(set(view))
        assert len(view) - len(named) > len(named)  # more unnamed descriptors than named ones
        seen.add(frozenset(view))
    assert len(seen) > 10  # random subsets, not one fixed document
    assert sibling_view("some calm strings please", descriptors, rng) is None  # names nothing of the track
    assert sibling_view("a sad ballad", ("sad", "ballad"), rng) is None  # names everything of the track


def test_views_per_query_and_sibling_negatives(tracks) -> None:  # noqa: ANN001
    queries = [TrainingQuery("q1", "calm jazz piano", "template", ("t-jazz-piano",))]
    candidates = [Candidates("q1", ("t-study-piano", "t-vocal-jazz"), ("t-synth", "t-reggae"))]
    jazz = tracks[0]
    config = MiningConfig(num_negatives=1, views_per_query=4, sibling_fraction=1.0, seed=3)
    triplets = build_triplets(queries, candidates, tracks, None, config, show_progress_bar=False)
    assert len(triplets) == 4
    for triplet in triplets:
        positive = triplet.positive.split(", ")
        negative = triplet.negative.split(", ")
        assert triplet.negative_id == triplet.positive_id == "t-jazz-piano"
        assert set(negative) <= set(jazz.descriptors) and set(negative) - {"calm", "jazz", "piano"}
        named_in_positive = [d for d in positive if d in {"calm", "jazz", "piano"}]
        assert len(named_in_positive) >= len(positive) - len(named_in_positive)
    mined = build_triplets(
        queries, candidates, tracks, None, MiningConfig(num_negatives=2, views_per_query=3, sibling_fraction=0.0),
        show_progress_bar=False,
    )
    assert len(mined) == 6 and all(t.negative_id != "t-jazz-piano" for t in mined)
    for bad in ({"views_per_query": 0}, {"sibling_fraction": 1.5}):
        with pytest.raises(ValueError):
            MiningConfig(**bad)


def test_the_teacher_also_learns_that_sibling_views_are_wrong(tracks) -> None:  # noqa: ANN001
    from gpl.config import TeacherConfig
    from gpl.teacher import teacher_pairs

    queries = [TrainingQuery("q1", "calm jazz piano", "template", ("t-jazz-piano",))]
    candidates = [Candidates("q1", ("t-metal",), ())]
    jazz = set(tracks[0].descriptors)

    def pairs(siblings: int) -> list:  # noqa: ANN401
        config = TeacherConfig(hard_negatives=1, random_negatives=0, sibling_negatives=siblings)
        return teacher_pairs(queries, candidates, tracks, config, sampled_view_fraction=1.0)

    assert sorted(p.label for p in pairs(0)) == [0.0, 1.0]
    with_siblings = pairs(2)
    assert sorted(p.label for p in with_siblings) == [0.0, 0.0, 0.0, 1.0]
    own_negatives = [p for p in with_siblings if p.label == 0.0 and set(p.document.split(", ")) <= jazz]
    assert len(own_negatives) == 2  # the two sibling views of the request's own track
    with pytest.raises(ValueError, match="sibling_negatives"):
        TeacherConfig(hard_negatives=0, random_negatives=0, sibling_negatives=0)
