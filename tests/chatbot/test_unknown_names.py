"""Names nobody knows: read where listeners write them, said so honestly, never read in name-free requests."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from chatbot.names import find_names
from chatbot.parse import TurnParser
from chatbot.state import DialogueState
from chatbot.turn import unknown_name_notices
from retriever import load_catalog, load_vocabulary
from retriever.artists import ArtistDirectory, load_artist_knowledge, load_genre_map, profiles_from_tracks
from retriever.catalog import Track, TrackId

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE = ROOT.parent / "shared" / "data" / "artist-knowledge"
NAME_FREE = ROOT / "tests" / "data" / "name_free_requests.tsv"


@pytest.fixture(scope="module")
def tracks() -> dict[TrackId, Track]:
    return {t.id: t for t in load_catalog(ROOT / "assets" / "catalogue.jsonl", "jsonl").tracks}


@pytest.fixture(scope="module")
def directory(tracks: dict[TrackId, Track]) -> ArtistDirectory:
    profiles = profiles_from_tracks(tracks.values())
    if (KNOWLEDGE / "spotify_artist_genres.csv").is_file():  # the knowledge makes more plain words names: harder
        profiles += load_artist_knowledge(KNOWLEDGE / "spotify_artist_genres.csv", KNOWLEDGE / "lastfm_artist_tags.csv",
                                          genre_map=load_genre_map())
    return ArtistDirectory(profiles)


@pytest.fixture(scope="module")
def parser(directory: ArtistDirectory, tracks: dict[TrackId, Track]) -> TurnParser:
    return TurnParser(load_vocabulary(), find_names=lambda text: find_names(text, directory, tracks),
                      resolve_artist=directory.resolve)


def unknown(message: str, directory: ArtistDirectory, tracks: dict[TrackId, Track]) -> list[tuple[str, str]]:
    return [(m.intent, m.phrase) for m in find_names(message, directory, tracks) if m.kind == "unknown"]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # capitalised names after cues, and every name of a list
        ("bands like Zorbex, Quillfane and Vantrass?", [("like", "Zorbex"), ("like", "Quillfane"), ("like", "Vantrass")]),
        ("fans of Zorbex or Quillfane", [("like", "Zorbex"), ("like", "Quillfane")]),
        ("anything but Zorbex or Quillfane", [("not", "Zorbex"), ("not", "Quillfane")]),
        ("similar to Zorbex but darker", [("like", "Zorbex")]),
        # lower case after a cue that asks for a name, for words no dictionary holds
        ("songs by wozwald", [("by", "wozwald")]),
        ("a track performed by wozwald", [("by", "wozwald")]),
        ("anything similar to nyxen please", [("like", "nyxen")]),
        ("something like nyxen or wozwald", [("like", "nyxen"), ("like", "wozwald")]),
        # ... and two words closing the request, the last one no English word, however short
        ("songs like kid buu", [("like", "kid buu")]),
        ("anything similar to lil zorb?", [("like", "lil zorb")]),
        # Title Cased messages: the lowercase cue still frames the capitalised name after it
        ("The Honeymoon Era by Paiige", [("by", "Paiige")]),
        # quoted titles
        ('something like "Slab City"', [("like", "Slab City")]),
        # "Artist - Title" and "Title - Artist", with the credits inside it
        ("Oloff - Sun Rays", [("like", "Oloff - Sun Rays")]),
        ("Haley Smalls - VooDoo Doll", [("like", "Haley Smalls - VooDoo Doll")]),
        ("songs like Cigarette - offonoff", [("like", "Cigarette - offonoff")]),
        ("NGHTMRE - Street (ANAR remix)", [("like", "NGHTMRE - Street"), ("like", "ANAR")]),
        ("Simba Shan - SIXTEEN ft. Zebulon Apoll", [("like", "Simba Shan - SIXTEEN"), ("like", "Zebulon Apoll")]),
    ],
)
def test_reads_unknown_names(message: str, expected: list, directory: ArtistDirectory, tracks: dict) -> None:
    assert unknown(message, directory, tracks) == expected


def test_a_song_of_an_unknown_artist_is_not_a_catalogue_song_of_another(directory: ArtistDirectory, tracks: dict) -> None:
    mentions = find_names("Looking for something like Come Together by urbandawn", directory, tracks)
    assert [(m.kind, m.phrase) for m in mentions] == [("unknown", "urbandawn")]


def test_artist_title_pairs_of_known_artists_are_not_unknown(directory: ArtistDirectory, tracks: dict) -> None:
    for message in ("Radiohead - Karma Police", "Karma Police - Radiohead", "Yesterday by The Beatles",
                    "songs like Heatstroke - Calvin Harris"):
        assert unknown(message, directory, tracks) == [], message


def test_a_pair_of_a_common_word_band_is_not_that_band(directory: ArtistDirectory, tracks: dict) -> None:
    # "Everything" and "Brand New" are bands; after an unknown artist and a dash they are song titles.
    for message, pair in (("Music similar to Zorbex Quill - Everything?", "Zorbex Quill - Everything"),
                          ("Dré Anthony - Brand New", "Dré Anthony - Brand New")):
        mentions = find_names(message, directory, tracks)
        assert [(m.kind, m.phrase) for m in mentions] == [("unknown", pair)], message


def read_name_free() -> list[str]:
    with NAME_FREE.open(encoding="utf-8", newline="") as handle:
        return [row["message"] for row in csv.DictReader(handle, delimiter="\t")]


def test_the_name_free_set_is_large_and_varied() -> None:
    messages = read_name_free()
    assert len(messages) >= 40 and len(set(messages)) == len(messages)


@pytest.mark.parametrize("message", read_name_free())
def test_no_unknown_name_line_for_a_request_without_names(message: str, parser: TurnParser) -> None:
    parsed = parser.parse(message)
    assert unknown_name_notices(parsed.unknown_names, DialogueState()) == [], parsed.unknown_names


def test_the_honest_line_names_the_unknown_artist(parser: TurnParser) -> None:
    parsed = parser.parse("sludge metal like Zorbex Quill")
    (line,) = unknown_name_notices(parsed.unknown_names, DialogueState())
    assert line.startswith("I don't know Zorbex Quill")
    assert not parsed.artists_like
