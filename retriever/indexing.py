"""The index pipeline: tracks -> embeddings -> Chroma collection, in resumable chunks.

Each chunk is encoded and written before the next one starts, so an interrupted run
loses at most one chunk; a re-run skips tracks already stored with the same document
and re-writes nothing twice (Chroma upserts by id).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from retriever.catalog import Track
from retriever.encoder import Encoder
from retriever.store import TrackStore
from retriever.vocabulary import ASSETS_DIR

logger = logging.getLogger(__name__)

BUILTIN_CATALOGUE = ASSETS_DIR / "catalogue.jsonl"


@dataclass(frozen=True)
class IndexConfig:
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
    if show_progress_bar is None:
        show_progress_bar = logger.getEffectiveLevel() <= logging.INFO and len(todo) > 0
    logger.info("indexing %d tracks (%d already stored)", len(todo), unchanged)
    with tqdm(total=len(todo), desc="indexing", unit="track", disable=not show_progress_bar) as bar:
        for start in range(0, len(todo), config.chunk_size):
            chunk = todo[start : start + config.chunk_size]
            embeddings = encoder.encode([t.document for t in chunk], batch_size=config.batch_size, show_progress_bar=False)
            store.upsert(chunk, embeddings)
            bar.update(len(chunk))
    return IndexReport(len(todo), unchanged, store.count(), time.perf_counter() - started)


def file_fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tunetalk_home() -> Path:
    return Path(os.environ.get("TUNETALK_HOME") or Path.home() / ".cache" / "tunetalk")


def builtin_index_dir(encoder_sha256: str, catalogue: Path = BUILTIN_CATALOGUE) -> Path:
    """Where the built-in catalogue's index lives: keyed by catalogue and encoder, so either change rebuilds."""
    return tunetalk_home() / f"builtin-{file_fingerprint(catalogue)[:12]}-{encoder_sha256[:12]}"
