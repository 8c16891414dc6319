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
from tests.reliability.conftest import REPO, song, tunetalk_process, write_jsonl

# One process appending turns as the chat does; it prints a turn's number only after append()
# returned (written, fsynced): a printed number is an acknowledged turn.
# With a start file, it waits for that file to appear, so that several writers really overlap.
WRITER = """
import itertools, sys, time
from pathlib import Path
from retriever.interactions import Interaction, InteractionLog
log = InteractionLog(Path(sys.argv[1]))
name, limit, start = sys.argv[2], int(sys.argv[3]), sys.argv[4]
print("ready", flush=True)
while start and not Path(start).exists():
    time.sleep(0.001)
for number in itertools.count() if limit < 0 else range(limit):
    # ~6 KB a line (a 2,000-character message of 3-byte characters): more than a pipe's atomic write.
    log.append(Interaction(session_id=name, kind="turn", message=f"{name} {number} " + "\u266a" * 2000,
                           query="calm piano", shown=(("track-a", 0.5), ("track-b", 0.25))))
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
    lines = log.read_bytes().split(b"\n")
    assert sum(1 for line in lines if line) == sum(map(len, turns.values())) + 1  # + the torn line
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
    from tunetalk.cli import main

    catalogue = write_jsonl(tmp_path / "songs.jsonl", [song(f"s{i}", "jazz", f"mood {i}") for i in range(60)])
    assert (
        main(
            [
                "index",
                str(catalogue),
                "--format",
                "jsonl",
                "--index-dir",
                str(tmp_path / "idx"),
                "--encoder",
                str(tiny_encoder_dir),
            ]
        )
        == 0
    )
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
            reply.startswith(("Here are", "I found nothing", "You've seen every song")) for reply in replies
        )
        assert store.count() == 300  # the served collection is untouched
        after = Client(f"http://127.0.0.1:{port}/", verbose=False).predict(
            "happy reggae", [], api_name="/chat"
        )
        assert reply_text(after[0]).startswith("Here are")
    finally:
        demo.close()
    from retriever import load_encoder

    incoming_store = TrackStore.open(
        load_encoder(str(tiny_encoder_dir), device="cpu").info, index_dir=index_dir, collection="incoming"
    )
    assert incoming_store.count() == 800


@pytest.mark.skip(reason="`tunetalk train` (GPL) is being written now; its kill -9/resume test comes with it")
def test_kill_9_during_tunetalk_train_resumes_from_the_last_stage() -> None:
    """Planned: kill -9 between stages, re-run: finished stages skipped by manifest, live index untouched."""
