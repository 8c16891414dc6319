"""A simulated listener looking for one target track, turn by turn, against tunetalk and a naive baseline.

The listener (`tunetalk.simulated_listener`, which the GPL gate also plays) names two of the
target's descriptors at turn 1, then adds one, excludes one it lacks, or asks for "more like #k";
once the target is shown it says so and the list should keep it. Reported per turn: success@10
and success@5 by that turn (target shown in the top k at or before it), success@10 at that turn
(the list shown then holds the target), mean turns to success, and constraint violations (a
result carrying an excluded descriptor). The naive baseline, on the same messages: TF-IDF over
descriptor sets, queried with the concatenated turns.

Run (MusicCaps: index all 5,521 clips, targets from the 2,858 test clips):
    .venv/bin/python benchmarks/simulate_dialogue.py --targets 300
Built-in catalogue:
    .venv/bin/python benchmarks/simulate_dialogue.py --catalogue builtin --targets 300
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's code, not another's install

from tunetalk import paths  # noqa: E402

paths.prepare_environment()

from chatbot import Recommender  # noqa: E402
from retriever import (  # noqa: E402
    BUILTIN_CATALOGUE,
    HybridSearcher,
    Track,
    TrackStore,
    index_tracks,
    load_catalog,
    load_encoder_backend,
    load_vocabulary,
)
from tunetalk.simulated_listener import MAX_TURNS, Episode, rules_out, simulate_listener  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


class TfidfBaseline:
    """TF-IDF over descriptor sets, queried with the concatenated user turns."""

    def __init__(self, tracks: list[Track]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.ids = [t.id for t in tracks]
        self.vectorizer = TfidfVectorizer()
        self.matrix = self.vectorizer.fit_transform([t.document for t in tracks])

    def rank(self, text: str, k: int) -> list[str]:
        scores = (self.vectorizer.transform([text]) @ self.matrix.T).toarray()[0]
        top = np.argsort(-scores, kind="stable")[:k]
        return [self.ids[i] for i in top]


def baseline_episode(baseline: TfidfBaseline, episode: Episode, tracks: dict[str, Track]) -> Episode:
    """The naive baseline on the same messages: each turn ranks the concatenated turns so far."""
    naive = Episode(episode.target)
    target = episode.target.id
    for turn, (message, excluded) in enumerate(zip(episode.messages, episode.excluded), 1):
        naive.messages.append(message)
        ranked = baseline.rank(" ".join(naive.messages), 10)
        naive.holds_target.append(target in ranked)
        if naive.success_turn is None and target in ranked:
            naive.success_turn = turn
        if naive.success5_turn is None and target in ranked[:5]:
            naive.success5_turn = turn
        naive.violations += sum(any(rules_out(e, d) for e in excluded for d in tracks[i].descriptors) for i in ranked)
    return naive


def open_index(name: str, tracks: list[Track], encoder) -> HybridSearcher:  # noqa: ANN001
    index_dir = paths.home() / f"bench-{name}-{encoder.info.weights_sha256[:12]}"
    store = TrackStore.open(encoder.info, index_dir=index_dir, create=True)
    index_tracks(tracks, store, encoder, show_progress_bar=True)
    return HybridSearcher(store, encoder)


def table(title: str, episodes: dict[str, list[Episode]]) -> str:
    turns = range(1, MAX_TURNS + 1)
    lines = [f"\n{title}\n", "| system | " + " | ".join(f"by turn {t}" for t in turns) + " | "
             + " | ".join(f"at turn {t}" for t in turns) + " | mean turns to success | violations |",
             "|---|" + "---|" * (2 * MAX_TURNS + 2)]
    for system, runs in episodes.items():
        cells = []
        for turn in turns:
            s10 = sum(e.success_turn is not None and e.success_turn <= turn for e in runs) / len(runs)
            s5 = sum(e.success5_turn is not None and e.success5_turn <= turn for e in runs) / len(runs)
            cells.append(f"{s10:.3f} / {s5:.3f}")
        for turn in turns:
            cells.append(f"{sum(len(e.holds_target) >= turn and e.holds_target[turn - 1] for e in runs) / len(runs):.3f}")
        found = [e.success_turn for e in runs if e.success_turn is not None]
        mean_turns = f"{statistics.mean(found):.2f} ({len(found)}/{len(runs)} found)" if found else "-"
        lines.append(f"| {system} | " + " | ".join(cells) + f" | {mean_turns} | {sum(e.violations for e in runs)} |")
    lines.append("\nby turn k: success@10 / success@5 at or before turn k; at turn k: the list shown at turn k holds "
                 "the target (success@10).")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Simulated multi-turn search for a target track.")
    parser.add_argument("--catalogue", choices=["musiccaps", "builtin"], default="musiccaps")
    parser.add_argument("--targets", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--show", type=int, default=2, help="print this many example conversations")
    parser.add_argument("--show-lost", action="store_true", help="print the conversations that lose a shown target")
    parser.add_argument("--encoder-backend", choices=["onnx", "torch"], default="onnx",
                        help="query encoder backend: the same vectors, onnx is faster on a CPU (default onnx)")
    args = parser.parse_args()
    encoder = load_encoder_backend(backend=args.encoder_backend, export_dir=paths.onnx_dir())
    if args.catalogue == "musiccaps":
        path = SHARED / "musiccaps" / "musiccaps-public.csv"
        if not path.exists():
            sys.exit(f"{path} not found")
        tracks = load_catalog(path, "musiccaps").tracks
        pool = [t for t in tracks if t.metadata.get("split") == "test"]
    else:
        tracks = load_catalog(BUILTIN_CATALOGUE, "jsonl").tracks
        pool = tracks
    searcher = open_index(args.catalogue, tracks, encoder)
    recommender = Recommender(searcher, load_vocabulary())
    baseline = TfidfBaseline(tracks)
    rng = random.Random(args.seed)
    targets = rng.sample(pool, min(args.targets, len(pool)))
    ours: list[Episode] = []
    naive: list[Episode] = []
    started = time.perf_counter()
    for index, target in enumerate(targets):
        episode = simulate_listener(recommender, target, random.Random(f"{args.seed}-{index}"), report_violations=True)
        ours.append(episode)
        naive.append(baseline_episode(baseline, episode, searcher.tracks))
        if index < args.show or (args.show_lost and any(a and not b for a, b in zip(episode.holds_target,
                                                                                    episode.holds_target[1:]))):
            print(f"target {target.id}: {', '.join(target.descriptors)}", file=sys.stderr)
            for turn, message in enumerate(episode.messages, 1):
                print(f"  turn {turn}: {message}", file=sys.stderr)
            print(f"  found at turn {episode.success_turn}", file=sys.stderr)
    elapsed = time.perf_counter() - started
    print(table(f"{args.catalogue}: {len(targets)} targets, {len(tracks)} tracks indexed, seed {args.seed}, "
                f"{elapsed:.0f}s", {"tunetalk (hybrid + dialogue state)": ours, "naive TF-IDF, concatenated turns": naive}))


if __name__ == "__main__":
    main()
