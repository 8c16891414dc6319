"""Artist profiles, the knowledge loader, the genre map and the directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retriever.artists import (
    ArtistDirectory,
    ArtistProfile,
    generate_aliases,
    load_artist_knowledge,
    load_genre_map,
    normalise_name,
    profiles_from_tracks,
    read_lastfm_tags,
    read_spotify_genres,
)
from retriever import load_catalog
from retriever.catalog import Track
from retriever.vocabulary import load_vocabulary

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE = ROOT.parent / "shared" / "data" / "artist-knowledge"
needs_knowledge = pytest.mark.skipif(
    not (KNOWLEDGE / "spotify_artist_genres.csv").is_file(),
    reason="../shared/data/artist-knowledge is not here (artist-knowledge files are read, never copied)",
)


@pytest.fixture(scope="module")
def catalogue() -> list[Track]:
    return load_catalog(ROOT / "assets" / "catalogue.jsonl", "jsonl").tracks


@pytest.fixture(scope="module")
def directory(catalogue: list[Track]) -> ArtistDirectory:
    return ArtistDirectory(profiles_from_tracks(catalogue))


def test_normalise_name() -> None:
    assert normalise_name("The Mamas & the Papas") == "mamas and the papas"
    assert normalise_name("Beyoncé") == "beyonce"
    assert normalise_name("Radiohead's") == "radioheads"
    assert normalise_name("AC/DC") == "ac dc"
    assert normalise_name("  ") == ""


def test_aliases() -> None:
    assert "Bob Marley" in generate_aliases("Bob Marley & The Wailers")
    assert "Beatles" in generate_aliases("The Beatles")
    assert "Mark Ronson" in generate_aliases("Mark Ronson feat. Bruno Mars")
    assert "Beyonce" in generate_aliases("Beyoncé")
    assert "Simon and Garfunkel" in generate_aliases("Simon & Garfunkel")
    assert "Simon" not in generate_aliases("Simon & Garfunkel")  # a duo is not its first member
    assert "Duke Ellington" in generate_aliases("Duke Ellington and His Orchestra")


def test_catalogue_profiles(directory: ArtistDirectory, catalogue: list[Track]) -> None:
    assert len(directory) == len({normalise_name(t.artist) for t in catalogue})  # "Beyoncé" and "Beyonce" are one
    marley = directory.resolve("bob marley")
    assert marley is not None and marley.name == "Bob Marley & The Wailers"
    assert marley.descriptors[0] == "reggae"  # genres first
    assert len(marley.track_ids) == sum(t.artist == marley.name for t in catalogue)
    assert directory.resolve("Beyonce").name == "Beyoncé"
    assert directory.resolve("Radiohead's").name == "Radiohead"
    assert directory.resolve("beatles").name == "The Beatles"
    assert directory.resolve("nobody at all") is None


def test_one_odd_song_does_not_define_an_artist() -> None:
    songs = [Track(f"t{i}", f"Song {i}", "Band", ("reggae", "happy")) for i in range(4)]
    songs.append(Track("odd", "Odd", "Band", ("heavy metal", "reggae")))
    (profile,) = profiles_from_tracks(songs, load_vocabulary())
    assert profile.descriptors == ("reggae", "happy")


def test_profile_validation() -> None:
    with pytest.raises(ValueError, match="unknown source"):
        ArtistProfile(name="X", source="radio")
    with pytest.raises(ValueError, match="name is empty"):
        ArtistProfile(name=" ")


def test_catalogue_wins_over_knowledge() -> None:
    catalogue = ArtistProfile(name="Bob Marley & The Wailers", aliases=("Bob Marley",), track_ids=("a",))
    knowledge = ArtistProfile(name="Bob Marley", descriptors=("reggae",), source="spotify")
    other = ArtistProfile(name="Radiohead", source="lastfm")
    directory = ArtistDirectory([knowledge, other, catalogue])
    assert directory.resolve("Bob Marley") is catalogue
    assert directory.resolve("radiohead") is other


def test_genre_map_descriptors_exist() -> None:
    vocabulary = load_vocabulary()
    catalogue_descriptors = {d for line in (ROOT / "assets" / "catalogue.jsonl").open() for d in json.loads(line)["descriptors"]}
    unknown = load_genre_map().all_descriptors() - set(vocabulary.descriptors) - catalogue_descriptors
    assert unknown == set()


@pytest.mark.parametrize(
    ("genre", "expected"),
    [
        ("roots reggae", ("roots reggae",)),
        ("reggae fusion", ("reggae",)),
        ("southern hip hop", ("hip hop",)),
        ("k-pop girl group", ("k-pop",)),
        ("bossa nova", ("bossa nova",)),
        ("melodic death metal", ("heavy metal", "screamed vocals")),
        ("modern indie rock", ("indie rock",)),
        ("trip hop", ("trip hop",)),
        ("shoegaze", ("shoegaze",)),
        ("idm", ("electronic",)),
        ("female vocalists", ("female vocals",)),
        ("80s", ("80s synths",)),
        ("chillout", ("laid-back",)),
        ("polka-dot nonsense", ()),
    ],
)
def test_genre_map_rules(genre: str, expected: tuple[str, ...]) -> None:
    assert load_genre_map().descriptors_for(genre) == expected


def test_knowledge_files_robust(tmp_path: Path) -> None:
    spotify = tmp_path / "spotify.csv"
    spotify.write_text(
        "artists,popularity,genres\n"
        "Bob Marley,80,\"['roots reggae', 'reggae']\"\n"
        "Broken,1,\"['unclosed\"\n"
        ",3,['pop']\n"
        "Nobody Knows,2,[]\n",
        encoding="utf-8",
    )
    lastfm = tmp_path / "lastfm.csv"
    lastfm.write_text(
        "count,name,search\n100,reggae,Bob%20Marley\n60,chillout,Bob%20Marley\nlots,rock,Bob%20Marley\n"
        "50,female vocalists,Sade\n",
        encoding="utf-8",
    )
    read = read_spotify_genres(spotify)
    assert read.skipped == 2 and set(read.genres) == {"Bob Marley", "Nobody Knows"}
    assert read_lastfm_tags(lastfm).skipped == 1
    profiles = {p.name: p for p in load_artist_knowledge(spotify, lastfm, genre_map=load_genre_map())}
    assert profiles["Bob Marley"].source == "spotify+lastfm"
    assert profiles["Bob Marley"].descriptors[:2] == ("reggae", "roots reggae")
    assert "laid-back" in profiles["Bob Marley"].descriptors
    assert profiles["Sade"].descriptors == ("female vocals",) and profiles["Sade"].source == "lastfm"
    assert profiles["Nobody Knows"].descriptors == ()


def test_knowledge_wrong_columns(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("artist,tags\nX,pop\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected the columns artists, genres"):
        load_artist_knowledge(wrong, None, genre_map=load_genre_map())
    with pytest.raises(ValueError, match="expected the columns count, name, search"):
        load_artist_knowledge(None, wrong, genre_map=load_genre_map())
    with pytest.raises(FileNotFoundError, match="no such spotify file"):
        load_artist_knowledge(tmp_path / "missing.csv", None, genre_map=load_genre_map())


@needs_knowledge
def test_real_knowledge_files(catalogue: list[Track]) -> None:
    knowledge = load_artist_knowledge(
        KNOWLEDGE / "spotify_artist_genres.csv", KNOWLEDGE / "lastfm_artist_tags.csv", genre_map=load_genre_map()
    )
    assert len(knowledge) > 20_000
    directory = ArtistDirectory(profiles_from_tracks(catalogue) + knowledge)
    assert directory.resolve("Radiohead").source == "catalogue"
    tash = directory.resolve("Lindsey Stirling")  # in the knowledge files, not in the catalogue
    assert tash is not None and tash.source != "catalogue" and tash.descriptors
    assert directory.resolve("the beatles").track_ids  # the catalogue's Beatles, with songs
    assert directory.fuzzy("metalica") == ("metallica", pytest.approx(94.1, abs=0.1))
