"""Stage ``fusion``: the dense weight is chosen on training captions, else on held-out logged queries."""

from __future__ import annotations

import dataclasses

import pytest

from gpl.config import FusionConfig
from gpl.fusion import caption_benchmarks, choose_encoder_fusion
from gpl.records import TrainingQuery

CAPTIONS = {
    "t-jazz-piano": "A calm jazz tune on the piano. It plays late at night",
    "t-rock-guitar": "Upbeat rock with a distorted guitar. Male vocals shout over it",
    "t-sad-folk": "A sad folk song. Female vocals and an acoustic guitar",
    "t-violin": "A sad classical violin piece, instrumental",
}


def with_captions(tracks):  # noqa: ANN001, ANN201
    return [
        dataclasses.replace(t, metadata={**t.metadata, "caption": CAPTIONS[t.id]}) if t.id in CAPTIONS else t
        for t in tracks
    ]


def test_caption_benchmarks_follow_the_paper_protocol_per_seed(tracks) -> None:  # noqa: ANN001
    benchmarks = caption_benchmarks(with_captions(tracks), seeds=(0, 1))
    assert len(benchmarks) == 2
    for benchmark in benchmarks:
        # one query per caption sentence that names a descriptor, relevant to a view of its own track
        assert set(benchmark.queries) <= {f"{tid}_{i}" for tid in CAPTIONS for i in range(2)}
        for query_id, text in benchmark.queries.items():
            (doc_id,) = benchmark.qrels[query_id]
            named = [d for d in benchmark.corpus[doc_id].split(", ") if d in text]
            assert named, (text, benchmark.corpus[doc_id])
    assert caption_benchmarks(tracks, seeds=(0,)) == []  # no track has a caption


def test_fusion_uses_captions_then_the_heldout_log_then_keeps_the_default(tracks, keyword_encoder) -> None:  # noqa: ANN001
    config = FusionConfig(seeds=(0,), dense_weights=(0.1, 0.5))
    heldout = [TrainingQuery("h1", "calm jazz piano", "log-message", ("t-jazz-piano",))]

    captioned = choose_encoder_fusion(keyword_encoder, with_captions(tracks), heldout, config)
    assert captioned.benchmark.startswith("training captions")
    assert captioned.dense_weight in (0.1, 0.5) and set(captioned.recall_by_weight) == {"0.1", "0.5"}
    assert captioned.recall_by_weight[str(captioned.dense_weight)] == max(captioned.recall_by_weight.values())

    logged = choose_encoder_fusion(keyword_encoder, tracks, heldout, config)
    assert logged.benchmark == "held-out logged queries" and logged.num_queries == 1

    nothing = choose_encoder_fusion(keyword_encoder, tracks, [], config)
    assert nothing.dense_weight is None and nothing.num_queries == 0


def test_bad_fusion_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="dense_weights"):
        FusionConfig(dense_weights=(0.0,))
    with pytest.raises(ValueError, match="seeds"):
        FusionConfig(seeds=())
