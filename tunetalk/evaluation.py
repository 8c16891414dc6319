"""`tunetalk evaluate`: the paper's protocol (or the track-level one) for several systems at once.

Every system in one run scores the same sampled corpus and queries (a paired comparison);
embeddings are cached by text, so a descriptor document sampled under several seeds is
encoded once.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from tunetalk import paths
from retriever import DEFAULT_ENCODER, MemoEncoder, RetrievalConfig, load_encoder_backend, retrieval_config_for
from retriever.encoder import resolve_encoder
from retriever.evaluate import (
    PAPER_SEEDS,
    Benchmark,
    build_track_benchmark,
    load_mc_rows,
    sample_paper_benchmark,
    score_run,
    summarize,
    top_k_indices,
)
from retriever.evaluate import TfidfRanker
from retriever.fusion import fuse_matrices
from retriever.rankers import Bm25Ranker

logger = logging.getLogger(__name__)

SYSTEMS = ("tfidf", "bm25", "dense", "hybrid", "chat")
PAPER_TABLE = {"tfidf": 89.4, "all-MiniLM (paper)": 59.9, "GPL msmarco-BERT (paper)": 84.8}
ENCODE_BATCH = 128


def evaluate_benchmark(benchmark: Benchmark, systems: list[str], encoder: MemoEncoder | None,
                       config: RetrievalConfig, k: int = 10) -> dict[str, dict[str, float]]:
    """Score each system on one benchmark; returns system => metrics."""
    query_ids = [q for q in benchmark.queries if q in benchmark.qrels]
    queries = {q: benchmark.queries[q] for q in query_ids}
    doc_ids = list(benchmark.corpus)
    texts = [queries[q] for q in query_ids]
    results: dict[str, dict[str, float]] = {}
    dense = lexical = None
    if {"dense", "hybrid"} & set(systems):
        assert encoder is not None
        dense = (encoder.encode(texts, batch_size=ENCODE_BATCH)
                 @ encoder.encode([benchmark.corpus[d] for d in doc_ids], batch_size=ENCODE_BATCH).T)
    if {"bm25", "hybrid"} & set(systems):
        lexical = Bm25Ranker().scores(texts, benchmark.corpus)
    for system in systems:
        if system == "tfidf":
            run = TfidfRanker().rank(queries, benchmark.corpus, k)
        elif system == "bm25":
            run = {q: [doc_ids[i] for i in top] for q, top in zip(query_ids, top_k_indices(lexical, k))}
        elif system == "dense":
            run = {q: [doc_ids[i] for i in top] for q, top in zip(query_ids, top_k_indices(dense, k))}
        elif system == "hybrid":
            run = dict(zip(query_ids, fuse_matrices(dense, lexical, doc_ids, config, k)))
        elif system == "chat":
            assert encoder is not None
            run = chat_run(benchmark, queries, encoder.encoder, config, k)
        else:
            raise ValueError(f"unknown system {system!r}; choose from {', '.join(SYSTEMS)}")
        results[system] = score_run({q: benchmark.qrels[q] for q in query_ids}, run, k)
    return results


def benchmark_recommender(benchmark: Benchmark, encoder, config: RetrievalConfig,  # noqa: ANN001
                          folder: Path, k: int = 10, tracks=None):  # noqa: ANN001, ANN201 - Tracks; a Recommender
    """A Recommender over the benchmark's documents, indexed in Chroma under `folder` as a catalogue:
    the given tracks when the documents are theirs (ids and all), else each document a track whose
    descriptors are its comma-separated parts."""
    from retriever import Track
    from retriever.rankers import split_document

    by_id = {track.id: track for track in tracks or ()}
    if by_id and all(doc_id in by_id for doc_id in benchmark.corpus):
        tracks = [by_id[doc_id] for doc_id in benchmark.corpus]
    else:
        tracks = [Track(id=doc_id, title=doc_id, artist="", descriptors=tuple(split_document(text)))
                  for doc_id, text in benchmark.corpus.items()]
    return indexed_recommender(tracks, encoder, config, folder, k)


def indexed_recommender(tracks, encoder, config: RetrievalConfig, folder: Path,  # noqa: ANN001 - Tracks, an Encoder
                        k: int = 10, *, artist_knowledge=()):  # noqa: ANN001, ANN201 - ArtistProfiles; a Recommender
    """A Recommender over `tracks`, indexed with `encoder` in a new Chroma index under `folder`
    (`artist_knowledge`: profiles of artists the catalogue may lack, as `tunetalk chat` loads them)."""
    from chatbot import Recommender
    from retriever import HybridSearcher, TrackStore, index_tracks, load_vocabulary

    store = TrackStore.open(encoder.info, index_dir=folder, create=True)
    index_tracks(tracks, store, encoder, show_progress_bar=False)
    return Recommender(HybridSearcher(store, encoder, config), load_vocabulary(), k=k, artist_knowledge=artist_knowledge)


def chat_run(benchmark: Benchmark, queries: dict[str, str], encoder, config: RetrievalConfig,  # noqa: ANN001
             k: int, tracks=None) -> dict[str, list[str]]:  # noqa: ANN001 - the corpus's Tracks, if known
    """The benchmark through the chat turn: its documents indexed in Chroma as a catalogue, each
    request a one-turn conversation (`take_turn`, as `tunetalk ask` runs it), the listed ids its run."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="tunetalk-eval-chat-") as folder:
        return one_turn_run(benchmark_recommender(benchmark, encoder, config, Path(folder), k, tracks), queries, k)


def one_turn_run(recommender, queries: dict[str, str], k: int) -> dict[str, list[str]]:  # noqa: ANN001
    """Each request a one-turn conversation with `recommender` (a chatbot.Recommender): query id => the listed ids."""
    from chatbot import DialogueState, take_turn

    return {query_id: [view.track.id for view in take_turn(recommender, DialogueState(), text, k=k)[1].results]
            for query_id, text in queries.items()}


def run_evaluation(args: argparse.Namespace) -> int:
    """Run the evaluation the CLI asked for and print a Markdown table (or JSON)."""
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown:
        raise ValueError(f"unknown system(s) {unknown}; choose from {', '.join(SYSTEMS)}")
    try:
        seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    except ValueError as error:
        raise ValueError(f"--seeds must be comma-separated integers, got {args.seeds!r}") from error
    data = args.data or paths.mc_test_csv()
    if not data.is_file():
        raise FileNotFoundError(f"{data}: no such file (pass --data PATH to the LP-MusicCaps-MC test.csv)")
    columns = args.query_column or ["caption_writing"]
    encoder_name = args.encoder or DEFAULT_ENCODER
    encoder = MemoEncoder(load_encoder_backend(
        encoder_name, backend=getattr(args, "encoder_backend", "onnx"), export_dir=paths.onnx_dir())) if {
        "dense", "hybrid", "chat"} & set(systems) else None
    config = retrieval_config_for(resolve_encoder(encoder_name)[1])  # a GPL-tuned encoder carries its fusion
    if getattr(args, "dense_weight", None) is not None:
        config = replace(config, dense_weight=args.dense_weight)
    table: dict[str, dict[str, dict[str, tuple[float, float]]]] = {}
    started = time.perf_counter()
    for column in columns:
        rows = load_mc_rows(data, query_column=column)
        per_seed: dict[str, list[dict[str, float]]] = {s: [] for s in systems}
        benchmarks = ([sample_paper_benchmark(rows, seed) for seed in seeds] if args.protocol == "paper"
                      else [build_track_benchmark(rows)])
        for benchmark in benchmarks:
            for system, metrics in evaluate_benchmark(benchmark, systems, encoder, config).items():
                per_seed[system].append(metrics)
        table[column] = {system: summarize(per_seed[system]) for system in systems}
        print(f"[{column}: {len(rows)} requests, {len(benchmarks[0].queries)} queries, "
              f"{len(benchmarks[0].corpus)} documents, {time.perf_counter() - started:.0f}s]", file=sys.stderr)
    if args.json:
        print(json.dumps({"protocol": args.protocol, "seeds": seeds, "encoder": args.encoder or "all-MiniLM-L6-v2",
                          "fusion": {"fusion": config.fusion.value, "dense_weight": config.dense_weight,
                                     "rrf_k": config.rrf_k}, "results": table}, indent=1))
        return 0
    if "hybrid" in systems:
        print(f"hybrid = {config.fusion.value} fusion, dense_weight {config.dense_weight}", file=sys.stderr)
    for metric in ("recall@10", "mrr@10", "ndcg@10") + (("recall@1",) if args.protocol == "track" else ()):
        print(f"\n{metric} ({args.protocol} protocol, {'seeds ' + args.seeds if args.protocol == 'paper' else 'no sampling'})\n")
        print("| system | " + " | ".join(columns) + " |")
        print("|---|" + "---|" * len(columns))
        for system in systems:
            cells = []
            for column in columns:
                mean, std = table[column][system][metric]
                cells.append(f"{100 * mean:.1f} ± {100 * std:.1f}")
            print(f"| {system} | " + " | ".join(cells) + " |")
    return 0


__all__ = ["PAPER_SEEDS", "run_evaluation", "evaluate_benchmark"]
