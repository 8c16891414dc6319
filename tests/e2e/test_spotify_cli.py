"""`tunetalk index --format spotify` then `tunetalk ask`: the audio features steer the conversation.

The catalogue is a small invented playlist export (obviously fake ids) whose groups differ only in
their features and release dates, so what the answers contain can be checked against the numbers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.retriever.test_spotify_catalog import SONGS_HEADER, songs_row, write_csv
from tests.test_cli import tunetalk

pytestmark = pytest.mark.e2e

# group: (how many, release years, valence, acousticness, danceability, energy)
GROUPS = {
    "sad-acoustic-2000s": (4, range(2001, 2009, 2), 0.12, 0.85, 0.40, 0.30),
    "sad-acoustic-2000s-danceable": (4, range(2002, 2010, 2), 0.15, 0.80, 0.82, 0.45),
    "sad-acoustic-1990s": (4, range(1992, 2000, 2), 0.12, 0.85, 0.40, 0.30),
    "happy-electric-2000s-danceable": (4, range(2001, 2009, 2), 0.85, 0.05, 0.85, 0.85),
    "sad-electric-2000s": (4, range(2001, 2009, 2), 0.15, 0.05, 0.45, 0.85),
    "happy-acoustic-2000s": (4, range(2001, 2009, 2), 0.85, 0.80, 0.50, 0.50),
    "happy-danceable-modern": (4, range(2014, 2022, 2), 0.80, 0.05, 0.88, 0.88),
    "calm-acoustic-1970s": (4, range(1971, 1979, 2), 0.45, 0.85, 0.40, 0.20),
}


def fixture_rows() -> tuple[list[dict], dict[str, dict]]:
    rows: list[dict] = []
    features: dict[str, dict] = {}
    for group, (count, years, valence, acousticness, danceability, energy) in GROUPS.items():
        for number, year in zip(range(count), years):
            track_id = f"fake-{group}-{number}"
            values = {"valence": valence, "acousticness": acousticness, "danceability": danceability + number / 100,
                      "energy": energy, "track_album_release_date": f"{year}-05-01", "playlist_subgenre": ""}
            rows.append(songs_row(track_id, f"{group} song {number}", f"Fake Artist {len(rows)}", **values))
            features[track_id] = {**values, "year": year}
    return rows, features


def test_index_a_spotify_export_and_ask_by_mood_sound_era_then_more_danceable(tmp_path: Path) -> None:
    rows, features = fixture_rows()
    rows.insert(3, songs_row("fake-bad", "Broken", energy="loud"))  # line 5 of the file
    catalogue = write_csv(tmp_path / "export.csv", SONGS_HEADER, rows)
    index_dir = tmp_path / "idx"
    result = tunetalk("index", str(catalogue), "--format", "spotify", "--index-dir", str(index_dir))
    assert result.returncode == 0, result.stderr
    assert f"indexed {len(features)} tracks" in result.stdout and "skipped 1 rows" in result.stdout
    assert f"{catalogue}:5: skipped: energy not a number: got 'loud'" in result.stderr

    result = tunetalk("ask", "--index-dir", str(index_dir), "--json", "--no-log", "-k", "5",
                      "sad acoustic songs from the 2000s", "more danceable")
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())

    def fits(track_id: str) -> bool:
        f = features[track_id]
        return f["valence"] < 0.25 and f["acousticness"] >= 0.6 and 2000 <= f["year"] <= 2009

    top = [r["id"] for r in first["results"]]
    assert sum(fits(i) for i in top) >= 4, top  # low valence, high acousticness, 2000-2009 dominate
    assert fits(top[0]), top
    later = [r["id"] for r in second["results"]]
    assert later != top  # the refinement changed the list (the best songs may stay, marked as seen)
    mean = lambda ids: sum(features[i]["danceability"] for i in ids) / len(ids)  # noqa: E731
    assert mean(later) > mean(top) + 0.2, (top, later)
    assert all(features[i]["danceability"] >= 0.75 for i in later[:3]), later
    assert sum(fits(i) for i in later) >= 2, later  # still sad, acoustic, 2000s where it can be
