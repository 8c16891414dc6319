"""Calibrate the chat turn's re-rank bonuses on MusicCaps *train* captions, never on the test split.

The chat turn (`chatbot.reply.rerank`) adds to each hit's fused score a bonus for the share of
the wanted descriptors it carries (`WANTED_COVERAGE_WEIGHT`). This script runs the paper protocol
of `retriever.evaluate` on the 2,663 MusicCaps train clips (human caption as the request, `aspect_list` as the
descriptors; the same rows `benchmarks/tune_fusion.py` tunes the fusion on) through the chat
turn, each sentence a one-turn conversation as `tunetalk evaluate --systems chat` runs it, for a
grid of bonus weights, beside the hybrid searcher alone on the same queries.

Run (every sentence of a seed by default: several minutes a weight on the 2-core machine, about
14 for the first with the index build and other jobs beside it; --queries 600 for a quick look;
the index of the sampled corpus is kept under $TUNETALK_HOME for reruns):
    .venv/bin/python benchmarks/calibrate_rerank.py [--queries 600] [--seeds 0 1]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's code, not another's install
sys.path.insert(0, str(Path(__file__).resolve().parent))

import tune_fusion  # noqa: E402 - prepares the environment, reads the train rows

from tunetalk import paths  # noqa: E402

COVERAGE_WEIGHTS = (0.0, 0.15, 0.3, 0.45)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=0, help="sentences per seed (a fixed random sample; 0: all)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--data", type=Path, default=tune_fusion.DEFAULT_MUSICCAPS, help="musiccaps-public.csv")
    args = parser.parse_args()

    import chatbot.reply as reply
    from chatbot import DialogueState, Recommender, take_turn
    from retriever import HybridSearcher, SearchQuery, Track, TrackStore, index_tracks, load_encoder_backend, load_vocabulary
    from retriever.evaluate import sample_paper_benchmark
    from retriever.rankers import split_document

    started = time.perf_counter()
    rows = tune_fusion.load_train_rows(args.data)
    encoder = load_encoder_backend(backend="onnx", export_dir=paths.onnx_dir())
    results: dict[tuple[float, float] | str, list[float]] = {}
    for seed in args.seeds:
        bench = sample_paper_benchmark(rows, seed)
        query_ids = [q for q in bench.queries if q in bench.qrels]
        random.Random(seed).shuffle(query_ids)
        query_ids = query_ids[: args.queries or None]
        tracks = [Track(id=d, title=d, artist="", descriptors=tuple(split_document(text)))
                  for d, text in bench.corpus.items()]
        store = TrackStore.open(encoder.info, create=True,
                                index_dir=paths.home() / f"bench-train-captions-{seed}-{encoder.info.weights_sha256[:12]}")
        index_tracks(tracks, store, encoder, show_progress_bar=False)
        searcher = HybridSearcher(store, encoder)
        recommender = Recommender(searcher, load_vocabulary(), k=10)

        def recall(run: dict[str, list[str]]) -> float:
            return 100 * sum(any(d in bench.qrels[q] for d in run[q]) for q in query_ids) / len(query_ids)  # noqa: B023

        hybrid = {q: [h.track.id for h in searcher.search(SearchQuery(bench.queries[q], k=10))] for q in query_ids}
        results.setdefault("hybrid searcher alone", []).append(recall(hybrid))
        saved = reply.WANTED_COVERAGE_WEIGHT
        try:
            for coverage in COVERAGE_WEIGHTS:
                reply.WANTED_COVERAGE_WEIGHT = coverage
                run = {q: [v.track.id for v in take_turn(recommender, DialogueState(), bench.queries[q], k=10)[1].results]
                       for q in query_ids}
                results.setdefault(coverage, []).append(recall(run))
                print(f"seed {seed}: coverage {coverage}: {results[coverage][-1]:.2f}", file=sys.stderr, flush=True)
        finally:
            reply.WANTED_COVERAGE_WEIGHT = saved
    print(f"\nChat-turn Recall@10 on MusicCaps train captions (paper protocol, seeds {args.seeds}, "
          f"{len(query_ids)} sentences a seed), {time.perf_counter() - started:.0f} s\n")
    print("| system | coverage weight | Recall@10 |\n|---|---|---|")
    for key, values in results.items():
        mean = sum(values) / len(values)
        if isinstance(key, str):
            print(f"| {key} | | {mean:.2f} |")
        else:
            current = " (current)" if key == saved else ""
            print(f"| chat turn{current} | {key} | {mean:.2f} |")


if __name__ == "__main__":
    main()
