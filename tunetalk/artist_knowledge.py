"""The public artist knowledge the chat loads (Spotify genres, Last.fm tags), as `tunetalk chat` and the GPL gate load it."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from tunetalk import paths

logger = logging.getLogger(__name__)


def knowledge_files(data_dir: Path) -> list[Path]:
    """The artist-knowledge files of the public datasets under `data_dir` that are there."""
    folder = data_dir / "artist-knowledge"
    return [f for f in (folder / "spotify_artist_genres.csv", folder / "lastfm_artist_tags.csv") if f.is_file()]


def load_knowledge(files: list[Path]):  # noqa: ANN201 - list[ArtistProfile]
    """Artist profiles from knowledge files, cached under $TUNETALK_HOME (reading them takes seconds)."""
    import hashlib
    import pickle

    from retriever import load_artist_knowledge, load_genre_map
    from retriever.artists import DEFAULT_GENRE_MAP, LASTFM_COLUMNS

    if not files:
        return []
    sources = [(str(f.resolve()), f.stat().st_size, f.stat().st_mtime_ns) for f in files]
    stamp = hashlib.sha256(repr(sources).encode() + DEFAULT_GENRE_MAP.read_bytes()
                           + Path(__file__).resolve().parents[1].joinpath("retriever", "artists.py").read_bytes()
                           ).hexdigest()[:16]
    cache = paths.home() / "artist-knowledge" / f"profiles-{stamp}.pickle"
    if cache.is_file():
        try:
            return pickle.loads(cache.read_bytes())
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            logger.warning("artist knowledge cache %s is unreadable; rebuilding it", cache)
    spotify, lastfm = None, None
    for path in files:
        header = path.open(encoding="utf-8", errors="replace").readline().lower()
        if all(column in header for column in LASTFM_COLUMNS):
            lastfm = path
        else:
            spotify = path
    profiles = load_artist_knowledge(spotify, lastfm, genre_map=load_genre_map())
    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = cache.with_suffix(".partial")
    partial.write_bytes(pickle.dumps(profiles))
    os.replace(partial, cache)
    return profiles


def chat_artist_profiles(files: list[Path]):  # noqa: ANN201 - list[ArtistProfile]
    """What the chat knows of artists beyond its catalogue: our own profiles (assets/artists.jsonl) first,
    they win over the public knowledge files for the same name, then those `files`."""
    from retriever.artists import DEFAULT_PROFILES, load_profiles

    return (load_profiles() if DEFAULT_PROFILES.is_file() else []) + load_knowledge(files)
