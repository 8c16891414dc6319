"""The ONNX Runtime encoder: same identity and (fp32) the same vectors as sentence-transformers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from retriever import EncoderError, SentenceEncoder, load_encoder, load_encoder_backend
from retriever.encoder import load_onnx_encoder
from tests.reliability.conftest import build_tiny_encoder

TEXTS = ["jazz piano", "calm", "", "steel drum calypso upbeat " * 40, "rock guitar, metal"]


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_encoder(tmp_path_factory.mktemp("onnx-tiny"), seed=3)


def test_onnx_matches_torch_and_keeps_the_identity(tiny_dir: Path, tmp_path: Path) -> None:
    torch_encoder = load_encoder(str(tiny_dir), device="cpu")
    onnx_encoder = load_onnx_encoder(str(tiny_dir), export_dir=tmp_path / "export")
    assert onnx_encoder.info == torch_encoder.info  # an index built by one is opened by the other
    expected, got = torch_encoder.encode(TEXTS), onnx_encoder.encode(TEXTS, batch_size=2)
    assert got.shape == expected.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert onnx_encoder.encode([]).shape == (0, torch_encoder.info.dimension)


def test_int8_stays_close_and_exports_are_reused_until_the_weights_change(tiny_dir: Path, tmp_path: Path) -> None:
    reference = load_encoder(str(tiny_dir), device="cpu").encode(TEXTS)
    int8 = load_onnx_encoder(str(tiny_dir), is_int8=True, export_dir=tmp_path / "export")
    export = tmp_path / "export" / int8.info.weights_sha256[:16]  # one folder per weights hash
    assert (export / "model_qint8.onnx").is_file() and (export / "model.onnx").is_file()
    assert ((int8.encode(TEXTS) * reference).sum(axis=1) > 0.9).all()
    exported_at = (export / "model.onnx").stat().st_mtime_ns
    load_onnx_encoder(str(tiny_dir), export_dir=tmp_path / "export")
    assert (export / "model.onnx").stat().st_mtime_ns == exported_at  # reused
    (export / "source.sha256").write_text("0" * 64 + "\n")  # as if exported from other weights
    load_onnx_encoder(str(tiny_dir), export_dir=tmp_path / "export")
    assert (export / "source.sha256").read_text().strip() == int8.info.weights_sha256
    assert not (export / "model_qint8.onnx").exists()  # the stale int8 export went with it


@pytest.fixture
def cls_model_dir(tiny_dir: Path, tmp_path: Path) -> Path:
    """The tiny model with CLS pooling, which the ONNX backend does not run."""
    copy = tmp_path / "cls-model"
    shutil.copytree(tiny_dir, copy)
    pooling = next(copy.glob("*Pooling/config.json"))
    config = json.loads(pooling.read_text())
    if "pooling_mode" in config:  # sentence-transformers >= 6
        config["pooling_mode"] = "cls"
    else:
        config.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    pooling.write_text(json.dumps(config))
    return copy


def test_a_model_that_is_not_mean_pooled_is_refused(cls_model_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(EncoderError, match="mean Pooling"):
        load_onnx_encoder(str(cls_model_dir), export_dir=tmp_path / "export")


def test_the_backend_loader_falls_back_to_torch_for_such_a_model(cls_model_dir: Path, tmp_path: Path) -> None:
    encoder = load_encoder_backend(str(cls_model_dir), backend="onnx", export_dir=tmp_path / "export")
    assert isinstance(encoder, SentenceEncoder)
    with pytest.raises(EncoderError, match="not available offline"):
        load_encoder_backend(str(tmp_path / "missing"), backend="onnx", export_dir=tmp_path / "export")


@pytest.mark.e2e
def test_packaged_minilm_on_onnx_gives_the_torch_vectors(minilm, tmp_path: Path) -> None:  # noqa: ANN001
    onnx_encoder = load_onnx_encoder(export_dir=tmp_path / "export")
    texts = ["upbeat tropical music with steel drums", "calm solo piano, study", "rock"]
    assert onnx_encoder.info == minilm.info
    np.testing.assert_allclose(onnx_encoder.encode(texts), minilm.encode(texts), atol=1e-5)
