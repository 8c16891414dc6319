"""Index generations and the atomic switch between them.

An index directory may hold several generations, each a complete index built by one
encoder, and an ``ACTIVE`` pointer file naming the live one::

    my-index/
      chroma.sqlite3 ...          the index `tunetalk index` built (used while there is no ACTIVE)
      ACTIVE                      "generations/gpl-demo-1a2b3c/index"
      generations/gpl-demo-1a2b3c/
        encoder/                  the encoder that built it (its path is recorded in the collection)
        index/                    a Chroma directory
        READY                     written only after every track was stored and counted

A new generation is built beside the live one; the pointer is then replaced with
``os.replace``, so a reader sees the old generation or the new one, never a mix, and the
old one stays on disk. :func:`resolve_index_dir` is what readers call on ``--index-dir``.

Example:
    >>> generation = build_generation(Path("my-index"), "gpl-demo", tracks, encoder)
    >>> activate_generation(Path("my-index"), generation)
    >>> resolve_index_dir(Path("my-index"))
    PosixPath('my-index/generations/gpl-demo/index')
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

from retriever.catalog import Track
from retriever.encoder import Encoder
from retriever.indexing import IndexConfig, index_tracks
from retriever.store import StoreError, TrackStore

logger = logging.getLogger(__name__)

ACTIVE_FILE = "ACTIVE"
GENERATIONS_DIR = "generations"
READY_FILE = "READY"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def generation_dir(index_dir: Path, name: str) -> Path:
    """The directory of generation ``name`` (not created).

    Raises:
        ValueError: ``name`` is not a plain directory name.
    """
    if not _NAME.match(name):
        raise ValueError(
            f"generation name must be letters, digits, '.', '_' or '-' (<= 128 chars), got {name!r}"
        )
    return index_dir / GENERATIONS_DIR / name


def active_generation(index_dir: Path) -> Path | None:
    """The live generation's directory, or None when ``index_dir`` has no ACTIVE pointer.

    Raises:
        StoreError: the pointer names something that is not a finished generation.
    """
    pointer = index_dir / ACTIVE_FILE
    if not pointer.is_file():
        return None
    relative = pointer.read_text(encoding="utf-8").strip()
    parts = Path(relative).parts
    if len(parts) != 3 or parts[0] != GENERATIONS_DIR or parts[2] != "index" or not _NAME.match(parts[1]):
        raise StoreError(
            f"{pointer} should name 'generations/<name>/index', got {relative!r}. "
            f"Fix the file or delete it to use the index in {index_dir} itself."
        )
    generation = index_dir / GENERATIONS_DIR / parts[1]
    if not (generation / READY_FILE).is_file():
        raise StoreError(
            f"{pointer} names {generation}, which is not a finished generation (no {READY_FILE}). "
            f"Delete {pointer} to use the index in {index_dir} itself, or re-run `tunetalk train`."
        )
    return generation


def resolve_index_dir(index_dir: Path) -> Path:
    """The Chroma directory to open for ``--index-dir``: the live generation's index, else ``index_dir``.

    Raises:
        StoreError: a broken ACTIVE pointer.
    """
    generation = active_generation(index_dir)
    return index_dir if generation is None else generation / "index"


def build_generation(
    index_dir: Path,
    name: str,
    tracks: Sequence[Track],
    encoder: Encoder,
    config: IndexConfig = IndexConfig(),
    *,
    show_progress_bar: bool | None = None,
) -> Path:
    """Index ``tracks`` with ``encoder`` into a new generation (not yet live).

    A generation left unfinished by a crash is wiped and rebuilt; a finished one with the
    same name is an error (names are never reused, so a live index is never overwritten).

    Args:
        index_dir: the index directory that holds the generations.
        name: the new generation's name.
        tracks: the catalogue, validated and with unique ids.
        encoder: the encoder whose identity is recorded in the new collection.
        config: indexing batch sizes.
        show_progress_bar: None shows one when logging is at INFO or lower.

    Returns:
        The generation's directory (``.../generations/<name>``).

    Raises:
        StoreError: a finished generation of that name exists, or the index came out short.
    """
    generation = generation_dir(index_dir, name)
    if (generation / READY_FILE).exists():
        raise StoreError(f"generation {generation} already exists; pick a new name")
    shutil.rmtree(generation / "index", ignore_errors=True)
    store = TrackStore.open(encoder.info, index_dir=generation / "index", create=True)
    report = index_tracks(tracks, store, encoder, config, show_progress_bar=show_progress_bar)
    if report.total_in_store != len({t.id for t in tracks}):
        raise StoreError(
            f"generation {generation}: {report.total_in_store} tracks stored, expected {len(tracks)}; not activated"
        )
    ready = generation / READY_FILE
    ready.write_text(encoder.info.fingerprint + "\n", encoding="utf-8")
    logger.info(
        "generation %s built: %d tracks with %s", generation, report.total_in_store, encoder.info.fingerprint
    )
    return generation


def activate_generation(index_dir: Path, generation: Path) -> None:
    """Make ``generation`` the live index of ``index_dir`` in one atomic step.

    Raises:
        StoreError: ``generation`` is not a finished generation of ``index_dir``.
    """
    if generation.parent != index_dir / GENERATIONS_DIR or not (generation / READY_FILE).is_file():
        raise StoreError(f"{generation} is not a finished generation under {index_dir / GENERATIONS_DIR}")
    pointer = index_dir / ACTIVE_FILE
    temporary = index_dir / (ACTIVE_FILE + ".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(f"{GENERATIONS_DIR}/{generation.name}/index\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, pointer)
    directory = os.open(index_dir, os.O_RDONLY)
    try:
        os.fsync(directory)  # make the rename itself durable
    finally:
        os.close(directory)
    logger.info("%s now points to %s", pointer, generation)
