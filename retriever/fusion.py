"""The one place dense and lexical scores are combined, and the settings that say how.

`fuse` combines one query's candidate scores (the live `HybridSearcher`); `fuse_matrices`
does the same for many queries at once over full score matrices (evaluation and fusion
tuning), with the same candidates, arithmetic and ties (a test checks it). Every candidate
is scored on both sides: `complete_candidates` is that rule for the live searcher.
`RetrievalConfig` is stored beside an encoder as `tunetalk_retrieval.json`.
"""

from __future__ import annotations

import enum
import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

logger = logging.getLogger(__name__)

DocId = str
Key = TypeVar("Key", str, int)  # a track id (live search) or a column index (score matrices)

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


def complete_candidates(
    dense: dict[Key, float],
    lexical: dict[Key, float],
    dense_score_of: Callable[[list[Key]], dict[Key, float]],
    lexical_score_of: Callable[[Key], float],
) -> None:
    """Score every candidate on both sides (in place): weighted fusion min-max normalises each side
    over the union, so a candidate missing from one side must carry that side's real score.

    Args:
        dense: dense candidates (id -> cosine); lexical-only ids are added.
        lexical: lexical candidates (id -> score); dense-only ids are added.
        dense_score_of: cosines for ids the dense side did not return (ids missing from the store are left out).
        lexical_score_of: the lexical score of one id.
    """
    missing = [i for i in lexical if i not in dense]
    if missing:
        dense.update(dense_score_of(missing))
    for track_id in dense:
        if track_id not in lexical:
            lexical[track_id] = lexical_score_of(track_id)


def stable_top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """`top_k_indices` (ties keep column order) without sorting whole rows: partition, then sort k.

    Args:
        scores: (rows, columns) scores.
        k: How many to keep; capped at the number of columns.

    Returns:
        (rows, min(k, columns)) column indices, best first.
    """
    num_rows, num_columns = scores.shape
    k = min(k, num_columns)
    if k <= 0:
        return np.zeros((num_rows, 0), dtype=np.int64)
    rows = np.arange(num_rows)[:, np.newaxis]
    threshold = -np.partition(-scores, k - 1, axis=1)[:, k - 1 : k]  # (rows, 1): each row's k-th best
    selected = scores > threshold
    at_threshold = scores == threshold
    needed = k - selected.sum(axis=1)
    # rows with more ties at the threshold than places left keep the leftmost ones, as a stable sort does
    crowded = np.flatnonzero(at_threshold.sum(axis=1) > needed)
    selected |= at_threshold
    for row in crowded:
        selected[row, np.flatnonzero(at_threshold[row])[needed[row] :]] = False
    top = np.nonzero(selected)[1].reshape(num_rows, k)  # (rows, k), column order
    return top[rows, np.argsort(-scores[rows, top], axis=1, kind="stable")]


def fuse_matrices(
    dense: np.ndarray, lexical: np.ndarray, doc_ids: Sequence[DocId], config: RetrievalConfig, k: int
) -> list[list[DocId]]:
    """Per query: top `config.candidates` from each side, fused exactly as the live searcher does.

    Args:
        dense: (queries, docs) dense scores.
        lexical: (queries, docs) lexical scores.
        doc_ids: The docs, in column order.
        config: How to fuse.
        k: How many doc ids to return per query.

    Returns:
        For each query, its k best doc ids, best first.
    """
    if config.mode is SearchMode.HYBRID:
        return _fuse_hybrid_matrices(dense, lexical, doc_ids, config, k)
    pool = config.candidates
    rankings = []
    dense_top = stable_top_k(dense, pool)
    lexical_top = stable_top_k(lexical, pool)
    for row in range(dense.shape[0]):
        lexical_candidates = {int(i): float(lexical[row, i]) for i in lexical_top[row] if lexical[row, i] > 0}
        dense_candidates = {int(i): float(dense[row, i]) for i in dense_top[row]}
        complete_candidates(  # as the live searcher does (it fetches embeddings for lexical-only ones)
            dense_candidates,
            lexical_candidates,
            lambda ids, row=row: {i: float(dense[row, i]) for i in ids},
            lambda i, row=row: float(lexical[row, i]),
        )
        fused = fuse(
            {doc_ids[i]: s for i, s in dense_candidates.items()},
            {doc_ids[i]: s for i, s in lexical_candidates.items()},
            config,
        )
        rankings.append([doc_id for doc_id, _ in fused[:k]])
    return rankings


def _fuse_hybrid_matrices(
    dense: np.ndarray, lexical: np.ndarray, doc_ids: Sequence[DocId], config: RetrievalConfig, k: int
) -> list[list[DocId]]:
    """The loop of `fuse_matrices` for hybrid mode, vectorised over queries.

    Same candidates, arithmetic, order and ties as calling `fuse` per query (a test checks it):
    the top `config.candidates` dense docs plus the top lexical docs with a positive score.
    Weighted fusion min-max normalises each side over them; RRF ranks each side over them, ties
    in the order the per-query dicts would list them. Both sort by (-score, doc id).
    """
    pool = min(config.candidates, dense.shape[1])
    num_queries = dense.shape[0]
    rows = np.arange(num_queries)[:, np.newaxis]
    dense_top = stable_top_k(dense, pool)  # (queries, pool)
    lexical_top = stable_top_k(lexical, pool)  # (queries, pool)
    is_lexical_hit = lexical[rows, lexical_top] > 0  # (queries, pool)
    lexical_position = np.full(dense.shape, -1, dtype=np.int64)  # (queries, docs): place among lexical hits
    lexical_position[rows, lexical_top] = np.where(is_lexical_hit, np.arange(pool), -1)
    in_dense = np.zeros(dense.shape, dtype=bool)
    in_dense[rows, dense_top] = True
    # Dense candidates first, then lexical-only ones: the order the per-query dense dict has.
    candidates = np.concatenate([dense_top, lexical_top], axis=1)  # (queries, 2 * pool)
    is_lexical_only = is_lexical_hit & ~in_dense[rows, lexical_top]
    is_candidate = np.concatenate([np.ones_like(is_lexical_hit), is_lexical_only], axis=1)  # (queries, 2 * pool)
    dense_values = dense[rows, candidates].astype(np.float64)
    lexical_values = lexical[rows, candidates].astype(np.float64)
    if config.fusion is Fusion.WEIGHTED:
        normalised = []
        for values in (dense_values, lexical_values):
            low = np.where(is_candidate, values, np.inf).min(axis=1, keepdims=True)
            high = np.where(is_candidate, values, -np.inf).max(axis=1, keepdims=True)
            span = high - low
            is_flat = span <= 1e-12
            normalised.append(np.where(is_flat, 1.0, (values - low) / np.where(is_flat, 1.0, span)))
        combined = config.dense_weight * normalised[0] + (1.0 - config.dense_weight) * normalised[1]
    else:
        slots = np.arange(candidates.shape[1])[np.newaxis, :]
        # The lexical dict lists lexical hits first (in lexical order), then the other dense candidates.
        position = lexical_position[rows, candidates]
        lexical_order = np.where(position >= 0, position, pool + slots)
        combined = np.zeros(candidates.shape, dtype=np.float64)
        dense_order = np.broadcast_to(slots, candidates.shape)
        for values, tie_order in ((dense_values, dense_order), (lexical_values, lexical_order)):
            key = np.where(is_candidate, -values, np.inf)
            order = np.lexsort((tie_order, key))  # (queries, 2 * pool): candidates best first
            ranks = np.empty_like(order)
            ranks[rows, order] = np.arange(candidates.shape[1])
            combined += 1.0 / (config.rrf_k + ranks + 1)
    combined = np.where(is_candidate, combined, -np.inf)
    id_rank = np.empty(len(doc_ids), dtype=np.int64)
    id_rank[np.argsort(np.asarray(doc_ids, dtype=object), kind="stable")] = np.arange(len(doc_ids))
    best = np.lexsort((id_rank[candidates], -combined))[:, :k]  # (queries, k)
    rankings = []
    for row in range(num_queries):
        picked = best[row][is_candidate[row, best[row]]]
        rankings.append([doc_ids[i] for i in candidates[row, picked]])
    return rankings
