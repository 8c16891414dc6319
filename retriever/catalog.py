"""Catalogue records and loaders: the start of the index pipeline.

A catalogue file becomes a list of :class:`Track` records. Every loader keeps the
valid rows and reports each bad one (line number and reason) instead of failing
the whole file, so one broken row never costs the rest of the catalogue.

Example:
    >>> result = load_catalog(Path("assets/catalogue.jsonl"), CatalogFormat.JSONL)
    >>> len(result.tracks), result.skipped[:1]
"""

from __future__ import annotations

import ast
import csv
import enum
import io
import json
import logging
import re
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

TrackId = str
MetadataValue = str | int | float | bool

MAX_FIELD_CHARS = 10_000
MAX_DESCRIPTORS = 64
MAX_ID_CHARS = 256
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class CatalogFormat(str, enum.Enum):
    JSONL = "jsonl"
    CSV = "csv"
    MUSICCAPS = "musiccaps"
    JAMENDO = "jamendo"


@dataclass(frozen=True)
class Track:
    """One song: what it is called and the descriptor set that describes it."""

    id: TrackId
    title: str
    artist: str
    descriptors: tuple[str, ...]
    url: str = ""
    year: int | None = None
    metadata: Mapping[str, MetadataValue] = field(default_factory=dict, hash=False, compare=False)

    @property
    def document(self) -> str:
        """The text the encoder and the lexical index see: descriptors joined as in the paper."""
        return ", ".join(self.descriptors)


@dataclass(frozen=True)
class SkippedRow:
    line: int
    reason: str


@dataclass(frozen=True)
class LoadResult:
    tracks: list[Track]
    skipped: list[SkippedRow]

    def summary(self) -> str:
        reasons: dict[str, int] = {}
        for row in self.skipped:
            key = row.reason.split(":")[0]
            reasons[key] = reasons.get(key, 0) + 1
        why = ", ".join(f"{count} {reason}" for reason, count in sorted(reasons.items()))
        return f"kept {len(self.tracks)}, skipped {len(self.skipped)}" + (f" ({why})" if why else "")


class CatalogError(ValueError):
    """A catalogue file that cannot be read at all (missing, empty, wrong format)."""


class RowError(ValueError):
    """One row that cannot become a Track; the loader reports it and goes on."""


def search_url(artist: str, title: str) -> str:
    """A listen link that invents no identifier: a search for "artist title"."""
    query = urllib.parse.quote_plus(f"{artist} {title}".strip())
    return f"https://www.youtube.com/results?search_query={query}"


def clean_text(value: object, what: str, *, required: bool = True) -> str:
    """Normalise one text field; raise RowError when it is unusable."""
    if value is None:
        if required:
            raise RowError(f"missing {what}")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise RowError(f"{what} must be text, got {type(value).__name__}")
    text = _SPACE.sub(" ", _CONTROL.sub(" ", str(value))).strip()
    if len(text) > MAX_FIELD_CHARS:
        raise RowError(f"{what} too long: {len(text)} characters (at most {MAX_FIELD_CHARS})")
    if required and not text:
        raise RowError(f"empty {what}")
    return text


def clean_descriptors(values: object) -> tuple[str, ...]:
    """Validate a descriptor list: text items, no empties, duplicates dropped in order."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise RowError(f"descriptors must be a list of strings, got {type(values).__name__}")
    result: list[str] = []
    seen: set[str] = set()
    for value in values:
        if not isinstance(value, str):
            raise RowError(f"descriptors must be strings, got {type(value).__name__} {value!r:.40}")
        text = clean_text(value, "descriptor", required=False)
        if text and text.lower() not in seen:
            seen.add(text.lower())
            result.append(text)
    if not result:
        raise RowError("no descriptors")
    if len(result) > MAX_DESCRIPTORS:
        raise RowError(f"descriptors: {len(result)} given, at most {MAX_DESCRIPTORS}")
    return tuple(result)


def _parse_year(value: object) -> int | None:
    if value in (None, ""):
        return None
    try:
        year = int(str(value).strip()[:4])
    except ValueError as error:
        raise RowError(f"year must be a number, got {value!r:.20}") from error
    if not 1000 <= year <= 2100:
        raise RowError(f"year out of range: {year}")
    return year


def make_track(
    track_id: object,
    title: object,
    artist: object,
    descriptors: object,
    url: object = None,
    year: object = None,
    metadata: Mapping[str, object] | None = None,
) -> Track:
    """Build a validated Track from raw field values (raises RowError)."""
    clean_id = clean_text(track_id, "id")
    if len(clean_id) > MAX_ID_CHARS:
        raise RowError(f"id too long: {len(clean_id)} characters (at most {MAX_ID_CHARS})")
    clean_title = clean_text(title, "title", required=False) or clean_id
    clean_artist = clean_text(artist, "artist", required=False)
    extra: dict[str, MetadataValue] = {}
    for key, value in (metadata or {}).items():
        if isinstance(value, bool | int | float):
            extra[str(key)] = value
        elif isinstance(value, str) and len(value) <= MAX_FIELD_CHARS:
            extra[str(key)] = value
    return Track(
        id=clean_id,
        title=clean_title,
        artist=clean_artist,
        descriptors=clean_descriptors(descriptors),
        url=clean_text(url, "url", required=False) or search_url(clean_artist, clean_title),
        year=_parse_year(year),
        metadata=extra,
    )


def _decoded_lines(path: Path, skipped: list[SkippedRow]) -> Iterator[tuple[int, str]]:
    """Yield (line number, text) pairs; undecodable lines are reported, not fatal."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as error:
                skipped.append(SkippedRow(number, f"not UTF-8: byte {error.start} ({error.reason})"))
                continue
            yield number, text


_JSONL_KNOWN = {"id", "title", "artist", "descriptors", "url", "year"}


def load_jsonl(path: Path) -> LoadResult:
    """The project's own format: one JSON object a line (id, title, artist, descriptors, url?, year?)."""
    tracks: list[Track] = []
    skipped: list[SkippedRow] = []
    for number, text in _decoded_lines(path, skipped):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as error:
            skipped.append(SkippedRow(number, f"invalid JSON: {error.msg} (truncated line?)"))
            continue
        if not isinstance(row, dict):
            skipped.append(SkippedRow(number, f"invalid JSON: expected an object, got {type(row).__name__}"))
            continue
        try:
            extra = {key: value for key, value in row.items() if key not in _JSONL_KNOWN}
            tracks.append(
                make_track(
                    row.get("id"),
                    row.get("title"),
                    row.get("artist"),
                    row.get("descriptors"),
                    row.get("url"),
                    row.get("year"),
                    extra,
                )
            )
        except RowError as error:
            skipped.append(SkippedRow(number, str(error)))
    return LoadResult(tracks, skipped)


@dataclass(frozen=True)
class CsvColumns:
    """Which CSV columns hold which Track field; descriptors split on `separator`."""

    id: str = "id"
    title: str = "title"
    artist: str = "artist"
    descriptors: str = "descriptors"
    url: str = "url"
    year: str = "year"
    separator: str = ";"


def split_descriptor_field(value: str, separator: str) -> list[str]:
    """A descriptor cell: a Python/JSON list literal, or items joined by `separator`."""
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError) as error:
            raise RowError(f"descriptors: unreadable list literal ({error.__class__.__name__})") from error
        if not isinstance(parsed, list):
            raise RowError("descriptors: expected a list literal")
        return parsed
    return [item for item in text.split(separator)]


def _csv_rows(path: Path, skipped: list[SkippedRow], delimiter: str = ",") -> Iterator[tuple[int, dict[str, str]]]:
    lines = [text for _, text in _decoded_lines(path, skipped)]
    reader = csv.DictReader(io.StringIO("".join(lines)), delimiter=delimiter)
    if reader.fieldnames is None:
        raise CatalogError(f"{path}: empty file, expected a header row")
    for row in reader:
        # reader.line_num counts physical lines, so quoted multi-line cells keep true numbers.
        yield reader.line_num, row


def load_csv(path: Path, columns: CsvColumns = CsvColumns()) -> LoadResult:
    """A generic CSV: map its columns onto Track fields with `columns`."""
    tracks: list[Track] = []
    skipped: list[SkippedRow] = []
    header_checked = False
    for number, row in _csv_rows(path, skipped):
        if not header_checked:
            missing = [c for c in (columns.id, columns.descriptors) if c not in row]
            if missing:
                raise CatalogError(
                    f"{path}: CSV has no column {missing[0]!r}; columns are {list(row)}. "
                    "Map yours with --id-column/--descriptors-column."
                )
            header_checked = True
        if None in row:
            skipped.append(SkippedRow(number, "more cells than header columns"))
            continue
        try:
            descriptors = split_descriptor_field(row.get(columns.descriptors) or "", columns.separator)
            known = {columns.id, columns.title, columns.artist, columns.descriptors, columns.url, columns.year}
            tracks.append(
                make_track(
                    row.get(columns.id),
                    row.get(columns.title),
                    row.get(columns.artist),
                    descriptors,
                    row.get(columns.url),
                    row.get(columns.year),
                    {key: value for key, value in row.items() if key not in known and value},
                )
            )
        except RowError as error:
            skipped.append(SkippedRow(number, str(error)))
    return LoadResult(tracks, skipped)


def load_musiccaps(path: Path) -> LoadResult:
    """MusicCaps / LP-MusicCaps CSV: `ytid`, `aspect_list` (a Python list literal), `start_s`."""
    tracks: list[Track] = []
    skipped: list[SkippedRow] = []
    header_checked = False
    for number, row in _csv_rows(path, skipped):
        if not header_checked:
            if "ytid" not in row or "aspect_list" not in row:
                raise CatalogError(
                    f"{path}: not a MusicCaps CSV (needs columns 'ytid' and 'aspect_list', found {list(row)[:8]})"
                )
            header_checked = True
        try:
            ytid = clean_text(row.get("ytid"), "ytid")
            start = clean_text(row.get("start_s"), "start_s", required=False) or "0"
            split = "test" if (row.get("is_audioset_eval") or "").strip() == "True" else "train"
            metadata: dict[str, object] = {"split": split, "start_s": start}
            caption = row.get("caption") or row.get("caption_ground_truth") or ""
            if caption:
                metadata["caption"] = caption
            tracks.append(
                make_track(
                    ytid,
                    f"MusicCaps clip {ytid} ({start}s)",
                    "MusicCaps",
                    split_descriptor_field(row.get("aspect_list") or "", ","),
                    f"https://www.youtube.com/watch?v={urllib.parse.quote(ytid)}&t={urllib.parse.quote(start)}s",
                    None,
                    metadata,
                )
            )
        except RowError as error:
            skipped.append(SkippedRow(number, str(error)))
    return LoadResult(tracks, skipped)


def read_jamendo_titles(path: Path) -> dict[TrackId, tuple[str, str]]:
    """The song-describer attribution TSV: TRACK_ID, "<title> by <artist> ", LICENSE."""
    titles: dict[TrackId, tuple[str, str]] = {}
    skipped: list[SkippedRow] = []
    for _, row in _csv_rows(path, skipped, delimiter="\t"):
        number = (row.get("TRACK_ID") or "").strip()
        attribution = (row.get("ATTRIBUTION") or "").strip()
        if not number.isdigit() or " by " not in attribution:
            continue
        title, artist = attribution.rsplit(" by ", 1)
        titles[f"track_{int(number):07d}"] = (title.strip(), artist.strip())
    return titles


def load_jamendo(path: Path, titles_path: Path | None = None) -> LoadResult:
    """MTG-Jamendo autotagging TSV: TRACK_ID ARTIST_ID ALBUM_ID PATH DURATION then `category---tag` fields."""
    titles = read_jamendo_titles(titles_path) if titles_path else {}
    tracks: list[Track] = []
    skipped: list[SkippedRow] = []
    for number, text in _decoded_lines(path, skipped):
        fields = text.rstrip("\r\n").split("\t")
        if number == 1:
            if fields[0] != "TRACK_ID":
                raise CatalogError(f"{path}: not an MTG-Jamendo TSV (first header field {fields[0]!r}, expected TRACK_ID)")
            continue
        if not text.strip():
            continue
        if len(fields) < 6:
            skipped.append(SkippedRow(number, f"expected at least 6 tab-separated fields, got {len(fields)}"))
            continue
        try:
            tags = []
            for item in fields[5:]:
                category, _, tag = item.partition("---")
                tags.append((tag or category).replace("_", " "))
            track_id = fields[0].strip()
            title, artist = titles.get(track_id, (f"Jamendo {track_id}", fields[1]))
            digits = track_id.removeprefix("track_").lstrip("0") or "0"
            tracks.append(
                make_track(
                    track_id,
                    title,
                    artist,
                    tags,
                    f"https://www.jamendo.com/track/{digits}",
                    None,
                    {"duration_s": float(fields[4]) if fields[4].replace(".", "", 1).isdigit() else 0.0},
                )
            )
        except RowError as error:
            skipped.append(SkippedRow(number, str(error)))
    return LoadResult(tracks, skipped)


def drop_duplicate_ids(result: LoadResult) -> LoadResult:
    """Keep the first row of each id; later ones are reported as skipped."""
    seen: set[TrackId] = set()
    kept: list[Track] = []
    skipped = list(result.skipped)
    for track in result.tracks:
        if track.id in seen:
            skipped.append(SkippedRow(0, f"duplicate id: {track.id!r} (first occurrence kept)"))
            continue
        seen.add(track.id)
        kept.append(track)
    return LoadResult(kept, skipped)


def load_catalog(
    path: Path,
    catalog_format: CatalogFormat | str,
    *,
    csv_columns: CsvColumns = CsvColumns(),
    titles_path: Path | None = None,
) -> LoadResult:
    """Load a catalogue file in one of the supported formats.

    Args:
        path: the catalogue file.
        catalog_format: jsonl, csv, musiccaps or jamendo.
        csv_columns: column mapping for the csv format.
        titles_path: MTG-Jamendo attribution TSV with titles and artists (jamendo format).

    Returns:
        The valid tracks (unique ids) and the skipped rows with their reasons.

    Raises:
        CatalogError: the file is missing, unreadable, empty, or not of the given format.
    """
    try:
        fmt = CatalogFormat(catalog_format)
    except ValueError as error:
        choices = ", ".join(f.value for f in CatalogFormat)
        raise CatalogError(f"unknown catalogue format {catalog_format!r}; choose one of {choices}") from error
    if not path.is_file():
        raise CatalogError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise CatalogError(f"{path}: the file is empty")
    try:
        if fmt is CatalogFormat.JSONL:
            result = load_jsonl(path)
        elif fmt is CatalogFormat.CSV:
            result = load_csv(path, csv_columns)
        elif fmt is CatalogFormat.MUSICCAPS:
            result = load_musiccaps(path)
        else:
            result = load_jamendo(path, titles_path)
    except PermissionError as error:
        raise CatalogError(f"{path}: cannot read the file ({error.strerror})") from error
    result = drop_duplicate_ids(result)
    logger.info("loaded %s from %s: %s", fmt.value, path, result.summary())
    if result.tracks:
        logger.info("example track: %s", result.tracks[0])
    return result
