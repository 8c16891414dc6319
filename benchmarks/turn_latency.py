"""Chat-turn latency in process at 5k and 55k MTG-Jamendo tracks, split into its steps.

Each turn is `take_turn(recommender, state, message)`, the function behind the app's /chat.
Its time is split into parsing (`TurnParser.parse`, which may encode paraphrases), query
encoding, the dense Chroma query, lexical scoring, fusion, and the rest (state update,
re-ranking, reply). The floor is what any dense turn costs at least: one query encoding
plus one Chroma query, measured on the same messages. Model load and index build are
excluded; the searcher's start-up (reading the catalogue back from Chroma and building the
lexical index) is reported on its own.

The indexes are built once (with the ONNX encoder, whose vectors equal torch's) and kept
under $TUNETALK_HOME/bench/, so a second run starts at once.

    .venv/bin/python benchmarks/turn_latency.py                         # 5k and 55k, embedded and server
    .venv/bin/python benchmarks/turn_latency.py --sizes 5000 --modes embedded --repeats 1
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's code, not another's install
sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_common as common  # noqa: E402

class TimedSearcher:
    """The searcher as the chat sees it, keeping the step timings of the latest search."""

    def __init__(self, searcher) -> None:  # noqa: ANN001
        self.searcher = searcher
        self.tracks = searcher.tracks
        self.encoder = searcher.encoder
        self.timings = None

    def search(self, query):  # noqa: ANN001, ANN201
        from retriever import SearchTimings

        self.timings = SearchTimings()
        return self.searcher.search(query, timings=self.timings)


def measure(store, encoder, repeats: int) -> dict:  # noqa: ANN001
    """Run every conversation `repeats` times; per-step seconds of each searched turn, and the floor."""
    from chatbot import DialogueState, Recommender, take_turn
    from retriever import HybridSearcher, load_vocabulary

    started = time.perf_counter()
    searcher = TimedSearcher(HybridSearcher(store, encoder))
    recommender = Recommender(searcher, load_vocabulary())
    startup = time.perf_counter() - started
    parse_seconds: list[float] = []
    original_parse = recommender.parser.parse

    def timed_parse(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        begun = time.perf_counter()
        try:
            return original_parse(*args, **kwargs)
        finally:
            parse_seconds.append(time.perf_counter() - begun)

    recommender.parser.parse = timed_parse  # type: ignore[method-assign]
    steps: dict[str, list[float]] = {k: [] for k in ("total", "parse", "encode", "dense", "lexical", "fusion", "other")}
    for conversation in common.CONVERSATIONS[:2]:  # warm-up: caches, first-call allocations
        state = DialogueState()
        for message in conversation:
            state, _ = take_turn(recommender, state, message)
    for _ in range(repeats):
        for conversation in common.CONVERSATIONS:
            state = DialogueState()
            for message in conversation:
                searcher.timings = None  # set again by a turn that searches
                parse_seconds.clear()
                begun = time.perf_counter()
                state, _ = take_turn(recommender, state, message)
                total = time.perf_counter() - begun
                timings = searcher.timings
                if timings is None:
                    continue  # e.g. "start over": no search, not a retrieval turn
                parse = sum(parse_seconds)
                searched = timings.encode + timings.dense + timings.lexical + timings.fusion
                for key, value in (("total", total), ("parse", parse), ("encode", timings.encode),
                                   ("dense", timings.dense), ("lexical", timings.lexical),
                                   ("fusion", timings.fusion), ("other", total - parse - searched)):
                    steps[key].append(value)
    floor: list[float] = []
    for conversation in common.CONVERSATIONS * repeats:
        begun = time.perf_counter()
        vector = encoder.encode([conversation[0]])[0]
        store.query(vector, 100)
        floor.append(time.perf_counter() - begun)
    return {"steps": steps, "floor": floor, "startup": startup, "tracks": len(searcher.tracks)}


def cell(values: list[float]) -> str:
    return f"{1000 * common.percentile(values, 50):.1f} / {1000 * common.percentile(values, 95):.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="5000,55525")
    parser.add_argument("--modes", default="embedded,snapshot,server")
    parser.add_argument("--backends", default="torch,onnx", help="query encoder backends")
    parser.add_argument("--repeats", type=int, default=3, help="times each of the 8 four-turn conversations runs")
    args = parser.parse_args()

    print(f"machine: {common.machine()}; load average at start {common.load_average()}", file=sys.stderr)
    encoders = {backend: common.load_backend(backend) for backend in args.backends.split(",") if backend}
    rows = []
    for size in (int(s) for s in args.sizes.split(",") if s):
        index_dir = common.ensure_index(size)
        for mode in (m for m in args.modes.split(",") if m):
            with common.store_location(index_dir, mode) as location:
                for backend, encoder in encoders.items():
                    store = common.open_store(encoder, location)
                    load = common.load_average()
                    result = measure(store, encoder, args.repeats)
                    steps = result["steps"]
                    rows.append([
                        f"{result['tracks']:,}", mode, backend, len(steps["total"]), f"**{cell(steps['total'])}**",
                        cell(steps["parse"]), cell(steps["encode"]), cell(steps["dense"]), cell(steps["lexical"]),
                        cell(steps["fusion"]), cell(steps["other"]), cell(result["floor"]),
                        f"{result['startup']:.1f}", load,
                    ])
                    print(rows[-1], file=sys.stderr)
    print(f"\nChat-turn latency in process, ms p50 / p95, on {common.machine()}\n")
    print(common.table(
        ["tracks", "store", "encoder", "turns", "turn", "parse", "encode", "dense (Chroma)", "lexical", "fusion",
         "other", "floor: encode + 1 query", "searcher start-up s", "load avg"],
        rows,
    ))
    print("\nturn = take_turn; other = state update, re-ranking and reply text. Target: p95 turn <= 50 ms.")


if __name__ == "__main__":
    main()
