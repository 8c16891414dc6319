"""Rankers over a plain {doc id: descriptor text} corpus, for evaluation: lexical, dense, hybrid.

They implement `retriever.evaluate.Ranker`, and the hybrid one uses the same `fuse` as the
live `HybridSearcher`, so what the evaluation measures is what `ask` and the chat run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from retriever.encoder import Encoder
from retriever.evaluate import DESCRIPTOR_SEPARATOR, DocId, QueryId, top_k_indices
from retriever.lexical import LexicalConfig, LexicalIndex
from retriever.search import Fusion, RetrievalConfig, SearchMode, fuse

logger = logging.getLogger(__name__)


def split_document(text: str) -> list[str]:
    return [part for part in text.split(DESCRIPTOR_SEPARATOR) if part.strip()]


class Bm25Ranker:
    """Our phrase-aware lexical index (the lexical half of the hybrid): tf-idf cosine plus descriptor
    coverage by default, BM25 with `LexicalConfig(scoring="bm25")`."""

    def __init__(self, config: LexicalConfig = LexicalConfig()) -> None:
        self.config = config

    def scores(self, queries: Sequence[str], corpus: dict[DocId, str]) -> np.ndarray:
        doc_ids = list(corpus)
        index = LexicalIndex.build(doc_ids, [split_document(corpus[d]) for d in doc_ids], self.config)
        return np.stack([index.score_all(q) for q in queries]) if queries else np.zeros((0, len(doc_ids)))

    def rank(self, queries: dict[QueryId, str], corpus: dict[DocId, str], k: int) -> dict[QueryId, list[DocId]]:
        doc_ids = list(corpus)
        scores = self.scores([queries[q] for q in queries], corpus)
        return {q: [doc_ids[i] for i in top] for q, top in zip(queries, top_k_indices(scores, k))}


class DenseRanker:
    """Cosine similarity of bi-encoder embeddings, brute force (exact)."""

    def __init__(self, encoder: Encoder, batch_size: int = 128) -> None:
        self.encoder = encoder
        self.batch_size = batch_size

    def scores(self, queries: Sequence[str], corpus: dict[DocId, str]) -> np.ndarray:
        docs = self.encoder.encode([corpus[d] for d in corpus], batch_size=self.batch_size)
        encoded = self.encoder.encode(list(queries), batch_size=self.batch_size)
        return encoded @ docs.T  # (queries, docs)

    def rank(self, queries: dict[QueryId, str], corpus: dict[DocId, str], k: int) -> dict[QueryId, list[DocId]]:
        doc_ids = list(corpus)
        scores = self.scores([queries[q] for q in queries], corpus)
        return {q: [doc_ids[i] for i in top] for q, top in zip(queries, top_k_indices(scores, k))}


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
    if config.mode is SearchMode.HYBRID and config.fusion is Fusion.WEIGHTED:
        return _fuse_weighted_matrices(dense, lexical, doc_ids, config, k)
    pool = config.candidates
    rankings = []
    dense_top = top_k_indices(dense, pool)
    lexical_top = top_k_indices(lexical, pool)
    for row in range(dense.shape[0]):
        lexical_candidates = {int(i): float(lexical[row, i]) for i in lexical_top[row] if lexical[row, i] > 0}
        dense_candidates = {int(i): float(dense[row, i]) for i in dense_top[row]}
        # the live searcher scores every candidate on both sides (embeddings fetched for lexical-only ones)
        for i in list(lexical_candidates):
            dense_candidates.setdefault(i, float(dense[row, i]))
        for i in list(dense_candidates):
            lexical_candidates.setdefault(i, float(lexical[row, i]))
        fused = fuse(
            {doc_ids[i]: s for i, s in dense_candidates.items()},
            {doc_ids[i]: s for i, s in lexical_candidates.items()},
            config,
        )
        rankings.append([doc_id for doc_id, _ in fused[:k]])
    return rankings


def _fuse_weighted_matrices(
    dense: np.ndarray, lexical: np.ndarray, doc_ids: Sequence[DocId], config: RetrievalConfig, k: int
) -> list[list[DocId]]:
    """`fuse` with weighted fusion, vectorised over queries; the same arithmetic, order and ties.

    Candidates are the top `config.candidates` dense docs plus the top lexical docs with a positive
    score; each side is min-max normalised over them and the weighted sum is sorted by
    (-score, doc id), as `fuse` sorts.
    """
    pool = min(config.candidates, dense.shape[1])
    num_queries = dense.shape[0]
    dense_top = top_k_indices(dense, pool)  # (queries, pool)
    lexical_top = top_k_indices(lexical, pool)  # (queries, pool)
    rows = np.arange(num_queries)[:, np.newaxis]
    in_dense = np.zeros(dense.shape, dtype=bool)
    in_dense[rows, dense_top] = True
    candidates = np.concatenate([dense_top, lexical_top], axis=1)  # (queries, 2 * pool)
    is_candidate = np.concatenate(
        [np.ones_like(dense_top, dtype=bool), (lexical[rows, lexical_top] > 0) & ~in_dense[rows, lexical_top]],
        axis=1,
    )
    normalised = []
    for scores in (dense, lexical):
        values = scores[rows, candidates].astype(np.float64)  # (queries, 2 * pool)
        low = np.where(is_candidate, values, np.inf).min(axis=1, keepdims=True)
        high = np.where(is_candidate, values, -np.inf).max(axis=1, keepdims=True)
        span = high - low
        flat = span <= 1e-12
        normalised.append(np.where(flat, 1.0, (values - low) / np.where(flat, 1.0, span)))
    combined = config.dense_weight * normalised[0] + (1.0 - config.dense_weight) * normalised[1]
    combined = np.where(is_candidate, combined, -np.inf)
    id_rank = np.empty(len(doc_ids), dtype=np.int64)
    id_rank[np.argsort(np.asarray(doc_ids, dtype=object), kind="stable")] = np.arange(len(doc_ids))
    order = np.lexsort((id_rank[candidates], -combined))[:, :k]  # (queries, k)
    rankings = []
    for row in range(num_queries):
        picked = order[row][is_candidate[row, order[row]]]
        rankings.append([doc_ids[i] for i in candidates[row, picked]])
    return rankings


class HybridRanker:
    """Dense + phrase-aware BM25, fused with `retriever.search.fuse`."""

    def __init__(self, encoder: Encoder, config: RetrievalConfig = RetrievalConfig(),
                 lexical: LexicalConfig = LexicalConfig()) -> None:
        self.dense = DenseRanker(encoder)
        self.lexical = Bm25Ranker(lexical)
        self.config = config

    def rank(self, queries: dict[QueryId, str], corpus: dict[DocId, str], k: int) -> dict[QueryId, list[DocId]]:
        texts = [queries[q] for q in queries]
        dense = self.dense.scores(texts, corpus)
        lexical = self.lexical.scores(texts, corpus)
        rankings = fuse_matrices(dense, lexical, list(corpus), self.config, k)
        return dict(zip(queries, rankings))


class PrecomputedHybrid:
    """Hybrid over already computed dense and lexical score matrices (for tuning fusion)."""

    def __init__(self, dense: np.ndarray, lexical: np.ndarray) -> None:
        self.dense_scores = dense
        self.lexical_scores = lexical

    def rank_with(self, query_ids: Sequence[QueryId], doc_ids: Sequence[DocId], config: RetrievalConfig,
                  k: int) -> dict[QueryId, list[DocId]]:
        if config.mode is SearchMode.DENSE:
            return {q: [doc_ids[i] for i in top] for q, top in zip(query_ids, top_k_indices(self.dense_scores, k))}
        return dict(zip(query_ids, fuse_matrices(self.dense_scores, self.lexical_scores, doc_ids, config, k)))
