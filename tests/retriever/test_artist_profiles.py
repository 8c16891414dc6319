"""assets/artists.jsonl: profiles written for this project; checked against the public artist knowledge."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from retriever import ArtistDirectory, load_profiles, load_vocabulary
from retriever.artists import DEFAULT_PROFILES

def key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower())


pytestmark = pytest.mark.skipif(not DEFAULT_PROFILES.is_file(), reason="assets/artists.jsonl not built yet")


def test_profiles_load_with_our_descriptors_and_distinct_names() -> None:
    vocabulary = load_vocabulary()
    raw = [json.loads(line) for line in DEFAULT_PROFILES.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(raw) >= 5000
    assert all(d in vocabulary.descriptors for row in raw for d in row["descriptors"])
    names = [key(row["name"]) for row in raw]
    assert len(names) == len(set(names)), [n for n in names if names.count(n) > 1][:10]
    assert len(load_profiles()) == len(raw)


def test_every_alias_resolves_to_one_artist() -> None:
    profiles = load_profiles()
    directory = ArtistDirectory(profiles)
    by_alias: dict[str, set[str]] = {}
    for profile in profiles:
        for alias in profile.aliases:
            by_alias.setdefault(key(alias), set()).add(profile.name)
    clashes = {alias: owners for alias, owners in by_alias.items() if len(owners) > 1}
    assert len(clashes) <= len(profiles) // 200, sorted(clashes.items())[:20]
    resolved = [directory.resolve(a) for p in profiles[:500] for a in p.aliases if key(a) not in clashes]
    assert all(r is not None for r in resolved)


def test_profiles_agree_with_spotify_genres(shared_data: Path) -> None:
    from benchmarks.catalogue_genres import artist_genres, descriptor_families, norm_artist, spotify_families

    vocabulary = load_vocabulary()
    genre_names = set(vocabulary.in_facet("genre"))
    spotify = artist_genres(shared_data)
    checked = agree = 0
    for profile in load_profiles():
        theirs = spotify_families(spotify.get(norm_artist(profile.name), []))
        ours = descriptor_families(list(profile.descriptors), genre_names)
        if not theirs or not ours:
            continue
        checked += 1
        agree += bool(theirs & ours)
    assert checked >= 1000
    assert agree / checked >= 0.8, f"{agree}/{checked} profiles share a genre family with Spotify's genres"
