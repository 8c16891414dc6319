"""A searcher snapshot: an embedded index's tracks, lexical index and embeddings in one file beside it.

Reading the snapshot replaces reading the collection back from Chroma at start-up, and for a
read-only process (`tunetalk ask`, the chat) it replaces Chroma altogether: :class:`FrozenStore`
answers the searcher's questions (nearest tracks, embeddings by id) from the snapshot's matrix
by exact cosine similarity, so chromadb is never imported. The snapshot is trusted only while
the index's write mark (`TrackStore.mark_of`, renewed before every write) is the one it was
taken under; any write through `TrackStore` makes it stale, and it is rebuilt on the next start.

Example:
    >>> frozen = read_current(index_dir / SNAPSHOT_FILE, index_dir, "tracks")  # and frozen.fits_exact_search
    >>> searcher = HybridSearcher(frozen.store(encoder.info), encoder)  # no chromadb import
"""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retriever.catalog import Track, TrackId
from retriever.encoder import EncoderInfo
from retriever.lexical import LexicalIndex
from retriever.store import TrackStore, descriptor_sets

logger = logging.getLogger(__name__)

SNAPSHOT_FILE = "tunetalk-searcher.pickle"  # beside chroma.sqlite3
SNAPSHOT_FORMAT = 2
# Exact search reads the whole embedding matrix per query: at 5,000 tracks a dense query takes about
# as long as Chroma's HNSW (4.3 against 3.1 ms p50), at 55,525 four times as long (12.7 against 3.3;
# `benchmarks/turn_latency.py --modes embedded,snapshot`). Larger indexes are searched in Chroma.
FROZEN_SEARCH_LIMIT = 20_000
EXACT_TIES_LIMIT = 5000  # candidate rows up to this many are ordered by (score, id); more, by score alone


@dataclass(frozen=True)
class Snapshot:
    """What a searcher keeps between processes, and the index state it was taken under."""

    version: str  # TrackStore.version() when taken: collection, count, write mark, encoder
    collection: str
    mark: str
    encoder: EncoderInfo
    tracks: dict[TrackId, Track]
    lexical: LexicalIndex
    ids: tuple[TrackId, ...]  # the rows of `embeddings`
    embeddings: np.ndarray  # (len(ids), dimension) float32, unit length

    @property
    def fits_exact_search(self) -> bool:
        """Small enough to be served without Chroma (`FROZEN_SEARCH_LIMIT` tracks)."""
        return len(self.ids) <= FROZEN_SEARCH_LIMIT

    def store(self, encoder: EncoderInfo, location: str = "") -> FrozenStore:
        """A read-only store over this snapshot for `encoder` (which must be the one that built it)."""
        if encoder.fingerprint != self.encoder.fingerprint:
            raise ValueError(f"snapshot taken with {self.encoder.fingerprint}, encoder is {encoder.fingerprint}")
        return FrozenStore(self, encoder, location)


def read_snapshot(path: Path) -> Snapshot | None:
    """The snapshot at `path`; None when it is missing, unreadable or of another format (then rebuilt)."""
    try:
        with path.open("rb") as handle:
            stored = pickle.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError,
            IndexError) as error:
        logger.warning("searcher snapshot %s is unreadable (%s); rebuilding it", path, error)
        return None
    if not isinstance(stored, dict) or stored.get("format") != SNAPSHOT_FORMAT:
        return None
    try:
        return Snapshot(**{key: value for key, value in stored.items() if key != "format"})
    except TypeError as error:
        logger.warning("searcher snapshot %s has other fields (%s); rebuilding it", path, error)
        return None


def read_current(path: Path, index_dir: Path, collection: str) -> Snapshot | None:
    """The snapshot of `collection` at `index_dir` if it is current (its write mark unchanged), else None.

    Reads no Chroma file. A small one serves the index alone (`Snapshot.fits_exact_search`); a larger
    one is handed to `HybridSearcher(current=...)` so it is not read twice.
    """
    mark = TrackStore.mark_of(index_dir)
    if mark is None or not path.is_file():
        return None
    snapshot = read_snapshot(path)
    if snapshot is None or snapshot.collection != collection or snapshot.mark != mark:
        return None
    return snapshot



def write_snapshot(path: Path, store: TrackStore, version: str, tracks: dict[TrackId, Track],
                   lexical: LexicalIndex) -> None:
    """Take a snapshot of `store` (an embedded one; `version` from `store.version()`), atomically.

    A failure is logged, never raised: the index is still served, it only starts slower next time.
    """
    partial = path.with_name(path.name + f".{os.getpid()}.partial")
    try:
        ids, embeddings = store.all_embeddings()
        snapshot = {"format": SNAPSHOT_FORMAT, "version": version, "collection": store.collection.name,
                    "mark": TrackStore.mark_of(store.index_dir) or "", "encoder": store.encoder, "tracks": tracks,
                    "lexical": lexical, "ids": tuple(ids), "embeddings": embeddings}
        with partial.open("wb") as handle:
            pickle.dump(snapshot, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)
    except (OSError, pickle.PicklingError) as error:
        logger.warning("cannot write the searcher snapshot %s (%s)", path, error)
        partial.unlink(missing_ok=True)


class FrozenStore:
    """The read side of a TrackStore, served from a snapshot by exact search (no Chroma).

    It answers `query`, `embeddings`, `count` and `iter_tracks` as the store it was taken from
    would; `version` is None, so a searcher over it never rewrites the snapshot.
    """

    def __init__(self, snapshot: Snapshot, encoder: EncoderInfo, location: str = "") -> None:
        self.snapshot = snapshot
        self.encoder = encoder
        self.location = location or "searcher snapshot"
        self._ids = snapshot.ids
        self._rows = {track_id: row for row, track_id in enumerate(snapshot.ids)}
        self._matrix = np.ascontiguousarray(snapshot.embeddings, dtype=np.float32)
        self._descriptor_sets: dict[TrackId, frozenset[str]] = {}
        self.remember_descriptor_sets(snapshot.tracks.values())

    def count(self) -> int:
        return len(self._ids)

    def version(self) -> str | None:
        return None

    def remember_descriptor_sets(self, tracks: Iterable[Track]) -> None:
        self._descriptor_sets = descriptor_sets(tracks)

    def iter_tracks(self) -> Iterator[Track]:
        yield from self.snapshot.tracks.values()

    def embeddings(self, ids: Sequence[TrackId]) -> dict[TrackId, np.ndarray]:
        return {i: self._matrix[self._rows[i]] for i in ids if i in self._rows}

    def query(
        self,
        embedding: np.ndarray,
        k: int,
        *,
        excluded_descriptors: Sequence[str] = (),
        excluded_ids: Sequence[TrackId] = (),
        allowed_ids: frozenset[TrackId] | None = None,
    ) -> list[tuple[TrackId, float]]:
        """Nearest tracks by cosine similarity (exact), never one with an excluded descriptor or id;
        with `allowed_ids`, only those. Ties go to the smaller id, as in `TrackStore`'s exact path."""
        scores = self._matrix @ np.asarray(embedding, dtype=np.float32)
        blocked = set(excluded_ids)
        excluded = {d.lower() for d in excluded_descriptors}
        if allowed_ids is not None:
            rows = np.fromiter((self._rows[i] for i in allowed_ids if i in self._rows), dtype=np.int64)
        elif not excluded and len(blocked) + k < len(scores):  # the common case: only the top few are needed
            rows = np.argpartition(-scores, len(blocked) + k)[: len(blocked) + k + 1]
        else:
            rows = np.arange(len(scores))
        if len(rows) <= EXACT_TIES_LIMIT:
            order = sorted(rows.tolist(), key=lambda row: (-float(scores[row]), self._ids[row]))
        else:
            order = rows[np.argsort(-scores[rows], kind="stable")].tolist()
        result: list[tuple[TrackId, float]] = []
        for row in order:
            track_id = self._ids[row]
            if track_id in blocked or (excluded and self._descriptor_sets.get(track_id, frozenset()) & excluded):
                continue
            result.append((track_id, float(scores[row])))
            if len(result) >= k:
                break
        return result
