"""Rankers over a plain {doc id: descriptor text} corpus, for evaluation: BM25, dense, hybrid.

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
from retriever.search import RetrievalConfig, SearchMode, fuse

logger = logging.getLogger(__name__)


def split_document(text: str) -> list[str]:
    return [part for part in text.split(DESCRIPTOR_SEPARATOR) if part.strip()]


class Bm25Ranker:
    """Phrase-aware BM25 (the lexical half of the hybrid)."""

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
    """Per query: top `config.candidates` from each side, fused exactly as the live searcher does."""
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
