"""Run a local Chroma server (``chroma run``) for a data directory: for tests, benchmarks, trials.

A deployment runs its Chroma server as a service and points ``tunetalk --chroma-url`` at it;
this helper starts the ``chroma`` command that the chromadb package installs, on loopback and a
free port, waits until it answers, and stops it on exit, so the server path can be exercised
without a service manager.

Example:
    >>> with chroma_server(Path("/tmp/chroma-data")) as server:
    ...     TrackStore.open(info, chroma_url=server.url, create=True)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from retriever.store import StoreError

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class ChromaServer:
    """A running ``chroma run``: its URL, its process, and the file its output goes to."""

    url: str
    process: subprocess.Popen
    log: Path


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def chroma_command() -> str:
    """The ``chroma`` CLI of the chromadb package in this interpreter's environment.

    Raises:
        StoreError: there is none.
    """
    beside = Path(sys.executable).parent / "chroma"
    found = str(beside) if beside.is_file() else shutil.which("chroma")
    if found is None:
        raise StoreError("no `chroma` command: install the project (pip install -e .), which installs chromadb")
    return found


@contextlib.contextmanager
def chroma_server(
    path: Path, *, log: Path | None = None, start_timeout_s: float = 60.0, stop_timeout_s: float = 30.0
) -> Iterator[ChromaServer]:
    """Start ``chroma run --path PATH`` on loopback and a free port, with telemetry off; stop it on exit.

    Args:
        path: the server's data directory (created by the server if missing).
        log: where its output goes (default: ``<path>-server.log`` beside the directory).
        start_timeout_s: how long to wait for its heartbeat.
        stop_timeout_s: how long to wait after SIGTERM before killing it.

    Raises:
        StoreError: no ``chroma`` command, or the server exited or stayed silent while starting
            (the end of its log is in the message).
    """
    command = chroma_command()
    log = log or path.parent / f"{path.name}-server.log"
    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [command, "run", "--path", str(path), "--host", LOOPBACK, "--port", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        _wait_until_up(url, process, log, start_timeout_s)
        yield ChromaServer(url, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=stop_timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=stop_timeout_s)


def _wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise StoreError(f"chroma run exited with {process.returncode} while starting; its log ends: {tail}")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise StoreError(f"chroma run did not answer at {url} within {timeout_s:.0f}s; see {log}")
