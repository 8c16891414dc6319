"""Playlist export: liked songs and current results as M3U, CSV or JSON text."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from retriever import Track

FORMATS = ("m3u", "csv", "json")


def _one_line(text: str) -> str:
    return " ".join(text.replace("\r", " ").replace("\n", " ").split())


def export_tracks(tracks: Sequence[Track], fmt: str, *, liked_ids: Sequence[str] = ()) -> str:
    """Render tracks in one of FORMATS.

    Raises:
        ValueError: an unknown format.
    """
    liked = set(liked_ids)
    if fmt == "m3u":
        lines = ["#EXTM3U", "#PLAYLIST:tunetalk"]
        for track in tracks:
            lines.append(f"#EXTINF:-1,{_one_line(track.artist)} - {_one_line(track.title)}")
            lines.append(_one_line(track.url))
        return "\n".join(lines) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["id", "title", "artist", "year", "descriptors", "url", "liked"])
        for track in tracks:
            writer.writerow([track.id, track.title, track.artist, track.year or "", "; ".join(track.descriptors),
                             track.url, "yes" if track.id in liked else ""])
        return buffer.getvalue()
    if fmt == "json":
        return json.dumps(
            [{"id": t.id, "title": t.title, "artist": t.artist, "year": t.year, "descriptors": list(t.descriptors),
              "url": t.url, "liked": t.id in liked} for t in tracks],
            ensure_ascii=False, indent=1,
        ) + "\n"
    raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
