"""Fixtures for the reliability suite: fake and tiny real encoders, a CLI runner, bad-file writers.

Two encoders keep this suite fast and hermetic:
- `HashingEncoder`: keyword one-hot dimensions plus hashed character trigrams, pure numpy.
  Unlike the plain keyword fake, gibberish is not "similar" to every descriptor, so the
  paraphrase step of the turn parser behaves as it would with a real model.
- `tiny_encoder_dir`: a random 1-layer BERT (hidden size 8) saved as a sentence-transformers
  directory with safetensors weights. The CLI loads it like any local model, in-process or
  in a subprocess, in well under a second once torch is imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import KEYWORDS

REPO = Path(__file__).resolve().parents[2]
TRIGRAM_DIMENSIONS = 256


class HashingEncoder:
    """'jazz piano' -> e_jazz + e_piano plus a small hashed-trigram part, L2-normalised."""

    def __init__(self, keywords: list[str], *, name: str = "hashing-test-encoder") -> None:
        from retriever import EncoderInfo

        self.keywords = keywords
        self._info = EncoderInfo(
            name=name, weights_sha256="1" * 64, dimension=len(keywords) + TRIGRAM_DIMENSIONS
        )

    @property
    def info(self):  # noqa: ANN201
        return self._info

    def encode(self, texts, *, batch_size: int = 64, show_progress_bar=None) -> np.ndarray:  # noqa: ANN001
        out = np.zeros(
            (len(texts), self._info.dimension), dtype=np.float32
        )  # (n, keywords + trigram buckets)
        offset = len(self.keywords)
        for row, text in enumerate(texts):
            lower = text.lower()
            for column, keyword in enumerate(self.keywords):
                if keyword in lower:
                    out[row, column] = 1.0
            padded = f" {lower} "
            for start in range(len(padded) - 2):
                bucket = zlib.crc32(padded[start : start + 3].encode("utf-8", "replace")) % TRIGRAM_DIMENSIONS
                out[row, offset + bucket] += 0.1
            norm = np.linalg.norm(out[row])
            if norm == 0:
                out[row, -1] = 1.0  # the empty text: never an all-zero vector
            else:
                out[row] /= norm
        return out


@pytest.fixture(scope="session")
def hashing_encoder() -> HashingEncoder:
    return HashingEncoder(KEYWORDS)


@pytest.fixture(scope="session")
def keyword_store_dir(tmp_path_factory: pytest.TempPathFactory, hashing_encoder: HashingEncoder) -> Path:
    """The built-in catalogue (1,124 songs) indexed with the hashing encoder, once per session."""
    from retriever import BUILTIN_CATALOGUE, TrackStore, index_tracks, load_catalog

    index_dir = tmp_path_factory.mktemp("keyword-index")
    store = TrackStore.open(hashing_encoder.info, index_dir=index_dir, create=True)
    index_tracks(
        load_catalog(BUILTIN_CATALOGUE, "jsonl").tracks, store, hashing_encoder, show_progress_bar=False
    )
    return index_dir


@pytest.fixture(scope="session")
def recommender(keyword_store_dir: Path, hashing_encoder: HashingEncoder):  # noqa: ANN201
    """A Recommender over the built-in catalogue; no log (tests that need one build their own)."""
    from chatbot import Recommender
    from retriever import HybridSearcher, TrackStore, load_vocabulary

    store = TrackStore.open(hashing_encoder.info, index_dir=keyword_store_dir)
    return Recommender(HybridSearcher(store, hashing_encoder), load_vocabulary())


def build_tiny_encoder(folder: Path, *, seed: int) -> Path:
    """A random sentence-transformers model small enough to load and run instantly (safetensors only)."""
    import torch
    from sentence_transformers import SentenceTransformer

    try:
        from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    except ImportError:  # sentence-transformers before the modules moved
        from sentence_transformers.models import Pooling, Transformer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *KEYWORDS, *"abcdefghijklmnopqrstuvwxyz0123456789"]
    words += [f"##{c}" for c in "abcdefghijklmnopqrstuvwxyz0123456789"]
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(dict.fromkeys(words)) + "\n", encoding="utf-8")
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(dict.fromkeys(words)),
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=16,
        max_position_embeddings=128,
    )
    hf_dir = folder / "hf"
    BertModel(config).save_pretrained(hf_dir, safe_serialization=True)
    BertTokenizerFast(vocab_file=str(vocab), do_lower_case=True).save_pretrained(hf_dir)
    transformer = Transformer(str(hf_dir), max_seq_length=128)
    model = SentenceTransformer(modules=[transformer, Pooling(8)], device="cpu")
    model_dir = folder / "encoder"
    model.save(str(model_dir), safe_serialization=True)
    return model_dir


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_encoder(tmp_path_factory.mktemp("tiny-encoder"), seed=0)


@pytest.fixture(scope="session")
def other_tiny_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Same shape as `tiny_encoder_dir`, other weights: "an index built with another encoder"."""
    return build_tiny_encoder(tmp_path_factory.mktemp("other-tiny-encoder"), seed=1)


@pytest.fixture(scope="session")
def tiny_index(tmp_path_factory: pytest.TempPathFactory, tiny_encoder_dir: Path) -> Path:
    """A 12-song index built by `tunetalk index` with the tiny encoder (read-only for tests)."""
    folder = tmp_path_factory.mktemp("tiny-index")
    catalogue = write_jsonl(
        folder / "songs.jsonl", [song(f"s{i}", "jazz", "piano", f"mood {i}") for i in range(12)]
    )
    index_catalogue(catalogue, folder / "idx", tiny_encoder_dir)
    return folder / "idx"


@dataclass(frozen=True)
class CliRun:
    code: int
    out: str
    err: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if "error" in line.lower()]


@pytest.fixture()
def cli(capsys: pytest.CaptureFixture[str]):  # noqa: ANN201
    """Run `tunetalk ARGS` in this process. An exception escaping main() fails the test: that
    is what a user would see as a traceback."""
    from tunetalk.cli import main

    def run(*args: str | Path) -> CliRun:
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as exit_:  # argparse usage errors
            code = exit_.code if isinstance(exit_.code, int) else 2
        out, err = capsys.readouterr()
        return CliRun(code, out, err)

    return run


def tunetalk_process(
    *args: str | Path, env: dict[str, str] | None = None, timeout: float = 240, **popen: object
) -> subprocess.Popen:
    """`python -m tunetalk.cli ARGS` as a child process (for kills and concurrency)."""
    return subprocess.Popen(
        [sys.executable, "-m", "tunetalk.cli", *map(str, args)], cwd=REPO, env=env, **popen
    )  # type: ignore[call-overload]


def index_catalogue(catalogue: Path, index_dir: Path, encoder_dir: Path) -> None:
    """`tunetalk index` (in process) of a JSONL catalogue with a given encoder; it must succeed."""
    from tunetalk.cli import main

    command = ["index", str(catalogue), "--format", "jsonl", "--index-dir", str(index_dir)]
    assert main([*command, "--encoder", str(encoder_dir)]) == 0


def write_jsonl(path: Path, rows: Iterable[dict | str]) -> Path:
    """One row a line; a str row is written verbatim (for broken lines)."""
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write((row if isinstance(row, str) else json.dumps(row, ensure_ascii=False)) + "\n")
    return path


def song(track_id: str, *descriptors: str, **extra: object) -> dict:
    return {
        "id": track_id,
        "title": f"Title {track_id}",
        "artist": "Artist",
        "descriptors": list(descriptors) or ["jazz", "piano"],
        **extra,
    }
