"""Shared pieces of the scaling benchmarks: the MTG-Jamendo catalogue, a `chroma run` server,
encoders by backend, machine facts, percentiles and Markdown tables.

Not a benchmark itself; imported by index_jamendo.py, turn_latency.py, concurrent_sessions.py
and encoder_backends.py (each puts this folder on sys.path by being run as a script).
"""

from __future__ import annotations

import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
JAMENDO_DIR = REPO.parent / "shared" / "data" / "mtg-jamendo"
JAMENDO_SPLITS = ("train", "validation", "test")
BACKENDS = ("torch", "onnx", "onnx-int8")

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's code, not another's install

from retriever.server import chroma_server as run_chroma_server  # noqa: E402
from retriever.server import free_port  # noqa: E402, F401  (the benchmarks call common.free_port)


def load_jamendo(limit: int | None = None, *, is_spread: bool = False) -> list:
    """MTG-Jamendo autotagging tracks (train, validation, test of split 0), unique ids, file order.

    With a limit, the first `limit` tracks, or with is_spread=True every n-th track, so the
    subset repeats tag sets about as often as the whole catalogue does.
    """
    from retriever import load_catalog

    if not JAMENDO_DIR.is_dir():
        raise SystemExit(f"MTG-Jamendo not found at {JAMENDO_DIR} (../shared/data beside the clone)")
    tracks: list = []
    seen: set[str] = set()
    for split in JAMENDO_SPLITS:
        for track in load_catalog(JAMENDO_DIR / f"autotagging-split0-{split}.tsv", "jamendo").tracks:
            if track.id not in seen:
                seen.add(track.id)
                tracks.append(track)
    if not limit or limit >= len(tracks):
        return tracks
    return tracks[:: len(tracks) // limit][:limit] if is_spread else tracks[:limit]


# Four-turn conversations in MTG-Jamendo's vocabulary (genre, mood/theme, instrument tags).
CONVERSATIONS = [
    ["upbeat electronic music with synthesizer", "no vocals", "more energetic", "more like #2"],
    ["calm piano music for relaxing", "sad", "no drums", "not the first one"],
    ["rock with electric guitar and drums", "heavier", "no female vocals", "start over"],
    ["ambient soundtrack for a film", "dark", "with strings", "more like #1"],
    ["happy pop song for summer", "with acoustic guitar", "no electronic", "faster"],
    ["jazz with saxophone", "romantic", "less piano", "more like #3"],
    ["classical orchestral music, epic", "no choir", "more dramatic", "slower"],
    ["hip hop beat with bass for a workout", "no rap", "more like #1", "darker"],
]


def ensure_index(size: int) -> Path:
    """A Jamendo index of `size` tracks under $TUNETALK_HOME/bench/, built on first use."""
    from retriever import TrackStore, index_tracks
    from tunetalk import paths

    encoder = load_backend("onnx")
    index_dir = paths.home() / "bench" / f"jamendo-{size}-{encoder.info.weights_sha256[:12]}"
    if (index_dir / "READY").is_file():
        return index_dir
    shutil.rmtree(index_dir, ignore_errors=True)
    tracks = load_jamendo(size, is_spread=True)
    print(f"building the {len(tracks):,}-track index in {index_dir} (first run only)...", file=sys.stderr)
    started = time.perf_counter()
    store = TrackStore.open(encoder.info, index_dir=index_dir, create=True)
    index_tracks(tracks, store, encoder, show_progress_bar=False)
    (index_dir / "READY").write_text(f"{len(tracks)} tracks in {time.perf_counter() - started:.0f}s\n")
    return index_dir


def export_dir() -> Path:
    """Where the benchmarks keep the ONNX exports (not inside site-packages)."""
    from tunetalk import paths

    return paths.home() / "onnx"


def load_backend(backend: str):  # noqa: ANN201 - an Encoder
    """The packaged MiniLM on one backend: torch (sentence-transformers), onnx or onnx-int8 (ONNX Runtime)."""
    from retriever import load_encoder
    from retriever.encoder import load_onnx_encoder

    if backend == "torch":
        return load_encoder(device="cpu")
    if backend in ("onnx", "onnx-int8"):
        return load_onnx_encoder(is_int8=backend == "onnx-int8", export_dir=export_dir())
    raise SystemExit(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")


def machine() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        kib = int(meminfo.read_text().split()[1])
        memory = f", {kib / 2**20:.0f} GiB RAM"
    return f"{os.cpu_count()} cores ({cpu}){memory}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f}/{five:.1f}"


def peak_rss_mib() -> float:
    """This process's peak resident set size."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def process_peak_rss_mib(pid: int) -> float:
    """Another process's peak resident set size (VmHWM), e.g. the Chroma server's."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def dir_size_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else float("nan")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


@contextmanager
def chroma_server(path: Path, *, start_timeout_s: float = 60.0) -> Iterator[tuple[str, subprocess.Popen]]:
    """`chroma run --path PATH` on loopback (`retriever.server`); yields (url, process); stops it."""
    with run_chroma_server(path, start_timeout_s=start_timeout_s) as server:
        yield server.url, server.process


@contextmanager
def store_location(index_dir: Path, mode: str) -> Iterator[dict]:
    """Where an index is read from, for `open_store`: embedded on its directory, its searcher snapshot
    (what `tunetalk ask` and `chat` serve from: exact search, no Chroma), or a `chroma run` server on a
    copy of it (one Chroma process per data directory)."""
    import tempfile

    if mode in ("embedded", "snapshot"):
        yield {"index_dir": index_dir, "snapshot": mode == "snapshot"}
        return
    if mode != "server":
        raise SystemExit(f"unknown mode {mode!r}; choose embedded, snapshot or server")
    with tempfile.TemporaryDirectory(prefix="bench-server-") as tmp:
        copy = Path(tmp) / "chroma"
        shutil.copytree(index_dir, copy)
        with chroma_server(copy) as (url, _):
            yield {"chroma_url": url}


def open_store(encoder, location: dict):  # noqa: ANN001, ANN201 - a TrackStore or FrozenStore
    """The store at a `store_location`: for "snapshot", the index's snapshot (taken first if missing)."""
    from retriever import HybridSearcher, TrackStore
    from retriever.snapshot import SNAPSHOT_FILE, read_current

    options = {key: value for key, value in location.items() if key != "snapshot"}
    store = TrackStore.open(encoder.info, **options)
    if not location.get("snapshot"):
        return store
    path = location["index_dir"] / SNAPSHOT_FILE
    # served exactly here whatever its size, to measure what FROZEN_SEARCH_LIMIT avoids
    snapshot = read_current(path, location["index_dir"], store.collection.name)
    if snapshot is None:
        HybridSearcher(store, encoder, snapshot=path)  # takes the snapshot
        snapshot = read_current(path, location["index_dir"], store.collection.name)
    if snapshot is None:
        raise SystemExit(f"{location['index_dir']}: no write mark, so no snapshot can be trusted; re-index it")
    return snapshot.store(encoder.info, str(location["index_dir"]))
