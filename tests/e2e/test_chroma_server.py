"""A real `chroma run` server on loopback: index through it with the CLI, ask, compare with embedded.

The server is the `chroma` command that the chromadb package installs beside the Python
interpreter; the test starts it on a free port with its own data directory and stops it
at the end. The catalogue is the first 120 songs of the built-in one, so the whole test
(two index runs and two two-turn conversations with the packaged MiniLM) stays well
under 90 seconds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

TURNS = ["upbeat tropical music with steel drums", "no vocals"]
NUM_SONGS = 120
SERVER_START_TIMEOUT_S = 60.0


@pytest.fixture()
def chroma_server(tmp_path: Path) -> Iterator[str]:
    """`chroma run` on loopback with its own data directory (`retriever.server`); yields its URL."""
    from retriever.server import chroma_server as run_server

    with run_server(tmp_path / "server-data", start_timeout_s=SERVER_START_TIMEOUT_S, stop_timeout_s=20) as server:
        yield server.url


def run_cli(capsys: pytest.CaptureFixture, *args: str) -> str:
    from tunetalk.cli import main

    capsys.readouterr()
    status = main(list(args))
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return captured.out


def ranked_ids(output: str) -> list[list[str]]:
    """Each turn's result ids, in order, from `tunetalk ask --json`."""
    return [[result["id"] for result in json.loads(line)["results"]] for line in output.splitlines() if line.strip()]


def test_server_and_embedded_give_the_same_results(
    tmp_path: Path, chroma_server: str, capsys: pytest.CaptureFixture
) -> None:
    from retriever import BUILTIN_CATALOGUE

    catalogue = tmp_path / "songs.jsonl"
    lines = BUILTIN_CATALOGUE.read_text(encoding="utf-8").splitlines()[:NUM_SONGS]
    catalogue.write_text("\n".join(lines) + "\n", encoding="utf-8")
    embedded_dir = tmp_path / "embedded"

    served = run_cli(capsys, "index", str(catalogue), "--format", "jsonl", "--chroma-url", chroma_server)
    assert f"indexed {NUM_SONGS} tracks" in served and chroma_server in served
    embedded = run_cli(capsys, "index", str(catalogue), "--format", "jsonl", "--index-dir", str(embedded_dir))
    assert f"indexed {NUM_SONGS} tracks" in embedded

    again = run_cli(capsys, "index", str(catalogue), "--format", "jsonl", "--chroma-url", chroma_server)
    assert f"indexed 0 tracks ({NUM_SONGS} already there" in again  # resumable against the server too

    from_server = ranked_ids(run_cli(capsys, "ask", "--chroma-url", chroma_server, "--json", "--no-log", *TURNS))
    from_disk = ranked_ids(run_cli(capsys, "ask", "--index-dir", str(embedded_dir), "--json", "--no-log", *TURNS))
    assert len(from_server) == len(TURNS) and all(len(ids) == 10 for ids in from_server)
    assert from_server == from_disk  # same ids, same order, every turn
    assert from_server[0] != from_server[1]  # the second turn changed the list, in both modes
    assert (tmp_path / "server-data" / "chroma.sqlite3").is_file()  # the server, not a local client, stored it
