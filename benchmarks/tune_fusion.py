"""Choose the lexical and fusion defaults on MusicCaps *train* captions, never on the test split.

The paper protocol of `retriever.evaluate` (Epure et al., NLP4MusA 2024) is evaluated on the
LP-MusicCaps-MC test split. To choose our parameters without looking at it, this script builds
the same benchmarks from the 2,663 MusicCaps train clips (`is_audioset_eval == False`, the human
`caption` as the request, `aspect_list` as the descriptors): `sample_paper_benchmark` per seed,
plus `build_track_benchmark` as a second view of the lexical grid (whole caption against full
descriptor sets; lexical only, since encoding 5,300 long texts would double the run time).

1. Lexical grid: similarity (tf-idf cosine or BM25), phrase weight, phrase share of coverage and
   coverage weight. Ranked by mean paper Recall@10 over the seeds.
2. Fusion grid, with the best lexical setting: weighted (min-max) fusion over dense weights, and
   RRF, each exactly as the live searcher fuses (`retriever.rankers.fuse_matrices`). A dense
   weight of 0 is shown for reference but never chosen: when no descriptor matches a request,
   every lexical score is equal and the ranking would fall back to track-id order.

Run (about 6.5 CPU-minutes: 6-8 minutes on an idle 2-core machine, most of it encoding 20,648 texts;
with --cache-dir a rerun skips the encoding and takes about 4):
    .venv/bin/python benchmarks/tune_fusion.py [--seeds 0 1 2] [--cache-dir /tmp/tune-cache]
    .venv/bin/python benchmarks/tune_fusion.py --encoder GPL_ENCODER_DIR --fusion-only --save   # its own weight
"""

from __future__ import annotations

import argparse
import ast
import csv
import itertools
import logging
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's code, not another's install

from tunetalk import paths  # noqa: E402

paths.prepare_environment()

from retriever import DEFAULT_ENCODER, Encoder, load_encoder_backend, save_retrieval_config  # noqa: E402
from retriever.encoder import resolve_encoder  # noqa: E402
from retriever.evaluate import (  # noqa: E402
    Benchmark,
    McRow,
    build_track_benchmark,
    sample_paper_benchmark,
    score_run,
)
from retriever.lexical import LexicalConfig, LexicalIndex, Scoring  # noqa: E402
from retriever.fusion import Fusion, RetrievalConfig, fuse_matrices  # noqa: E402
from retriever.rankers import choose_fusion, split_document  # noqa: E402

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_MUSICCAPS = REPO.parent / "shared" / "data" / "musiccaps" / "musiccaps-public.csv"

# (phrase_weight, phrase_coverage): phrase features off, then on, with more or less of a
# multi-word descriptor's coverage needing its whole phrase
COSINE_PHRASE_SETTINGS = ((0.0, 1.0), (0.5, 0.0), (0.5, 0.5), (0.5, 1.0), (1.0, 0.5), (1.0, 1.0))
COSINE_COVERAGE_WEIGHTS = (0.0, 0.1, 0.25, 0.5, 1.0)
BM25_SETTINGS = ((1.2, 0.75), (1.2, 0.3), (1.2, 0.0))  # (k1, b): from the textbook b to none
BM25_PHRASE_WEIGHTS = (0.5, 1.0)
BM25_COVERAGE_WEIGHTS = (0.0, 4.0, 8.0, 16.0, 24.0, 32.0)  # BM25 scores are not bounded by 1
DENSE_WEIGHTS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
RRF_KS = (10, 30, 60)


@dataclass
class Prepared:
    """One benchmark with its dense scores (queries, docs)."""

    name: str
    bench: Benchmark
    dense: np.ndarray


def load_train_rows(path: Path) -> list[McRow]:
    """MusicCaps train clips as McRow (human caption as the request), in file order.

    Raises:
        FileNotFoundError: If the csv is missing.
    """
    if not path.is_file():
        raise FileNotFoundError(
            f"MusicCaps csv not found: {path}. Expected shared/data/musiccaps/musiccaps-public.csv."
        )
    rows = []
    with path.open(newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            request = record["caption"].replace("\n", " ").strip()
            if record["is_audioset_eval"] == "False" and request:
                rows.append(McRow(record["ytid"], tuple(ast.literal_eval(record["aspect_list"])), request))
    logger.info("%d MusicCaps train rows; example: %s", len(rows), rows[0] if rows else None)
    return rows


def embed_all(texts: Sequence[str], encoder: Encoder, cache_dir: Path | None) -> dict[str, np.ndarray]:
    """Embeddings of the distinct texts, read from and written to `cache_dir` when given."""
    cache: dict[str, np.ndarray] = {}
    cache_file = None
    if cache_dir is not None:
        cache_file = cache_dir / f"{encoder.info.fingerprint.replace('/', '_')}.npz"
        if cache_file.is_file():
            stored = np.load(cache_file, allow_pickle=False)
            cache = dict(zip(stored["texts"].tolist(), stored["vectors"]))
    missing = [text for text in dict.fromkeys(texts) if text not in cache]
    if missing:
        started = time.perf_counter()
        vectors = encoder.encode(missing, batch_size=128)  # (missing, dim)
        cache.update(zip(missing, vectors))
        logger.info("encoded %d texts in %.0fs", len(missing), time.perf_counter() - started)
        if cache_file is not None:
            cache_dir.mkdir(parents=True, exist_ok=True)
            keys = list(cache)
            np.savez(cache_file, texts=np.array(keys), vectors=np.stack([cache[k] for k in keys]))
    return cache


def prepare(benches: dict[str, Benchmark], encoder: Encoder, cache_dir: Path | None) -> list[Prepared]:
    """Each benchmark with its dense scores, every distinct text encoded once."""
    texts = [t for bench in benches.values() for t in (*bench.queries.values(), *bench.corpus.values())]
    vectors = embed_all(texts, encoder, cache_dir)
    prepared = []
    for name, bench in benches.items():
        queries = np.stack([vectors[t] for t in bench.queries.values()])  # (queries, dim)
        docs = np.stack([vectors[t] for t in bench.corpus.values()])  # (docs, dim)
        prepared.append(Prepared(name, bench, queries @ docs.T))
    return prepared


def recall_at_10(bench: Benchmark, scores: np.ndarray) -> float:
    """Paper Recall@10 of a (queries, docs) score matrix: what `score_run` gives for the top 10 by
    `stable_top_k`, computed from the rank of each query's one relevant doc (no top-k sort).
    """
    columns = {doc_id: i for i, doc_id in enumerate(bench.corpus)}
    if any(len(bench.qrels[q]) != 1 for q in bench.queries):
        raise ValueError("expected one relevant doc per query, as both protocols have")
    relevant = np.array([columns[next(iter(bench.qrels[q]))] for q in bench.queries])  # (queries,)
    relevant_scores = scores[np.arange(len(relevant)), relevant][:, np.newaxis]  # (queries, 1)
    rank = (scores > relevant_scores).sum(axis=1)  # (queries,)
    # equal scores rank in column order, as in the stable sort; only rows near the cut need counting
    ties = (scores == relevant_scores).sum(axis=1) - 1
    for row in np.flatnonzero((rank < 10) & (rank + ties >= 10)):
        rank[row] += int(np.count_nonzero(scores[row, : relevant[row]] == relevant_scores[row]))
    return float(np.mean(rank < 10))


def lexical_components(bench: Benchmark, config: LexicalConfig) -> tuple[np.ndarray, np.ndarray]:
    doc_ids = list(bench.corpus)
    index = LexicalIndex.build(doc_ids, [split_document(bench.corpus[d]) for d in doc_ids], config)
    return index.components(list(bench.queries.values()))


def lexical_grid() -> list[tuple[LexicalConfig, tuple[float, ...]]]:
    """Index settings, each with the coverage weights to sweep over it."""
    grid = [
        (LexicalConfig(scoring=Scoring.COSINE, phrase_weight=pw, phrase_coverage=pc), COSINE_COVERAGE_WEIGHTS)
        for pw, pc in COSINE_PHRASE_SETTINGS
    ]
    grid += [
        (LexicalConfig(scoring=Scoring.BM25, k1=k1, b=b, phrase_weight=pw, phrase_coverage=1.0),
         BM25_COVERAGE_WEIGHTS)
        for (k1, b), pw in itertools.product(BM25_SETTINGS, BM25_PHRASE_WEIGHTS)
    ]
    return grid


def describe(config: LexicalConfig) -> str:
    bm25 = f" k1={config.k1} b={config.b}" if config.scoring is Scoring.BM25 else ""
    return (f"{config.scoring.value}{bm25} phrase_weight={config.phrase_weight} "
            f"phrase_coverage={config.phrase_coverage} coverage_weight={config.coverage_weight}")


def summary(values: Sequence[float]) -> str:
    return f"{100 * np.mean(values):5.2f} ± {100 * np.std(values):4.2f}"


def tune_lexical(paper: list[Prepared], track: Benchmark) -> tuple[LexicalConfig, dict[str, np.ndarray]]:
    """Grid-search the lexical index; print the table; return the best config and its scores."""
    print("\n## Lexical (paper protocol on train, Recall@10 mean ± std over seeds; track-level R@10)")
    print(f"{'config':<78} {'paper R@10':>14} {'track R@10':>10}")
    best_mean, best, best_scores = -1.0, None, None
    for base, coverage_weights in lexical_grid():
        parts = [lexical_components(bench, base) for bench in (*(p.bench for p in paper), track)]
        for weight in coverage_weights:
            config = replace(base, coverage_weight=weight)
            scores = [similarity + np.float32(weight) * coverage for similarity, coverage in parts]
            per_seed = [recall_at_10(p.bench, s) for p, s in zip(paper, scores)]
            track_recall = recall_at_10(track, scores[-1])
            print(f"{describe(config):<78} {summary(per_seed):>14} {100 * track_recall:10.2f}", flush=True)
            if np.mean(per_seed) > best_mean:  # the first of equals wins
                best_mean, best, best_scores = float(np.mean(per_seed)), config, scores
    assert best is not None and best_scores is not None
    print(f"best lexical: {describe(best)} ({100 * best_mean:.2f})")
    return best, {p.name: s for p, s in zip(paper, best_scores)}


def tune_fusion(paper: list[Prepared], lexical: dict[str, np.ndarray]) -> RetrievalConfig:
    """Grid-search the fusion with the chosen lexical scores; print the table; return the best config."""
    print("\n## Fusion (dense encoder + best lexical, fused as the live searcher does)")
    print(f"{'config':<40} {'paper R@10':>14}")
    print(f"{'dense only':<40} {summary([recall_at_10(p.bench, p.dense) for p in paper]):>14}")
    print(f"{'lexical only':<40} {summary([recall_at_10(p.bench, lexical[p.name]) for p in paper]):>14}")
    configs = [RetrievalConfig(fusion=Fusion.WEIGHTED, dense_weight=w) for w in DENSE_WEIGHTS]
    configs += [RetrievalConfig(fusion=Fusion.RRF, rrf_k=k) for k in RRF_KS]
    best_mean, best = -1.0, configs[-1]
    for config in configs:
        recalls = []
        for prepared in paper:
            doc_ids = list(prepared.bench.corpus)
            rankings = fuse_matrices(prepared.dense, lexical[prepared.name], doc_ids, config, 10)
            run = dict(zip(prepared.bench.queries, rankings))
            recalls.append(score_run(prepared.bench.qrels, run, k=10)["recall@10"])
        name = (f"weighted dense_weight={config.dense_weight}" if config.fusion is Fusion.WEIGHTED
                else f"rrf rrf_k={config.rrf_k}")
        is_selectable = config.fusion is Fusion.RRF or config.dense_weight > 0
        print(f"{name:<40} {summary(recalls):>14}{'' if is_selectable else '  (reference only)'}", flush=True)
        if is_selectable and np.mean(recalls) > best_mean:  # the first of equals wins
            best_mean, best = float(np.mean(recalls)), config
    print(f"best fusion: {best.fusion.value} dense_weight={best.dense_weight} rrf_k={best.rrf_k} "
          f"({100 * best_mean:.2f})")
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--musiccaps", type=Path, default=DEFAULT_MUSICCAPS, help="musiccaps-public.csv")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--cache-dir", type=Path, default=None, help="reuse embeddings across runs")
    parser.add_argument("--encoder", default=None, help="the dense encoder (default: the packaged MiniLM), "
                        "e.g. a GPL-tuned one, to choose its fusion weight")
    parser.add_argument("--fusion-only", action="store_true",
                        help="keep the default LexicalConfig and search only the fusion grid")
    parser.add_argument("--save", action="store_true",
                        help="store the chosen fusion with --encoder (tunetalk_retrieval.json in its directory), "
                             "where `tunetalk ask/chat/evaluate` read it")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("retriever.evaluate").setLevel(logging.WARNING)
    started = time.perf_counter()

    rows = load_train_rows(args.musiccaps)
    benches = {f"seed{seed}": sample_paper_benchmark(rows, seed) for seed in args.seeds}
    track = build_track_benchmark(rows)
    for name, bench in (*benches.items(), ("track", track)):
        logger.info("%s: %d queries, %d docs", name, len(bench.queries), len(bench.corpus))
    encoder = load_encoder_backend(args.encoder or DEFAULT_ENCODER, export_dir=paths.onnx_dir())
    if args.fusion_only:  # what `tunetalk train`'s fusion stage runs for an accepted encoder
        lexical_config = LexicalConfig()
        choice = choose_fusion(encoder, list(benches.values()))
        print("\n## Fusion (weighted, default lexical index; mean paper Recall@10 over the seeds)")
        print(f"{'dense only':<40} {100 * choice.dense_recall:6.2f}")
        print(f"{'lexical only':<40} {100 * choice.lexical_recall:6.2f}")
        for weight, recall in choice.recall_by_weight.items():
            print(f"{f'weighted dense_weight={weight}':<40} {100 * recall:6.2f}")
        fusion_config = choice.config
    else:
        paper = prepare(benches, encoder, args.cache_dir)
        lexical_config, lexical_scores = tune_lexical(paper, track)
        fusion_config = tune_fusion(paper, lexical_scores)
    print("\n## Chosen defaults")
    lexical, fusion = lexical_config, fusion_config
    print(f"LexicalConfig(scoring={lexical.scoring.value!r}, k1={lexical.k1}, b={lexical.b}, "
          f"phrase_weight={lexical.phrase_weight}, phrase_coverage={lexical.phrase_coverage}, "
          f"coverage_weight={lexical.coverage_weight})")
    print(f"RetrievalConfig(fusion={fusion.fusion.value!r}, dense_weight={fusion.dense_weight}, "
          f"rrf_k={fusion.rrf_k}, candidates={fusion.candidates})")
    if args.save:
        if args.encoder is None:
            raise SystemExit("--save needs --encoder DIR (the packaged encoder's defaults live in RetrievalConfig)")
        print(f"saved to {save_retrieval_config(resolve_encoder(args.encoder)[1], fusion)}")
    logger.info("done in %.0fs", time.perf_counter() - started)


if __name__ == "__main__":
    main()
