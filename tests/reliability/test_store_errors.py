"""The store's boundary: a corrupt chroma.sqlite3 or a collection name Chroma refuses is a
StoreError that says what is wrong and what to do, never a raw sqlite/chromadb error."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from retriever import EncoderInfo, StoreError, Track, TrackStore

INFO = EncoderInfo(name="store-errors-test-encoder", weights_sha256="2" * 64, dimension=4)


@pytest.fixture(scope="module")
def good_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index_dir = tmp_path_factory.mktemp("store-errors") / "good"
    store = TrackStore.open(INFO, index_dir=index_dir, create=True)
    tracks = [
        Track(id=f"s{i}", title=f"T{i}", artist="A", descriptors=("jazz", f"mood {i}")) for i in range(12)
    ]
    store.upsert(tracks, np.random.default_rng(0).random((12, 4), dtype=np.float32))
    return index_dir


def _garbage(data: bytes) -> bytes:
    return b"this is not a database" * 200


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 3]


def _garbage_pages(data: bytes) -> bytes:
    # The header is intact, pages 2-3 are not: SQLite opens the file and Chroma's Rust core
    # panics on the first read (PanicException, a BaseException, plus a report on fd 2).
    return data[:4096] + b"\xff" * 8192 + data[4096 + 8192 :]


CORRUPTIONS: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "garbage bytes": (_garbage, "file is not a database"),
    "truncated": (_truncated, "database disk image is malformed"),
    "garbage pages": (_garbage_pages, "database disk image is malformed"),
}


def corrupt_copy(good_index: Path, target: Path, corrupt: Callable[[bytes], bytes]) -> Path:
    shutil.copytree(good_index, target)
    database = target / "chroma.sqlite3"
    database.write_bytes(corrupt(database.read_bytes()))
    return target


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
def test_a_corrupt_index_is_a_store_error(
    kind: str, good_index: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    corrupt, reason = CORRUPTIONS[kind]
    index_dir = corrupt_copy(good_index, tmp_path / "idx", corrupt)
    capfd.readouterr()
    for attempt in range(2):  # the second open in this process must say the same, not AttributeError
        with pytest.raises(StoreError) as opened:
            TrackStore.open(INFO, index_dir=index_dir)
        message = str(opened.value)
        assert message.startswith(f"{index_dir} is not a readable Chroma index ({reason})"), message
        assert f"`tunetalk index CATALOGUE --index-dir {index_dir}`" in message and "restore it" in message
        assert "\n" not in message and len(message) < 400
        with pytest.raises(StoreError, match=r"is not a readable Chroma index"):
            TrackStore.built_with(index_dir=index_dir)
    out, err = capfd.readouterr()
    assert "panicked" not in err and "backtrace" not in err  # Chroma's Rust report stays off stderr
    assert TrackStore.open(INFO, index_dir=good_index).count() == 12  # other indexes still open


def test_a_collection_name_chroma_refuses_is_a_store_error(tmp_path: Path) -> None:
    # "127.0.0.1" passes the CLI's character check, but Chroma refuses IP addresses as names.
    for name in ("127.0.0.1", "ab..cd", "x"):
        refused = rf"Chroma refuses the collection name '{re.escape(name)}'.*use 3-512 characters"
        with pytest.raises(StoreError, match=refused):
            TrackStore.open(INFO, index_dir=tmp_path / "idx", collection=name, create=True)
    store = TrackStore.open(INFO, index_dir=tmp_path / "idx", collection="tracks-1", create=True)
    assert store.count() == 0  # the index directory still works
