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
