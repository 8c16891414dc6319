"""Spotify audio-feature CSVs as a catalogue: `--format spotify`.

A listener's playlist export (Exportify-style), the TidyTuesday `spotify_songs.csv` and the
Billboard hit-predictor files all carry the same thing: a title, an artist, often genres, and
Spotify's audio features (valence, energy, danceability...). This module turns them into
:class:`~retriever.catalog.Track` records whose descriptors come from our vocabulary: genres through
:data:`GENRE_DESCRIPTORS` (then the vocabulary itself), audio features through the one threshold table
:data:`FEATURE_RULES`, the release year through :data:`ERA_DESCRIPTORS`.

Example:
    >>> result = load_spotify(Path("spotify_songs.csv"))
    >>> result.tracks[0].descriptors
    ('pop', 'dance pop', 'high energy', 'danceable', 'modern production')
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from retriever.catalog import (
    CatalogError,
    LoadResult,
    RowError,
    SkippedRow,
    Track,
    TrackId,
    _open_csv,
    clean_text,
    make_track,
    search_url,
    split_descriptor_field,
)
from retriever.vocabulary import Vocabulary, load_vocabulary

logger = logging.getLogger(__name__)

ColumnKey = str  # a header name lower-cased, without spaces, underscores or parentheses


def column_key(name: str) -> ColumnKey:
    """`Artist Name(s)` -> `artistnames`, `track_album_release_date` -> `trackalbumreleasedate`."""
    return re.sub(r"[\s_()]+", "", name).lower()


# Each Track field and the header names that hold it (as column keys), first match wins.
# spotify-songs: track_id, track_name, track_artist...; billboard-hits: track, artist, uri...;
# Exportify-style exports: Track URI / Spotify ID, Track Name, Artist Name(s), Album Name...
FIELD_COLUMNS: dict[str, tuple[ColumnKey, ...]] = {
    "id": ("trackid", "spotifyid", "id"),
    "uri": ("trackuri", "uri", "spotifyuri", "spotifyurl", "url"),
    "title": ("trackname", "track", "name", "title", "song", "songname"),
    "artist": ("trackartist", "artistnames", "artist", "artists", "artistname", "performer"),
    "album": ("trackalbumname", "albumname", "album"),
    "release_date": ("trackalbumreleasedate", "albumreleasedate", "releasedate"),
    "year": ("year",),
    "decade": ("decade",),
    "popularity": ("trackpopularity", "popularity"),
    "genres": ("playlistgenre", "genres", "artistgenres", "spotifygenre", "genre"),
    "subgenres": ("playlistsubgenre", "subgenre", "subgenres"),
    "language": ("language", "lyricslanguage"),
    "region": ("region", "country", "market"),
}

# Spotify's audio features: (valid minimum, valid maximum). A cell outside costs its row.
FEATURE_RANGES: dict[str, tuple[float, float]] = {
    "danceability": (0.0, 1.0),
    "energy": (0.0, 1.0),
    "speechiness": (0.0, 1.0),
    "acousticness": (0.0, 1.0),
    "instrumentalness": (0.0, 1.0),
    "liveness": (0.0, 1.0),
    "valence": (0.0, 1.0),
    "tempo": (0.0, 300.0),  # BPM; 0 is Spotify's "no tempo detected"
    "loudness": (-80.0, 10.0),  # dB; mastered tracks reach a little above 0
    "key": (-1.0, 11.0),  # pitch class, -1 = none detected
    "mode": (0.0, 1.0),
    "time_signature": (0.0, 7.0),
    "duration_ms": (0.0, 24 * 3600 * 1000.0),
}
_FEATURE_COLUMNS: dict[str, tuple[ColumnKey, ...]] = {
    **{name: (column_key(name),) for name in FEATURE_RANGES},
    "duration_ms": ("durationms", "trackdurationms"),
    "tempo": ("tempo", "tempobpm", "bpm"),
}
_DESCRIPTIVE_FEATURES = ("danceability", "energy", "speechiness", "acousticness", "instrumentalness",
                         "liveness", "valence", "tempo")
_POPULARITY_RANGE = (0.0, 100.0)


@dataclass(frozen=True)
class FeatureRule:
    """`descriptor` when `minimum <= features[feature] < maximum` (and each `also` condition,
    `(feature, minimum, maximum)`, holds too); a track between rules gets nothing."""

    descriptor: str
    feature: str
    minimum: float
    maximum: float = math.inf
    also: tuple[tuple[str, float, float], ...] = ()

    def holds(self, features: Mapping[str, float]) -> bool:
        return all(name in features and low <= features[name] < high
                   for name, low, high in ((self.feature, self.minimum, self.maximum), *self.also))


# THE threshold table (docs/spotify-catalogues.md reproduces it with the validation numbers).
# Spotify documents speechiness > 0.66 as "probably made entirely of spoken words", 0.33-0.66 as
# music and speech, and instrumentalness > 0.5 as "intended to represent instrumental tracks";
# rap starts at 0.22 because on spotify_songs.csv 0.33 flags only 17 % of rap-playlist tracks
# (0.22: 41 %, while pop stays at 5 % and rock at 1.6 %). Low valence alone is not sad: a third of
# the EDM tracks have it at full energy; with energy < 0.7 EDM drops to 5 % while tracks from
# playlists named sad/heartbreak/broken/cry keep 34 % (4.0 times the overall rate).
FEATURE_RULES: tuple[FeatureRule, ...] = (
    FeatureRule("happy", "valence", 0.70),
    FeatureRule("sad", "valence", 0.0, 0.25, also=(("energy", 0.0, 0.70),)),
    FeatureRule("high energy", "energy", 0.80),
    FeatureRule("calm", "energy", 0.0, 0.35),
    FeatureRule("danceable", "danceability", 0.75),
    FeatureRule("acoustic", "acousticness", 0.60),
    FeatureRule("instrumental", "instrumentalness", 0.50),
    FeatureRule("spoken word", "speechiness", 0.66),
    FeatureRule("rap", "speechiness", 0.22, 0.66),
    FeatureRule("live recording", "liveness", 0.80),
    FeatureRule("slow tempo", "tempo", 1.0, 80.0),  # tempo 0 means none was detected
    FeatureRule("fast tempo", "tempo", 140.0),
)
# Descriptors that say someone sings or speaks: an instrumental track gets none of them.
VOCAL_DESCRIPTORS = frozenset({"rap", "spoken word"})

# Release decade -> the vocabulary's era descriptor (the vocabulary's 1980s one is "80s synths",
# whose synonyms are "80s" and "1980s"; 2010 on is "modern production").
ERA_DESCRIPTORS: tuple[tuple[int, int, str], ...] = (
    (1000, 1950, "vintage recording"),
    (1950, 1960, "1950s recording"),
    (1960, 1970, "1960s production"),
    (1970, 1980, "1970s production"),
    (1980, 1990, "80s synths"),
    (1990, 2000, "90s production"),
    (2000, 2010, "2000s production"),
    (2010, 2101, "modern production"),
)

# Spotify's genre labels that are not (or not only) a vocabulary name. A label is looked up here and
# in the vocabulary's genre facet: the whole label, then its longest known ending ("canadian pop" ->
# pop, "dirty south rap" -> hip hop, "deep adult standards" -> vocal jazz), then its longest known
# beginning ("reggaeton flow" -> reggaeton).
GENRE_DESCRIPTORS: dict[str, tuple[str, ...]] = {
    # spotify-songs playlist_genre / playlist_subgenre
    "rap": ("hip hop",),
    "latin": (),  # a playlist family, not a sound: its subgenres (latin pop, reggaeton, tropical) say more
    "progressive electro house": ("house", "electro", "edm"),
    "electro house": ("house", "electro", "edm"),
    "big room": ("edm", "house"),
    "pop edm": ("edm", "pop"),
    "indie poptimism": ("indie pop",),
    "southern hip hop": ("hip hop",),
    "latin hip hop": ("hip hop",),
    "gangster rap": ("gangsta rap", "hip hop"),
    "hip pop": ("hip hop", "pop"),
    "urban contemporary": ("contemporary r&b",),
    "new jack swing": ("r&b",),
    "post-teen pop": ("pop",),
    "permanent wave": ("new wave", "alternative rock"),
    "album rock": ("classic rock",),
    # common Spotify artist micro-genres (Exportify `Genres`, hot100 `spotify_genre`)
    "adult standards": ("vocal jazz",),
    "brill building pop": ("pop",),
    "mellow gold": ("soft rock",),
    "easy listening": ("lounge",),
    "rock-and-roll": ("rock and roll",),
    "rockabilly": ("rock and roll",),
    "trap latino": ("latin trap",),
    "urbano latino": ("reggaeton",),
    "quiet storm": ("r&b", "soul"),
    "rap rock": ("hip hop", "rock"),
    "rap metal": ("hip hop", "heavy metal"),
    "lo-fi beats": ("lo-fi hip hop",),
    "chillhop": ("lo-fi hip hop",),
    "motown": ("motown", "soul"),
    "bubblegum pop": ("teen pop",),
    "merseybeat": ("rock and roll",),
    "british invasion": ("rock and roll",),
    "new romantic": ("new wave", "synth-pop"),
    "post-grunge": ("alternative rock",),
    "post-disco": ("disco",),
    "hi-nrg": ("disco",),
    "neo mellow": ("soft rock",),
    "europop": ("pop",),
    "nashville sound": ("country",),
    "redneck": ("country",),
    "crunk": ("hip hop",),
    "boy band": ("teen pop",),
    "girl group": ("pop",),
    "comic": ("novelty",),
    "folk-pop": ("folk", "pop"),
    "dance-punk": ("post-punk",),
    "protopunk": ("punk rock",),
}


@functools.cache
def _default_vocabulary() -> Vocabulary:
    return load_vocabulary()


def genre_descriptors(label: str, vocabulary: Vocabulary) -> tuple[str, ...]:
    """Our genre descriptors for one Spotify genre label; () when nothing fits (never a guess)."""
    text = " ".join(label.lower().split())
    words = text.split()
    candidates = [" ".join(words)]
    candidates += [" ".join(words[start:]) for start in range(1, len(words))]  # endings, longest first
    candidates += [" ".join(words[:end]) for end in range(len(words) - 1, 0, -1)]  # beginnings
    for candidate in candidates:
        if candidate in GENRE_DESCRIPTORS:
            return GENRE_DESCRIPTORS[candidate]
        name = vocabulary.canonical(candidate)
        if name is not None and vocabulary.facet_of(name) == "genre":
            return (name,)
    return ()


def feature_descriptors(features: Mapping[str, float]) -> tuple[str, ...]:
    """The descriptors FEATURE_RULES gives a track's audio features, in the table's order."""
    names = [rule.descriptor for rule in FEATURE_RULES if rule.holds(features)]
    if "instrumental" in names:
        names = [name for name in names if name not in VOCAL_DESCRIPTORS]
    return tuple(names)


def era_descriptor(year: int) -> str | None:
    for start, end, name in ERA_DESCRIPTORS:
        if start <= year < end:
            return name
    return None


_SPOTIFY_ID = re.compile(r"[0-9A-Za-z]{22}")
_SPOTIFY_REF = re.compile(r"(?:spotify:track:|https?://open\.spotify\.com/(?:intl-[a-z-]+/)?track/)([0-9A-Za-z]{22})")


def spotify_track_id(value: str) -> str | None:
    """The 22-character base62 id in an id, a `spotify:track:ID` URI or an open.spotify.com link."""
    text = value.strip()
    if _SPOTIFY_ID.fullmatch(text):
        return text
    match = _SPOTIFY_REF.fullmatch(text.split("?")[0])
    return match.group(1) if match else None


@dataclass(frozen=True)
class SpotifyColumns:
    """Which header holds which field (None: the file has no such column)."""

    fields: dict[str, str | None]
    features: dict[str, str]  # feature name -> header
    variant: str  # spotify-songs, billboard-hits, export or generic: for messages and logs

    @classmethod
    def from_header(cls, path: Path, header: list[str]) -> SpotifyColumns:
        """Match the header case-insensitively, ignoring spaces, underscores and parentheses.

        Raises:
            CatalogError: no title or artist column, or neither an audio feature nor a genre column.
        """
        by_key: dict[ColumnKey, str] = {}
        for name in header:
            by_key.setdefault(column_key(name), name)
        fields = {field: next((by_key[key] for key in keys if key in by_key), None)
                  for field, keys in FIELD_COLUMNS.items()}
        features: dict[str, str] = {}
        for feature, keys in _FEATURE_COLUMNS.items():
            found = next((by_key[key] for key in keys if key in by_key), None)
            if found is not None:
                features[feature] = found
        keys = set(by_key)
        if {"trackid", "trackname"} <= keys:
            variant = "spotify-songs"
        elif {"track", "uri"} <= keys:
            variant = "billboard-hits"
        elif keys & {"trackuri", "artistnames", "spotifyid"}:
            variant = "export"
        else:
            variant = "generic"
        has_descriptive = any(f in features for f in _DESCRIPTIVE_FEATURES) or fields["genres"] or fields["subgenres"]
        if fields["title"] is None or fields["artist"] is None or not has_descriptive:
            needs = [what for what, ok in (("a title column", fields["title"]), ("an artist column", fields["artist"]),
                                           ("an audio-feature or genre column", has_descriptive)) if not ok]
            raise CatalogError(
                f"{path}: not a Spotify audio-features CSV: missing {' and '.join(needs)}; "
                f"found columns {[name[:40] for name in header[:30]]}. It needs a title column "
                f"({_names('title')}), an artist column ({_names('artist')}) and at least one audio feature "
                f"({', '.join(_DESCRIPTIVE_FEATURES)}) or genre column ({_names('genres')}, {_names('subgenres')}). "
                "Known column sets: spotify-songs (track_id, track_name, track_artist, playlist_genre, "
                "playlist_subgenre, danceability, ...), billboard-hits (track, artist, uri, danceability, ..., "
                "decade), playlist exports (Track URI, Track Name, Artist Name(s), Album Name, "
                "Album Release Date, Genres, Danceability, ...); names match ignoring case, spaces, "
                "underscores and parentheses."
            )
        return cls(fields, features, variant)


def _names(field: str) -> str:
    return " / ".join(FIELD_COLUMNS[field])


def _number(row: Mapping[str, str | None], column: str, name: str, valid: tuple[float, float]) -> float | None:
    text = (row.get(column) or "").strip()
    if not text or text.upper() in ("NA", "NULL", "NONE"):  # an empty cell or R's / SQL's missing value
        return None
    try:
        value = float(text)
    except ValueError as error:
        raise RowError(f"{name} not a number: got {text!r:.30}") from error
    if not math.isfinite(value):
        raise RowError(f"{name} not a number: got {text!r:.30}")
    if not valid[0] <= value <= valid[1]:
        raise RowError(f"{name} out of range: {text:.30} (expected {valid[0]:g} to {valid[1]:g})")
    return value


def _text(row: Mapping[str, str | None], column: str | None, what: str, *, required: bool = False) -> str:
    if column is None:
        return ""
    text = clean_text(row.get(column), what, required=False)
    # R writes a missing value as NA (spotify_songs.csv comes from R): that is no title, not a title.
    if text == "NA":
        text = ""
    if required and not text:
        raise RowError(f"missing {what}" + (": the cell is NA (R's missing value)" if row.get(column) == "NA" else ""))
    return text


def _labels(row: Mapping[str, str | None], column: str | None) -> list[str]:
    """A genre cell: one label, a comma-separated list (exports) or a list literal (`['a', 'b']`)."""
    if column is None:
        return []
    text = (row.get(column) or "").strip()
    if not text or text == "NA":
        return []
    items = split_descriptor_field(text, ",")
    return [item.strip() for item in items if isinstance(item, str) and item.strip()]


@dataclass
class _Draft:
    """One track being assembled; later rows of the same id only add genres."""

    line: int
    track_id: TrackId
    title: str
    artist: str
    url: str
    year: int | None
    era: str | None
    genres: list[str]
    subgenres: list[str]
    language: str
    metadata: dict[str, object]
    rows: int = 1


def _parse_row(row: Mapping[str, str | None], columns: SpotifyColumns, line: int) -> _Draft:
    fields = columns.fields
    title = _text(row, fields["title"], "title", required=True)
    artist = _text(row, fields["artist"], "artist", required=True)
    raw_id = _text(row, fields["id"], "id")
    raw_uri = _text(row, fields["uri"], "uri")
    spotify_id = spotify_track_id(raw_id) if raw_id else None
    spotify_id = spotify_id or (spotify_track_id(raw_uri) if raw_uri else None)
    if spotify_id:
        track_id, url = spotify_id, f"https://open.spotify.com/track/{spotify_id}"
    else:
        # no real Spotify id: keep the file's own id, else one derived from the song (never an invented
        # Spotify id); a uri/url column that is no Spotify reference is not an id
        digest = hashlib.sha1(f"{artist.lower()}\n{title.lower()}".encode()).hexdigest()[:16]
        track_id, url = raw_id or f"song-{digest}", search_url(artist, title)
    metadata: dict[str, object] = {}
    for feature, column in columns.features.items():
        value = _number(row, column, feature, FEATURE_RANGES[feature])
        if value is not None:
            metadata[feature] = int(value) if feature in ("key", "mode", "time_signature", "duration_ms") else value
    if fields["popularity"] is not None:
        popularity = _number(row, fields["popularity"], "popularity", _POPULARITY_RANGE)
        if popularity is not None:
            metadata["popularity"] = int(popularity)
    album = _text(row, fields["album"], "album")
    if album:
        metadata["album"] = album
    release = _text(row, fields["release_date"], "release date")
    year_text = release or _text(row, fields["year"], "year")
    year: int | None = None
    if year_text:
        if not re.fullmatch(r"\d{4}(-\d{1,2}(-\d{1,2})?)?", year_text):
            raise RowError(f"release date not a date: got {year_text!r:.30} (expected YYYY, YYYY-MM or YYYY-MM-DD)")
        year = int(year_text[:4])
        if not 1000 <= year <= 2100:
            raise RowError(f"release date out of range: {year_text:.30}")
        if release:
            metadata["release_date"] = release
    era: str | None = era_descriptor(year) if year is not None else None
    decade_text = _text(row, fields["decade"], "decade")
    if decade_text:
        decade_match = re.fullmatch(r"(\d{4})s?", decade_text)
        if not decade_match or not 1000 <= int(decade_match.group(1)) <= 2100:
            raise RowError(f"decade not a year: got {decade_text!r:.30} (expected e.g. 1960)")
        metadata["decade"] = int(decade_match.group(1))
        era = era or era_descriptor(int(decade_match.group(1)))
    language = _text(row, fields["language"], "language")
    region = _text(row, fields["region"], "region")
    for key, value in (("language", language), ("region", region)):
        if value:
            metadata[key] = value
    return _Draft(line, track_id, title, artist, url, year, era, _labels(row, fields["genres"]),
                  _labels(row, fields["subgenres"]), language, metadata)


def _merge(first: _Draft, later: _Draft) -> None:
    first.rows += 1
    first.genres += [g for g in later.genres if g not in first.genres]
    first.subgenres += [g for g in later.subgenres if g not in first.subgenres]


def _to_track(draft: _Draft, vocabulary: Vocabulary) -> Track:
    descriptors: list[str] = []
    for label in (*draft.subgenres, *draft.genres):
        descriptors += genre_descriptors(label, vocabulary)
    features = {k: v for k, v in draft.metadata.items() if k in FEATURE_RANGES and isinstance(v, int | float)}
    descriptors += feature_descriptors(features)
    if draft.language:
        sung_in = vocabulary.canonical(f"{draft.language} lyrics")
        if sung_in is not None and "instrumental" not in descriptors:
            descriptors.append(sung_in)
    if draft.era:
        descriptors.append(draft.era)
    if not descriptors:
        raise RowError("no descriptors: no known genre and every audio feature is between thresholds")
    metadata = dict(draft.metadata)
    if draft.genres:
        metadata["genres"] = "; ".join(draft.genres)
    if draft.subgenres:
        metadata["subgenres"] = "; ".join(draft.subgenres)
    metadata["source_rows"] = draft.rows
    return make_track(draft.track_id, draft.title, draft.artist, descriptors, draft.url, draft.year, metadata)


def load_spotify(path: Path, vocabulary: Vocabulary | None = None) -> LoadResult:
    """A CSV with Spotify audio features: spotify-songs, billboard-hits or a playlist export.

    Rows of the same track (spotify_songs.csv has one per playlist) become one Track with the
    union of their genres; the track keeps the first row's line number and fields.

    Args:
        path: the CSV file.
        vocabulary: where genre labels are looked up (default assets/vocabulary.json).

    Returns:
        One track per Spotify id (or per artist and title without one) and the skipped rows.

    Raises:
        CatalogError: no header, or no title/artist/audio-feature-or-genre columns.
    """
    vocabulary = vocabulary or _default_vocabulary()
    skipped: list[SkippedRow] = []
    header, rows = _open_csv(path, skipped)
    columns = SpotifyColumns.from_header(path, header)
    logger.info("%s: %s columns %s, features %s", path, columns.variant,
                {k: v for k, v in columns.fields.items() if v}, sorted(columns.features))
    drafts: dict[TrackId, _Draft] = {}
    for number, row in rows:
        if None in row:
            skipped.append(SkippedRow(number, "more cells than header columns"))
            continue
        if any(value is None for value in row.values()):
            filled = sum(value is not None for value in row.values())
            skipped.append(SkippedRow(number, f"truncated row: {filled} of {len(header)} cells"))
            continue
        try:
            draft = _parse_row(row, columns, number)
        except RowError as error:
            skipped.append(SkippedRow(number, str(error)))
            continue
        if draft.track_id in drafts:
            _merge(drafts[draft.track_id], draft)
        else:
            drafts[draft.track_id] = draft
    tracks: list[Track] = []
    lines: list[int] = []
    for draft in drafts.values():
        try:
            tracks.append(_to_track(draft, vocabulary))
            lines.append(draft.line)
        except RowError as error:
            skipped.append(SkippedRow(draft.line, str(error)))
    skipped.sort(key=lambda row: row.line)
    merged = sum(draft.rows - 1 for draft in drafts.values())
    logger.info("%s: %d rows of already-seen tracks merged into them (their genres joined)", path, merged)
    return LoadResult(tracks, skipped, lines)
