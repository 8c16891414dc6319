"""The only module that imports chromadb: the track collection, embedded or on a Chroma server.

We always pass our own embeddings (Chroma's default embedding function would download a
model), turn telemetry off, use cosine space, and record the encoder that built the
collection in its metadata. Opening a collection with another encoder is an error.
Chroma's column-oriented results become ``list[Hit]`` here and nowhere else.
"""

from __future__ import annotations

import logging
import os
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retriever.catalog import Track, TrackId
from retriever.encoder import EncoderInfo

logger = logging.getLogger(__name__)

DEFAULT_COLLECTION = "tracks"
WRITE_BATCH = 1000
READ_PAGE = 5000
_RESERVED = {"title", "artist", "url", "year", "descriptors", "descriptors_lower"}


class StoreError(RuntimeError):
    """A store that cannot be opened or used as asked (missing, wrong encoder, unreachable)."""


@dataclass(frozen=True)
class Hit:
    """One retrieved track with its score (higher is better)."""

    track: Track
    score: float
    dense_score: float | None = None
    lexical_score: float | None = None


def _settings():  # noqa: ANN202 - chromadb type kept local to this module
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False, allow_reset=False)


def make_client(index_dir: Path | None = None, chroma_url: str | None = None):  # noqa: ANN201
    """An embedded PersistentClient on index_dir, or an HttpClient for a Chroma server URL."""
    import chromadb

    if chroma_url:
        parsed = urllib.parse.urlparse(chroma_url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise StoreError(f"--chroma-url must look like http://HOST:PORT, got {chroma_url!r}")
        port = parsed.port or (443 if parsed.scheme == "https" else 8000)
        try:
            client = chromadb.HttpClient(
                host=parsed.hostname, port=port, ssl=parsed.scheme == "https", settings=_settings()
            )
            client.heartbeat()
        except Exception as error:  # noqa: BLE001 - connection errors come in many types
            raise StoreError(
                f"cannot reach the Chroma server at {chroma_url}: {error}. Start one with "
                "`chroma run --path DIR --host 127.0.0.1 --port N`."
            ) from error
        return client
    if index_dir is None:
        raise StoreError("give an index directory or a Chroma server URL")
    index_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(index_dir), settings=_settings())


def _track_metadata(track: Track) -> dict:
    metadata: dict = {key: value for key, value in track.metadata.items() if key not in _RESERVED}
    metadata.update(
        title=track.title,
        artist=track.artist,
        url=track.url,
        descriptors=list(track.descriptors),
        descriptors_lower=[d.lower() for d in track.descriptors],
    )
    if track.year is not None:
        metadata["year"] = track.year
    return metadata


def _track_from(track_id: str, metadata: dict) -> Track:
    extra = {key: value for key, value in metadata.items() if key not in _RESERVED}
    year = metadata.get("year")
    return Track(
        id=track_id,
        title=str(metadata.get("title", track_id)),
        artist=str(metadata.get("artist", "")),
        descriptors=tuple(metadata.get("descriptors") or ()),
        url=str(metadata.get("url", "")),
        year=int(year) if isinstance(year, int | float) else None,
        metadata=extra,
    )


class TrackStore:
    """A Chroma collection of tracks, tied to the encoder that embedded them."""

    def __init__(self, collection, encoder: EncoderInfo, location: str) -> None:  # noqa: ANN001
        self.collection = collection
        self.encoder = encoder
        self.location = location

    @classmethod
    def open(
        cls,
        encoder: EncoderInfo,
        *,
        index_dir: Path | None = None,
        chroma_url: str | None = None,
        collection: str = DEFAULT_COLLECTION,
        create: bool = False,
    ) -> TrackStore:
        """Open (or with create=True, create) the track collection.

        Raises:
            StoreError: missing collection, unreachable server, or built by another encoder.
        """
        if not create and chroma_url is None and (index_dir is None or not (index_dir / "chroma.sqlite3").exists()):
            raise StoreError(f"no index at {index_dir}: build one with `tunetalk index CATALOGUE --index-dir {index_dir}`")
        client = make_client(index_dir, chroma_url)
        location = chroma_url or str(index_dir)
        metadata = {
            "hnsw:space": "cosine",
            "encoder_name": encoder.name,
            "encoder_sha256": encoder.weights_sha256,
            "dimension": encoder.dimension,
        }
        existing = {c.name if hasattr(c, "name") else str(c) for c in client.list_collections()}
        if collection in existing:
            handle = client.get_collection(collection, embedding_function=None)
        elif create:
            handle = client.create_collection(collection, metadata=metadata, embedding_function=None)
        else:
            raise StoreError(f"{location} has no collection {collection!r}: build it with `tunetalk index`")
        stored = handle.metadata or {}
        if stored.get("encoder_sha256") != encoder.weights_sha256 or stored.get("dimension") != encoder.dimension:
            raise StoreError(
                f"the index at {location} was built with encoder {stored.get('encoder_name')!r} "
                f"(sha256 {str(stored.get('encoder_sha256'))[:12]}, dim {stored.get('dimension')}), not "
                f"{encoder.name!r} (sha256 {encoder.weights_sha256[:12]}, dim {encoder.dimension}). "
                "Re-index with this encoder or pass --encoder with the one that built it."
            )
        return cls(handle, encoder, location)

    @staticmethod
    def built_with(*, index_dir: Path | None = None, chroma_url: str | None = None,
                   collection: str = DEFAULT_COLLECTION) -> str | None:
        """The encoder name recorded by an existing collection, or None if there is none."""
        if chroma_url is None and (index_dir is None or not (index_dir / "chroma.sqlite3").exists()):
            return None
        client = make_client(index_dir, chroma_url)
        names = {c.name if hasattr(c, "name") else str(c) for c in client.list_collections()}
        if collection not in names:
            return None
        return (client.get_collection(collection, embedding_function=None).metadata or {}).get("encoder_name")

    def count(self) -> int:
        return int(self.collection.count())

    def existing_ids(self, ids: Sequence[TrackId]) -> set[TrackId]:
        found: set[TrackId] = set()
        for start in range(0, len(ids), READ_PAGE):
            result = self.collection.get(ids=list(ids[start : start + READ_PAGE]), include=[])
            found.update(result["ids"])
        return found

    def upsert(self, tracks: Sequence[Track], embeddings: np.ndarray) -> None:
        """Write tracks with their embeddings (idempotent: same id, same record)."""
        if len(tracks) != len(embeddings):
            raise ValueError(f"{len(tracks)} tracks but {len(embeddings)} embeddings")
        if len(embeddings) and embeddings.shape[1] != self.encoder.dimension:
            raise ValueError(f"embeddings have dimension {embeddings.shape[1]}, expected {self.encoder.dimension}")
        for start in range(0, len(tracks), WRITE_BATCH):
            batch = tracks[start : start + WRITE_BATCH]
            self.collection.upsert(
                ids=[t.id for t in batch],
                embeddings=embeddings[start : start + WRITE_BATCH].tolist(),
                metadatas=[_track_metadata(t) for t in batch],
                documents=[t.document for t in batch],
            )

    def iter_tracks(self) -> Iterator[Track]:
        """Every track in the collection, read in pages."""
        total = self.count()
        for offset in range(0, total, READ_PAGE):
            page = self.collection.get(limit=READ_PAGE, offset=offset, include=["metadatas"])
            for track_id, metadata in zip(page["ids"], page["metadatas"]):
                yield _track_from(track_id, metadata or {})

    def embeddings(self, ids: Sequence[TrackId]) -> dict[TrackId, np.ndarray]:
        if not ids:
            return {}
        result = self.collection.get(ids=list(ids), include=["embeddings"])
        return {i: np.asarray(e, dtype=np.float32) for i, e in zip(result["ids"], result["embeddings"])}

    def query(
        self,
        embedding: np.ndarray,
        k: int,
        *,
        excluded_descriptors: Sequence[str] = (),
        excluded_ids: Sequence[TrackId] = (),
    ) -> list[tuple[TrackId, float]]:
        """Nearest tracks by cosine similarity, with hard filters applied inside Chroma.

        Returns:
            (track id, cosine similarity) pairs, best first.
        """
        conditions: list[dict] = [{"descriptors_lower": {"$not_contains": d.lower()}} for d in excluded_descriptors]
        where = None
        if len(conditions) == 1:
            where = conditions[0]
        elif conditions:
            where = {"$and": conditions}
        n_results = min(k + len(excluded_ids), max(self.count(), 1))
        result = self.collection.query(
            query_embeddings=[embedding.astype(np.float32).tolist()],
            n_results=n_results,
            where=where,
            include=["distances"],
        )
        blocked = set(excluded_ids)
        pairs = [
            (track_id, 1.0 - float(distance))
            for track_id, distance in zip(result["ids"][0], result["distances"][0])
            if track_id not in blocked
        ]
        return pairs[:k]
