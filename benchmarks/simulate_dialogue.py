"""A simulated listener looking for one target track, turn by turn, against tunetalk and a naive baseline.

Turn 1 names two of the target's descriptors in a natural sentence, usually not in the
catalogue's exact words (part of the phrase: "piano" for "mellow piano melody"). Later turns
add another of its descriptors, exclude a descriptor seen in the previous results that the
target lacks, or ask for "more like #k" for a shown result that shares most descriptors with
the target. Once the target is shown, the listener says so ("I like #3") and the list should
keep it. Reported per turn: success@10 and success@5 by that turn (target shown in the top k at
or before it), success@10 at that turn (the list shown then holds the target), mean turns to
success, and constraint violations (a result carrying an excluded descriptor). The naive baseline, run beside it on
the same conversations: TF-IDF over descriptor sets, queried with the concatenated turns.

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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tunetalk import paths  # noqa: E402

paths.prepare_environment()

from chatbot import Conversation, Recommender  # noqa: E402
from chatbot.parse import VOCAL_WORDS  # noqa: E402
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

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
MAX_TURNS = 4

FIRST_TEMPLATES = [
    "I'm looking for something with {a} and {b}",
    "can you recommend me a song with {a} and {b}?",
    "play me some {a} music with {b}",
    "I want {a}, ideally with {b}",
    "any tracks that have {a} plus {b}?",
    "something {a}, with {b} in it",
    "I'd love to hear {a} and {b}",
    "looking for a tune: {a}, {b}",
    "give me music that's got {a} and some {b}",
    "hey, find me {b} with {a}",
    "I'm in the mood for {a} with {b}",
    "do you have anything featuring {a} and {b}?",
]
ADD_TEMPLATES = [
    "also {a}", "it should have {a} too", "with {a} please", "and maybe {a}", "can it have {a} as well?",
    "add {a}", "I'd like {a} in there", "more {a}", "ideally {a}", "something with {a}",
]
EXCLUDE_TEMPLATES = [
    "no {a}", "without {a} please", "I don't want {a}", "avoid {a}", "nothing with {a}", "skip anything with {a}",
    "less {a}",
]
LIKE_TEMPLATES = ["I like #{k}", "#{k} is great", "number {k} is perfect", "love #{k}", "yes, #{k} is the one"]
MORE_LIKE_TEMPLATES = [
    "more like #{k}", "something similar to #{k}", "#{k} is close, more like that", "I like number {k}, more like it",
    "more in the style of #{k}",
]
_FILLER = {"sound", "sounds", "song", "music", "recording", "quality", "with", "and", "the", "a", "of", "in", "is"}


def hint(descriptor: str, rng: random.Random) -> str:
    """How a listener might say a descriptor: the phrase, or part of it (often its key word)."""
    words = [w for w in descriptor.split() if w.lower() not in _FILLER] or descriptor.split()
    roll = rng.random()
    if len(words) == 1 or roll < 0.4:
        return descriptor
    if roll < 0.75:
        return max(words, key=len)  # the longest content word, e.g. "piano" for "mellow piano melody"
    start = rng.randrange(len(words) - 1)
    return " ".join(words[start : start + 2])


def rules_out(excluded: str, descriptor: str) -> bool:
    """The exclusion semantics a listener expects: the phrase's words all occur in the descriptor;
    a generic vocal exclusion ("vocals", "singing") rules out every vocal descriptor."""
    excluded_words = set(excluded.lower().split())
    if excluded_words <= VOCAL_WORDS and set(re.findall(r"[a-z]+", descriptor.lower())) & VOCAL_WORDS:
        return not descriptor.lower().startswith(("no ", "without ", "instrumental"))
    return excluded_words <= set(descriptor.lower().split()) and not descriptor.lower().startswith(("no ", "without "))


@dataclass
class Episode:
    messages: list[str] = field(default_factory=list)
    success_turn: int | None = None
    success5_turn: int | None = None
    violations: int = 0
    holds_target: list[bool] = field(default_factory=list)  # the list at turn k holds the target


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


def simulate(recommender: Recommender, baseline: TfidfBaseline, target: Track, rng: random.Random,
             ) -> tuple[Episode, Episode]:
    tracks = recommender.searcher.tracks
    ours, naive = Episode(), Episode()
    conversation = Conversation(recommender)
    remaining = list(dict.fromkeys(target.descriptors))
    rng.shuffle(remaining)
    excluded: list[str] = []
    previous: list[str] = []
    for turn in range(1, MAX_TURNS + 1):
        if turn == 1 or not previous:
            if len(remaining) >= 2:
                a, b = remaining.pop(), remaining.pop()
                message = rng.choice(FIRST_TEMPLATES).format(a=hint(a, rng), b=hint(b, rng))
            else:
                message = rng.choice(ADD_TEMPLATES).format(a=hint(remaining.pop() if remaining else target.descriptors[0], rng))
        elif target.id in previous:
            # The listener sees the song they were after: they say so, and the list should keep it.
            message = rng.choice(LIKE_TEMPLATES).format(k=previous.index(target.id) + 1)
        else:
            options = ["add"] if remaining else []
            target_set = set(target.descriptors)
            best_rank, best_overlap = 0, 0.0
            for rank, track_id in enumerate(previous, 1):
                shared = len(target_set & set(tracks[track_id].descriptors)) / max(len(target_set), 1)
                if shared > best_overlap:
                    best_rank, best_overlap = rank, shared
            if best_overlap >= 0.5:
                options.append("more_like")
            candidates = [
                d for track_id in previous for d in tracks[track_id].descriptors
                if not any(rules_out(d, own) for own in target.descriptors) and d not in excluded
            ]
            if candidates:
                options.append("exclude")
            action = rng.choice(options) if options else "add"
            if action == "more_like":
                message = rng.choice(MORE_LIKE_TEMPLATES).format(k=best_rank)
            elif action == "exclude":
                choice = rng.choice(sorted(set(candidates)))
                excluded.append(choice)
                message = rng.choice(EXCLUDE_TEMPLATES).format(a=choice)
            else:
                message = rng.choice(ADD_TEMPLATES).format(a=hint(remaining.pop(), rng))
        ours.messages.append(message)
        result = conversation.say(message)
        previous = [view.track.id for view in result.results]
        for view in result.results:
            broken = [(e, d) for e in excluded for d in view.track.descriptors if rules_out(e, d)]
            if broken:
                ours.violations += 1
                print(f"violation: {message!r} excluded {excluded} but {view.track.id} has {broken}", file=sys.stderr)
        ours.holds_target.append(target.id in previous)
        if ours.success_turn is None and target.id in previous:
            ours.success_turn = turn
        if ours.success5_turn is None and target.id in previous[:5]:
            ours.success5_turn = turn
        ranked = baseline.rank(" ".join(ours.messages), 10)
        naive.holds_target.append(target.id in ranked)
        if naive.success_turn is None and target.id in ranked:
            naive.success_turn = turn
        if naive.success5_turn is None and target.id in ranked[:5]:
            naive.success5_turn = turn
        for track_id in ranked:
            if any(rules_out(e, d) for e in excluded for d in tracks[track_id].descriptors):
                naive.violations += 1
    return ours, naive


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
        episode, baseline_episode = simulate(recommender, baseline, target, random.Random(f"{args.seed}-{index}"))
        ours.append(episode)
        naive.append(baseline_episode)
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
