"""Hybrid search: dense (Chroma) and lexical (phrase-aware BM25) candidates, fused, hard-filtered.

Example:
    >>> searcher = HybridSearcher(store, encoder)
    >>> searcher.search(SearchQuery("upbeat tropical steel drums", k=5))
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from retriever.catalog import Track, TrackId
from retriever.encoder import Encoder
from retriever.fusion import Fusion, RetrievalConfig, SearchMode, complete_candidates, fuse
from retriever.lexical import LexicalIndex
from retriever.snapshot import FrozenStore, Snapshot, read_snapshot, write_snapshot
from retriever.store import Hit, TrackStore

logger = logging.getLogger(__name__)

MAX_CHROMA_FILTERS = 32

@dataclass(frozen=True)
class SearchQuery:
    """What one retrieval asks for: text, extra weighted phrases, hard filters and feedback."""

    text: str
    k: int = 10
    weighted_phrases: Mapping[str, float] = field(default_factory=dict)
    excluded_descriptors: frozenset[str] = frozenset()
    excluded_ids: frozenset[TrackId] = frozenset()
    liked_ids: tuple[TrackId, ...] = ()
    disliked_ids: tuple[TrackId, ...] = ()
    allowed_ids: frozenset[TrackId] | None = None  # a hard filter (era, place, language): only these; None = all


@dataclass
class SearchTimings:
    """Seconds spent in each step of one search (for benchmarks)."""

    encode: float = 0.0
    dense: float = 0.0
    lexical: float = 0.0
    fusion: float = 0.0


def is_excluded(track: Track, excluded_lower: frozenset[str]) -> bool:
    return any(d.lower() in excluded_lower for d in track.descriptors)


class HybridSearcher:
    """Searches one TrackStore; holds the lexical index and the track records in memory."""

    def __init__(self, store: TrackStore | FrozenStore, encoder: Encoder, config: RetrievalConfig = RetrievalConfig(), *,
                 snapshot: Path | None = None, current: Snapshot | None = None) -> None:
        """Args:
            store: the tracks and their embeddings (a Chroma collection, or a snapshot of one).
            encoder: the encoder that built the store.
            config: how lexical and dense scores are fused.
            snapshot: a file that keeps the track records and the lexical index between processes
                (an embedded store only): read back when the store has not changed since, else rebuilt.
            current: that file's snapshot when the caller has read it already (`read_current`).
        """
        if store.encoder != encoder.info:
            raise ValueError(f"store built with {store.encoder.fingerprint}, encoder is {encoder.info.fingerprint}")
        self.store = store
        self.encoder = encoder
        self.config = config
        started = time.perf_counter()
        version = store.version() if snapshot is not None else None
        loaded = (current or read_snapshot(snapshot)) if snapshot is not None and version else None
        if isinstance(store, FrozenStore):  # served from a snapshot already read
            self.tracks, self.lexical = store.snapshot.tracks, store.snapshot.lexical
        elif loaded is not None and loaded.version == version:
            self.tracks, self.lexical = loaded.tracks, loaded.lexical
            store.remember_descriptor_sets(self.tracks.values())
        else:
            self.tracks = {t.id: t for t in store.iter_tracks()}
            self.lexical = None
        self._order = list(self.tracks)
        self._positions = {track_id: i for i, track_id in enumerate(self._order)}
        if self.lexical is None:
            self.lexical = LexicalIndex.build(self._order, [self.tracks[i].descriptors for i in self._order])
            if snapshot is not None and version:
                write_snapshot(snapshot, store, version, self.tracks, self.lexical)
        logger.info(
            "searcher over %d tracks at %s ready in %.1fs", len(self.tracks), store.location, time.perf_counter() - started
        )

    def query_embedding(self, query: SearchQuery) -> np.ndarray:
        """The query vector, moved towards liked and away from disliked tracks (Rocchio)."""
        text = query.text
        boosted = [phrase for phrase, weight in query.weighted_phrases.items() if weight > 0]
        if boosted:
            text = (text + ". " + ", ".join(boosted)).strip(". ")
        vector = self.encoder.encode([text or " "])[0]
        feedback = self.store.embeddings([*query.liked_ids, *query.disliked_ids])
        liked = [feedback[i] for i in query.liked_ids if i in feedback]
        disliked = [feedback[i] for i in query.disliked_ids if i in feedback]
        if liked:
            vector = vector + self.config.rocchio_liked * np.mean(liked, axis=0)
        if disliked:
            vector = vector - self.config.rocchio_disliked * np.mean(disliked, axis=0)
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm > 0 else vector

    def search(self, query: SearchQuery, *, timings: SearchTimings | None = None) -> list[Hit]:
        """The k best tracks for a query, excluded descriptors and ids never among them.

        Args:
            query: what to search for.
            timings: filled with the seconds each step took (for benchmarks); one per call, so
                concurrent turns never share it.
        """
        config = self.config
        excluded_lower = frozenset(d.lower() for d in query.excluded_descriptors)
        pool = max(config.candidates, query.k)
        dense: dict[TrackId, float] = {}
        lexical: dict[TrackId, float] = {}
        timings = timings if timings is not None else SearchTimings()
        if config.mode is not SearchMode.LEXICAL:
            started = time.perf_counter()
            vector = self.query_embedding(query)
            timings.encode = time.perf_counter() - started
            started = time.perf_counter()
            dense = self._dense_candidates(vector, pool, excluded_lower, query.excluded_ids, query.allowed_ids)
            timings.dense = time.perf_counter() - started
        if config.mode is not SearchMode.DENSE:
            started = time.perf_counter()
            scores = self.lexical.score_all(query.text, query.weighted_phrases)
            if query.allowed_ids is not None:
                scores = self._only(scores, query.allowed_ids)
            for index, score in self._top_positive(scores, pool + len(query.excluded_ids) + 50):
                track_id = self._order[index]
                if track_id in query.excluded_ids or is_excluded(self.tracks[track_id], excluded_lower):
                    continue
                lexical[track_id] = score
                if len(lexical) >= pool:
                    break
            timings.lexical = time.perf_counter() - started
        started = time.perf_counter()
        if config.mode is SearchMode.HYBRID and config.fusion is Fusion.WEIGHTED:
            complete_candidates(
                dense,
                lexical,
                lambda ids: {i: float(e @ vector) for i, e in self.store.embeddings(ids).items()},
                lambda track_id: float(scores[self._positions[track_id]]),
            )
        ranked = fuse(dense, lexical, config)[: query.k]
        timings.fusion = time.perf_counter() - started
        return [
            Hit(self.tracks[track_id], score, dense.get(track_id), lexical.get(track_id))
            for track_id, score in ranked
            if track_id in self.tracks
        ]

    def _dense_candidates(
        self,
        vector: np.ndarray,
        pool: int,
        excluded_lower: frozenset[str],
        excluded_ids: frozenset[TrackId],
        allowed_ids: frozenset[TrackId] | None = None,
    ) -> dict[TrackId, float]:
        """Dense candidates with hard filters: inside Chroma (`where`) for a few excluded descriptors;
        for many (a broad exclusion such as "no vocals" over a free-text catalogue) Chroma's filter
        tree would grow too deep, so over-fetch and filter here. Either way, every candidate is
        checked again before it is returned."""
        in_chroma = sorted(excluded_lower) if len(excluded_lower) <= MAX_CHROMA_FILTERS else []
        fetch = pool if in_chroma or not excluded_lower else pool * 4
        candidates: dict[TrackId, float] = {}
        while True:
            pairs = self.store.query(vector, fetch, excluded_descriptors=in_chroma, excluded_ids=sorted(excluded_ids),
                                     allowed_ids=allowed_ids)
            candidates = {
                track_id: score
                for track_id, score in pairs
                if track_id in self.tracks and not is_excluded(self.tracks[track_id], excluded_lower)
            }
            if len(candidates) >= pool or len(pairs) < fetch or fetch >= len(self.tracks):
                break
            fetch *= 4
        return dict(list(candidates.items())[:pool])

    def _only(self, scores: np.ndarray, allowed: frozenset[TrackId]) -> np.ndarray:
        """Lexical scores with every track outside `allowed` set to 0."""
        positions = np.fromiter((self._positions[i] for i in allowed if i in self._positions), dtype=np.int64)
        kept = np.zeros_like(scores)
        kept[positions] = scores[positions]
        return kept

    @staticmethod
    def _top_positive(scores: np.ndarray, limit: int) -> list[tuple[int, float]]:
        positive = int(np.count_nonzero(scores > 0))
        limit = min(limit, positive)
        if limit <= 0:
            return []
        top = np.argpartition(-scores, limit - 1)[:limit]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top]
