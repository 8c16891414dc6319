"""The `tunetalk` command line, run as a user runs it (a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def tunetalk(*args: str, env_home: Path | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    import os

    env = dict(os.environ)
    if env_home is not None:
        env["TUNETALK_HOME"] = str(env_home)
    return subprocess.run([sys.executable, "-m", "tunetalk.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.conftest import small_tracks

    folder = tmp_path_factory.mktemp("cli")
    catalogue = folder / "songs.jsonl"
    with catalogue.open("w") as handle:
        for track in small_tracks():
            handle.write(json.dumps({"id": track.id, "title": track.title, "artist": track.artist,
                                     "descriptors": list(track.descriptors)}) + "\n")
        handle.write('{"id": "broken", "descriptors": []}\n')
    result = tunetalk("index", str(catalogue), "--format", "jsonl", "--index-dir", str(folder / "idx"))
    assert result.returncode == 0, result.stderr
    assert "indexed 10 tracks" in result.stdout and "skipped 1 rows" in result.stdout
    assert "line" in result.stderr or ":11:" in result.stderr
    return folder / "idx"


def test_ask_json_prints_one_object_per_turn(small_index: Path) -> None:
    result = tunetalk("ask", "--index-dir", str(small_index), "--json", "--no-log", "-k", "3",
                      "calm jazz piano", "no vocals")
    assert result.returncode == 0, result.stderr
    turns = [json.loads(line) for line in result.stdout.splitlines()]
    assert [t["turn"] for t in turns] == [1, 2]
    assert turns[0]["message"] == "calm jazz piano"
    first = turns[0]["results"][0]
    assert set(first) >= {"id", "title", "artist", "descriptors", "url", "score", "matched"}
    assert first["id"] == "t-jazz-piano"
    assert all("female vocals" not in r["descriptors"] and "male vocals" not in r["descriptors"]
               for r in turns[1]["results"])
    assert "vocals" in turns[1]["state"]["excluded"]


def test_ask_conversations_runs_many_in_order(small_index: Path, tmp_path: Path) -> None:
    path = tmp_path / "conv.jsonl"
    path.write_text(json.dumps(["steel drums"]) + "\n" + json.dumps(["metal", "more like #1"]) + "\n")
    result = tunetalk("ask", "--index-dir", str(small_index), "--json", "--no-log", "--conversations", str(path))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [len(conversation) for conversation in lines] == [1, 2]
    assert lines[0][0]["results"][0]["id"] == "t-steel"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", "--index-dir", "/nonexistent/idx", "hello"], "no index at"),
        (["index", "/nonexistent.jsonl", "--format", "jsonl", "--index-dir", "/tmp/x"], "no such file"),
        (["ask", "--conversations", "/nonexistent.jsonl"], "no such file"),
        (["ask", "--encoder", "nobody/nothing", "--index-dir", "/tmp", "hi"], "not available offline"),
    ],
)
def test_errors_are_one_clear_line_without_traceback(args: list[str], message: str) -> None:
    result = tunetalk(*args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if "error" in line]) == 1


def test_another_encoder_on_an_index_is_refused(tmp_path: Path, keyword_encoder, tracks) -> None:  # noqa: ANN001
    from retriever import TrackStore, index_tracks

    store = TrackStore.open(keyword_encoder.info, index_dir=tmp_path / "kw", create=True)
    index_tracks(tracks, store, keyword_encoder, show_progress_bar=False)
    result = tunetalk("ask", "--index-dir", str(tmp_path / "kw"), "--encoder", "sentence-transformers/all-MiniLM-L6-v2",
                      "hello")
    assert result.returncode == 2 and "Re-index" in result.stderr and "Traceback" not in result.stderr


def test_unknown_option_is_an_argparse_error() -> None:
    result = tunetalk("ask", "--bogus")
    assert result.returncode == 2 and "unrecognized arguments: --bogus" in result.stderr


def test_the_parser_vector_cache_survives_a_restart_and_skips_the_encoder(tmp_path, keyword_encoder) -> None:  # noqa: ANN001
    import numpy as np

    from retriever.encoder import VectorCache

    texts = [f"descriptor {i} piano" for i in range(60)]
    first = VectorCache(keyword_encoder, tmp_path / "v.npz")
    vectors = first.encode(texts)
    first.save()

    class Refuses:
        info = keyword_encoder.info

        def encode(self, texts):  # noqa: ANN001, ANN201
            raise AssertionError(f"encoded again: {texts[:3]}")

    again = VectorCache(Refuses(), tmp_path / "v.npz")
    assert np.allclose(again.encode(texts), vectors)
    (tmp_path / "v.npz").write_bytes(b"garbage")
    assert VectorCache(keyword_encoder, tmp_path / "v.npz").vectors == {}  # unreadable: rebuilt, not fatal


def _ask_in_process(index_dir: Path, message: str) -> tuple[list[str], bool]:
    """The result ids of `tunetalk ask` and whether the process imported chromadb."""
    code = ("import contextlib, io, json, sys\n"
            "from tunetalk.cli import main\n"
            "out = io.StringIO()\n"
            "with contextlib.redirect_stdout(out):\n"
            f"    assert main(['ask', '--index-dir', {str(index_dir)!r}, '--json', '--no-log', {message!r}]) == 0\n"
            "print(json.dumps([[r['id'] for r in json.loads(out.getvalue())['results']], 'chromadb' in sys.modules]))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    ids, imported = json.loads(result.stdout.splitlines()[-1])
    return ids, imported


def test_a_current_snapshot_serves_ask_without_chroma_and_a_write_makes_it_stale(tmp_path: Path) -> None:
    from tests.conftest import small_tracks

    catalogue = tmp_path / "songs.jsonl"
    rows = [{"id": t.id, "title": t.title, "artist": t.artist, "descriptors": list(t.descriptors)} for t in small_tracks()]
    catalogue.write_text("".join(json.dumps(row) + "\n" for row in rows))
    index_dir = tmp_path / "idx"
    assert tunetalk("index", str(catalogue), "--format", "jsonl", "--index-dir", str(index_dir)).returncode == 0
    first, imported_first = _ask_in_process(index_dir, "calm jazz piano")
    assert imported_first and (index_dir / "tunetalk-searcher.pickle").is_file()  # read Chroma, took the snapshot
    second, imported_second = _ask_in_process(index_dir, "calm jazz piano")
    assert second == first and not imported_second  # the same list, from the snapshot alone
    catalogue.write_text(json.dumps({"id": "t-new-piano", "title": "New", "artist": "N",
                                     "descriptors": ["calm", "jazz", "piano", "solo piano", "soft"]}) + "\n")
    assert tunetalk("index", str(catalogue), "--format", "jsonl", "--index-dir", str(index_dir)).returncode == 0
    third, imported_third = _ask_in_process(index_dir, "calm jazz solo piano soft")
    assert imported_third and "t-new-piano" in third  # the write renewed the mark: Chroma again, the new song seen
