from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retriever import DEFAULT_ENCODER, EncoderError
from retriever.encoder import PACKAGED_SHA256, packaged_model_dir, resolve_encoder, weights_sha256


def test_default_name_resolves_to_the_packaged_weights() -> None:
    name, path = resolve_encoder(DEFAULT_ENCODER)
    assert name == DEFAULT_ENCODER and path == packaged_model_dir()
    assert weights_sha256(path) == PACKAGED_SHA256


def test_unknown_name_is_a_clear_offline_error() -> None:
    with pytest.raises(EncoderError, match="not available offline"):
        resolve_encoder("nobody/no-such-model-xyz")


def test_directory_without_safetensors_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pytorch_model.bin").write_bytes(b"pickle")
    with pytest.raises(EncoderError, match="only safetensors"):
        weights_sha256(tmp_path)


def test_packaged_minilm_encodes_normalised_vectors(minilm) -> None:  # noqa: ANN001
    vectors = minilm.encode(["steel drums, calypso", "calm solo piano"])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert minilm.info.weights_sha256 == PACKAGED_SHA256


def test_a_memo_encoder_encodes_each_distinct_text_once_and_shares_vectors_by_weights() -> None:
    """The GPL stages encoded the same catalogue with the same encoder up to four times."""
    from retriever import EncoderInfo, MemoEncoder
    from tests.conftest import KEYWORDS, KeywordEncoder

    class Counting(KeywordEncoder):
        def __init__(self, name: str) -> None:
            super().__init__(KEYWORDS)
            self._info = EncoderInfo(name=name, weights_sha256="0" * 64, dimension=len(KEYWORDS) + 1)
            self.encoded: list[str] = []

        def encode(self, texts, **kwargs) -> np.ndarray:  # noqa: ANN001, ANN003
            self.encoded += texts
            return super().encode(texts, **kwargs)

    memos: dict = {}
    first, copy = Counting("run/encoder"), Counting("generation/encoder")  # the same weights, two directories
    memo = MemoEncoder.sharing(first, memos)
    vectors = memo.encode(["calm piano", "upbeat rock", "calm piano"])
    assert first.encoded == ["calm piano", "upbeat rock"]
    np.testing.assert_array_equal(vectors, KeywordEncoder(KEYWORDS).encode(["calm piano", "upbeat rock", "calm piano"]))
    again = MemoEncoder.sharing(copy, memos).encode(["upbeat rock", "sad violin"])
    assert copy.encoded == ["sad violin"]  # the copy's weights gave "upbeat rock" already
    np.testing.assert_array_equal(again[0], vectors[1])
    other = Counting("other")
    other._info = EncoderInfo(name="other", weights_sha256="1" * 64, dimension=len(KEYWORDS) + 1)
    MemoEncoder.sharing(other, memos).encode(["calm piano"])
    assert other.encoded == ["calm piano"]  # other weights: encoded anew
    assert memo.encode([]).shape == (0, len(KEYWORDS) + 1) and memo.info == first.info
