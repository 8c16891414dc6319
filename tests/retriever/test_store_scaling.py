"""The store and indexing paths that keep big catalogues fast: exclusions applied to plain
nearest-neighbour results, distinct documents encoded once, length-sorted chunks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retriever import EncoderInfo, Track, TrackStore, index_tracks
from retriever.indexing import IndexConfig, encode_documents

DESCRIPTORS = ["jazz", "piano", "rock", "vocals", "calm", "drums"]


@pytest.fixture()
def random_store(tmp_path: Path) -> tuple[TrackStore, np.ndarray, list[Track]]:
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(30, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    tracks = [
        Track(id=f"t{i:02d}", title=f"T{i}", artist="A",
              descriptors=tuple(d for j, d in enumerate(DESCRIPTORS) if (i >> j) & 1 or j == i % 6))
        for i in range(30)
    ]
    store = TrackStore.open(EncoderInfo("random", "2" * 64, 8), index_dir=tmp_path / "r", create=True)
    store.upsert(tracks, vectors)
    return store, vectors, tracks


def brute_force(vectors: np.ndarray, tracks: list[Track], query: np.ndarray, k: int, excluded: set[str],
                blocked: set[str]) -> list[str]:
    order = np.argsort(-(vectors @ query))
    allowed = [tracks[i].id for i in order
               if tracks[i].id not in blocked and not {d.lower() for d in tracks[i].descriptors} & excluded]
    return allowed[:k]


@pytest.mark.parametrize("excluded", [{"vocals"}, {"vocals", "drums"}, {"jazz", "rock", "piano"}])
def test_exclusions_match_brute_force_with_and_without_the_descriptor_pass(random_store, excluded) -> None:  # noqa: ANN001
    store, vectors, tracks = random_store
    rng = np.random.default_rng(2)
    queries = rng.normal(size=(4, 8)).astype(np.float32)
    for pass_done in (False, True):
        if pass_done:
            assert len(list(store.iter_tracks())) == len(tracks)  # the complete pass the searcher makes
        for query in queries:
            query /= np.linalg.norm(query)
            expected = brute_force(vectors, tracks, query, 5, excluded, {"t03"})
            got = store.query(query, 5, excluded_descriptors=sorted(excluded), excluded_ids=["t03"])
            assert [track_id for track_id, _ in got] == expected


def test_an_exclusion_that_leaves_few_tracks_still_returns_them_all(random_store) -> None:  # noqa: ANN001
    store, vectors, tracks = random_store
    list(store.iter_tracks())
    excluded = {"jazz", "piano", "rock", "vocals", "calm"}  # leaves only tracks with "drums" alone, or none
    query = vectors[0]
    expected = brute_force(vectors, tracks, query, 20, excluded, set())
    assert [i for i, _ in store.query(query, 20, excluded_descriptors=sorted(excluded))] == expected


class CountingEncoder:
    def __init__(self) -> None:
        self.info = EncoderInfo("counting", "3" * 64, 4)
        self.seen: list[list[str]] = []

    def encode(self, texts, *, batch_size: int = 64, show_progress_bar=None) -> np.ndarray:  # noqa: ANN001
        self.seen.append(list(texts))
        out = np.zeros((len(texts), 4), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row, len(text) % 4] = 1.0
        return out


def test_each_distinct_document_is_encoded_once_and_rows_follow_the_input() -> None:
    encoder = CountingEncoder()
    documents = ["rock", "jazz, piano", "rock", "calm", "jazz, piano", "rock"]
    vectors = encode_documents(encoder, documents)
    assert encoder.seen == [["rock", "jazz, piano", "calm"]]
    assert vectors.shape == (6, 4)
    np.testing.assert_array_equal(vectors, encoder.encode(documents))


def test_index_tracks_writes_everything_in_length_sorted_chunks(tmp_path: Path) -> None:
    encoder = CountingEncoder()
    tracks = [Track(id=f"t{i}", title="T", artist="A", descriptors=tuple(["tag"] * (1 + i % 5)) + (f"x{i % 3}",))
              for i in range(23)]
    store = TrackStore.open(encoder.info, index_dir=tmp_path / "idx", create=True)
    report = index_tracks(tracks, store, encoder, IndexConfig(batch_size=4, chunk_size=5), show_progress_bar=False)
    assert report.written == 23 and store.count() == 23
    lengths = [len(text) for chunk in encoder.seen for text in chunk]
    assert lengths == sorted(lengths)  # chunks follow document length
    assert all(len(chunk) == len(set(chunk)) for chunk in encoder.seen)  # no text encoded twice within a chunk
    stored = store.collection.get(include=["documents"])
    assert dict(zip(stored["ids"], stored["documents"])) == {t.id: t.document for t in tracks}
