"""CLI misuse: unknown options, a missing index, unreadable paths, an index built with another
encoder. Each ends in exit status 2 and one clear line on stderr, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability.conftest import REPO, song, write_jsonl


def assert_one_error_line(run, message: str) -> None:  # noqa: ANN001
    assert run.code == 2, (run.code, run.err)
    assert "Traceback" not in run.err
    assert len(run.error_lines) == 1 and message in run.error_lines[0], run.err
    assert len(run.error_lines[0]) < 400


USAGE_ERRORS = [
    (["ask", "--bogus", "hi"], "unrecognized arguments: --bogus"),
    (["index", "x.jsonl", "--format", "jsonl", "--frobnicate"], "unrecognized arguments: --frobnicate"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    ([], "the following arguments are required: command"),
    (["index", "x.jsonl"], "the following arguments are required: --format"),
    (["index", "x.jsonl", "--format", "xml"], "invalid choice: 'xml'"),
    (["ask", "-k", "ten", "hi"], "invalid int value: 'ten'"),
    (["ask", "--collection", "a", "hi"], "expected 3-512 characters"),
    (["ask", "--collection", "bad name!", "hi"], "expected 3-512 characters"),
    (["chat", "--port", "http"], "invalid int value: 'http'"),
]


@pytest.mark.parametrize(
    ("args", "message"), USAGE_ERRORS, ids=[" ".join(a) or "(none)" for a, _ in USAGE_ERRORS]
)
def test_unknown_options_are_one_line(cli, args: list[str], message: str) -> None:  # noqa: ANN001
    assert_one_error_line(cli(*args), message)


def test_bad_values_are_one_line(cli, tiny_index: Path) -> None:  # noqa: ANN001
    assert_one_error_line(
        cli("ask", "--index-dir", tiny_index, "-k", "0", "hi"), "-k must be between 1 and 100"
    )
    assert_one_error_line(cli("ask", "--index-dir", tiny_index), "give at least one MESSAGE")
    assert_one_error_line(
        cli("chat", "--index-dir", tiny_index, "--auth", "nopassword"), "--auth must be user:password"
    )


def test_a_missing_index_is_one_line(cli, tmp_path: Path, tiny_index: Path) -> None:  # noqa: ANN001
    (tmp_path / "empty-dir").mkdir()
    assert_one_error_line(cli("ask", "--index-dir", tmp_path / "nowhere", "--no-log", "hi"), "no index at")
    assert_one_error_line(cli("ask", "--index-dir", tmp_path / "empty-dir", "--no-log", "hi"), "no index at")
    assert_one_error_line(cli("chat", "--index-dir", tmp_path / "nowhere", "--no-log"), "no index at")
    assert_one_error_line(
        cli("ask", "--index-dir", tiny_index, "--collection", "other", "--no-log", "hi"),
        "has no collection 'other'",
    )
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "chroma.sqlite3").write_bytes(b"this is not a database" * 200)
    assert_one_error_line(cli("ask", "--index-dir", corrupt, "--no-log", "hi"), "file is not a database")


def _corrupt_index(tiny_index: Path, target: Path, corrupt) -> Path:  # noqa: ANN001
    import shutil

    shutil.copytree(tiny_index, target)
    database = target / "chroma.sqlite3"
    database.write_bytes(corrupt(database.read_bytes()))
    return target


CORRUPT_INDEXES = {
    "garbage bytes": (lambda data: b"\x00garbage\xff" * 4000, "file is not a database"),
    "truncated": (lambda data: data[: len(data) // 3], "database disk image is malformed"),
}


@pytest.mark.parametrize("kind", list(CORRUPT_INDEXES))
def test_a_corrupt_index_is_one_line(
    cli, kind: str, tmp_path: Path, tiny_index: Path  # noqa: ANN001
) -> None:
    corrupt, reason = CORRUPT_INDEXES[kind]
    index_dir = _corrupt_index(tiny_index, tmp_path / "idx", corrupt)
    more = write_jsonl(tmp_path / "more.jsonl", [song("new-song", "rock")])
    for args in (
        ("ask", "--index-dir", index_dir, "--no-log", "hi"),
        ("chat", "--index-dir", index_dir, "--no-log"),
        ("index", more, "--format", "jsonl", "--index-dir", index_dir),
    ):
        run = cli(*args)
        assert_one_error_line(run, f"{index_dir} is not a readable Chroma index ({reason})")
        assert "rebuild it" in run.err and "restore it" in run.err


def test_a_corrupt_index_is_one_line_as_a_user_runs_it(tmp_path: Path, tiny_index: Path) -> None:
    """Garbage in pages 2-3 behind an intact header makes Chroma's Rust core panic, which prints a
    report and a backtrace on file descriptor 2: only a real process shows whether that leaks."""
    index_dir = _corrupt_index(
        tiny_index, tmp_path / "idx", lambda data: data[:4096] + b"\xff" * 8192 + data[4096 + 8192 :]
    )
    result = subprocess.run(
        [sys.executable, "-m", "tunetalk.cli", "ask", "--index-dir", str(index_dir), "--no-log", "hi"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=REPO,
        env={**os.environ, "RUST_BACKTRACE": "1"},
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"tunetalk ask: error: {index_dir} is not a readable Chroma index (")
    assert "Traceback" not in result.stderr and "panicked" not in result.stderr
    assert result.stdout == ""


def test_a_collection_name_chroma_refuses_is_one_line(
    cli, tmp_path: Path, tiny_encoder_dir: Path  # noqa: ANN001
) -> None:
    # Passes the CLI's character check; Chroma refuses a name that looks like an IP address.
    songs = write_jsonl(tmp_path / "songs.jsonl", [song("s1", "jazz")])
    run = cli("index", songs, "--format", "jsonl", "--index-dir", tmp_path / "idx",
              "--collection", "127.0.0.1", "--encoder", tiny_encoder_dir)
    assert_one_error_line(run, "Chroma refuses the collection name '127.0.0.1'")


def test_unreadable_paths_are_one_line(
    cli,
    tmp_path: Path,
    tiny_index: Path,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The suite runs as root, for whom chmod 000 changes nothing: use paths no one can read as files.
    catalogue = write_jsonl(tmp_path / "songs.jsonl", [song("a")])
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    dangling = tmp_path / "dangling.jsonl"
    dangling.symlink_to(tmp_path / "gone.jsonl")
    a_file = tmp_path / "a-file"
    a_file.write_text("not a directory")
    index = ("index", "--format", "jsonl", "--index-dir", tmp_path / "idx")
    assert_one_error_line(cli(*index[:1], tmp_path, *index[1:]), "is a directory, expected a catalogue file")
    assert_one_error_line(cli(*index[:1], fifo, *index[1:]), "not a regular catalogue file")
    assert_one_error_line(cli(*index[:1], dangling, *index[1:]), "no such file")
    assert_one_error_line(cli(*index[:1], "/proc/self/mem", *index[1:]), "the file is empty")
    assert_one_error_line(
        cli("index", catalogue, "--format", "jamendo", "--titles", tmp_path, "--index-dir", tmp_path / "idx"),
        "is a directory, expected a titles file",
    )
    assert_one_error_line(
        cli("index", catalogue, "--format", "jsonl", "--index-dir", a_file), "is a file, expected a directory"
    )
    assert_one_error_line(cli("ask", "--index-dir", a_file, "hi"), "is a file, expected a directory")
    assert_one_error_line(
        cli("ask", "--index-dir", tiny_index, "--conversations", tmp_path), "is a directory"
    )
    deep = tmp_path / "deep.jsonl"
    deep.write_text("[" * 100_000 + "\n")
    assert_one_error_line(cli("ask", "--index-dir", tiny_index, "--conversations", deep), "nested too deeply")
    monkeypatch.setenv("TUNETALK_LOG", str(tmp_path))
    assert_one_error_line(cli("ask", "--index-dir", tiny_index, "hi"), "is a directory")
    monkeypatch.setenv("TUNETALK_LOG", str(a_file / "log.jsonl"))
    assert_one_error_line(cli("ask", "--index-dir", tiny_index, "hi"), "a-file")
    assert not (tmp_path / "idx").exists()  # nothing was created on the way to any of these errors


def test_an_index_built_with_another_encoder_is_one_line(
    cli,
    tmp_path: Path,
    tiny_index: Path,
    other_tiny_encoder_dir: Path,  # noqa: ANN001
) -> None:
    from retriever import TrackStore

    name_before = TrackStore.built_with(index_dir=tiny_index)
    assert_one_error_line(
        cli("ask", "--index-dir", tiny_index, "--encoder", other_tiny_encoder_dir, "--no-log", "hi"),
        "Re-index with this encoder",
    )
    more = write_jsonl(tmp_path / "more.jsonl", [song("new-song", "rock")])
    assert_one_error_line(
        cli(
            "index", more, "--format", "jsonl", "--index-dir", tiny_index, "--encoder", other_tiny_encoder_dir
        ),
        "Re-index with this encoder",
    )
    assert TrackStore.built_with(index_dir=tiny_index) == name_before
    run = cli(
        "ask", "--index-dir", tiny_index, "--no-log", "--json", "jazz"
    )  # the index still works as it was
    assert run.code == 0 and '"new-song"' not in run.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", "--bogus"], "unrecognized arguments"),
        (["ask", "--index-dir", "/nonexistent/idx", "hi"], "no index at"),
        (["index", "/", "--format", "jsonl", "--index-dir", "/tmp/never"], "is a directory"),
        (
            ["index", "assets/catalogue.jsonl", "--format", "jsonl", "--index-dir", "/etc/hostname"],
            "is a file",
        ),
    ],
)
def test_as_a_user_runs_it_stderr_is_one_line(args: list[str], message: str) -> None:
    """The same, as a real process: stderr holds exactly one line and stdout nothing."""
    result = subprocess.run(
        [sys.executable, "-m", "tunetalk.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=REPO,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert result.stdout == ""
