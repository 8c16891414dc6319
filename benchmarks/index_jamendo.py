"""Index MTG-Jamendo (55,525 tracks) embedded and through a `chroma run` server: tracks/s,
where the time goes (encoding vs Chroma writes), peak memory, index size on disk.

Each configuration runs in its own child process, so its peak RSS is its own. A baseline
(the previous pipeline: file order, every document encoded, 1,000-record writes of Python
lists, no overlap) and the current one index the same subset in the same run, so their
ratio holds on a busy machine. CPU seconds are reported next to wall seconds for the same
reason: on a shared 2-core machine the wall clock also measures the neighbours.

    .venv/bin/python benchmarks/index_jamendo.py                       # everything, about 15-30 min
    .venv/bin/python benchmarks/index_jamendo.py --limit 5000 --baseline-limit 2000   # a quick look
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's code, not another's install
sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_common as common  # noqa: E402


class Timed:
    """Adds up the seconds spent inside one method of an object (called from any thread)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0
        self._lock = threading.Lock()

    def wrap(self, function):  # noqa: ANN001, ANN201
        def timed(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                with self._lock:
                    self.seconds += time.perf_counter() - started
                    self.calls += 1

        return timed


def index_previous_way(tracks: list, store, encoder) -> None:  # noqa: ANN001
    """The pipeline before this benchmark: file order, no de-duplication, list writes of 1,000, no overlap."""
    for start in range(0, len(tracks), 2048):
        chunk = tracks[start : start + 2048]
        vectors = encoder.encode([t.document for t in chunk], batch_size=128, show_progress_bar=False)
        for offset in range(0, len(chunk), 1000):
            batch = chunk[offset : offset + 1000]
            store.collection.upsert(
                ids=[t.id for t in batch],
                embeddings=vectors[offset : offset + 1000].tolist(),
                metadatas=[store_metadata(t) for t in batch],
                documents=[t.document for t in batch],
            )


def store_metadata(track) -> dict:  # noqa: ANN001
    from retriever.store import _track_metadata

    return _track_metadata(track)


def child(args: argparse.Namespace) -> None:
    """One indexing run; prints one JSON line with its measurements."""
    import os

    from retriever import TrackStore, index_tracks

    started = time.perf_counter()
    tracks = common.load_jamendo(args.limit, is_spread=args.pipeline == "previous" or args.is_spread)
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    encoder = common.load_backend(args.backend)
    encoder.encode(["warm up"])
    model_seconds = time.perf_counter() - started
    index_dir = Path(args.index_dir) if args.index_dir else None
    store = TrackStore.open(encoder.info, index_dir=index_dir, chroma_url=args.chroma_url, create=True)
    encode_timer, write_timer = Timed(), Timed()
    encoder.encode = encode_timer.wrap(encoder.encode)  # type: ignore[method-assign]
    store.collection.upsert = write_timer.wrap(store.collection.upsert)
    cpu_before = os.times()
    started = time.perf_counter()
    if args.pipeline == "previous":
        index_previous_way(tracks, store, encoder)
    else:
        index_tracks(tracks, store, encoder, show_progress_bar=False)
    wall = time.perf_counter() - started
    cpu_after = os.times()
    cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    print(json.dumps({
        "tracks": len(tracks), "distinct_documents": len({t.document for t in tracks}), "stored": store.count(),
        "wall_s": wall, "cpu_s": cpu, "encode_s": encode_timer.seconds, "write_s": write_timer.seconds,
        "load_catalogue_s": load_seconds, "load_model_s": model_seconds, "peak_rss_mib": common.peak_rss_mib(),
    }), flush=True)


def run_child(mode: str, backend: str, pipeline: str, limit: int | None, timeout_s: float, *,
              is_spread: bool = False) -> dict:
    """Index in a child process, embedded (a temp dir) or through a fresh `chroma run` server."""
    with tempfile.TemporaryDirectory(prefix=f"bench-index-{mode}-") as tmp:
        data = Path(tmp) / "chroma"
        command = [sys.executable, __file__, "--child", "--backend", backend, "--pipeline", pipeline]
        if is_spread:
            command.append("--is-spread")
        if limit:
            command += ["--limit", str(limit)]
        load = common.load_average()
        if mode == "embedded":
            result = _run(command + ["--index-dir", str(data)], timeout_s)
            result["server_peak_rss_mib"] = None
        else:
            with common.chroma_server(data) as (url, server):
                result = _run(command + ["--chroma-url", url], timeout_s)
                result["server_peak_rss_mib"] = common.process_peak_rss_mib(server.pid)
        result["size_mib"] = common.dir_size_mib(data) if data.exists() else float("nan")
        result["load_before"] = load
        result["load_after"] = common.load_average()
        return result


def _run(command: list[str], timeout_s: float) -> dict:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return {"error": f"over {timeout_s:.0f}s"}
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def row(label: str, mode: str, backend: str, result: dict) -> list:
    if "error" in result:
        return [label, mode, backend, result["error"]] + [""] * 8
    rate = result["tracks"] / result["wall_s"]
    server_rss = result["server_peak_rss_mib"]
    return [
        label, mode, backend, f"{result['tracks']:,} ({result['distinct_documents']:,} distinct)",
        f"**{rate:.0f}**", f"{result['wall_s']:.0f} / {result['cpu_s']:.0f}",
        f"{result['encode_s']:.0f}", f"{result['write_s']:.0f}",
        f"{result['peak_rss_mib']:.0f}" + (f" + server {server_rss:.0f}" if server_rss else ""),
        f"{result['size_mib']:.0f}", f"{result['load_model_s']:.1f}", f"{result['load_before']} → {result['load_after']}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", default="embedded,server")
    parser.add_argument("--backends", default="onnx,torch", help="encoder backends for the full runs")
    parser.add_argument("--limit", type=int, default=None, help="index only the first N tracks (default: all)")
    parser.add_argument("--baseline-limit", type=int, default=4000, help="subset for previous-vs-current (0: skip)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds allowed per run")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--backend", default="torch", help=argparse.SUPPRESS)
    parser.add_argument("--pipeline", default="current", help=argparse.SUPPRESS)
    parser.add_argument("--index-dir", help=argparse.SUPPRESS)
    parser.add_argument("--chroma-url", help=argparse.SUPPRESS)
    parser.add_argument("--is-spread", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    modes = [m for m in args.modes.split(",") if m]
    backends = [b for b in args.backends.split(",") if b]
    print(f"machine: {common.machine()}; load average (1/5 min) at start {common.load_average()}", file=sys.stderr)
    rows = []
    if args.baseline_limit:
        for pipeline in ("previous", "current"):
            result = run_child("embedded", "torch", pipeline, args.baseline_limit, args.timeout, is_spread=True)
            rows.append(row(f"{pipeline} pipeline", "embedded", "torch", result))
            print(rows[-1], file=sys.stderr)
    for backend in backends:
        for mode in modes:
            result = run_child(mode, backend, "current", args.limit, args.timeout)
            rows.append(row("current pipeline", mode, backend, result))
            print(rows[-1], file=sys.stderr)
    print(f"\nIndexing MTG-Jamendo (split 0, train+validation+test) with all-MiniLM-L6-v2 on {common.machine()}\n")
    print(common.table(
        ["pipeline", "store", "encoder", "tracks", "tracks/s", "wall / CPU s", "encode s", "Chroma write s",
         "peak RSS MiB", "on disk MiB", "model load s", "load avg before → after"],
        rows,
    ))
    print("\nencode s and Chroma write s overlap in the current pipeline (writes run in a background thread);"
          " model load is excluded from tracks/s.")


if __name__ == "__main__":
    main()
