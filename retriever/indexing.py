"""The index pipeline: tracks -> embeddings -> Chroma collection, in resumable chunks.

Where the time goes (benchmarks/index_jamendo.py) is the encoder's forward pass and
Chroma's own write path (SQLite log and metadata, FTS on documents, HNSW), in about equal
parts. So the to-do list is sorted by document length (a batch pads to its longest
text, so similar lengths waste little), each distinct document text is encoded once
(catalogues such as MTG-Jamendo repeat tag sets: 55,525 tracks, 21,085 distinct
documents), and one chunk is written to Chroma in a background thread while the next
one is encoded (both release the GIL).

A chunk is written before the one after the next starts, so an interrupted run loses
at most two chunks; a re-run skips tracks already stored with the same document and
re-writes nothing twice (Chroma upserts by id).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retriever.catalog import Track
from retriever.encoder import Encoder
from retriever.store import TrackStore
from retriever.vocabulary import ASSETS_DIR

logger = logging.getLogger(__name__)

BUILTIN_CATALOGUE = ASSETS_DIR / "catalogue.jsonl"


@dataclass(frozen=True)
class IndexConfig:
    """Encoder batch size, and how many tracks are encoded and written as one resumable unit."""

    batch_size: int = 128
    chunk_size: int = 2048

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.chunk_size < 1:
            raise ValueError(f"batch_size and chunk_size must be >= 1, got {self.batch_size}, {self.chunk_size}")


@dataclass(frozen=True)
class IndexReport:
    written: int
    unchanged: int
    total_in_store: int
    seconds: float


def _stored_documents(store: TrackStore, ids: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(ids), 5000):
        page = store.collection.get(ids=list(ids[start : start + 5000]), include=["documents"])
        found.update(zip(page["ids"], page["documents"] or []))
    return found


def index_tracks(
    tracks: Sequence[Track],
    store: TrackStore,
    encoder: Encoder,
    config: IndexConfig = IndexConfig(),
    *,
    show_progress_bar: bool | None = None,
) -> IndexReport:
    """Embed and store tracks; already-stored identical tracks are skipped.

    Args:
        tracks: validated tracks with unique ids.
        store: the target collection (built with the same encoder).
        encoder: the bi-encoder.
        config: batch and chunk sizes.
        show_progress_bar: None shows one when logging is at INFO or lower.

    Returns:
        How many tracks were written, how many were already there, the store's new size.
    """
    started = time.perf_counter()
    stored = _stored_documents(store, [t.id for t in tracks])
    todo = [t for t in tracks if stored.get(t.id) != t.document]
    unchanged = len(tracks) - len(todo)
    # Length-sorted: batches pad to their longest text; identical documents become neighbours.
    todo.sort(key=lambda t: (len(t.document), t.document))
    if show_progress_bar is None:
        show_progress_bar = logger.getEffectiveLevel() <= logging.INFO and len(todo) > 0
    logger.info("indexing %d tracks (%d already stored)", len(todo), unchanged)
    from tqdm.auto import tqdm  # here: a chat process that never indexes does not pay for the import

    pending: Future | None = None
    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="chroma-writer") as writer,
        tqdm(total=len(todo), desc="indexing", unit="track", disable=not show_progress_bar) as bar,
    ):
        for start in range(0, len(todo), config.chunk_size):
            chunk = todo[start : start + config.chunk_size]
            embeddings = encode_documents(encoder, [t.document for t in chunk], batch_size=config.batch_size)
            if pending is not None:
                pending.result()  # re-raises a failed write; at most one chunk in flight
            pending = writer.submit(_write, store, chunk, embeddings, bar)
        if pending is not None:
            pending.result()
    return IndexReport(len(todo), unchanged, store.count(), time.perf_counter() - started)


def _write(store: TrackStore, chunk: Sequence[Track], embeddings: np.ndarray, bar) -> None:  # noqa: ANN001 - a tqdm bar
    store.upsert(chunk, embeddings)
    bar.update(len(chunk))  # the bar counts stored tracks, not encoded ones


def encode_documents(encoder: Encoder, documents: Sequence[str], *, batch_size: int = 128) -> np.ndarray:
    """Embed documents, encoding each distinct text once.

    Returns:
        (len(documents), dimension) float32, row i for documents[i].
    """
    distinct = list(dict.fromkeys(documents))
    vectors = encoder.encode(distinct, batch_size=batch_size, show_progress_bar=False)  # (distinct, dim)
    if len(distinct) == len(documents):
        return vectors
    row_of = {text: row for row, text in enumerate(distinct)}
    return vectors[[row_of[text] for text in documents]]


def file_fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def builtin_index_dir(home: Path, encoder_sha256: str, catalogue: Path = BUILTIN_CATALOGUE) -> Path:
    """Where the built-in catalogue's index lives under `home`: keyed by catalogue and encoder, so
    either change rebuilds."""
    return home / f"builtin-{file_fingerprint(catalogue)[:12]}-{encoder_sha256[:12]}"


def builtin_trained_dir(home: Path, catalogue: Path = BUILTIN_CATALOGUE) -> Path:
    """Where `tunetalk train --builtin` puts the built-in catalogue's index generations (and the
    ACTIVE pointer the built-in chat follows once a trained encoder passed the gate)."""
    return home / f"builtin-{file_fingerprint(catalogue)[:12]}-trained"
