"""Index all of spotify_songs.csv (`--format spotify`, 28k tracks) into a temp dir, then time chat turns on it.

Reports the catalogue load, the indexing rate (tracks/s, wall and CPU seconds: on a shared
machine the wall clock also measures the neighbours), and the p50/p95 latency of ~30 in-process
`Conversation.say` turns on that index (the searcher's start-up is reported on its own).

    nice -n 10 .venv/bin/python benchmarks/index_spotify.py                 # a few minutes on 2 cores
    .venv/bin/python benchmarks/index_spotify.py --limit 2000 --backend torch   # a quick look
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's code, not another's install
sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_common as common  # noqa: E402

SONGS = common.REPO.parent / "shared" / "data" / "spotify-songs" / "spotify_songs.csv"
# Three-turn conversations in the words this catalogue's descriptors use (10 x 3 = 30 turns).
CONVERSATIONS = [
    ["sad acoustic songs from the 2000s", "more danceable", "no rap"],
    ["high energy rock for the gym", "faster", "more like #2"],
    ["calm instrumental music to study", "slower", "something happier"],
    ["happy latin pop", "more danceable", "from the 90s"],
    ["gangsta rap from the 90s", "less aggressive", "more like the first one"],
    ["neo soul, slow tempo", "more acoustic", "happier"],
    ["edm for a party", "high energy", "no vocals"],
    ["80s new wave", "more upbeat", "something like #3"],
    ["live recordings of classic rock", "calmer", "from the 1970s"],
    ["reggaeton", "sad", "more danceable"],
]


def cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default="onnx", choices=common.BACKENDS)
    parser.add_argument("--limit", type=int, default=None, help="index only the first N tracks")
    parser.add_argument("--index-dir", type=Path, default=None, help="keep the index here (default: a temp dir)")
    args = parser.parse_args()
    if not SONGS.is_file():
        raise SystemExit(f"{SONGS} not found (../shared/data beside the clone)")
    from chatbot import Conversation, Recommender
    from retriever import HybridSearcher, TrackStore, index_tracks, load_catalog, load_vocabulary

    print(f"machine: {common.machine()}; load average at start {common.load_average()}", file=sys.stderr)
    started, cpu = time.perf_counter(), cpu_seconds()
    result = load_catalog(SONGS, "spotify")
    tracks = result.tracks[: args.limit] if args.limit else result.tracks
    load_row = ["load catalogue", f"{len(tracks):,} tracks ({result.summary()})",
                f"{time.perf_counter() - started:.1f}", f"{cpu_seconds() - cpu:.1f}", ""]
    started = time.perf_counter()
    encoder = common.load_backend(args.backend)
    encoder.encode(["warm up"])
    model_row = [f"load encoder ({args.backend})", "", f"{time.perf_counter() - started:.1f}", "", ""]
    with tempfile.TemporaryDirectory(prefix="bench-spotify-") as tmp:
        index_dir = args.index_dir or Path(tmp) / "idx"
        store = TrackStore.open(encoder.info, index_dir=index_dir, create=True)
        started, cpu = time.perf_counter(), cpu_seconds()
        report = index_tracks(tracks, store, encoder, show_progress_bar=False)
        wall, used = time.perf_counter() - started, cpu_seconds() - cpu
        index_row = ["index", f"{report.written:,} written, {store.count():,} stored", f"{wall:.1f}", f"{used:.1f}",
                     f"**{report.written / wall:.0f} tracks/s**"]
        print(index_row, file=sys.stderr)

        started = time.perf_counter()
        recommender = Recommender(HybridSearcher(store, encoder), load_vocabulary())
        startup = time.perf_counter() - started
        latencies: list[float] = []
        empty = 0
        for messages in CONVERSATIONS:
            conversation = Conversation(recommender)
            for message in messages:
                begun = time.perf_counter()
                turn = conversation.say(message, k=10)
                latencies.append(time.perf_counter() - begun)
                empty += not turn.results
        first = Conversation(recommender).say(CONVERSATIONS[0][0], k=5)
    print(f"\nIndexing spotify_songs.csv (`--format spotify`) with all-MiniLM-L6-v2 ({args.backend}) on "
          f"{common.machine()}; load average after {common.load_average()}\n")
    print(common.table(["step", "what", "wall s", "CPU s", "rate"], [load_row, model_row, index_row]))
    ms = [1000 * s for s in latencies]
    print(f"\nChat turns on that index: searcher start-up {startup:.1f} s; {len(ms)} turns in process: "
          f"p50 {common.percentile(ms, 50):.0f} ms, p95 {common.percentile(ms, 95):.0f} ms, "
          f"max {max(ms):.0f} ms; {empty} turns without results.")
    print(f"\n'{CONVERSATIONS[0][0]}' ->")
    for view in first.results:
        t = view.track
        print(f"- {t.title} — {t.artist} ({t.year}): valence {t.metadata.get('valence')}, "
              f"acousticness {t.metadata.get('acousticness')}; {', '.join(t.descriptors)}")


if __name__ == "__main__":
    main()
