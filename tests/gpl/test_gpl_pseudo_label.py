"""Margin labels: raw teacher logits, positive minus negative, each distinct pair scored once."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import torch

from gpl import CrossEncoderTeacher, LabeledTriplet, Triplet, label_triplets, read_jsonl, write_jsonl

TRIPLETS = [
    Triplet("q1", "calm jazz piano", "t-jazz", "jazz, piano, calm", "t-rock", "rock, guitar, upbeat"),
    Triplet("q1", "calm jazz piano", "t-jazz", "jazz, piano, calm", "t-metal", "metal, guitar"),
    Triplet("q2", "sad folk song", "t-folk", "folk, sad", "t-synth", "synth, happy"),
]


def _raw_logit(cross_encoder, query: str, document: str) -> float:  # noqa: ANN001
    """The classifier's logit, computed straight from the transformers model (no sentence-transformers path)."""
    tokens = cross_encoder.tokenizer(query, document, return_tensors="pt", truncation=True, max_length=32)
    with torch.no_grad():
        return float(cross_encoder.model(**tokens).logits[0, 0])


def test_margins_are_raw_logit_differences(tiny_cross_encoder) -> None:  # noqa: ANN001
    labeled = label_triplets(TRIPLETS, CrossEncoderTeacher(tiny_cross_encoder), show_progress_bar=False)
    assert [item.triplet for item in labeled] == TRIPLETS
    for item in labeled:
        triplet = item.triplet
        positive = _raw_logit(tiny_cross_encoder, triplet.query, triplet.positive)
        negative = _raw_logit(tiny_cross_encoder, triplet.query, triplet.negative)
        assert item.positive_score == pytest.approx(positive, abs=1e-4)
        assert item.negative_score == pytest.approx(negative, abs=1e-4)
        assert item.margin == pytest.approx(positive - negative, abs=1e-4)


class CountingScorer:
    """A fake teacher: the score is the number of words shared with the query; records every call."""

    def __init__(self) -> None:
        self.scored: list[tuple[str, str]] = []

    def score_pairs(
        self, pairs: Sequence[tuple[str, str]], *, batch_size: int = 64, show_progress_bar: bool | None = None
    ) -> np.ndarray:
        self.scored.extend(pairs)
        return np.array(
            [len(set(q.split()) & set(d.replace(",", "").split())) for q, d in pairs], dtype=np.float32
        )


def test_each_distinct_pair_is_scored_once_and_margins_follow_the_scores() -> None:
    scorer = CountingScorer()
    labeled = label_triplets(TRIPLETS, scorer, show_progress_bar=False)
    assert len(scorer.scored) == len(set(scorer.scored)) == 5  # q1's positive is shared by two triplets
    assert [item.margin for item in labeled] == [3.0, 3.0, 2.0]


def test_triplet_and_label_files_round_trip(tmp_path: Path) -> None:
    labeled = label_triplets(TRIPLETS, CountingScorer(), show_progress_bar=False)
    assert write_jsonl(tmp_path / "triplets.jsonl", TRIPLETS) == 3
    write_jsonl(tmp_path / "labels.jsonl", labeled)
    assert list(read_jsonl(tmp_path / "triplets.jsonl", Triplet)) == TRIPLETS
    assert list(read_jsonl(tmp_path / "labels.jsonl", LabeledTriplet)) == labeled
    assert not list(tmp_path.glob("*.tmp"))


def test_a_corrupt_artifact_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "triplets.jsonl"
    path.write_text('{"query_id": "q1"}\n')
    with pytest.raises(ValueError, match=r"triplets.jsonl:1: expected a Triplet record"):
        list(read_jsonl(path, Triplet))
