"""Offline evaluation: build benchmarks from LP-MusicCaps-MC and score ranked runs.

Two protocols, both producing a :class:`Benchmark` of plain mappings (queries, corpus,
qrels) that any ranker can answer. Scoring reads only ``qrels`` and a ranked ``run``,
BEIR style, so Chroma, brute force or a fake can all be scored the same way.

- :func:`sample_paper_benchmark` reproduces the protocol of Epure et al., "Harnessing
  High-Level Song Descriptors towards Natural Language-Based Music Recommendation"
  (NLP4MusA 2024): each sentence of a request is a query, and its one relevant
  document is a random subset of its track's descriptors.
- :func:`build_track_benchmark` is the track-level protocol: each whole request
  against every track's full descriptor set.

Example:
    >>> rows = load_mc_rows(Path("../shared/data/lp-musiccaps-mc/test.csv"))
    >>> per_seed = []
    >>> for seed in (0, 1, 2):
    ...     bench = sample_paper_benchmark(rows, seed)
    ...     run = TfidfRanker().rank(bench.queries, bench.corpus, k=10)
    ...     per_seed.append(score_run(bench.qrels, run, k=10))
    >>> summarize(per_seed)["recall@10"]  # (mean, population std): about (0.892, 0.003)
"""

from __future__ import annotations

import ast
import csv
import logging
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from retriever.catalog import TrackId

logger = logging.getLogger(__name__)

QueryId = str
DocId = str

PAPER_SEEDS = (0, 1, 2)
DESCRIPTOR_SEPARATOR = ", "
# The paper's sentence splitter: a plain split, no sentence tokenizer.
SENTENCE_SEPARATOR = ". "
_PAPER_FLAG_COLUMN = "in_paper_eval"
_REQUIRED_COLUMNS = ("ytid", "aspect_list", _PAPER_FLAG_COLUMN)


@dataclass(frozen=True)
class McRow:
    """One LP-MusicCaps-MC track: its descriptors and one natural-language request."""

    track_id: TrackId
    aspects: tuple[str, ...]  # in file order, duplicates kept (the sampler's random draws depend on it)
    request: str


@dataclass(frozen=True)
class Benchmark:
    """Queries, corpus and relevance judgements as plain mappings."""

    queries: dict[QueryId, str]
    corpus: dict[DocId, str]
    qrels: dict[QueryId, set[DocId]]  # query_id => relevant doc_ids


class Ranker(Protocol):
    """Anything that ranks a corpus for each query (dense, lexical, Chroma, a fake)."""

    def rank(
        self, queries: dict[QueryId, str], corpus: dict[DocId, str], k: int
    ) -> dict[QueryId, list[DocId]]:
        """Return, for every query, the ids of its ``k`` best documents, best first."""
        ...


def load_mc_rows(
    path: Path, query_column: str = "caption_writing", paper_rows_only: bool = True
) -> list[McRow]:
    """Read the rebuilt LP-MusicCaps-MC test split (``shared/data/lp-musiccaps-mc/test.csv``).

    Rows whose ``query_column`` is empty are skipped (12 rows have no ``caption_writing``,
    19 have no summary/paraphrase). Newlines inside a request become spaces, as in the
    paper's loader.

    Args:
        path: The csv file.
        query_column: The column used as the request, e.g. ``caption_writing``,
            ``caption_summary`` or ``caption_ground_truth``.
        paper_rows_only: Keep only rows flagged ``in_paper_eval`` (2,361 rows), the
            subset the paper evaluates on.

    Returns:
        The rows in file order.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: If ``query_column`` or a required column is missing, or a row's
            ``aspect_list`` or ``in_paper_eval`` value cannot be parsed.
    """
    if not path.is_file():
        raise FileNotFoundError(
            f"LP-MusicCaps-MC file not found: {path}. Expected shared/data/lp-musiccaps-mc/test.csv."
        )
    rows: list[McRow] = []
    num_empty = 0
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = list(reader.fieldnames or [])
        for column in (*_REQUIRED_COLUMNS, query_column):
            if column not in columns:
                raise ValueError(
                    f"Column {column!r} not found in {path}. Available columns: {', '.join(columns)}."
                )
        for line_number, record in enumerate(reader, start=2):
            if paper_rows_only and not _parse_flag(record[_PAPER_FLAG_COLUMN], line_number):
                continue
            request = record[query_column].replace("\n", " ").strip()
            if not request:
                num_empty += 1
                continue
            rows.append(
                McRow(
                    track_id=record["ytid"],
                    aspects=_parse_aspects(record["aspect_list"], line_number),
                    request=request,
                )
            )
    logger.info(
        "Loaded %d rows from %s (query column %r, skipped %d with an empty request)",
        len(rows), path, query_column, num_empty,
    )
    if rows:
        logger.info("Example row: %s", rows[0])
    return rows


def sample_paper_benchmark(rows: Sequence[McRow], seed: int) -> Benchmark:
    """Sample the sentence-level benchmark of Epure et al. (NLP4MusA 2024) for one seed.

    Each request is split on ``". "``. For each sentence, the track's descriptors are
    split into those that occur in the sentence (case-sensitive substring match, as in
    the paper's code) and the others. The sentence's one relevant document is a random
    non-empty subset of the matching descriptors plus ``randint(0, min(#matching,
    #others))`` of the others, shuffled and joined with ``", "``. Identical documents
    share one id across the whole benchmark, so the corpus holds distinct strings.

    Sentences with no matching descriptor produce no query. They still make the random
    draw the paper's code makes for them, so every later draw matches the paper's stream
    (a seeded ``random.Random`` gives the same draws as ``random.seed(seed)``).

    Args:
        rows: The tracks, in file order (the draws depend on the order).
        seed: The random seed; the paper uses 0, 1 and 2.

    Returns:
        Queries keyed ``"<track_id>_<sentence index>"``, corpus keyed ``"doc<n>"`` in
        order of first appearance, and one relevant doc per query.
    """
    rng = random.Random(seed)
    queries: dict[QueryId, str] = {}
    corpus: dict[DocId, str] = {}
    qrels: dict[QueryId, set[DocId]] = {}
    doc_id_by_text: dict[str, DocId] = {}
    num_unmatched = 0
    for row in rows:
        for sentence_index, sentence in enumerate(row.request.split(SENTENCE_SEPARATOR)):
            document = _sample_document(sentence, row.aspects, rng)
            if document is None:
                num_unmatched += 1
                continue
            doc_id = doc_id_by_text.get(document)
            if doc_id is None:
                doc_id = f"doc{len(doc_id_by_text)}"
                doc_id_by_text[document] = doc_id
                corpus[doc_id] = document
            query_id = f"{row.track_id}_{sentence_index}"
            queries[query_id] = sentence
            qrels[query_id] = {doc_id}
    logger.info(
        "Seed %d: %d queries, %d distinct documents, %d sentences without a matching descriptor",
        seed, len(queries), len(corpus), num_unmatched,
    )
    if queries:
        query_id = next(iter(queries))
        logger.info("Example: %r -> %r", queries[query_id], corpus[next(iter(qrels[query_id]))])
    return Benchmark(queries=queries, corpus=corpus, qrels=qrels)


def build_track_benchmark(rows: Sequence[McRow]) -> Benchmark:
    """Build the track-level benchmark: each whole request against every track.

    Query and document ids are the track id. A track's document is its descriptor set
    (first occurrence order, duplicates dropped) joined with ``", "``.

    Args:
        rows: The tracks, one request each.

    Returns:
        One query per track whose only relevant document is that track.

    Raises:
        ValueError: If two rows share a track id.
    """
    queries: dict[QueryId, str] = {}
    corpus: dict[DocId, str] = {}
    qrels: dict[QueryId, set[DocId]] = {}
    for row in rows:
        if row.track_id in corpus:
            raise ValueError(
                f"Track id {row.track_id!r} appears twice; the track-level benchmark needs one row per track."
            )
        corpus[row.track_id] = DESCRIPTOR_SEPARATOR.join(dict.fromkeys(row.aspects))
        queries[row.track_id] = row.request
        qrels[row.track_id] = {row.track_id}
    logger.info("Track benchmark: %d queries, %d documents", len(queries), len(corpus))
    return Benchmark(queries=queries, corpus=corpus, qrels=qrels)


def score_run(
    qrels: Mapping[QueryId, set[DocId]], run: Mapping[QueryId, Sequence[DocId]], k: int = 10
) -> dict[str, float]:
    """Score a ranked run against binary relevance judgements.

    Metrics follow sentence-transformers' ``InformationRetrievalEvaluator``, which the
    paper's evaluator derives from. Per query, recall@k is the fraction of its relevant
    docs found in the top k; with one relevant doc per query (both benchmarks here) that
    is whether it was found, so the mean is the fraction of queries answered in the top
    k. MRR@k is 1/rank of the first relevant doc (0 if none in the top k). nDCG@k uses
    binary gains and an ideal DCG over ``min(#relevant, k)`` docs. Queries whose qrels
    set is empty are left out, as that evaluator does. Queries in ``run`` but not in
    ``qrels`` are ignored.

    Args:
        qrels: query_id => relevant doc_ids.
        run: query_id => doc_ids, best first. Only the first ``k`` are read.
        k: The cutoff for recall, MRR and nDCG.

    Returns:
        Means over queries, as fractions in [0, 1], under the keys ``recall@1``,
        ``recall@{k}``, ``mrr@{k}`` and ``ndcg@{k}``.

    Raises:
        ValueError: If ``k < 1``, no query has a relevant doc, or a judged query is
            missing from ``run``.
    """
    if k < 1:
        raise ValueError(f"Expected k >= 1, got {k}.")
    judged = [query_id for query_id, relevant in qrels.items() if relevant]
    if not judged:
        raise ValueError("No query in qrels has a relevant document; nothing to score.")
    missing = [query_id for query_id in judged if query_id not in run]
    if missing:
        raise ValueError(
            f"{len(missing)} of {len(judged)} judged queries are missing from the run "
            f"(e.g. {missing[:3]}). A ranker must return a list, possibly empty, for every query."
        )
    totals = {"recall@1": 0.0, f"recall@{k}": 0.0, f"mrr@{k}": 0.0, f"ndcg@{k}": 0.0}
    for query_id in judged:
        relevant = qrels[query_id]
        top = list(run[query_id])[:k]
        hits = [doc_id in relevant for doc_id in top]
        if k > 1:  # with k == 1 the two recall keys are one entry, counted once below
            totals["recall@1"] += sum(1 for doc_id in top[:1] if doc_id in relevant) / len(relevant)
        totals[f"recall@{k}"] += sum(hits) / len(relevant)
        first_hit = next((rank for rank, is_hit in enumerate(hits, start=1) if is_hit), None)
        totals[f"mrr@{k}"] += 1.0 / first_hit if first_hit is not None else 0.0
        dcg = sum(1.0 / math.log2(rank + 1) for rank, is_hit in enumerate(hits, start=1) if is_hit)
        ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(relevant), k) + 1))
        totals[f"ndcg@{k}"] += dcg / ideal
    return {name: total / len(judged) for name, total in totals.items()}


def summarize(per_seed: Sequence[Mapping[str, float]]) -> dict[str, tuple[float, float]]:
    """Mean and standard deviation of each metric over seeds.

    The std is the population std (``numpy.std``, ddof=0), as the paper's
    ``print_results`` reports it.

    Args:
        per_seed: One :func:`score_run` result per seed, all with the same keys.

    Returns:
        metric => (mean, population std).

    Raises:
        ValueError: If ``per_seed`` is empty or the results have different keys.
    """
    if not per_seed:
        raise ValueError("Expected at least one per-seed result, got none.")
    names = list(per_seed[0])
    for index, scores in enumerate(per_seed):
        if set(scores) != set(names):
            raise ValueError(f"Result {index} has metrics {sorted(scores)}, expected {sorted(names)}.")
    summary: dict[str, tuple[float, float]] = {}
    for name in names:
        values = np.array([scores[name] for scores in per_seed], dtype=float)
        summary[name] = (float(values.mean()), float(values.std()))
    return summary


class TfidfRanker:
    """Lexical baseline of the paper: scikit-learn ``TfidfVectorizer()`` with defaults,
    fitted on the corpus only, ranked by cosine similarity.

    Ties keep corpus order.
    """

    def rank(
        self, queries: dict[QueryId, str], corpus: dict[DocId, str], k: int
    ) -> dict[QueryId, list[DocId]]:
        """Rank the corpus for every query.

        Args:
            queries: query_id => text.
            corpus: doc_id => text.
            k: How many doc ids to return per query.

        Returns:
            query_id => the ``k`` best doc ids, best first.

        Raises:
            ValueError: If ``k < 1`` or the corpus is empty.
        """
        from sklearn.feature_extraction.text import TfidfVectorizer

        if k < 1:
            raise ValueError(f"Expected k >= 1, got {k}.")
        if not corpus:
            raise ValueError("Cannot rank against an empty corpus.")
        doc_ids = list(corpus)
        query_ids = list(queries)
        vectorizer = TfidfVectorizer()
        # TfidfVectorizer L2-normalises rows, so the dot product is the cosine similarity.
        doc_matrix = vectorizer.fit_transform([corpus[doc_id] for doc_id in doc_ids])  # (num_docs, vocab)
        if not query_ids:
            return {}
        query_texts = [queries[query_id] for query_id in query_ids]
        query_matrix = vectorizer.transform(query_texts)  # (num_queries, vocab)
        scores = (query_matrix @ doc_matrix.T).toarray()  # (num_queries, num_docs)
        return {
            query_id: [doc_ids[index] for index in top]
            for query_id, top in zip(query_ids, top_k_indices(scores, k))
        }


def top_k_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the ``k`` highest scores per row, best first; ties keep column order.

    Args:
        scores: (num_queries, num_docs) similarity matrix.
        k: How many to keep; capped at ``num_docs``.

    Returns:
        (num_queries, min(k, num_docs)) integer array.
    """
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def _sample_document(sentence: str, aspects: Sequence[str], rng: random.Random) -> str | None:
    """Draw the sentence's relevant document, or None when no descriptor occurs in it.

    The order and kind of draws mirror the paper's code so that seeded runs follow the
    same random stream: a size and a sample from the matching descriptors, a size and a
    sample from the others, then a shuffle.
    """
    matching = [aspect for aspect in aspects if aspect in sentence]
    others = [aspect for aspect in aspects if aspect not in sentence]
    max_others = min(len(matching), len(others))
    chosen: list[str] = []
    if matching:
        num_matching = rng.choice(range(1, len(matching) + 1))
        chosen.extend(rng.sample(matching, num_matching))
    if others:
        # Drawn even when nothing matched (it is then always 0) because the paper's code does.
        num_others = rng.choice(range(0, max_others + 1))
        chosen.extend(rng.sample(others, num_others))
    rng.shuffle(chosen)
    if not matching:
        return None
    return DESCRIPTOR_SEPARATOR.join(chosen)


def _parse_aspects(value: str, line_number: int) -> tuple[str, ...]:
    try:
        aspects = ast.literal_eval(value)
    except (ValueError, SyntaxError) as error:
        raise ValueError(
            f"Line {line_number}: aspect_list should be a Python list of strings, got {value[:80]!r}."
        ) from error
    if not isinstance(aspects, list) or not all(isinstance(aspect, str) for aspect in aspects):
        raise ValueError(f"Line {line_number}: aspect_list should be a list of strings, got {value[:80]!r}.")
    return tuple(aspects)


def _parse_flag(value: str, line_number: int) -> bool:
    if value not in ("True", "False"):
        raise ValueError(f"Line {line_number}: {_PAPER_FLAG_COLUMN} should be True or False, got {value!r}.")
    return value == "True"
