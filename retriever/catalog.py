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
import math
import re
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

TrackId = str
MetadataValue = str | int | float | bool

MAX_FIELD_CHARS = 10_000
MAX_DESCRIPTORS = 64
MAX_ID_CHARS = 256
MAX_METADATA_KEY_CHARS = 64
_INT64 = 2**63
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class CatalogFormat(str, enum.Enum):
    JSONL = "jsonl"
    CSV = "csv"
    MUSICCAPS = "musiccaps"
    JAMENDO = "jamendo"
    SPOTIFY = "spotify"


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
    """The valid tracks, the line each came from (``track_lines[i]`` is ``tracks[i]``'s), the skipped rows."""

    tracks: list[Track]
    skipped: list[SkippedRow]
    track_lines: list[int] = field(default_factory=list)

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
        raise RowError(f"{what} not text: got {type(value).__name__}")
    text = _SPACE.sub(" ", _CONTROL.sub(" ", str(value))).strip()
    if len(text) > MAX_FIELD_CHARS:
        raise RowError(f"{what} too long: {len(text)} characters (at most {MAX_FIELD_CHARS})")
    if required and not text:
        raise RowError(f"empty {what}")
    return text


def clean_descriptors(values: object) -> tuple[str, ...]:
    """Validate a descriptor list: text items, no empties, duplicates dropped in order."""
    if values is None:
        raise RowError("no descriptors: the field is missing")
    # A dict or a string is iterable too, but neither is a descriptor list.
    if not isinstance(values, list | tuple):
        raise RowError(f"descriptors not a list: expected a list of strings, got {type(values).__name__}")
    result: list[str] = []
    seen: set[str] = set()
    for value in values:
        if not isinstance(value, str):
            raise RowError(f"descriptors must be strings: got {type(value).__name__} {value!r:.40}")
        text = clean_text(value, "descriptor", required=False)
        if text and text.lower() not in seen:
            seen.add(text.lower())
            result.append(text)
    if not result:
        raise RowError("no descriptors")
    if len(result) > MAX_DESCRIPTORS:
        raise RowError(f"too many descriptors: {len(result)} given, at most {MAX_DESCRIPTORS}")
    return tuple(result)


def _parse_year(value: object) -> int | None:
    if value in (None, ""):
        return None
    try:
        year = int(str(value).strip()[:4])
    except ValueError as error:
        raise RowError(f"year not a number: got {value!r:.20}") from error
    if not 1000 <= year <= 2100:
        raise RowError(f"year out of range: {year}")
    return year


def is_storable_metadata(key: object, value: object) -> bool:
    """Whether an extra field can ride along as store metadata.

    Extra fields are optional, so one the store would reject (Chroma refuses a whole batch
    for an empty key or one starting with "#", and cannot hold NaN, infinity or integers
    beyond 64 bits) is dropped rather than costing the row or the run.
    """
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_METADATA_KEY_CHARS:
        return False
    if key.startswith(("#", "$", "chroma:")) or _CONTROL.search(key):
        return False
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -_INT64 <= value < _INT64
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str) and len(value) <= MAX_FIELD_CHARS


def is_web_url(value: object) -> bool:
    """Whether a value is an absolute http(s) URL with a host (never javascript:, data: or a relative path)."""
    if not isinstance(value, str) or len(value) > MAX_FIELD_CHARS or _CONTROL.search(value) or _SPACE.search(value):
        return False
    parts = urllib.parse.urlsplit(value)
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


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
        if key == "preview_url" and not is_web_url(value):
            # the page plays it in an <audio> element: only an http(s) URL may get there
            logger.warning("track %s: preview_url dropped: expected an http(s) URL, got %.60r", clean_id, value)
            continue
        if is_storable_metadata(key, value):
            extra[str(key)] = value  # type: ignore[assignment]
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
            if number == 1 and raw.startswith((b"\xff\xfe", b"\xfe\xff")):
                raise CatalogError(f"{path}: UTF-16 text (a UTF-16 byte-order mark); save it as UTF-8")
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as error:
                skipped.append(SkippedRow(number, f"not UTF-8: byte {error.start} ({error.reason})"))
                continue
            yield number, text


_JSONL_KNOWN = {"id", "title", "artist", "descriptors", "url", "year"}


def load_jsonl(path: Path) -> LoadResult:
    """The project's own format: one JSON object a line (id, title, artist, descriptors, url?, year?,
    preview_url?: an http(s) audio preview the page can play; other fields ride along as metadata)."""
    tracks: list[Track] = []
    lines: list[int] = []
    skipped: list[SkippedRow] = []
    for number, text in _decoded_lines(path, skipped):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as error:
            skipped.append(SkippedRow(number, f"invalid JSON: {error.msg} (truncated line?)"))
            continue
        except RecursionError:
            skipped.append(SkippedRow(number, "invalid JSON: nested too deeply"))
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
            lines.append(number)
        except RowError as error:
            skipped.append(SkippedRow(number, str(error)))
    return LoadResult(tracks, skipped, lines)


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
    if len(text) > MAX_FIELD_CHARS:
        raise RowError(f"descriptors too long: {len(text)} characters (at most {MAX_FIELD_CHARS})")
    if text.startswith("[") and not text.endswith("]"):
        raise RowError("descriptors not a list: unterminated list literal (truncated line?)")
    if text.startswith("["):
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as error:
            reason = f"descriptors not a list: unreadable list literal ({error.__class__.__name__})"
            raise RowError(reason) from error
        if not isinstance(parsed, list):
            raise RowError("descriptors not a list: expected a list literal")
        return parsed
    return [item for item in text.split(separator)]


def _open_csv(
    path: Path, skipped: list[SkippedRow], delimiter: str = ",", *, strict: bool = True
) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """The header and the rows with their line numbers.

    `strict` reports malformed quoting (text after a closing quote, a quote still open at the
    end of the file: a truncated last row) instead of guessing.

    Raises:
        CatalogError: no header row.
    """
    # Undecodable lines are blanked, not dropped, so the reader's line numbers stay the file's.
    numbered = list(_decoded_lines(path, skipped))
    text_by_line = dict(numbered)
    last = numbered[-1][0] if numbered else 0
    lines = [text_by_line.get(number, "\n") for number in range(1, last + 1)]
    reader = csv.DictReader(io.StringIO("".join(lines)), delimiter=delimiter, strict=strict)
    try:
        fieldnames = reader.fieldnames
    except csv.Error as error:
        raise CatalogError(f"{path}: unreadable CSV header ({error})") from error
    if not fieldnames:
        raise CatalogError(f"{path}: expected a header row, found {'an empty line' if lines else 'nothing'}")

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                # e.g. a cell over the csv module's field limit: report the row and read on. The
                # DictReader's own line_num is only updated on success; its inner reader's is current.
                skipped.append(SkippedRow(reader.reader.line_num, f"unreadable CSV row: {error}"))
                continue
            # line_num counts physical lines, so quoted multi-line cells keep true numbers.
            yield reader.line_num, row

    return list(fieldnames), rows()


def load_csv(path: Path, columns: CsvColumns = CsvColumns()) -> LoadResult:
    """A generic CSV: map its columns onto Track fields with `columns`."""
    tracks: list[Track] = []
    lines: list[int] = []
    skipped: list[SkippedRow] = []
    header, rows = _open_csv(path, skipped)
    missing = [c for c in (columns.id, columns.descriptors) if c not in header]
    if missing:
        raise CatalogError(
            f"{path}: CSV has no column {missing[0]!r}; columns are {[name[:40] for name in header[:8]]}. "
            "Map yours with --id-column/--descriptors-column."
        )
    for number, row in rows:
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
            lines.append(number)
        except RowError as error:
            skipped.append(SkippedRow(number, str(error)))
    return LoadResult(tracks, skipped, lines)


def load_musiccaps(path: Path) -> LoadResult:
    """MusicCaps / LP-MusicCaps CSV: `ytid`, `aspect_list` (a Python list literal), `start_s`."""
    tracks: list[Track] = []
    lines: list[int] = []
    skipped: list[SkippedRow] = []
    header, rows = _open_csv(path, skipped)
    if "ytid" not in header or "aspect_list" not in header:
        raise CatalogError(
            f"{path}: not a MusicCaps CSV (needs columns 'ytid' and 'aspect_list', "
            f"found {[name[:40] for name in header[:8]]})"
        )
    for number, row in rows:
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
            lines.append(number)
        except RowError as error:
            skipped.append(SkippedRow(number, str(error)))
    return LoadResult(tracks, skipped, lines)


def read_jamendo_titles(path: Path) -> dict[TrackId, tuple[str, str]]:
    """The song-describer attribution TSV: TRACK_ID, "<title> by <artist> ", LICENSE."""
    titles: dict[TrackId, tuple[str, str]] = {}
    skipped: list[SkippedRow] = []
    _, rows = _open_csv(path, skipped, delimiter="\t", strict=False)
    for _, row in rows:
        number = (row.get("TRACK_ID") or "").strip()
        attribution = (row.get("ATTRIBUTION") or "").strip()
        if not (number.isascii() and number.isdigit()) or " by " not in attribution:
            continue
        title, artist = attribution.rsplit(" by ", 1)
        titles[f"track_{int(number):07d}"] = (title.strip(), artist.strip())
    return titles


def load_jamendo(path: Path, titles_path: Path | None = None) -> LoadResult:
    """MTG-Jamendo autotagging TSV: TRACK_ID ARTIST_ID ALBUM_ID PATH DURATION then `category---tag` fields."""
    titles = read_jamendo_titles(titles_path) if titles_path else {}
    tracks: list[Track] = []
    lines: list[int] = []
    skipped: list[SkippedRow] = []
    header_seen = False
    for number, text in _decoded_lines(path, skipped):
        fields = text.rstrip("\r\n").split("\t")
        if not header_seen:
            if number != 1 or fields[0] != "TRACK_ID":
                first = fields[0] if number == 1 else "(not UTF-8)"
                raise CatalogError(
                    f"{path}: not an MTG-Jamendo TSV (first header field {first!r:.60}, expected TRACK_ID)"
                )
            header_seen = True
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
                    {"duration_s": _parse_duration(fields[4])},
                )
            )
            lines.append(number)
        except RowError as error:
            skipped.append(SkippedRow(number, str(error)))
    return LoadResult(tracks, skipped, lines)


def _parse_duration(value: str) -> float:
    """Seconds, or 0.0 when the field is not a plain finite number (it is only metadata)."""
    try:
        seconds = float(value) if value.strip().isascii() else 0.0
    except ValueError:
        return 0.0
    return seconds if math.isfinite(seconds) and seconds >= 0 else 0.0


def drop_duplicate_ids(result: LoadResult) -> LoadResult:
    """Keep the first row of each id; later ones are reported as skipped, with their line numbers."""
    lines = result.track_lines if len(result.track_lines) == len(result.tracks) else [0] * len(result.tracks)
    first_line: dict[TrackId, int] = {}
    kept: list[Track] = []
    kept_lines: list[int] = []
    skipped = list(result.skipped)
    for track, line in zip(result.tracks, lines):
        if track.id in first_line:
            reason = f"duplicate id: {track.id!r:.80} (first seen on line {first_line[track.id]}, kept)"
            skipped.append(SkippedRow(line, reason))
            continue
        first_line[track.id] = line
        kept.append(track)
        kept_lines.append(line)
    skipped.sort(key=lambda row: row.line)
    return LoadResult(kept, skipped, kept_lines)


def _check_readable_file(path: Path, what: str) -> None:
    """Fail early, in one line, on what `open` would reject or hang on (a directory, a FIFO)."""
    try:
        if path.is_dir():
            raise CatalogError(f"{path}: is a directory, expected a {what} file")
        if not path.is_file():
            if not path.exists():
                raise CatalogError(f"{path}: no such file")
            raise CatalogError(f"{path}: not a regular {what} file")
    except OSError as error:  # e.g. a parent directory we may not search, a name too long
        raise CatalogError(f"{path}: cannot read the {what} file ({error.strerror or error})") from error
