"""The only module that imports chromadb: the track collection, embedded or on a Chroma server.

We always pass our own embeddings (Chroma's default embedding function would download a
model), turn telemetry off, use cosine space, and record the encoder that built the
collection in its metadata. Opening a collection with another encoder is an error.
Chroma's column-oriented results become ``list[Hit]`` here and nowhere else.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import tempfile
import threading
import urllib.parse
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retriever.catalog import Track, TrackId
from retriever.encoder import EncoderInfo

logger = logging.getLogger(__name__)

DEFAULT_COLLECTION = "tracks"
WRITE_BATCH = 5000  # records per Chroma write, capped by the client's max_batch_size
READ_PAGE = 5000
_RESERVED = {"title", "artist", "url", "year", "descriptors", "descriptors_lower"}


class StoreError(RuntimeError):
    """A store that cannot be opened or used as asked (missing, corrupt, wrong encoder, unreachable)."""


_FD2_LOCK = threading.Lock()
_SQLITE_MESSAGE = re.compile(r'message: "([^"]+)"')


@contextlib.contextmanager
def _hold_stderr() -> Iterator[None]:
    """Hold what is written to file descriptor 2 while Chroma opens a store; pass it on if that worked.

    On a corrupt chroma.sqlite3 Chroma's Rust core panics: it prints a report and a backtrace on
    fd 2 (Python cannot catch that), then raises. We turn the error into one StoreError line, so
    the report is only logged at debug level.
    """
    with _FD2_LOCK, tempfile.TemporaryFile() as held:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError):  # no fd 2 (a daemon) or a closed sys.stderr: nothing to hold
            yield
            return
        os.dup2(held.fileno(), 2)
        failed = True
        try:
            yield
            failed = False
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            written = held.read()
            if written and failed:
                logger.debug("Chroma wrote on stderr: %s", written.decode("utf-8", "replace"))
            elif written:
                os.write(2, written)


def _reason(error: BaseException) -> str:
    """A short one-line reason from a Chroma or SQLite error (the SQLite message when there is one)."""
    text = " ".join(str(error).split())
    found = _SQLITE_MESSAGE.search(text)
    if found:
        text = found[1]
    text = re.sub(r"^error returned from database: (\(code: \d+\) )?", "", text)
    return (text or error.__class__.__name__)[:200]


def _is_chroma_failure(error: BaseException) -> bool:
    """Any Exception, and the PanicException (a BaseException) that Chroma's Rust core raises."""
    return isinstance(error, Exception) or error.__class__.__name__ == "PanicException"


def _unreadable(index_dir: Path, error: BaseException) -> StoreError:
    return StoreError(
        f"{index_dir} is not a readable Chroma index ({_reason(error)}): rebuild it (move it away, then "
        f"`tunetalk index CATALOGUE --index-dir {index_dir}`) or restore it from a backup"
    )


def _forget_client(index_dir: Path) -> None:
    """Drop a client that failed to start from Chroma's per-path cache, unless someone holds it.

    Chroma caches the client's system before starting it; one that failed to start stays cached
    half-built, and the next open of the same path in this process fails with an AttributeError
    instead of the real reason.
    """
    from chromadb.api.shared_system_client import SharedSystemClient

    key = str(index_dir)
    with SharedSystemClient._refcount_lock:  # noqa: SLF001 - no public API forgets one path
        if SharedSystemClient._identifier_to_refcount.get(key, 0) <= 0:  # noqa: SLF001
            SharedSystemClient._identifier_to_system.pop(key, None)  # noqa: SLF001


@contextlib.contextmanager
def _reading(index_dir: Path | None, chroma_url: str | None) -> Iterator[None]:
    """Chroma's errors while a local index is opened or read become one StoreError line."""
    if chroma_url is not None or index_dir is None:
        yield
        return
    try:
        with _hold_stderr():
            yield
    except StoreError:
        raise
    except BaseException as error:
        if not _is_chroma_failure(error):
            raise
        raise _unreadable(index_dir, error) from error


@dataclass(frozen=True)
class Hit:
    """One retrieved track with its score (higher is better)."""

    track: Track
    score: float
    dense_score: float | None = None
    lexical_score: float | None = None


def _settings():  # noqa: ANN202 - chromadb type kept local to this module
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
    try:
        with _reading(index_dir, None):
            return chromadb.PersistentClient(path=str(index_dir), settings=_settings())
    except StoreError:
        _forget_client(index_dir)
        raise


def _create_collection(client, name: str, metadata: dict, location: str):  # noqa: ANN001, ANN202
    """A new collection; a name Chroma refuses is a StoreError that gives its naming rule."""
    from chromadb.errors import InvalidArgumentError

    try:
        return client.create_collection(name, metadata=metadata, embedding_function=None)
    except (InvalidArgumentError, ValueError) as error:
        raise StoreError(
            f"Chroma refuses the collection name {name[:80]!r} at {location} ({_reason(error)[:160]}): "
            "use 3-512 characters from [a-zA-Z0-9._-], starting and ending with a letter or digit, "
            "no '..', not an IP address"
        ) from error


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


def descriptor_sets(tracks: Iterable[Track]) -> dict[TrackId, frozenset[str]]:
    """Each track's lower-cased descriptors, for applying exclusions to nearest-neighbour results."""
    return {t.id: frozenset(d.lower() for d in t.descriptors) for t in tracks}


VERSION_FILE = "tunetalk-version"  # beside chroma.sqlite3: a new mark at every write (Chroma touches its file on open)
EXACT_SCORING_LIMIT = 4000  # an allowed set this small is scored from its embeddings, not searched


class TrackStore:
    """A Chroma collection of tracks, tied to the encoder that embedded them."""

    def __init__(  # noqa: ANN001 - chromadb's Collection type stays inside this module
        self, collection, encoder: EncoderInfo, location: str, *, max_batch_size: int = WRITE_BATCH,
        index_dir: Path | None = None,
    ) -> None:
        self.collection = collection
        self.encoder = encoder
        self.location = location
        self.index_dir = index_dir  # an embedded store's directory; None for a server
        self.write_batch = min(WRITE_BATCH, max_batch_size)
        self._descriptor_sets: dict[TrackId, frozenset[str]] | None = None  # from a complete iter_tracks pass

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
            StoreError: missing collection, unreadable (corrupt) index, a collection name Chroma
                refuses, unreachable server, or built by another encoder.
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
        with _reading(index_dir, chroma_url):
            existing = {c.name if hasattr(c, "name") else str(c) for c in client.list_collections()}
            handle = None
            if collection in existing:
                handle = client.get_collection(collection, embedding_function=None)
                stored = handle.metadata or {}
        if handle is None:
            if not create:
                raise StoreError(
                    f"{location} has no collection {collection!r}: build it with `tunetalk index`"
                )
            handle = _create_collection(client, collection, metadata, location)
            stored = handle.metadata or {}
        if stored.get("encoder_sha256") != encoder.weights_sha256 or stored.get("dimension") != encoder.dimension:
            raise StoreError(
                f"the index at {location} was built with encoder {stored.get('encoder_name')!r} "
                f"(sha256 {str(stored.get('encoder_sha256'))[:12]}, dim {stored.get('dimension')}), not "
                f"{encoder.name!r} (sha256 {encoder.weights_sha256[:12]}, dim {encoder.dimension}). "
                "Re-index with this encoder or pass --encoder with the one that built it."
            )
        return cls(handle, encoder, location, max_batch_size=int(client.get_max_batch_size()), index_dir=index_dir)

    @staticmethod
    def built_with(*, index_dir: Path | None = None, chroma_url: str | None = None,
                   collection: str = DEFAULT_COLLECTION) -> str | None:
        """The encoder name recorded by an existing collection, or None if there is none."""
        if chroma_url is None and (index_dir is None or not (index_dir / "chroma.sqlite3").exists()):
            return None
        client = make_client(index_dir, chroma_url)
        with _reading(index_dir, chroma_url):
            names = {c.name if hasattr(c, "name") else str(c) for c in client.list_collections()}
            if collection not in names:
                return None
            handle = client.get_collection(collection, embedding_function=None)
            return (handle.metadata or {}).get("encoder_name")

    def count(self) -> int:
        return int(self.collection.count())

    def upsert(self, tracks: Sequence[Track], embeddings: np.ndarray) -> None:
        """Write tracks with their embeddings (idempotent: same id, same record)."""
        if len(tracks) != len(embeddings):
            raise ValueError(f"{len(tracks)} tracks but {len(embeddings)} embeddings")
        if len(embeddings) and embeddings.shape[1] != self.encoder.dimension:
            raise ValueError(f"embeddings have dimension {embeddings.shape[1]}, expected {self.encoder.dimension}")
        # Fewer, larger writes: each one is a transaction (and a request to a server). The float32
        # array goes to Chroma as is: a list of lists would be converted back row by row.
        batch_size = self.write_batch
        embeddings = np.ascontiguousarray(embeddings, dtype=np.float32)
        self._mark_changed()  # before the write: a reader that sees the old mark re-reads after it
        for start in range(0, len(tracks), batch_size):
            batch = tracks[start : start + batch_size]
            self.collection.upsert(
                ids=[t.id for t in batch],
                embeddings=embeddings[start : start + batch_size],
                metadatas=[_track_metadata(t) for t in batch],
                documents=[t.document for t in batch],
            )

    def _mark_changed(self) -> None:
        if self.index_dir is not None:
            (self.index_dir / VERSION_FILE).write_text(f"{uuid.uuid4().hex}\n", encoding="utf-8")

    @staticmethod
    def mark_of(index_dir: Path | None) -> str | None:
        """The write mark of an embedded index directory (renewed before every write through this
        class), read without opening Chroma; None when there is none."""
        if index_dir is None:
            return None
        try:
            return (index_dir / VERSION_FILE).read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    def version(self) -> str | None:
        """A string that changes whenever an embedded store is written through this class (None for a
        server, which another process may write to at any time, or a store written before the mark)."""
        mark = self.mark_of(self.index_dir)
        if mark is None:
            return None
        return f"{self.collection.name}:{self.count()}:{mark}:{self.encoder.fingerprint}"

    def remember_descriptor_sets(self, tracks: Iterable[Track]) -> None:
        """What a complete `iter_tracks` pass keeps, from tracks read earlier (a searcher snapshot)."""
        self._descriptor_sets = descriptor_sets(tracks)

    def iter_tracks(self) -> Iterator[Track]:
        """Every track in the collection, read in pages.

        A complete pass also keeps each track's lower-cased descriptor set in memory, so
        `query` can apply descriptor exclusions to plain nearest-neighbour results.
        """
        total = self.count()
        descriptor_sets: dict[TrackId, frozenset[str]] = {}
        shared: dict[str, str] = {}  # one string object per distinct descriptor
        for offset in range(0, total, READ_PAGE):
            page = self.collection.get(limit=READ_PAGE, offset=offset, include=["metadatas"])
            for track_id, metadata in zip(page["ids"], page["metadatas"]):
                track = _track_from(track_id, metadata or {})
                descriptor_sets[track_id] = frozenset(
                    shared.setdefault(lower, lower) for lower in (d.lower() for d in track.descriptors)
                )
                yield track
        self._descriptor_sets = descriptor_sets

    def all_embeddings(self) -> tuple[list[TrackId], np.ndarray]:
        """Every track's id and embedding, read in pages: (ids, (n, dimension) float32)."""
        ids: list[TrackId] = []
        pages: list[np.ndarray] = []
        for offset in range(0, self.count(), READ_PAGE):
            page = self.collection.get(limit=READ_PAGE, offset=offset, include=["embeddings"])
            ids += page["ids"]
            pages.append(np.asarray(page["embeddings"], dtype=np.float32).reshape(len(page["ids"]), -1))
        matrix = np.concatenate(pages) if pages else np.zeros((0, self.encoder.dimension), dtype=np.float32)
        return ids, matrix

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
        allowed_ids: frozenset[TrackId] | None = None,
    ) -> list[tuple[TrackId, float]]:
        """Nearest tracks by cosine similarity, never one with an excluded descriptor or id.

        With `allowed_ids` (a hard filter such as an era or a language), only those tracks
        are candidates: a small set is scored exactly from its stored embeddings, a large
        one by a deeper plain query filtered here.

        Chroma evaluates a metadata filter (`$not_contains` on every excluded descriptor)
        against its SQLite metadata before the vector search, which costs 10-25x a plain
        query. So once `iter_tracks` has made a complete pass (the searcher does at start),
        exclusions are applied here to a plain query fetched a few times deeper than `k`;
        tracks written after that pass are left out, as the searcher does not know them
        either. Without that pass, or when the deeper fetches still leave fewer than `k`,
        the filter goes to Chroma.

        Returns:
            (track id, cosine similarity) pairs, best first.
        """
        blocked = set(excluded_ids)
        excluded = {d.lower() for d in excluded_descriptors}
        if allowed_ids is not None:
            return self._query_within(embedding, k, allowed_ids - blocked, excluded)
        wanted = k + len(blocked)
        if not excluded:
            return [pair for pair in self._nearest(embedding, wanted, None) if pair[0] not in blocked][:k]
        known = self._descriptor_sets
        if known is not None:
            fetch = 2 * wanted
            for _ in range(3):
                pairs = self._nearest(embedding, fetch, None)
                kept = [
                    (track_id, score) for track_id, score in pairs
                    if track_id not in blocked and track_id in known and not known[track_id] & excluded
                ]
                if len(kept) >= k or len(pairs) < fetch:  # enough, or the whole collection was seen
                    return kept[:k]
                fetch *= 4
        conditions: list[dict] = [{"descriptors_lower": {"$not_contains": d}} for d in sorted(excluded)]
        where = conditions[0] if len(conditions) == 1 else {"$and": conditions}
        return [pair for pair in self._nearest(embedding, wanted, where) if pair[0] not in blocked][:k]

    def _query_within(
        self, embedding: np.ndarray, k: int, allowed: frozenset[TrackId] | set[TrackId], excluded: set[str]
    ) -> list[tuple[TrackId, float]]:
        known = self._descriptor_sets
        if known is not None:
            allowed = {i for i in allowed if i in known and not known[i] & excluded}
        if len(allowed) <= EXACT_SCORING_LIMIT or known is None:
            ids = sorted(allowed)
            scored: list[tuple[TrackId, float]] = []
            for start in range(0, len(ids), READ_PAGE):
                vectors = self.embeddings(ids[start : start + READ_PAGE])
                scored += [(track_id, float(vector @ embedding)) for track_id, vector in vectors.items()]
            return sorted(scored, key=lambda pair: (-pair[1], pair[0]))[:k]
        fetch = 4 * k
        while True:
            pairs = self._nearest(embedding, fetch, None)
            kept = [pair for pair in pairs if pair[0] in allowed]
            if len(kept) >= k or len(pairs) < fetch:
                return kept[:k]
            fetch *= 4

    def _nearest(self, embedding: np.ndarray, n_results: int, where: dict | None) -> list[tuple[TrackId, float]]:
        # n_results above the collection's size is fine: Chroma returns what it has.
        result = self.collection.query(
            query_embeddings=np.asarray(embedding, dtype=np.float32)[None, :],  # (1, dimension)
            n_results=max(n_results, 1),
            where=where,
            include=["distances"],
        )
        return [(track_id, 1.0 - float(distance)) for track_id, distance in zip(result["ids"][0], result["distances"][0])]
