"""Faults: kill -9 while the interaction log is written or an index is built, two writers on one
log, indexing while the app serves. Nothing acknowledged is lost and nothing is duplicated."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from retriever import read_interactions
from tests.reliability.conftest import REPO, index_catalogue, song, tunetalk_process, write_jsonl

# One process appending turns as the chat does; it prints a turn's number only after append()
# returned (written, fsynced): a printed number is an acknowledged turn.
# With a start file, it waits for that file to appear, so that several writers really overlap.
WRITER = """
import itertools, sys, time
from pathlib import Path
from retriever.interactions import InteractionLog, TurnEvent
log = InteractionLog(Path(sys.argv[1]))
name, limit, start = sys.argv[2], int(sys.argv[3]), sys.argv[4]
print("ready", flush=True)
while start and not Path(start).exists():
    time.sleep(0.001)
for number in itertools.count() if limit < 0 else range(limit):
    # ~6 KB a line (a 2,000-character message of 3-byte characters): more than a pipe's atomic write.
    log.append(TurnEvent(session_id=name, message=f"{name} {number} " + "\u266a" * 2000,
                         query_text="calm piano", shown=(("track-a", 0.5), ("track-b", 0.25))))
    print(number, flush=True)
"""


def start_writer(log: Path, name: str, limit: int = -1, start: Path | None = None) -> subprocess.Popen:
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(log), name, str(limit), str(start or "")],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
    return writer


def logged_turns(log: Path) -> dict[str, list[int]]:
    """session -> turn numbers, in file order, of every complete record."""
    turns: dict[str, list[int]] = {}
    for record in read_interactions(log):
        name, number = record.message.split(" ")[:2]
        assert record.session_id == name and record.shown == (("track-a", 0.5), ("track-b", 0.25))
        turns.setdefault(name, []).append(int(number))
    return turns


def _is_record(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def test_kill_9_while_logging_keeps_every_acknowledged_turn(tmp_path: Path) -> None:
    log = tmp_path / "interactions.jsonl"
    acknowledged: dict[str, list[int]] = {}
    for round_number, wait_for in enumerate([1, 7, 40, 120]):
        name = f"writer{round_number}"
        writer = start_writer(log, name)
        assert writer.stdout is not None
        acks = [int(writer.stdout.readline()) for _ in range(wait_for)]
        os.kill(writer.pid, signal.SIGKILL)  # mid-stream: likely inside append()
        writer.wait(timeout=30)
        acks += [int(line) for line in writer.stdout.read().split()]  # printed before the kill
        acknowledged[name] = acks
        if round_number == 1:
            # What a writer dying inside write() would leave: half a record and no newline.
            with log.open("ab") as handle:
                handle.write(b'{"session_id":"torn","kind":"turn","message":"half a rec')
    assert writer.returncode == -signal.SIGKILL
    turns = logged_turns(log)  # the torn line is skipped; every other line is a complete record
    for name, acks in acknowledged.items():
        assert set(acks) <= set(turns[name]), name  # nothing acknowledged was lost
        assert turns[name] == list(range(len(turns[name])))  # in order, no duplicates, no gaps
    assert "torn" not in turns
    lines = [line for line in log.read_bytes().split(b"\n") if line]
    torn = [line for line in lines if not _is_record(line)]
    assert len(lines) == sum(map(len, turns.values())) + len(torn)
    # The torn line written above, and at most one a kill: SIGKILL can stop the kernel between the pages
    # of a 6 KB write, cutting the record being written, never an acknowledged one (checked above); the
    # next writer starts on a fresh line, so no other record is touched.
    kills = len(acknowledged)
    assert 1 <= len(torn) <= 1 + kills and any(line.startswith(b'{"session_id":"torn"') for line in torn), torn
    assert log.stat().st_mode & 0o777 == 0o600


def test_two_processes_writing_one_log_lose_nothing(tmp_path: Path) -> None:
    log = tmp_path / "interactions.jsonl"
    per_writer = 300
    start = tmp_path / "start"
    writers = [start_writer(log, f"w{i}", per_writer, start) for i in range(3)]
    start.touch()
    for writer in writers:
        out, _ = writer.communicate(timeout=180)
        assert writer.returncode == 0 and len(out.split()) == per_writer
    turns = logged_turns(log)
    assert {name: numbers for name, numbers in turns.items()} == {
        f"w{i}": list(range(per_writer)) for i in range(3)
    }
    raw_lines = log.read_bytes().splitlines()
    assert len(raw_lines) == 3 * per_writer and all(
        json.loads(line) for line in raw_lines
    )  # no torn or mixed line
    interleaved = [json.loads(line)["session_id"] for line in raw_lines]
    assert len({tuple(interleaved[i : i + 2]) for i in range(len(interleaved) - 1)}) > 3, (
        "the writers did overlap"
    )


# --- processes that load an encoder (the tiny one; torch import makes each start take seconds) ---------


def read_stderr_until(process: subprocess.Popen, pattern: str, timeout: float) -> re.Match:
    """Read a child's stderr (a tqdm bar rewrites one line with \\r) until `pattern` matches."""
    assert process.stderr is not None
    buffer = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stderr], [], [], 0.05)
        if ready:
            chunk = os.read(process.stderr.fileno(), 65536)
            if not chunk:
                break
            buffer += chunk
            match = re.search(pattern.encode(), buffer)
            if match:
                return match
    process.kill()
    raise AssertionError(f"{pattern!r} not seen on stderr: {buffer[-2000:]!r}")


@pytest.mark.e2e
def test_kill_9_during_tunetalk_index_then_rerun(tmp_path: Path, tiny_encoder_dir: Path) -> None:
    total = 2500  # two chunks of at most 2048: the kill lands after the first is stored
    catalogue = write_jsonl(
        tmp_path / "songs.jsonl",
        [song(f"t{i:05d}", "jazz", f"mood {i % 97}", f"tempo {i % 13}") for i in range(total)],
    )
    args = (
        "index",
        catalogue,
        "--format",
        "jsonl",
        "--index-dir",
        tmp_path / "idx",
        "--encoder",
        tiny_encoder_dir,
    )
    first = tunetalk_process(*args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    read_stderr_until(first, rf"\b(2048)/{total}\b", timeout=240)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL, "the first run finished before it could be killed"

    rerun = subprocess.run(
        [sys.executable, "-m", "tunetalk.cli", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        timeout=240,
    )
    assert rerun.returncode == 0, rerun.stderr
    done = re.search(r"indexed (\d+) tracks \((\d+) already there", rerun.stdout)
    assert done, rerun.stdout
    written, already = int(done[1]), int(done[2])
    assert already >= 2048 and written + already == total

    from retriever import TrackStore, load_catalog, load_encoder

    store = TrackStore.open(
        load_encoder(str(tiny_encoder_dir), device="cpu").info, index_dir=tmp_path / "idx"
    )
    page = store.collection.get(include=["documents"])
    assert store.count() == len(page["ids"]) == len(set(page["ids"])) == total  # complete, no duplicates
    expected = {t.id: t.document for t in load_catalog(catalogue, "jsonl").tracks}
    assert dict(zip(page["ids"], page["documents"])) == expected


@pytest.mark.e2e
def test_kill_9_during_tunetalk_ask_keeps_every_answered_turn(tmp_path: Path, tiny_encoder_dir: Path) -> None:
    catalogue = write_jsonl(tmp_path / "songs.jsonl", [song(f"s{i}", "jazz", f"mood {i}") for i in range(60)])
    index_catalogue(catalogue, tmp_path / "idx", tiny_encoder_dir)
    log = tmp_path / "log" / "interactions.jsonl"
    env = {**os.environ, "TUNETALK_LOG": str(log), "PYTHONUNBUFFERED": "1"}
    messages = [f"jazz mood {i}" for i in range(1000)]
    chat = tunetalk_process(
        "ask",
        "--index-dir",
        tmp_path / "idx",
        "--json",
        "-k",
        "1",
        *messages,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert chat.stdout is not None
    answered = [json.loads(chat.stdout.readline()) for _ in range(5)]  # a turn printed is a turn acknowledged
    chat.send_signal(signal.SIGKILL)
    chat.wait(timeout=30)
    answered += [json.loads(line) for line in chat.stdout.read().splitlines() if line.strip()]
    assert chat.returncode == -signal.SIGKILL and len(answered) < len(messages)
    logged = [record.message for record in read_interactions(log)]
    assert [turn["message"] for turn in answered] == logged[: len(answered)]
    assert logged == messages[: len(logged)]  # readable, in order, nothing invented
    assert log.stat().st_mode & 0o777 == 0o600


def reply_text(history: list) -> str:
    content = history[-1]["content"]
    return content if isinstance(content, str) else " ".join(part.get("text", "") for part in content)


@pytest.mark.e2e
def test_indexing_while_the_app_serves(tmp_path: Path, hashing_encoder, tiny_encoder_dir: Path) -> None:  # noqa: ANN001
    from gradio_client import Client

    from chatbot import Recommender
    from chatbot.app import launch
    from retriever import (
        BUILTIN_CATALOGUE,
        HybridSearcher,
        TrackStore,
        index_tracks,
        load_catalog,
        load_vocabulary,
    )

    index_dir = tmp_path / "idx"
    store = TrackStore.open(hashing_encoder.info, index_dir=index_dir, create=True)
    index_tracks(
        load_catalog(BUILTIN_CATALOGUE, "jsonl").tracks[:300], store, hashing_encoder, show_progress_bar=False
    )
    recommender = Recommender(HybridSearcher(store, hashing_encoder), load_vocabulary())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    demo = launch(recommender, port=port, prevent_thread_lock=True)
    try:
        incoming = write_jsonl(
            tmp_path / "incoming.jsonl", [song(f"n{i:05d}", "rock", f"mood {i}") for i in range(800)]
        )
        indexer = tunetalk_process(
            "index",
            incoming,
            "--format",
            "jsonl",
            "--index-dir",
            index_dir,
            "--collection",
            "incoming",
            "--encoder",
            tiny_encoder_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        replies, errors = [], []

        def chat() -> None:
            history: list = []
            while indexer.poll() is None or len(replies) < 5:
                try:
                    result = client.predict("calm piano music", history, api_name="/chat")
                    replies.append(reply_text(result[0]))
                    history = result[0][-4:]
                except Exception as error:  # noqa: BLE001 - collected and asserted on below
                    errors.append(repr(error))
                    return

        talker = threading.Thread(target=chat)
        talker.start()
        out, err = indexer.communicate(timeout=300)
        talker.join(timeout=120)
        assert indexer.returncode == 0, err
        assert "indexed 800 tracks" in out
        assert not errors, errors
        assert len(replies) >= 5 and all(
            re.search(r"\b\d+ songs\b|no songs|You've seen every song", reply) for reply in replies
        )
        assert store.count() == 300  # the served collection is untouched
        after = Client(f"http://127.0.0.1:{port}/", verbose=False).predict(
            "happy reggae", [], api_name="/chat"
        )
        assert re.search(r"\b\d+ songs\b", reply_text(after[0]))
    finally:
        demo.close()
    from retriever import load_encoder

    incoming_store = TrackStore.open(
        load_encoder(str(tiny_encoder_dir), device="cpu").info, index_dir=index_dir, collection="incoming"
    )
    assert incoming_store.count() == 800


def file_hashes(folder: Path) -> dict[str, str]:
    """relative path -> sha256 of every file under folder."""
    import hashlib

    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def index_contents(index_dir: Path) -> tuple[dict[str, str], list[str]]:
    """What a Chroma index holds: the hash of every file but chroma.sqlite3, and that database's rows.

    The database is compared by content, not bytes: every process that opens a Chroma index
    (`tunetalk train` reads which encoder built it) adds a row to its `acquire_write` table.
    """
    import sqlite3

    files = {name: digest for name, digest in file_hashes(index_dir).items() if name != "chroma.sqlite3"}
    database = sqlite3.connect(f"file:{index_dir / 'chroma.sqlite3'}?mode=ro", uri=True)
    try:
        rows = [line for line in database.iterdump() if '"acquire_write"' not in line]
    finally:
        database.close()
    return files, rows


def collection_ids(index_dir: Path, encoder_dir: Path) -> list[str]:
    from retriever import TrackStore, load_encoder

    store = TrackStore.open(load_encoder(str(encoder_dir), device="cpu").info, index_dir=index_dir)
    ids = sorted(store.collection.get(include=[])["ids"])
    assert store.count() == len(ids)
    return ids


def manifest_stages(run_dir: Path) -> dict:
    """The stages `manifest.json` records (it must always be valid JSON: it is replaced atomically)."""
    path = run_dir / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8"))["stages"] if path.is_file() else {}


def half_written(run_dir: Path) -> list[str]:
    """Temporary names an interrupted write would leave (artifacts are written beside, then renamed)."""
    return [
        str(path.relative_to(run_dir))
        for path in run_dir.rglob("*")
        if path.name.endswith((".tmp", ".partial", ".part")) or path.name.startswith(("tmp", ".tmp"))
    ]


@pytest.mark.e2e
def test_kill_9_during_tunetalk_train_resumes_from_the_last_stage(
    tmp_path: Path, tiny_encoder_dir: Path
) -> None:
    """kill -9 while `tunetalk train` trains its teacher (after queries and candidates are recorded),
    then the same command again: the finished stages are skipped by the manifest, the rest runs,
    and the live index is not touched until the deploy switches ACTIVE."""
    from gpl import simulate_sessions
    from retriever import InteractionLog, resolve_index_dir
    from tests.conftest import small_tracks
    from tunetalk.cli import main

    tracks = small_tracks()
    catalogue = write_jsonl(
        tmp_path / "songs.jsonl",
        [
            {"id": t.id, "title": t.title, "artist": t.artist, "descriptors": list(t.descriptors)}
            for t in tracks
        ],
    )
    log = InteractionLog(tmp_path / "interactions.jsonl")
    for record in simulate_sessions(tracks, num_sessions=40, seed=0):
        log.append(record)
    index_dir = tmp_path / "idx"
    assert main(["index", str(catalogue), "--format", "jsonl", "--index-dir", str(index_dir),
                 "--encoder", str(tiny_encoder_dir)]) == 0
    ids_before = collection_ids(index_dir, tiny_encoder_dir)
    assert len(ids_before) == len(tracks)
    contents_before = index_contents(index_dir)

    run_dir = tmp_path / "runs" / "kill"
    train = (
        "train", catalogue, "--log", log.path, "--index-dir", index_dir,  # no --encoder: read from the index
        "--runs-dir", run_dir.parent, "--run-name", run_dir.name,
        "--max-queries", "40", "--teacher-queries", "12", "--teacher-batch-size", "8",
        "--max-steps", "4", "--batch-size", "4", "--heldout-fraction", "0.3",
        "--no-gate-benchmark", "--min-improvement", "-1", "--max-drop", "1",  # the gate accepts
        "--num-threads", "1", "--no-progress",
    )  # fmt: skip
    first = tunetalk_process(*train, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while "candidates" not in manifest_stages(run_dir):  # then the teacher (MiniLM) loads and trains: seconds
        assert first.poll() is None, f"tunetalk train exited with {first.returncode} before it was killed"
        assert time.monotonic() < deadline, "the candidates stage was never recorded"
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL

    finished = manifest_stages(run_dir)  # valid JSON, whole records only
    assert set(finished) == {"queries", "candidates"}, sorted(finished)
    assert not half_written(run_dir)
    for stage in finished.values():  # each recorded artifact is complete: it hashes as recorded
        for relative, digest in stage["outputs"].items():
            assert file_hashes(run_dir)[relative] == digest
    assert not (run_dir / "teacher").exists() and not (index_dir / "ACTIVE").exists()
    assert not (index_dir / "generations").exists()
    assert index_contents(index_dir) == contents_before  # the live index was not written to
    assert collection_ids(index_dir, tiny_encoder_dir) == ids_before

    rerun = subprocess.run(
        [sys.executable, "-m", "tunetalk.cli", *map(str, train)],
        capture_output=True, text=True, check=False, cwd=REPO, timeout=240,
    )  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr  # the gate is set to accept (1: refused, 2: an error)
    outcome = dict(re.findall(r"^  (\w+) +(ran|skipped \(manifest matches\))", rerun.stdout, re.MULTILINE))
    assert outcome == {
        "queries": "skipped (manifest matches)",
        "candidates": "skipped (manifest matches)",
        "teacher": "ran",
        "triplets": "ran",
        "labels": "ran",
        "train": "ran",
        "gate": "ran",
        "fusion": "ran",
        "deploy": "ran",
    }, rerun.stdout
    assert "stage queries: up to date (manifest matches), skipped" in rerun.stderr
    recorded = manifest_stages(run_dir)
    assert {name: recorded[name] for name in finished} == finished  # the skipped stages' records are kept
    assert set(recorded) == set(outcome)
    assert not half_written(run_dir)
    assert "gate: accepted" in rerun.stdout
    live = resolve_index_dir(index_dir)
    assert live != index_dir and (index_dir / "ACTIVE").is_file()  # switched, in one os.replace
    files, rows = index_contents(index_dir)
    old_files = {name: h for name, h in files.items() if not name.startswith(("generations/", "ACTIVE"))}
    assert (old_files, rows) == contents_before  # the old generation's files and rows are as they were
    assert collection_ids(index_dir, tiny_encoder_dir) == ids_before  # the old generation stays as it was
