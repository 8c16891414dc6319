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
from retriever.fusion import Fusion, RetrievalConfig, SearchMode, fuse_matrices, stable_top_k

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


class HybridRanker:
    """Dense + our lexical index, fused with `retriever.fusion.fuse`."""

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
