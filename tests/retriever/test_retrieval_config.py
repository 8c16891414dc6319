"""Fusion settings stored with an encoder: defaults without a file, a round trip, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from retriever import RetrievalConfig, retrieval_config_for, save_retrieval_config
from retriever.fusion import RETRIEVAL_FILE, Fusion


def test_an_encoder_without_stored_settings_gets_the_defaults(tmp_path: Path) -> None:
    assert retrieval_config_for(tmp_path) == RetrievalConfig()
    assert retrieval_config_for(None) == RetrievalConfig()


def test_stored_settings_round_trip(tmp_path: Path) -> None:
    chosen = RetrievalConfig(dense_weight=0.3, candidates=50)
    path = save_retrieval_config(tmp_path, chosen)
    assert path == tmp_path / RETRIEVAL_FILE and not list(tmp_path.glob("*.partial"))
    assert retrieval_config_for(tmp_path) == chosen
    save_retrieval_config(tmp_path, RetrievalConfig(fusion=Fusion.RRF, rrf_k=30))
    assert retrieval_config_for(tmp_path).fusion is Fusion.RRF and retrieval_config_for(tmp_path).rrf_k == 30


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "is not readable JSON"),
        ("[0.3]", "must hold a JSON object"),
        ('{"dense_weight": 3}', "dense_weight must be in \\[0, 1\\]"),
        ('{"fusion": "magic"}', "'magic' is not a valid Fusion"),
    ],
)
def test_bad_stored_settings_are_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / RETRIEVAL_FILE).write_text(text)
    with pytest.raises(ValueError, match=message):
        retrieval_config_for(tmp_path)


def test_unknown_keys_are_ignored(tmp_path: Path) -> None:
    (tmp_path / RETRIEVAL_FILE).write_text('{"dense_weight": 0.2, "note": "chosen on train"}')
    assert retrieval_config_for(tmp_path) == RetrievalConfig(dense_weight=0.2)
