"""Where the chat turn gains or loses against its retriever: the paper protocol, one step at a time.

`tunetalk evaluate --systems hybrid,chat` compares the retriever with the whole chat turn. This
script runs the same one-turn conversations (each sentence of a request column, over the sampled
descriptor sets indexed as a catalogue, as `tunetalk evaluate --systems chat` does) and adds the
turn's steps one at a time, each row keeping the ones above it:

1. `hybrid (evaluate)`: the evaluation's hybrid, exact scores over the whole corpus.
2. `searcher, the request`: the live `HybridSearcher` (Chroma HNSW + the lexical index) on the
   request as written.
3. `+ the turn's text`: the text the dialogue state keeps (`normalise_message`, recent texts).
4. `+ wanted descriptors`: the parsed descriptors, weighted, in the dense text and the lexical score.
5. `+ exclusions and filters`: "no vocals" and the like, the blocked ids, the hard filters.
6. `+ re-rank = the chat turn`: the re-rank pool (`rerank_pool`) and `rerank` (wanted coverage,
   avoided descriptors, per-artist cap); checked to equal `take_turn` itself on every query.

Measuring on MC test is fine; choosing a weight on it is not (use --data with MusicCaps train
rows through `benchmarks/calibrate_rerank.py` for that).

Run (about 4 minutes for 800 sentences on the 2-core machine):
    .venv/bin/python benchmarks/turn_ablation.py [--column caption_writing] [--queries 800] [--seed 0]
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's code, not another's install

from tunetalk import paths

paths.prepare_environment()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--column", default="caption_writing", help="the request column of the MC test split")
    parser.add_argument("--queries", type=int, default=800, help="sentences (a fixed random sample; 0: all)")
    parser.add_argument("--seed", type=int, default=0, help="the paper's sampling seed")
    parser.add_argument("--data", type=Path, default=None, help="the LP-MusicCaps-MC test.csv")
    parser.add_argument("--encoder", default=None, help="a sentence-transformers name or path (default MiniLM)")
    args = parser.parse_args()

    from chatbot import DialogueState, take_turn
    from chatbot.query import artist_wants
    from chatbot.reply import rerank
    from chatbot.state import apply_turn
    from chatbot.turn import keep_some_seen, rerank_pool, state_query
    from retriever import DEFAULT_ENCODER, MemoEncoder, SearchQuery, load_encoder_backend, retrieval_config_for
    from retriever.encoder import resolve_encoder
    from retriever.evaluate import load_mc_rows, sample_paper_benchmark
    from tunetalk.evaluation import benchmark_recommender, evaluate_benchmark

    data = args.data or paths.mc_test_csv()
    if not data.is_file():
        sys.exit(f"{data}: no such file (pass --data PATH to the LP-MusicCaps-MC test.csv)")
    started = time.perf_counter()
    name = args.encoder or DEFAULT_ENCODER
    encoder = load_encoder_backend(name, backend="onnx", export_dir=paths.onnx_dir())
    config = retrieval_config_for(resolve_encoder(name)[1])
    bench = sample_paper_benchmark(load_mc_rows(data, query_column=args.column), args.seed)
    query_ids = [q for q in bench.queries if q in bench.qrels]
    if args.queries:
        random.Random(args.seed).shuffle(query_ids)
        query_ids = sorted(query_ids[: args.queries])
    sample = dataclasses.replace(bench, queries={q: bench.queries[q] for q in query_ids})

    def recall(run: dict[str, list[str]]) -> float:
        return 100 * sum(any(d in bench.qrels[q] for d in run[q][:10]) for q in query_ids) / len(query_ids)

    rows: list[tuple[str, float]] = []
    hybrid = evaluate_benchmark(sample, ["hybrid"], MemoEncoder(encoder), config)["hybrid"]["recall@10"]
    rows.append(("hybrid (evaluate)", 100 * hybrid))
    with tempfile.TemporaryDirectory(prefix="tunetalk-ablation-") as folder:
        deps = benchmark_recommender(bench, encoder, config, Path(folder))
        searcher = deps.searcher
        runs: dict[str, dict[str, list[str]]] = {}

        def ids(hits) -> list[str]:  # noqa: ANN001
            return [hit.track.id for hit in hits]

        for query_id in query_ids:
            text = bench.queries[query_id]
            parsed = deps.parser.parse(text, num_results=10)
            state, _ = apply_turn(DialogueState(), parsed, deps.tracks)
            query, *_ = state_query(deps, state, 10)
            steps = {
                "searcher, the request": SearchQuery(text, k=10),
                "+ the turn's text": SearchQuery(query.text, k=10),
                "+ wanted descriptors": SearchQuery(query.text, k=10, weighted_phrases=query.weighted_phrases),
                "+ exclusions and filters": query,
            }
            for label, step_query in steps.items():
                runs.setdefault(label, {})[query_id] = ids(searcher.search(step_query))
            hits = searcher.search(dataclasses.replace(query, k=max(rerank_pool(state), 10)))
            genres = artist_wants(state, deps.context, genres_only=True)
            full = [h.track.id for h, _ in keep_some_seen(rerank(hits, state, also_wanted=genres), set(), set())][:10]
            runs.setdefault("+ re-rank = the chat turn", {})[query_id] = full
            turn = [view.track.id for view in take_turn(deps, DialogueState(), text, k=10)[1].results]
            if turn != full:
                print(f"warning: {query_id}: the ablation's last step differs from take_turn", file=sys.stderr)
        rows += [(label, recall(run)) for label, run in runs.items()]
    print(f"\nRecall@10, {args.column}, seed {args.seed}, {len(query_ids)} sentences, "
          f"{len(bench.corpus)} documents ({time.perf_counter() - started:.0f}s)\n")
    print("| step | Recall@10 | change |\n|---|---|---|")
    previous = None
    for label, value in rows:
        change = "" if previous is None else f"{value - previous:+.1f}"
        print(f"| {label} | {value:.1f} | {change} |")
        previous = value


if __name__ == "__main__":
    main()
