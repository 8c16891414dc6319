"""MusicCaps train clips asked for as a listener would ask a chatbot, not as a caption describes them.

The paper protocol's requests are LLM captions ("This heartfelt ballad showcases a soulful ...");
real listeners write "something sad with piano and a soft female voice, like a slow ballad" and
the turn reads those differently (intents, negations, names, eras). `benchmarks/data/
chat_style_mc_train.jsonl` holds one such request per clip for 240 MusicCaps **train** clips
(written for this project from each clip's caption and aspect list; a derivative of MusicCaps,
CC BY-SA 4.0), so the turn can be studied and tuned on them without touching MC test.

Two protocols. `track`: the corpus is every train clip's descriptor set (2,663 documents), a
request's one relevant document its clip's set. `paper` (harder, as MC test is scored): as in the
paper, a request's relevant document is a random non-empty part of the clip's descriptors the request
says (a descriptor is said when at least half of its words, compared by their first five letters,
are in the request) plus up to as many of the others, among the paper-sampled documents of every
train caption sentence (seed 0). Recall@10 and MRR@10 for TF-IDF, the evaluation's hybrid
(exact scores), the live searcher on the request as written, and the chat turn (`take_turn`, one
turn, as `tunetalk ask` runs it). `--losses` prints the requests the hybrid finds and the turn
does not, with what the turn read.

Run (about 2 minutes on the 2-core machine, the index build included):
    .venv/bin/python benchmarks/chat_style_requests.py [--protocol paper] [--losses]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's code, not another's install
sys.path.insert(0, str(Path(__file__).resolve().parent))

import tune_fusion  # noqa: E402 - prepares the environment, reads the train rows

from tunetalk import paths  # noqa: E402

REQUESTS = Path(__file__).resolve().parent / "data" / "chat_style_mc_train.jsonl"


def load_requests(path: Path) -> dict[str, str]:
    """ytid => request; raises ValueError naming the line when one is not {"ytid", "request"}."""
    requests: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            requests[record["ytid"]] = record["request"]
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise ValueError(f"{path}:{number}: not a {{\"ytid\", \"request\"}} object ({error})") from error
    return requests


_FILLER = frozenset("a an the of and with in on for to by music song songs sound sounds".split())


def _stems(text: str) -> set[str]:
    return {w[:5] for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _FILLER}


def said_document(request: str, aspects: tuple[str, ...], rng: random.Random) -> str | None:
    """The paper's sampling of a relevant document for a request that paraphrases its clip: a random
    non-empty part of the descriptors it says and up to as many of the others; None when it says none."""
    words = _stems(request)
    aspects = tuple(dict.fromkeys(aspects))
    said = [a for a in aspects if _stems(a) and 2 * len(_stems(a) & words) >= len(_stems(a))]
    others = [a for a in aspects if a not in said]
    if not said:
        return None
    chosen = rng.sample(said, rng.randint(1, len(said)))
    chosen += rng.sample(others, rng.randint(0, min(len(said), len(others))))
    rng.shuffle(chosen)
    return ", ".join(chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=Path, default=REQUESTS, help="JSONL of {ytid, request}")
    parser.add_argument("--data", type=Path, default=tune_fusion.DEFAULT_MUSICCAPS, help="musiccaps-public.csv")
    parser.add_argument("--losses", action="store_true", help="print the requests the turn loses")
    parser.add_argument("--protocol", choices=("track", "paper"), default="track")
    parser.add_argument("--seed", type=int, default=0, help="the sampling seed of --protocol paper")
    args = parser.parse_args()

    from chatbot import DialogueState, take_turn
    from retriever import DEFAULT_ENCODER, MemoEncoder, SearchQuery, load_encoder_backend, retrieval_config_for
    from retriever.encoder import resolve_encoder
    from retriever.evaluate import Benchmark, build_track_benchmark, sample_paper_benchmark
    from tunetalk.evaluation import benchmark_recommender, evaluate_benchmark

    started = time.perf_counter()
    rows = tune_fusion.load_train_rows(args.data)
    full = build_track_benchmark(rows)
    requests = load_requests(args.requests)
    unknown = sorted(set(requests) - set(full.corpus))
    if unknown:
        sys.exit(f"{args.requests}: {len(unknown)} ytids are no MusicCaps train clip, e.g. {unknown[:3]}")
    if args.protocol == "track":
        bench = Benchmark(queries=requests, corpus=full.corpus, qrels={q: full.qrels[q] for q in requests})
    else:
        sampled = sample_paper_benchmark(rows, args.seed)
        corpus, ids = dict(sampled.corpus), {text: d for d, text in sampled.corpus.items()}
        aspects = {row.track_id: row.aspects for row in rows}
        rng, qrels = random.Random(args.seed), {}
        for q, text in requests.items():
            document = said_document(text, aspects[q], rng)
            if document is not None:
                qrels[q] = {ids.setdefault(document, f"said{len(ids)}")}
                corpus[ids[document]] = document
        requests = {q: t for q, t in requests.items() if q in qrels}
        bench = Benchmark(queries=requests, corpus=corpus, qrels=qrels)
    encoder = load_encoder_backend(DEFAULT_ENCODER, backend="onnx", export_dir=paths.onnx_dir())
    config = retrieval_config_for(resolve_encoder(DEFAULT_ENCODER)[1])
    scores = evaluate_benchmark(bench, ["tfidf", "hybrid"], MemoEncoder(encoder), config)

    def metrics(run: dict[str, list[str]]) -> tuple[float, float]:
        ranks = [next((i for i, d in enumerate(run[q][:10], 1) if d in bench.qrels[q]), 0) for q in requests]
        return 100 * sum(r > 0 for r in ranks) / len(ranks), 100 * sum(1 / r for r in ranks if r) / len(ranks)

    table = [(name, 100 * scores[name]["recall@10"], 100 * scores[name]["mrr@10"]) for name in ("tfidf", "hybrid")]
    with tempfile.TemporaryDirectory(prefix="tunetalk-chat-style-") as folder:
        recommender = benchmark_recommender(bench, encoder, config, Path(folder))
        searched = {q: [h.track.id for h in recommender.searcher.search(SearchQuery(t, k=10))]
                    for q, t in requests.items()}
        turns = {q: take_turn(recommender, DialogueState(), t, k=10) for q, t in requests.items()}
        turned = {q: [v.track.id for v in result.results] for q, (_, result) in turns.items()}
        table += [("searcher, the request as written", *metrics(searched)), ("chat turn", *metrics(turned))]
        if args.losses:
            for q, text in requests.items():
                if bench.qrels[q] & set(searched[q]) and not bench.qrels[q] & set(turned[q]):
                    state = turns[q][0]
                    target = " | ".join(bench.corpus[d] for d in bench.qrels[q])
                    print(f"\n- {text}\n  target: {target}\n  wanted: {dict(state.wanted)}"
                          f"  excluded: {list(state.excluded)}  avoided: {list(state.avoided)}"
                          f"  texts: {list(state.texts)}  filters: {state.years, state.regions, state.languages}")
    print(f"\nChat-style requests for {len(requests)} MusicCaps train clips, {args.protocol} protocol over "
          f"{len(bench.corpus)} descriptor sets ({time.perf_counter() - started:.0f} s)\n")
    print("| system | Recall@10 | MRR@10 |\n|---|---|---|")
    for name, recall, mrr in table:
        print(f"| {name} | {recall:.1f} | {mrr:.1f} |")


if __name__ == "__main__":
    main()
