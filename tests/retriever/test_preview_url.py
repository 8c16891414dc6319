"""The JSONL catalogue's optional `preview_url`: kept when it is an http(s) URL, dropped otherwise."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from retriever import load_catalog
from retriever.catalog import is_web_url


def write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_preview_url_is_kept_only_when_it_is_http(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    base = {"title": "T", "artist": "A", "descriptors": ["jazz"]}
    path = write(tmp_path / "c.jsonl", [
        {**base, "id": "good", "preview_url": "https://cdn.example.org/a.mp3"},
        {**base, "id": "plain", "preview_url": "http://cdn.example.org/b.ogg"},
        {**base, "id": "script", "preview_url": "javascript:alert(1)"},
        {**base, "id": "relative", "preview_url": "/a.mp3"},
        {**base, "id": "number", "preview_url": 3},
        {**base, "id": "none"},
    ])
    with caplog.at_level(logging.WARNING, logger="retriever.catalog"):
        tracks = {t.id: t for t in load_catalog(path, "jsonl").tracks}
    assert set(tracks) == {"good", "plain", "script", "relative", "number", "none"}  # the row stays
    assert tracks["good"].metadata["preview_url"] == "https://cdn.example.org/a.mp3"
    assert tracks["plain"].metadata["preview_url"] == "http://cdn.example.org/b.ogg"
    for track_id in ("script", "relative", "number", "none"):
        assert "preview_url" not in tracks[track_id].metadata
    assert "track script: preview_url dropped: expected an http(s) URL" in caplog.text


@pytest.mark.parametrize("value", ["https://a.example/x", "HTTP://a.example"])
def test_is_web_url_accepts(value: str) -> None:
    assert is_web_url(value)


@pytest.mark.parametrize("value", ["javascript:alert(1)", "https://", "ftp://a.example/x", "https://a.example/\n",
                                   "https://a b.example", None, 3, "data:text/html,x"])
def test_is_web_url_refuses(value: object) -> None:
    assert not is_web_url(value)
