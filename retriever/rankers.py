"""Rankers over a plain {doc id: descriptor text} corpus, for evaluation: lexical, dense, hybrid.

They implement `retriever.evaluate.Ranker`, and the hybrid one uses the same `fuse` as the
live `HybridSearcher`, so what the evaluation measures is what `ask` and the chat run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from retriever.encoder import Encoder
from retriever.evaluate import DESCRIPTOR_SEPARATOR, Benchmark, DocId, QueryId, score_run
from retriever.lexical import LexicalConfig, LexicalIndex
from retriever.search import Fusion, RetrievalConfig, SearchMode, fuse

logger = logging.getLogger(__name__)


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
        return {q: [doc_ids[i] for i in row] for q, row in zip(queries, stable_top_k(scores, k))}


def dense_score_matrices(encoder: Encoder, benchmarks: Sequence[Benchmark], batch_size: int = 64) -> list[np.ndarray]:
    """Each benchmark's (queries, docs) cosine scores, every distinct text across them encoded once.

    Benchmarks sampled with several seeds from the same requests share most of their texts, so
    encoding per benchmark would repeat most of the work.
    """
    texts = list(dict.fromkeys(
        text for b in benchmarks for text in (*b.queries.values(), *b.corpus.values())
    ))
    vectors = encoder.encode(texts, batch_size=batch_size)  # (texts, dim)
    row = {text: index for index, text in enumerate(texts)}
    return [
        vectors[[row[b.queries[q]] for q in b.queries]] @ vectors[[row[b.corpus[d]] for d in b.corpus]].T
        for b in benchmarks
    ]


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
        return {q: [doc_ids[i] for i in row] for q, row in zip(queries, stable_top_k(scores, k))}


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


class HybridRanker:
    """Dense + our lexical index, fused with `retriever.search.fuse`."""

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
            top = stable_top_k(self.dense_scores, k)
            return {q: [doc_ids[i] for i in row] for q, row in zip(query_ids, top)}
        return dict(zip(query_ids, fuse_matrices(self.dense_scores, self.lexical_scores, doc_ids, config, k)))


DENSE_WEIGHTS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)  # 0 is never chosen: see `choose_fusion`


@dataclass(frozen=True)
class FusionChoice:
    """The fusion chosen for an encoder, and the mean Recall@k of every weight tried."""

    config: RetrievalConfig
    recall_by_weight: dict[float, float]
    dense_recall: float
    lexical_recall: float


def choose_fusion(
    encoder: Encoder,
    benchmarks: Sequence[Benchmark],
    *,
    dense_weights: Sequence[float] = DENSE_WEIGHTS,
    lexical: LexicalConfig = LexicalConfig(),
    k: int = 10,
) -> FusionChoice:
    """The weighted-fusion dense weight with the best mean Recall@k over `benchmarks`.

    Every benchmark is ranked as the live searcher ranks (`fuse_matrices` over the encoder's
    cosine scores and the lexical index), once per weight; the first listed of equal means wins
    (the default weights rise, so a tie goes to the smaller). A weight of 0 is left out: when no descriptor matches
    a request every lexical score is equal and the ranking would fall back to id order.

    Args:
        encoder: the dense encoder the weight is chosen for.
        benchmarks: training-side benchmarks (never the test split).
        dense_weights: the weights to try, each in (0, 1].
        lexical: the lexical index settings the searcher uses.
        k: the recall cut-off.

    Raises:
        ValueError: no benchmark, or a weight outside (0, 1].
    """
    if not benchmarks:
        raise ValueError("choose_fusion needs at least one benchmark")
    if not dense_weights or any(not 0.0 < weight <= 1.0 for weight in dense_weights):
        raise ValueError(f"dense weights must be in (0, 1], got {list(dense_weights)}")
    prepared = [
        (
            benchmark,
            list(benchmark.corpus),
            dense,  # (queries, docs)
            Bm25Ranker(lexical).scores(list(benchmark.queries.values()), benchmark.corpus),  # (queries, docs)
        )
        for benchmark, dense in zip(benchmarks, dense_score_matrices(encoder, benchmarks), strict=True)
    ]

    def mean_recall(rank) -> float:  # noqa: ANN001  (doc ids, dense, lexical) -> rankings
        recalls = [
            score_run(bench.qrels, dict(zip(bench.queries, rank(doc_ids, dense, lexical))), k)[f"recall@{k}"]
            for bench, doc_ids, dense, lexical in prepared
        ]
        return float(np.mean(recalls))

    def top(doc_ids: list[DocId], scores: np.ndarray) -> list[list[DocId]]:
        return [[doc_ids[i] for i in row] for row in stable_top_k(scores, k)]

    dense_recall = mean_recall(lambda doc_ids, dense, lexical: top(doc_ids, dense))
    lexical_recall = mean_recall(lambda doc_ids, dense, lexical: top(doc_ids, lexical))
    recall_by_weight: dict[float, float] = {}
    for weight in dense_weights:
        config = RetrievalConfig(fusion=Fusion.WEIGHTED, dense_weight=weight)
        recall_by_weight[weight] = mean_recall(
            lambda doc_ids, dense, lexical: fuse_matrices(dense, lexical, doc_ids, config, k)  # noqa: B023
        )
    best = max(recall_by_weight, key=lambda weight: (recall_by_weight[weight], -dense_weights.index(weight)))
    logger.info(
        "fusion: dense_weight %s (Recall@%d %.4f; dense alone %.4f, lexical alone %.4f)",
        best, k, recall_by_weight[best], dense_recall, lexical_recall,
    )
    return FusionChoice(
        RetrievalConfig(fusion=Fusion.WEIGHTED, dense_weight=best), recall_by_weight, dense_recall, lexical_recall
    )
