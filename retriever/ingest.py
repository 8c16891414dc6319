"""One entry point for every catalogue format: `load_catalog(path, format)`.

The loaders live beside their formats (retriever/catalog.py, retriever/spotify.py); this module
only picks one, checks the file first and drops duplicate ids.
"""

from __future__ import annotations

import logging
from pathlib import Path

from retriever.catalog import (
    CatalogError,
    CatalogFormat,
    CsvColumns,
    LoadResult,
    _check_readable_file,
    drop_duplicate_ids,
    load_csv,
    load_jamendo,
    load_jsonl,
    load_musiccaps,
)
from retriever.spotify import load_spotify

logger = logging.getLogger(__name__)


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
        catalog_format: jsonl, csv, musiccaps, jamendo or spotify.
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
    _check_readable_file(path, "catalogue")
    if titles_path is not None:
        _check_readable_file(titles_path, "titles")
    try:
        if path.stat().st_size == 0:
            raise CatalogError(f"{path}: the file is empty")
        if fmt is CatalogFormat.JSONL:
            result = load_jsonl(path)
        elif fmt is CatalogFormat.CSV:
            result = load_csv(path, csv_columns)
        elif fmt is CatalogFormat.MUSICCAPS:
            result = load_musiccaps(path)
        elif fmt is CatalogFormat.SPOTIFY:
            result = load_spotify(path)
        else:
            result = load_jamendo(path, titles_path)
    except OSError as error:  # permission denied, I/O error, a file that vanished mid-read
        where = error.filename or path
        raise CatalogError(f"{where}: cannot read the file ({error.strerror or error})") from error
    result = drop_duplicate_ids(result)
    logger.info("loaded %s from %s: %s", fmt.value, path, result.summary())
    if result.tracks:
        logger.info("example track: %s", result.tracks[0])
    return result
