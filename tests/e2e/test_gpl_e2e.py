"""`tunetalk train` end to end: a tiny log and catalogue, a few GPL steps with the packaged MiniLM,
a re-index into a new generation, the atomic switch, and `ask` on the new index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA
from tests.test_cli import tunetalk

pytestmark = pytest.mark.e2e


def test_train_reindexes_and_switches(tmp_path: Path) -> None:
    from gpl import simulate_sessions
    from retriever import InteractionLog, TrackStore, resolve_index_dir
    from tests.conftest import small_tracks, write_catalogue

    tracks = small_tracks()
    catalogue = write_catalogue(tmp_path / "songs.jsonl", tracks)
    log = InteractionLog(tmp_path / "interactions.jsonl")
    for record in simulate_sessions(tracks, num_sessions=40, seed=0):
        log.append(record)
    index_dir = tmp_path / "index"
    result = tunetalk("index", str(catalogue), "--format", "jsonl", "--index-dir", str(index_dir))
    assert result.returncode == 0, result.stderr
    old_encoder = TrackStore.built_with(index_dir=index_dir)

    train = (
        "train",
        str(catalogue),
        "--log",
        str(log.path),
        "--index-dir",
        str(index_dir),
        "--encoder",
        "sentence-transformers/all-MiniLM-L6-v2",
        "--runs-dir",
        str(tmp_path / "runs"),
        "--run-name",
        "e2e",
        "--max-queries",
        "60",
        "--teacher-queries",
        "12",
        "--teacher-batch-size",
        "8",
        "--max-steps",
        "4",
        "--batch-size",
        "4",
        "--heldout-fraction",
        "0.3",
        "--no-gate-benchmark",
        "--min-improvement",
        "-1",
        "--max-drop",
        "1",
        "--num-threads",
        "1",
        "--no-progress",
        "--quiet",
    )
    result = tunetalk(*train, timeout=170)
    assert result.returncode == 0, result.stderr
    assert "gate: accepted" in result.stdout
    assert "fusion: dense_weight" in result.stdout and "held-out logged queries" in result.stdout
    live = resolve_index_dir(index_dir)
    assert live != index_dir and (index_dir / "ACTIVE").is_file()
    new_encoder = TrackStore.built_with(index_dir=live)
    assert new_encoder == str(live.parent / "encoder") != old_encoder
    assert TrackStore.built_with(index_dir=index_dir) == old_encoder  # the old index stays

    result = tunetalk("ask", "--index-dir", str(live), "--json", "--no-log", "calm jazz piano")
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout.splitlines()[0])["results"]) == 10

    again = tunetalk(*train, timeout=120)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("skipped (manifest matches)") == 9  # every stage, fusion included


def test_train_builtin_switches_the_builtin_chat_and_status_reports_it(tmp_path: Path) -> None:
    """`tunetalk train --builtin` from the chat's own log: gate, re-index, switch; `--status` before and after."""
    import os

    from gpl import simulate_sessions
    from retriever import BUILTIN_CATALOGUE, InteractionLog, builtin_trained_dir, load_catalog

    home = tmp_path / "home"
    env_log = os.environ.pop("TUNETALK_LOG", None)
    try:
        status = tunetalk("train", "--status", env_home=home)
        assert status.returncode == 0 and "not trained yet" in status.stdout, status.stderr
        tracks = load_catalog(BUILTIN_CATALOGUE, "jsonl").tracks
        log = InteractionLog(home / "interactions.jsonl")  # where the built-in chat logs (it prints the path)
        for record in simulate_sessions(tracks[:300], num_sessions=40, seed=0):
            log.append(record)
        tiny = ("--max-queries", "60", "--teacher-queries", "12", "--teacher-batch-size", "8", "--max-steps", "4",
                "--gate-chat-sample", "8",
                "--batch-size", "4", "--heldout-fraction", "0.3", "--no-gate-benchmark", "--min-improvement", "-1",
                "--max-drop", "1", "--num-threads", "1", "--no-progress", "--quiet")
        result = tunetalk("train", "--builtin", *tiny, env_home=home, timeout=1200)
        assert result.returncode == 0, result.stderr
        assert "gate: accepted" in result.stdout
        status = tunetalk("train", "--status", env_home=home)
        trained = builtin_trained_dir(home)
        assert status.returncode == 0 and str(trained) in status.stdout and "gate: accepted" in status.stdout
        assert "heldout-log" in status.stdout and "trained 20" in status.stdout
        # the gate measured the chat turn too: the listener requests on the built-in catalogue
        assert "chat/listener-requests" in result.stdout and "chat/listener-requests" in status.stdout
        assert "chat/heldout-log" in status.stdout  # the held-out logged requests through the chat turn
        assert "chat/simulated-listener" in status.stdout  # multi-turn conversations of the simulated listener
        if (SHARED_DATA / "music-reco-ner").is_dir():  # real Reddit requests naming a catalogue artist
            assert "chat/reddit-artist-requests" in status.stdout
        if (SHARED_DATA / "cpcd").is_dir():  # real playlist conversations, judged by their goal playlists
            assert "chat/cpcd-dialogs" in status.stdout
        answer = tunetalk("ask", "--json", "--no-log", "calm piano music", env_home=home)
        assert answer.returncode == 0, answer.stderr
        assert len(json.loads(answer.stdout.splitlines()[0])["results"]) == 10
        live = trained / (trained / "ACTIVE").read_text().strip()
        assert (live / "tunetalk-searcher.pickle").is_file()  # the chat served the switched index
        refused = tunetalk("train", "--builtin", "songs.jsonl", env_home=home)
        assert refused.returncode == 2 and "give no CATALOGUE" in refused.stderr
    finally:
        if env_log is not None:
            os.environ["TUNETALK_LOG"] = env_log
