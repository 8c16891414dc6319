"""How good is the teacher? Rerank a first-stage ranking under the paper's protocol.

The first stage (phrase-aware BM25 from ``retriever.rankers``, no model needed) ranks the
full benchmark corpus; the teacher re-scores its top ``depth`` documents for a random
sample of queries. Both runs are scored on the same queries, so the difference is the
teacher's doing (Recall@depth of the first stage is the ceiling).

Example:
    python -m gpl.evaluation --teacher runs/demo/teacher --data ../shared/data/lp-musiccaps-mc/test.csv
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from gpl.records import PairScorer
from gpl.teacher import CrossEncoderTeacher
from retriever.evaluate import Benchmark, DocId, QueryId, load_mc_rows, sample_paper_benchmark, score_run
from retriever.rankers import Bm25Ranker

logger = logging.getLogger(__name__)


def rerank(
    benchmark: Benchmark,
    first_stage: dict[QueryId, list[DocId]],
    teacher: PairScorer,
    *,
    batch_size: int = 64,
    show_progress_bar: bool | None = None,
) -> dict[QueryId, list[DocId]]:
    """Re-order each query's first-stage documents by the teacher's score (best first)."""
    pairs = [(benchmark.queries[q], benchmark.corpus[d]) for q, docs in first_stage.items() for d in docs]
    scores = teacher.score_pairs(pairs, batch_size=batch_size, show_progress_bar=show_progress_bar)
    reranked: dict[QueryId, list[DocId]] = {}
    position = 0
    for query_id, docs in first_stage.items():
        block = scores[position : position + len(docs)]
        position += len(docs)
        order = sorted(range(len(docs)), key=lambda i: -float(block[i]))
        reranked[query_id] = [docs[i] for i in order]
    return reranked


def teacher_report(
    teacher: PairScorer, benchmark: Benchmark, *, num_queries: int, depth: int, k: int = 10, seed: int = 0
) -> dict[str, dict[str, float]]:
    """First stage vs. teacher-reranked metrics on a random sample of queries.

    Returns:
        ``{"bm25": metrics, "bm25+teacher": metrics}`` plus the first stage's recall@depth.
    """
    query_ids = [q for q in benchmark.queries if q in benchmark.qrels]
    sample = sorted(random.Random(seed).sample(query_ids, min(num_queries, len(query_ids))))
    queries = {q: benchmark.queries[q] for q in sample}
    first = Bm25Ranker().rank(queries, benchmark.corpus, depth)
    qrels = {q: benchmark.qrels[q] for q in sample}
    report = {
        "bm25": score_run(qrels, first, k),
        "bm25+teacher": score_run(qrels, rerank(benchmark, first, teacher), k),
    }
    report["bm25"][f"recall@{depth}"] = score_run(qrels, first, depth)[f"recall@{depth}"]
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m gpl.evaluation``: print the teacher's reranking quality as JSON."""
    parser = argparse.ArgumentParser(prog="python -m gpl.evaluation", description=__doc__.splitlines()[0])
    parser.add_argument("--teacher", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True, help="LP-MusicCaps-MC test.csv")
    parser.add_argument("--query-column", default="caption_writing")
    parser.add_argument(
        "--seed", type=int, default=0, help="paper-protocol sampling seed (and query sample seed)"
    )
    parser.add_argument("--queries", type=int, default=200, help="how many queries to rerank")
    parser.add_argument("--depth", type=int, default=20, help="first-stage documents reranked per query")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    started = time.perf_counter()
    try:
        benchmark = sample_paper_benchmark(load_mc_rows(args.data, query_column=args.query_column), args.seed)
        teacher = CrossEncoderTeacher.load(args.teacher, device=args.device)
    except (FileNotFoundError, ValueError) as error:
        print(f"gpl.evaluation: error: {error}", file=sys.stderr)
        return 2
    report = teacher_report(teacher, benchmark, num_queries=args.queries, depth=args.depth, seed=args.seed)
    print(
        json.dumps(
            {
                "column": args.query_column,
                "seed": args.seed,
                "queries": args.queries,
                "depth": args.depth,
                "corpus": len(benchmark.corpus),
                "seconds": round(time.perf_counter() - started, 1),
                "results": report,
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
