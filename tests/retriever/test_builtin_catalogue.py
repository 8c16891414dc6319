"""The built-in catalogue's songs are real: checked against public song lists and artist genres.

Reads ../shared/data at run time (skips when it is absent); nothing from it is in the repository.
Songs not found in the song lists must be listed, with a reason a reader can check, in
assets/unverified.tsv. The normalisation and the genre-family mapping live in
benchmarks/catalogue_genres.py, which also prints the disagreements.
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import pytest

from benchmarks import catalogue_genres as cg
from retriever import load_catalog

REPO = Path(__file__).resolve().parents[2]
CATALOGUE = REPO / "assets" / "catalogue.jsonl"
REGIONS = {
    "north america", "uk and ireland", "caribbean", "western europe", "east asia", "latin america", "southern europe",
    "africa", "northern europe", "south asia", "oceania", "eastern europe", "middle east", "southeast asia",
}
VERIFIED_SHARE = 0.70
GENRE_AGREEMENT = 0.80


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return cg.load_rows(CATALOGUE)


@pytest.fixture(scope="module")
def index() -> dict[str, set[str]]:
    if not cg.SHARED_DATA.is_dir():
        pytest.skip(f"public datasets not found at {cg.SHARED_DATA}: song verification needs ../shared/data")
    return cg.dataset_index(cg.SHARED_DATA)


def test_every_row_loads_with_unique_ids(rows: list[dict]) -> None:
    result = load_catalog(CATALOGUE, "jsonl")
    assert not result.skipped, result.summary()
    assert len(result.tracks) == len(rows) >= 3000
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == len(ids)
    for row in rows:
        assert isinstance(row["year"], int) and 1900 <= row["year"] <= 2026, row["id"]
        assert row["region"] in REGIONS, row["id"]
        assert row["language"] and row["language"] == row["language"].lower(), row["id"]
        query = urllib.parse.quote_plus(f"{row['artist']} {row['title']}", safe="")
        assert row["url"] == f"https://www.youtube.com/results?search_query={query}", row["id"]


def test_normalisation() -> None:
    assert cg.norm_title("Heartbreak Hotel - Remastered 2011") == "heartbreak hotel"
    assert cg.norm_title("Only You (And You Alone)") == "only you"
    assert cg.norm_title("Déjà Vu (feat. Someone)") == "deja vu"
    assert cg.norm_artist("The Beatles") == cg.norm_artist("beatles")
    assert cg.norm_artist("Simon & Garfunkel") == cg.norm_artist("Simon and Garfunkel")
    assert "drake" in cg.artist_keys("Drake Featuring Rihanna")
    assert "bob marley" in cg.catalogue_artist_keys("Bob Marley & The Wailers")


def test_songs_are_verified_or_allowlisted(rows: list[dict], index: dict[str, set[str]]) -> None:
    allowed = cg.load_unverified()
    ids = {r["id"] for r in rows}
    stale = sorted(set(allowed) - ids)
    assert not stale, f"unverified.tsv lists ids not in the catalogue: {stale[:10]}"
    assert all(reason for reason in allowed.values()), "every allowlisted song needs a reason"
    verified = [r for r in rows if cg.is_verified(r, index)]
    missing = [r["id"] for r in rows if r["id"] not in allowed and not cg.is_verified(r, index)]
    share = len(verified) / len(rows)
    print(f"\nverified {len(verified)}/{len(rows)} songs ({100 * share:.1f} %), {len(allowed)} allowlisted")
    assert not missing, f"{len(missing)} songs neither found in the song lists nor in unverified.tsv: {missing[:20]}"
    assert share >= VERIFIED_SHARE, f"verified share {share:.1%} < {VERIFIED_SHARE:.0%}"


def test_genre_descriptors_agree_with_spotify_artist_genres(rows: list[dict], index: dict[str, set[str]]) -> None:
    checked, agreeing, disagreements = cg.genre_report(rows, cg.genre_descriptor_names(), cg.SHARED_DATA)
    assert checked >= 500
    share = agreeing / checked
    print(f"\ngenre agreement {agreeing}/{checked} ({100 * share:.1f} %); disagreements: "
          + ", ".join(row["id"] for row, _, _ in disagreements[:15]))
    if share < GENRE_AGREEMENT:
        pytest.xfail(f"genre agreement {share:.1%} below the {GENRE_AGREEMENT:.0%} target (report only)")


def test_unverified_tsv_format() -> None:
    path = REPO / "assets" / "unverified.tsv"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "id\treason"
    for line in lines[1:]:
        assert line.count("\t") == 1 and all(part.strip() for part in line.split("\t")), line
    assert len({line.split("\t")[0] for line in lines[1:]}) == len(lines) - 1


def test_language_values_come_from_the_existing_set(rows: list[dict]) -> None:
    # every language is a plain lower-case name (or "instrumental"), as in the first 1,124 rows
    for row in rows:
        assert all(part.isalpha() for part in row["language"].split()), row["id"]
    assert json.loads(CATALOGUE.read_text(encoding="utf-8").splitlines()[0])["id"] == "elvis-presley-heartbreak-hotel"
