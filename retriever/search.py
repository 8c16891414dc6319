"""Hybrid search: dense (Chroma) and lexical (phrase-aware BM25) candidates, fused, hard-filtered.

Example:
    >>> searcher = HybridSearcher(store, encoder)
    >>> searcher.search(SearchQuery("upbeat tropical steel drums", k=5))
"""

from __future__ import annotations

import enum
import json
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from retriever.catalog import Track, TrackId
from retriever.encoder import Encoder
from retriever.lexical import LexicalIndex
from retriever.store import Hit, TrackStore

logger = logging.getLogger(__name__)

MAX_CHROMA_FILTERS = 32


class SearchMode(str, enum.Enum):
    HYBRID = "hybrid"
    DENSE = "dense"
    LEXICAL = "lexical"


class Fusion(str, enum.Enum):
    WEIGHTED = "weighted"  # min-max normalise each side over the candidates, then a weighted sum
    RRF = "rrf"  # reciprocal-rank fusion


@dataclass(frozen=True)
class RetrievalConfig:
    """How the two retrievers are combined. Defaults were chosen on MusicCaps train captions
    (see benchmarks/tune_fusion.py), never on the test split."""

    mode: SearchMode = SearchMode.HYBRID
    fusion: Fusion = Fusion.WEIGHTED
    dense_weight: float = 0.05
    rrf_k: int = 60
    candidates: int = 100
    rocchio_liked: float = 0.6
    rocchio_disliked: float = 0.3

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", SearchMode(self.mode))
        object.__setattr__(self, "fusion", Fusion(self.fusion))
        if not 0.0 <= self.dense_weight <= 1.0:
            raise ValueError(f"dense_weight must be in [0, 1], got {self.dense_weight}")
        if self.candidates < 1:
            raise ValueError(f"candidates must be >= 1, got {self.candidates}")


RETRIEVAL_FILE = "tunetalk_retrieval.json"  # beside an encoder's weights: the fusion chosen for that encoder
_STORED_FIELDS = ("fusion", "dense_weight", "rrf_k", "candidates")


def retrieval_config_for(model_dir: Path | None) -> RetrievalConfig:
    """The fusion settings stored with an encoder (`tunetalk_retrieval.json` in its directory), else the defaults.

    The defaults were tuned with the packaged MiniLM; an encoder retrained by GPL ranks better on its own,
    so `benchmarks/tune_fusion.py --encoder DIR --fusion-only --save` chooses its weight on MusicCaps train
    captions and stores it with the encoder.

    Raises:
        ValueError: the file is not a JSON object of valid settings.
    """
    if model_dir is None or not (model_dir / RETRIEVAL_FILE).is_file():
        return RetrievalConfig()
    path = model_dir / RETRIEVAL_FILE
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not readable JSON ({error}): fix or delete it") from error
    if not isinstance(stored, dict):
        raise ValueError(f"{path} must hold a JSON object with some of {', '.join(_STORED_FIELDS)}")
    try:
        return RetrievalConfig(**{key: stored[key] for key in _STORED_FIELDS if key in stored})
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: {error}") from error


def save_retrieval_config(model_dir: Path, config: RetrievalConfig) -> Path:
    """Store the fusion settings chosen for the encoder in `model_dir` (written atomically)."""
    path = model_dir / RETRIEVAL_FILE
    stored = {"fusion": config.fusion.value, "dense_weight": config.dense_weight, "rrf_k": config.rrf_k,
              "candidates": config.candidates}
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(stored, indent=1) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return path


def _min_max(scores: Mapping[str, float]) -> dict[str, float]:
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    span = high - low
    if span <= 1e-12:
        return {key: 1.0 for key in scores}
    return {key: (value - low) / span for key, value in scores.items()}


def fuse(
    dense: Mapping[str, float], lexical: Mapping[str, float], config: RetrievalConfig
) -> list[tuple[str, float]]:
    """Combine dense and lexical candidate scores into one ranking, best first.

    Candidates missing from one side get that side's lowest observed score (weighted) or no
    contribution (RRF).
    """
    if config.mode is SearchMode.DENSE:
        combined = dict(dense)
    elif config.mode is SearchMode.LEXICAL:
        combined = dict(lexical)
    elif config.fusion is Fusion.RRF:
        combined = {}
        for scores in (dense, lexical):
            ranked = sorted(scores, key=lambda key: -scores[key])
            for rank, key in enumerate(ranked):
                combined[key] = combined.get(key, 0.0) + 1.0 / (config.rrf_k + rank + 1)
    else:
        dense_norm = _min_max(dense)
        lexical_norm = _min_max(lexical)
        combined = {}
        for key in dense_norm.keys() | lexical_norm.keys():
            combined[key] = config.dense_weight * dense_norm.get(key, 0.0) + (
                1.0 - config.dense_weight
            ) * lexical_norm.get(key, 0.0)
    return sorted(combined.items(), key=lambda item: (-item[1], item[0]))


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


@dataclass
class SearchTimings:
    """Seconds spent in each step of the last search (for benchmarks)."""

    encode: float = 0.0
    dense: float = 0.0
    lexical: float = 0.0
    fusion: float = 0.0


def is_excluded(track: Track, excluded_lower: frozenset[str]) -> bool:
    return any(d.lower() in excluded_lower for d in track.descriptors)


class HybridSearcher:
    """Searches one TrackStore; holds the lexical index and the track records in memory."""

    def __init__(self, store: TrackStore, encoder: Encoder, config: RetrievalConfig = RetrievalConfig()) -> None:
        if store.encoder != encoder.info:
            raise ValueError(f"store built with {store.encoder.fingerprint}, encoder is {encoder.info.fingerprint}")
        self.store = store
        self.encoder = encoder
        self.config = config
        started = time.perf_counter()
        self.tracks: dict[TrackId, Track] = {t.id: t for t in store.iter_tracks()}
        self._order = list(self.tracks)
        self._positions = {track_id: i for i, track_id in enumerate(self._order)}
        self.lexical = LexicalIndex.build(self._order, [self.tracks[i].descriptors for i in self._order])
        self.timings = SearchTimings()
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

    def search(self, query: SearchQuery) -> list[Hit]:
        """The k best tracks for a query, excluded descriptors and ids never among them."""
        config = self.config
        excluded_lower = frozenset(d.lower() for d in query.excluded_descriptors)
        pool = max(config.candidates, query.k)
        dense: dict[TrackId, float] = {}
        lexical: dict[TrackId, float] = {}
        timings = SearchTimings()
        if config.mode is not SearchMode.LEXICAL:
            started = time.perf_counter()
            vector = self.query_embedding(query)
            timings.encode = time.perf_counter() - started
            started = time.perf_counter()
            dense = self._dense_candidates(vector, pool, excluded_lower, query.excluded_ids)
            timings.dense = time.perf_counter() - started
        if config.mode is not SearchMode.DENSE:
            started = time.perf_counter()
            scores = self.lexical.score_all(query.text, query.weighted_phrases)
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
            missing = [i for i in lexical if i not in dense]
            if missing:
                vector_cache = self.store.embeddings(missing)
                for track_id, embedding in vector_cache.items():
                    dense[track_id] = float(embedding @ vector)
            for track_id in dense:
                lexical.setdefault(track_id, float(scores[self._positions[track_id]]))
        ranked = fuse(dense, lexical, config)[: query.k]
        timings.fusion = time.perf_counter() - started
        self.timings = timings
        return [
            Hit(self.tracks[track_id], score, dense.get(track_id), lexical.get(track_id))
            for track_id, score in ranked
            if track_id in self.tracks
        ]

    def _dense_candidates(
        self, vector: np.ndarray, pool: int, excluded_lower: frozenset[str], excluded_ids: frozenset[TrackId]
    ) -> dict[TrackId, float]:
        """Dense candidates with hard filters: inside Chroma (`where`) for a few excluded descriptors;
        for many (a broad exclusion such as "no vocals" over a free-text catalogue) Chroma's filter
        tree would grow too deep, so over-fetch and filter here. Either way, every candidate is
        checked again before it is returned."""
        in_chroma = sorted(excluded_lower) if len(excluded_lower) <= MAX_CHROMA_FILTERS else []
        fetch = pool if in_chroma or not excluded_lower else pool * 4
        candidates: dict[TrackId, float] = {}
        while True:
            pairs = self.store.query(vector, fetch, excluded_descriptors=in_chroma, excluded_ids=sorted(excluded_ids))
            candidates = {
                track_id: score
                for track_id, score in pairs
                if track_id in self.tracks and not is_excluded(self.tracks[track_id], excluded_lower)
            }
            if len(candidates) >= pool or len(pairs) < fetch or fetch >= len(self.tracks):
                break
            fetch *= 4
        return dict(list(candidates.items())[:pool])

    @staticmethod
    def _top_positive(scores: np.ndarray, limit: int) -> list[tuple[int, float]]:
        positive = int(np.count_nonzero(scores > 0))
        limit = min(limit, positive)
        if limit <= 0:
            return []
        top = np.argpartition(-scores, limit - 1)[:limit]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top]
