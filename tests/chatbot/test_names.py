"""find_names: artists and titles in listeners' words, with their intent, and no false alarms."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatbot.names import NameMention, find_names
from retriever.artists import ArtistDirectory, ArtistProfile, load_artist_knowledge, load_genre_map, profiles_from_tracks
from retriever import load_catalog
from retriever.catalog import Track, TrackId

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE = ROOT.parent / "shared" / "data" / "artist-knowledge"
needs_knowledge = pytest.mark.skipif(
    not (KNOWLEDGE / "spotify_artist_genres.csv").is_file(),
    reason="../shared/data/artist-knowledge is not here (artist-knowledge files are read, never copied)",
)


@pytest.fixture(scope="module")
def tracks() -> dict[TrackId, Track]:
    return {t.id: t for t in load_catalog(ROOT / "assets" / "catalogue.jsonl", "jsonl").tracks}


@pytest.fixture(scope="module")
def directory(tracks: dict[TrackId, Track]) -> ArtistDirectory:
    return ArtistDirectory(profiles_from_tracks(tracks.values()))


def names(message: str, directory: ArtistDirectory, tracks: dict[TrackId, Track]) -> list[tuple[str, str, str]]:
    """(kind, intent, resolved name or phrase) per mention."""
    result = []
    for mention in find_names(message, directory, tracks):
        label = mention.profile.name if mention.kind == "artist" else mention.phrase
        if mention.kind == "title":
            label = tracks[mention.track_ids[0]].title
        result.append((mention.kind, mention.intent, label))
    return result


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Bob Marley", [("artist", "like", "Bob Marley & The Wailers")]),
        ("songs like Bob Marley", [("artist", "like", "Bob Marley & The Wailers")]),
        ("play some bob marley", [("artist", "by", "Bob Marley & The Wailers")]),
        ("i love radioheads kid a something similar", [("artist", "like", "Radiohead")]),
        ("Radiohead's best songs", [("artist", "like", "Radiohead")]),
        ("something like No Woman No Cry", [("title", "like", "No Woman, No Cry")]),
        ("Karma Police vibes", [("title", "like", "Karma Police")]),
        ("not Taylor Swift", [("artist", "not", "Taylor Swift")]),
        ("anything but taylor swift please", [("artist", "not", "Taylor Swift")]),
        ("no more Metallica", [("artist", "not", "Metallica")]),
        ("Metallica-esque riffs", [("artist", "like", "Metallica")]),
        ("something like beyonce", [("artist", "like", "Beyoncé")]),
        ("songs by the beatles", [("artist", "by", "The Beatles")]),
        ("beatles songs", [("artist", "by", "The Beatles")]),
        ("more like Aphex Twin", [("artist", "like", "Aphex Twin")]),
        ("like radiohed", [("artist", "like", "Radiohead")]),
        ("Yesterday by The Beatles", [("title", "like", "Yesterday"), ("artist", "by", "The Beatles")]),
        ("heartbreak hotel by elvis presley", [("title", "like", "Heartbreak Hotel"), ("artist", "by", "Elvis Presley")]),
        (
            "Anything similar to Daft Punk but not ABBA",
            [("artist", "like", "Daft Punk"), ("artist", "not", "ABBA")],
        ),
        ("I like Yes and Air", [("artist", "like", "Yes"), ("artist", "like", "Air")]),
        ("something like Boris", [("unknown", "like", "Boris")]),
        # an everyday word that is a song of the artist named beside it is that song only as a title or credit
        ("something like the beatles but heavier", [("artist", "like", "The Beatles")]),
        ("help me find songs like the beatles", [("artist", "like", "The Beatles")]),
        ("i want something by the beatles", [("artist", "by", "The Beatles")]),
        ("yesterday by the beatles", [("title", "like", "Yesterday"), ("artist", "by", "The Beatles")]),
        ("the beatles - help", [("artist", "like", "The Beatles"), ("title", "like", "Help!")]),
        ("play Something by the beatles", [("title", "by", "Something"), ("artist", "by", "The Beatles")]),
        ("similar to I Fight Dragons", [("unknown", "like", "I Fight Dragons")]),
    ],
)
def test_finds_names(message: str, expected: list, directory: ArtistDirectory, tracks: dict) -> None:
    assert names(message, directory, tracks) == expected


@pytest.mark.parametrize(
    "message",
    [
        "anything but country",
        "I love jazz",
        "yes please, something chill",
        "like something chill",
        "I'd like music for studying",
        "happy songs for the summer",
        "love songs for a wedding",
        "air guitar anthems",
        "play some reggae",
        "soul and house music",
        "I am so happy today",
        "what do you have for a rainy day",
        "ANYTHING BUT COUNTRY",
        "the who's who of piano",
    ],
)
def test_no_false_positives(message: str, directory: ArtistDirectory, tracks: dict) -> None:
    assert find_names(message, directory, tracks) == []


def test_mention_fields(directory: ArtistDirectory, tracks: dict) -> None:
    message = "Something similar to Bob Marley & The Wailers?"
    (mention,) = find_names(message, directory, tracks)
    assert isinstance(mention, NameMention)
    assert message[mention.span[0] : mention.span[1]] == mention.phrase == "Bob Marley & The Wailers"
    assert mention.score == 1.0
    assert set(mention.track_ids) == {t.id for t in tracks.values() if t.artist == "Bob Marley & The Wailers"}


def test_descriptor_names_need_a_frame(tracks: dict) -> None:
    soul = ArtistProfile(name="Soul", source="spotify")
    directory = ArtistDirectory([soul])
    assert find_names("I love soul music", directory, tracks) == []
    assert find_names("play some soul", directory, tracks) == []
    (mention,) = find_names('something like "Soul" the band', directory, tracks)
    assert mention.profile is soul


def test_knowledge_artists_match_in_a_catalogue_without_them(tracks: dict) -> None:
    profile = ArtistProfile(name="Lindsey Stirling", descriptors=("reggae",), source="lastfm")
    directory = ArtistDirectory([profile])
    (mention,) = find_names("anything like lindsey stirling?", directory, tracks)
    assert (mention.kind, mention.intent, mention.profile, mention.track_ids) == ("artist", "like", profile, ())


@needs_knowledge
def test_full_directory(tracks: dict) -> None:
    knowledge = load_artist_knowledge(
        KNOWLEDGE / "spotify_artist_genres.csv", KNOWLEDGE / "lastfm_artist_tags.csv", genre_map=load_genre_map()
    )
    directory = ArtistDirectory(profiles_from_tracks(tracks.values()) + knowledge)
    found = names("Anything similar to Lindsey Stirling? not Taylor Swift", directory, tracks)
    assert found == [("artist", "like", "Lindsey Stirling"), ("artist", "not", "Taylor Swift")]
    for message in ("I love jazz", "anything but country", "some intro music for a podcast", "something chill"):
        assert find_names(message, directory, tracks) == [], message


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_never_raises(message: str) -> None:
    directory, tracks = _DIRECTORY_AND_TRACKS
    for mention in find_names(message, directory, tracks):
        assert 0 <= mention.span[0] < mention.span[1] <= len(message)
        assert message[mention.span[0] : mention.span[1]] == mention.phrase


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["like", "Bob", "Marley", "&", "the", "not", "'s", "Yes", "\"", "by", "Radiohead", "-esque", ".", "Boris"]), max_size=12))
def test_never_raises_on_name_like_text(words: list[str]) -> None:
    directory, tracks = _DIRECTORY_AND_TRACKS
    message = " ".join(words)
    spans = [m.span for m in find_names(message, directory, tracks)]
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))  # in order, not overlapping


def _build() -> tuple[ArtistDirectory, dict[TrackId, Track]]:
    tracks = {t.id: t for t in load_catalog(ROOT / "assets" / "catalogue.jsonl", "jsonl").tracks}
    return ArtistDirectory(profiles_from_tracks(tracks.values())), tracks


_DIRECTORY_AND_TRACKS = _build()


def test_a_pronoun_is_a_band_only_when_written_as_one(tracks: dict) -> None:
    """"more like them" named the band Them (and "I love her" H.E.R.): the list on screen was meant."""
    them = ArtistProfile(name="Them", descriptors=("rock",), source="spotify")
    directory = ArtistDirectory([them])
    for message in ("more like them", "songs like them", "other artists like them", "something like this"):
        assert find_names(message, directory, tracks) == [], message
    (mention,) = find_names("songs like Them", directory, tracks)
    assert mention.profile is them


def test_a_word_of_the_sentence_is_no_band_after_not(tracks: dict) -> None:
    """"not as loud" turned down the Last.fm band The A's: "not" is a strong cue, and in lower case it
    framed the word after it as a name, however plain."""
    the_as = ArtistProfile(name="The A's", descriptors=("power pop",), source="lastfm")
    so = ArtistProfile(name="So", descriptors=("synthpop",), source="spotify")
    directory = ArtistDirectory([the_as, so])
    for message in ("not as loud", "not as loud please", "not so dark", "anything but as slow"):
        assert find_names(message, directory, tracks) == [], message
    (mention,) = find_names("anything but So please", directory, tracks)  # written as a name
    assert mention.profile is so and mention.intent == "not"


def test_a_catalogue_band_of_plain_words_is_read_in_lower_case_after_a_by_cue(directory: ArtistDirectory,
                                                                             tracks: dict) -> None:
    """"play new order", "some new order songs" and "songs from new order" named nobody: two plain words
    after a weak cue ("play", "some", "from") needed capitals."""
    for message in ("play new order", "some new order songs", "songs from new order", "play some deep purple"):
        found = names(message, directory, tracks)
        assert [kind for kind, _, _ in found] == ["artist"] and found[0][1] == "by", (message, found)
    assert names("play new order", directory, tracks)[0][2] == "New Order"
    # plain words that are no catalogue band, or an era ("brand new"), or not where a name ends the request
    for message in ("some brand new songs", "play new music", "songs from new york", "play some good music",
                    "songs from deep purple skies at night"):
        assert [m for m in find_names(message, directory, tracks) if m.kind == "artist"] == [], message


def test_more_and_a_lowercase_title_is_a_sound_not_a_song_to_play(directory: ArtistDirectory, tracks: dict) -> None:
    """"more west coast" after "90s hip hop" played Lana Del Rey's "West Coast" and listed songs like it."""
    for message in ("more west coast", "some west coast please"):
        assert [m for m in find_names(message, directory, tracks) if m.kind == "title"] == [], message
    assert ("title", "by", "West Coast") in names("play West Coast by Lana Del Rey", directory, tracks)


def test_a_possessive_with_its_apostrophe_is_that_artist(directory: ArtistDirectory, tracks: dict) -> None:
    """"Queen's Bohemian Rhapsody" read "Queen's" as Queens of the Stone Age, and "Adele's Hello" as an
    unknown name: the possessive credits the song after it."""
    assert names("something like Queen's Bohemian Rhapsody", directory, tracks) == [
        ("artist", "like", "Queen"), ("title", "like", "Bohemian Rhapsody")]
    assert names("songs like queen's bohemian rhapsody", directory, tracks)[0] == ("artist", "like", "Queen")
    assert names("Queens of the Stone Age", directory, tracks) == [("artist", "like", "Queens of the Stone Age")]


def test_a_topic_after_about_is_no_name(directory: ArtistDirectory, tracks: dict) -> None:
    """"rock songs about cars" was read as "like The Cars"."""
    assert names("rock songs about cars", directory, tracks) == []
    assert names("what about radiohead", directory, tracks) == [("artist", "like", "Radiohead")]
    assert names("songs about The Cars", directory, tracks) == [("artist", "like", "The Cars")]
