"""`--format spotify`: Spotify audio-feature CSVs (spotify-songs, billboard-hits, playlist exports).

Fixture rows are invented; their ids are obviously fake ("FAKEid..." has the 22-character shape
of a Spotify id so the real-id path can be tested, "fake-..." has not).
"""

from __future__ import annotations

import csv
import glob
import re
from pathlib import Path

import pytest

from retriever import FEATURE_RULES, CatalogError, load_catalog, load_vocabulary
from retriever.spotify import (
    ERA_DESCRIPTORS,
    GENRE_DESCRIPTORS,
    feature_descriptors,
    genre_descriptors,
    spotify_track_id,
)

SONGS_HEADER = [
    "track_id", "track_name", "track_artist", "track_popularity", "track_album_id", "track_album_name",
    "track_album_release_date", "playlist_name", "playlist_id", "playlist_genre", "playlist_subgenre",
    "danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness", "instrumentalness",
    "liveness", "valence", "tempo", "duration_ms",
]
BILLBOARD_HEADER = [
    "track", "artist", "uri", "danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness",
    "instrumentalness", "liveness", "valence", "tempo", "duration_ms", "time_signature", "chorus_hit", "sections",
    "target", "decade",
]
EXPORT_HEADER = [
    "Track URI", "Track Name", "Artist Name(s)", "Album Name", "Album Release Date", "Track Duration (ms)",
    "Popularity", "Genres", "Danceability", "Energy", "Key", "Loudness", "Mode", "Speechiness", "Acousticness",
    "Instrumentalness", "Liveness", "Valence", "Tempo", "Time Signature",
]
# Every feature between thresholds: a row built from these alone gets no feature descriptor.
NEUTRAL = {"danceability": 0.6, "energy": 0.6, "speechiness": 0.05, "acousticness": 0.2, "instrumentalness": 0.0,
           "liveness": 0.1, "valence": 0.5, "tempo": 110.0, "key": 5, "loudness": -6.0, "mode": 1,
           "duration_ms": 200000}
FAKE_ID = "FAKEid0000000000000001"  # the shape of a Spotify id, obviously not one


def songs_row(track_id: str, title: str = "Song", artist: str = "Artist", **values: object) -> dict:
    row = {name: "" for name in SONGS_HEADER}
    row.update({key: str(value) for key, value in NEUTRAL.items()})
    row.update(track_id=track_id, track_name=title, track_artist=artist, track_popularity="50",
               track_album_name="Album", track_album_release_date="2019-06-14", playlist_name="Mix",
               playlist_id="fake-playlist", playlist_genre="pop", playlist_subgenre="dance pop")
    row.update({key: str(value) for key, value in values.items()})
    return row


def write_csv(path: Path, header: list[str], rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


# -- column sets ----------------------------------------------------------------------------------


def test_spotify_songs_columns(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "songs.csv", SONGS_HEADER, [songs_row(FAKE_ID, "Only Song", "Fake Band")])
    (track,) = load_catalog(path, "spotify").tracks
    assert (track.id, track.title, track.artist, track.year) == (FAKE_ID, "Only Song", "Fake Band", 2019)
    assert track.url == f"https://open.spotify.com/track/{FAKE_ID}"
    assert track.descriptors == ("dance pop", "pop", "modern production")
    assert track.metadata["popularity"] == 50 and track.metadata["album"] == "Album"
    assert track.metadata["release_date"] == "2019-06-14"
    assert track.metadata["danceability"] == 0.6 and track.metadata["tempo"] == 110.0 and track.metadata["key"] == 5
    assert "playlist_name" not in track.metadata  # one value per playlist row, not per track


def test_billboard_columns_take_the_id_from_the_uri_and_the_era_from_the_decade(tmp_path: Path) -> None:
    row = {**{k: str(v) for k, v in NEUTRAL.items()}, "track": "Old Hit", "artist": "Fake Singer",
           "uri": f"spotify:track:{FAKE_ID}", "time_signature": "4", "chorus_hit": "30.1", "sections": "9",
           "target": "1", "decade": "1960", "valence": "0.9"}
    (track,) = load_catalog(write_csv(tmp_path / "bb.csv", BILLBOARD_HEADER, [row]), "spotify").tracks
    assert track.id == FAKE_ID and track.url == f"https://open.spotify.com/track/{FAKE_ID}"
    assert track.descriptors == ("happy", "1960s production")
    assert track.year is None and track.metadata["decade"] == 1960 and track.metadata["time_signature"] == 4


def test_export_tool_columns_and_comma_separated_micro_genres(tmp_path: Path) -> None:
    row = {"Track URI": f"spotify:track:{FAKE_ID}", "Track Name": "Export Song", "Artist Name(s)": "A, B",
           "Album Name": "LP", "Album Release Date": "1987-05", "Track Duration (ms)": "180000", "Popularity": "12",
           "Genres": "canadian pop,dance pop,latin,made-up microgenre", "Danceability": "0.8", "Energy": "0.3",
           "Key": "1", "Loudness": "-9", "Mode": "0", "Speechiness": "0.04", "Acousticness": "0.7",
           "Instrumentalness": "0", "Liveness": "0.1", "Valence": "0.2", "Tempo": "150", "Time Signature": "4"}
    (track,) = load_catalog(write_csv(tmp_path / "export.csv", EXPORT_HEADER, [row]), "spotify").tracks
    assert (track.id, track.title, track.artist, track.year) == (FAKE_ID, "Export Song", "A, B", 1987)
    assert track.descriptors == ("pop", "dance pop", "sad", "calm", "danceable", "acoustic", "fast tempo",
                                 "80s synths")
    assert track.metadata["genres"] == "canadian pop; dance pop; latin; made-up microgenre"
    assert track.metadata["duration_ms"] == 180000


@pytest.mark.parametrize("style", [str.upper, lambda name: name.replace("_", " ").title(),
                                   lambda name: f"({name.replace('_', '')})"])
def test_column_names_match_ignoring_case_spaces_underscores_and_parentheses(tmp_path: Path, style) -> None:  # noqa: ANN001
    path = tmp_path / "songs.csv"
    write_csv(path, SONGS_HEADER, [songs_row(FAKE_ID, "Only Song", "Fake Band", valence=0.1)])
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] = ",".join(style(name) for name in SONGS_HEADER)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (track,) = load_catalog(path, "spotify").tracks
    assert (track.id, track.title, track.artist) == (FAKE_ID, "Only Song", "Fake Band")
    assert "sad" in track.descriptors and track.metadata["popularity"] == 50


@pytest.mark.parametrize(
    ("header", "needs"),
    [
        (["track_id", "track_name", "danceability"], "missing an artist column;"),
        (["Track URI", "Artist Name(s)", "Energy"], "missing a title column;"),
        (["track", "artist", "uri", "key", "mode", "loudness"], "missing an audio-feature or genre column;"),
        (["id", "title", "descriptors"], "missing an artist column and an audio-feature or genre column;"),
    ],
)
def test_missing_columns_name_what_was_found_and_what_each_column_set_needs(
    tmp_path: Path, header: list[str], needs: str
) -> None:
    path = tmp_path / "x.csv"
    path.write_text(",".join(header) + "\n" + ",".join("1" for _ in header) + "\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=re.escape(needs)) as caught:
        load_catalog(path, "spotify")
    message = str(caught.value)
    assert f"found columns {header}" in message
    for variant in ("spotify-songs (track_id, track_name, track_artist", "billboard-hits (track, artist, uri",
                    "playlist exports (Track URI, Track Name, Artist Name(s)"):
        assert variant in message


# -- dedupe and ids ---------------------------------------------------------------------------------


def test_a_track_in_several_playlists_becomes_one_track_with_their_genres(tmp_path: Path) -> None:
    rows = [
        songs_row(FAKE_ID, "Twice", playlist_genre="pop", playlist_subgenre="dance pop"),
        songs_row("FAKEid0000000000000002", "Other"),
        songs_row(FAKE_ID, "Twice", playlist_genre="edm", playlist_subgenre="big room", playlist_name="Club"),
        songs_row(FAKE_ID, "Twice", playlist_genre="pop", playlist_subgenre="dance pop"),
    ]
    result = load_catalog(write_csv(tmp_path / "s.csv", SONGS_HEADER, rows), "spotify")
    assert [t.id for t in result.tracks] == [FAKE_ID, "FAKEid0000000000000002"]
    assert result.skipped == [] and result.track_lines == [2, 3]
    twice = result.tracks[0]
    assert twice.descriptors == ("dance pop", "edm", "house", "pop", "modern production")
    assert twice.metadata["genres"] == "pop; edm" and twice.metadata["subgenres"] == "dance pop; big room"
    assert twice.metadata["source_rows"] == 3


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (FAKE_ID, FAKE_ID),
        (f"spotify:track:{FAKE_ID}", FAKE_ID),
        (f"https://open.spotify.com/track/{FAKE_ID}?si=abc", FAKE_ID),
        (f"https://open.spotify.com/intl-de/track/{FAKE_ID}", FAKE_ID),
        ("FAKEid000000000000001", None),  # 21 characters
        ("FAKEid-000000000000001", None),  # not base62
        (f"spotify:album:{FAKE_ID}", None),
        ("fake-1", None),
    ],
)
def test_spotify_track_id_accepts_only_real_id_shapes(value: str, expected: str | None) -> None:
    assert spotify_track_id(value) == expected


def test_url_points_at_spotify_only_for_a_real_id_from_the_file(tmp_path: Path) -> None:
    rows = [songs_row(FAKE_ID, "Real Shape"), songs_row("fake-0002", "Own Id", "Band X")]
    real, own = load_catalog(write_csv(tmp_path / "s.csv", SONGS_HEADER, rows), "spotify").tracks
    assert real.url == f"https://open.spotify.com/track/{FAKE_ID}"
    assert own.id == "fake-0002" and own.url == "https://www.youtube.com/results?search_query=Band+X+Own+Id"
    no_id = tmp_path / "noid.csv"
    no_id.write_text("title,artist,genre\nNo Id Song,Band Y,jazz\nNo Id Song,Band Y,blues\n", encoding="utf-8")
    (track,) = load_catalog(no_id, "spotify").tracks
    assert re.fullmatch(r"song-[0-9a-f]{16}", track.id) and "open.spotify.com" not in track.url
    assert track.descriptors == ("jazz", "blues")  # the same song twice: merged


# -- descriptors ------------------------------------------------------------------------------------


def test_every_descriptor_this_format_emits_is_in_the_vocabulary() -> None:
    vocabulary = load_vocabulary()
    emitted = {rule.descriptor for rule in FEATURE_RULES} | {name for *_, name in ERA_DESCRIPTORS}
    emitted |= {name for names in GENRE_DESCRIPTORS.values() for name in names}
    assert sorted(emitted - set(vocabulary.descriptors)) == []
    assert {vocabulary.facet_of(name) for names in GENRE_DESCRIPTORS.values() for name in names} == {"genre"}


@pytest.mark.parametrize(
    ("features", "expected"),
    [
        (NEUTRAL, ()),
        ({"valence": 0.70}, ("happy",)),
        ({"valence": 0.6999}, ()),
        ({"valence": 0.2499, "energy": 0.6999}, ("sad",)),
        ({"valence": 0.2499, "energy": 0.70}, ()),  # low valence at full energy is not sad
        ({"valence": 0.2499}, ()),  # energy unknown: not sad
        ({"valence": 0.25}, ()),
        ({"energy": 0.80}, ("high energy",)),
        ({"energy": 0.3499}, ("calm",)),
        ({"danceability": 0.75}, ("danceable",)),
        ({"acousticness": 0.60}, ("acoustic",)),
        ({"speechiness": 0.22}, ("rap",)),
        ({"speechiness": 0.2199}, ()),
        ({"speechiness": 0.66}, ("spoken word",)),
        ({"instrumentalness": 0.50, "speechiness": 0.3}, ("instrumental",)),  # then no vocal descriptor
        ({"instrumentalness": 0.4999, "speechiness": 0.3}, ("rap",)),
        ({"liveness": 0.80}, ("live recording",)),
        ({"tempo": 79.9}, ("slow tempo",)),
        ({"tempo": 0.0}, ()),  # Spotify's "no tempo detected"
        ({"tempo": 140.0}, ("fast tempo",)),
        ({"tempo": 139.9}, ()),
    ],
)
def test_feature_thresholds(features: dict, expected: tuple[str, ...]) -> None:
    assert feature_descriptors(features) == expected


@pytest.mark.parametrize(
    ("date", "year", "era"),
    [("1957-03-01", 1957, "1950s recording"), ("1969", 1969, "1960s production"), ("1975-11", 1975, "1970s production"),
     ("1980-01-01", 1980, "80s synths"), ("1999-12-31", 1999, "90s production"), ("2000-01-01", 2000, "2000s production"),
     ("2009", 2009, "2000s production"), ("2010-05-05", 2010, "modern production"), ("1948", 1948, "vintage recording")],
)
def test_release_date_gives_the_year_and_the_era(tmp_path: Path, date: str, year: int, era: str) -> None:
    path = write_csv(tmp_path / "s.csv", SONGS_HEADER, [songs_row(FAKE_ID, track_album_release_date=date)])
    (track,) = load_catalog(path, "spotify").tracks
    assert track.year == year and track.descriptors[-1] == era


@pytest.mark.parametrize(
    ("label", "expected"),
    [("dance pop", ("dance pop",)), ("gangster rap", ("gangsta rap", "hip hop")), ("dirty south rap", ("hip hop",)),
     ("canadian pop", ("pop",)), ("deep adult standards", ("vocal jazz",)), ("reggaeton flow", ("reggaeton",)),
     ("electropop", ("synth-pop",)), ("latin", ()), ("made-up microgenre", ())],
)
def test_genre_labels_map_to_vocabulary_genres(label: str, expected: tuple[str, ...]) -> None:
    assert genre_descriptors(label, load_vocabulary()) == expected


def test_language_and_region_only_from_their_columns(tmp_path: Path) -> None:
    path = tmp_path / "lang.csv"
    path.write_text("title,artist,genres,language,region\nCancion,Fake,latin pop,spanish,MX\n"
                    "Song,Fake,pop,,\n", encoding="utf-8")
    sung, plain = load_catalog(path, "spotify").tracks
    assert sung.descriptors == ("latin pop", "spanish lyrics")
    assert sung.metadata["language"] == "spanish" and sung.metadata["region"] == "MX"
    assert plain.descriptors == ("pop",) and "language" not in plain.metadata
    (no_column,) = load_catalog(write_csv(tmp_path / "s.csv", SONGS_HEADER, [songs_row(FAKE_ID)]), "spotify").tracks
    assert not any(d.endswith(" lyrics") for d in no_column.descriptors) and "region" not in no_column.metadata


# -- bad rows ---------------------------------------------------------------------------------------


def test_bad_rows_are_reported_with_their_line_numbers_and_the_rest_kept(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    write_csv(path, SONGS_HEADER, [
        songs_row("fake-01", "Good"),  # 2
        songs_row("fake-02", ""),  # 3
        songs_row("fake-03", "No Artist", ""),  # 4
        songs_row("fake-04", "NA"),  # 5: R's missing value
        songs_row("fake-05", danceability="high"),  # 6
        songs_row("fake-06", energy="1.7"),  # 7
        songs_row("fake-07", tempo="-3"),  # 8
        songs_row("fake-08", valence="nan"),  # 9
        songs_row("fake-09", track_album_release_date="soon"),  # 10
        songs_row("fake-10", track_popularity="101"),  # 11
        songs_row("fake-11", "Also Good"),  # 12
    ])
    with path.open("a", encoding="utf-8") as handle:
        handle.write("fake-12,Extra,Artist," + ",".join("1" for _ in SONGS_HEADER) + "\n")  # 13
        handle.write("fake-13,Truncated,Artist,50,al\n")  # 14: a truncated last row
    result = load_catalog(path, "spotify")
    assert [t.id for t in result.tracks] == ["fake-01", "fake-11"] and result.track_lines == [2, 12]
    reasons = {row.line: row.reason for row in result.skipped}
    assert reasons == {
        3: "missing title",
        4: "missing artist",
        5: "missing title: the cell is NA (R's missing value)",
        6: "danceability not a number: got 'high'",
        7: "energy out of range: 1.7 (expected 0 to 1)",
        8: "tempo out of range: -3 (expected 0 to 300)",
        9: "valence not a number: got 'nan'",
        10: "release date not a date: got 'soon' (expected YYYY, YYYY-MM or YYYY-MM-DD)",
        11: "popularity out of range: 101 (expected 0 to 100)",
        13: "more cells than header columns",
        14: f"truncated row: 5 of {len(SONGS_HEADER)} cells",
    }


def test_a_track_with_nothing_to_describe_it_is_skipped_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("Track Name,Artist Name(s),Energy\nPlain,Fake,0.5\nLoud,Fake,0.9\n", encoding="utf-8")
    result = load_catalog(path, "spotify")
    assert [t.title for t in result.tracks] == ["Loud"]
    assert [(row.line, row.reason) for row in result.skipped] == [
        (2, "no descriptors: no known genre and every audio feature is between thresholds")]


# -- the real files (../shared/data, never copied here) ---------------------------------------------


def test_the_real_spotify_songs_file(shared_data: Path) -> None:
    path = shared_data / "spotify-songs" / "spotify_songs.csv"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 32_833
    all_ids = {row["track_id"] for row in rows}
    assert len(all_ids) == 28_356
    result = load_catalog(path, "spotify")
    loaded = {t.id for t in result.tracks}
    # The only skips: 5 rows (4 tracks) whose title and artist are R's NA. Nothing else is lost.
    assert [row.reason for row in result.skipped] == ["missing title: the cell is NA (R's missing value)"] * 5
    lost = all_ids - loaded
    assert len(loaded) == 28_352 and len(lost) == 4
    assert all(row["track_name"] == "NA" for row in rows if row["track_id"] in lost)
    assert all(t.url == f"https://open.spotify.com/track/{t.id}" for t in result.tracks)
    assert sum(t.metadata["source_rows"] for t in result.tracks) == 32_833 - 5
    assert all(t.year is not None and 1957 <= t.year <= 2020 for t in result.tracks)


def test_the_real_billboard_files(shared_data: Path) -> None:
    paths = sorted(glob.glob(str(shared_data / "billboard-hits" / "dataset-of-*.csv")))
    if not paths:
        pytest.skip(f"no billboard-hits/dataset-of-*.csv under {shared_data}")
    total = 0
    for name in paths:
        result = load_catalog(Path(name), "spotify")
        assert result.skipped == [], (name, result.skipped[:3])
        decade = int(re.search(r"of-(\d\d)s", name).group(1))  # type: ignore[union-attr]
        era = {60: "1960s production", 70: "1970s production", 80: "80s synths", 90: "90s production",
               0: "2000s production", 10: "modern production"}[decade]
        assert all(t.descriptors[-1] == era and "open.spotify.com/track/" in t.url for t in result.tracks)
        total += len(result.tracks)
    assert total == 41_106 - 95  # 95 rows repeat a track of the same file (merged)
    hot100 = shared_data / "billboard-hits" / "hot100_spotify_genres.csv"
    if hot100.is_file():  # genres only, no ids or features: a song with no known genre has nothing to say
        result = load_catalog(hot100, "spotify")
        assert len(result.tracks) > 20_000
        assert {row.reason.split(":")[0] for row in result.skipped} == {"no descriptors"}


def test_the_notes_reproduce_the_threshold_table() -> None:
    notes = (Path(__file__).resolve().parents[2] / "docs" / "spotify-catalogues.md").read_text(encoding="utf-8")
    for rule in FEATURE_RULES:
        upper = "" if rule.maximum == float("inf") else f" and < {rule.maximum:g}"
        also = "".join(f", {name} in [{low:g}, {high:g})" for name, low, high in rule.also)
        assert f"| {rule.feature} | >= {rule.minimum:g}{upper}{also} | {rule.descriptor} |" in notes, rule
