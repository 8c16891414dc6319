"""The built-in catalogue (assets/catalogue.jsonl) against its controlled vocabulary."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from retriever import BUILTIN_CATALOGUE, load_catalog, load_vocabulary

FACETS = ("genre", "mood", "energy", "instrument", "vocals", "production", "context")


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    with BUILTIN_CATALOGUE.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def test_schema_and_uniqueness(rows: list[dict]) -> None:
    result = load_catalog(BUILTIN_CATALOGUE, "jsonl")
    assert not result.skipped and len(result.tracks) == len(rows) >= 1000
    for row in rows:
        assert set(row) >= {"id", "title", "artist", "year", "region", "language", "descriptors", "url"}
        assert isinstance(row["year"], int) and 1900 <= row["year"] <= 2026
        assert 8 <= len(row["descriptors"]) <= 15 and len(set(row["descriptors"])) == len(row["descriptors"])
        assert row["url"].startswith("https://www.youtube.com/results?search_query=")
    assert len({r["id"] for r in rows}) == len(rows)
    assert len({(r["artist"].lower(), r["title"].lower()) for r in rows}) == len(rows)


def test_every_descriptor_is_in_the_vocabulary_and_facets_are_covered(rows: list[dict]) -> None:
    vocabulary = load_vocabulary()
    covered = Counter()
    for row in rows:
        for descriptor in row["descriptors"]:
            assert descriptor in vocabulary.descriptors, f"{row['id']}: {descriptor!r} not in the vocabulary"
        for facet in {vocabulary.facet_of(d) for d in row["descriptors"]}:
            covered[facet] += 1
    for facet in FACETS:
        assert covered[facet] >= 0.9 * len(rows), f"facet {facet} covered by {covered[facet]}/{len(rows)} songs"


def test_spread_over_genres_decades_and_regions(rows: list[dict]) -> None:
    vocabulary = load_vocabulary()
    genres = {d for row in rows for d in row["descriptors"] if vocabulary.facet_of(d) == "genre"}
    assert len(genres) >= 40
    decade_regions = {(row["year"] // 10 * 10, row["region"]) for row in rows}
    assert len(decade_regions) >= 15
    assert {row["year"] // 10 * 10 for row in rows} >= {1950, 1960, 1970, 1980, 1990, 2000, 2010, 2020}


def test_instrumental_songs_carry_no_vocal_descriptor(rows: list[dict]) -> None:
    vocabulary = load_vocabulary()
    for row in rows:
        if "instrumental" in row["descriptors"]:
            vocal = [d for d in row["descriptors"] if vocabulary.facet_of(d) == "vocals" and d != "instrumental"]
            assert not vocal, f"{row['id']} is instrumental but has {vocal}"
