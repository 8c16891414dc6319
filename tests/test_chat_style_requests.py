"""benchmarks/chat_style_requests.py: its request file and the paper-style sampling of a paraphrase's document."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import chat_style_requests  # noqa: E402


def test_a_paraphrase_samples_only_descriptors_it_says_plus_others() -> None:
    aspects = ("steel drums", "tropical", "male vocals", "low quality", "upbeat")
    request = "upbeat tropical stuff with a steel drum melody"
    for seed in range(20):
        document = chat_style_requests.said_document(request, aspects, random.Random(seed))
        parts = document.split(", ")
        said = [p for p in parts if p in ("steel drums", "tropical", "upbeat")]
        assert said and len(parts) - len(said) <= 2, document  # at most as many others as said ones (3) and others (2)
    assert chat_style_requests.said_document("some jazz", aspects, random.Random(0)) is None


def test_a_bad_request_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    path.write_text('{"ytid": "a", "request": "jazz"}\n{"ytid": "b"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"requests.jsonl:2"):
        chat_style_requests.load_requests(path)


def test_the_shipped_requests_are_for_musiccaps_train_clips(shared_data: Path) -> None:  # noqa: ARG001
    import tune_fusion

    requests = chat_style_requests.load_requests(chat_style_requests.REQUESTS)
    train = {row.track_id for row in tune_fusion.load_train_rows(tune_fusion.DEFAULT_MUSICCAPS)}
    assert len(requests) == 240 and set(requests) <= train
