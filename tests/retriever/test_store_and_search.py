from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retriever import (
    EncoderInfo,
    HybridSearcher,
    RetrievalConfig,
    SearchQuery,
    StoreError,
    TrackStore,
    index_tracks,
)


@pytest.fixture()
def store(tmp_path: Path, keyword_encoder, tracks):  # noqa: ANN001, ANN201
    store = TrackStore.open(keyword_encoder.info, index_dir=tmp_path / "idx", create=True)
    index_tracks(tracks, store, keyword_encoder, show_progress_bar=False)
    return store


def test_chroma_top_k_equals_brute_force(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    from retriever import Track

    vectors = rng.normal(size=(30, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    info = EncoderInfo("random", "1" * 64, 8)
    store = TrackStore.open(info, index_dir=tmp_path / "r", create=True)
    tracks = [Track(id=f"t{i}", title=f"T{i}", artist="A", descriptors=("x",)) for i in range(30)]
    store.upsert(tracks, vectors)
    for q in rng.normal(size=(5, 8)).astype(np.float32):
        q /= np.linalg.norm(q)
        expected = [f"t{i}" for i in np.argsort(-(vectors @ q))[:5]]
        got = [track_id for track_id, _ in store.query(q, 5)]
        assert got == expected


def test_index_is_idempotent_and_round_trips(store, keyword_encoder, tracks) -> None:  # noqa: ANN001
    report = index_tracks(tracks, store, keyword_encoder, show_progress_bar=False)
    assert report.written == 0 and report.unchanged == len(tracks) and store.count() == len(tracks)
    back = {t.id: t for t in store.iter_tracks()}
    assert back["t-steel"].descriptors == ("calypso", "steel drums", "upbeat", "instrumental", "happy")
    assert back["t-steel"].url == "https://example.org/t-steel"


def test_opening_with_another_encoder_is_a_clear_error(store, tmp_path: Path) -> None:  # noqa: ANN001
    other = EncoderInfo("other-model", "f" * 64, store.encoder.dimension)
    with pytest.raises(StoreError, match="built with encoder 'keyword-test-encoder'"):
        TrackStore.open(other, index_dir=tmp_path / "idx")
    with pytest.raises(StoreError, match="no index at"):
        TrackStore.open(other, index_dir=tmp_path / "nothing")


def test_hybrid_ranks_exact_descriptor_match_first(store, keyword_encoder) -> None:  # noqa: ANN001
    searcher = HybridSearcher(store, keyword_encoder)
    hits = searcher.search(SearchQuery("calm jazz piano", k=3))
    assert hits[0].track.id == "t-jazz-piano"
    hits = searcher.search(SearchQuery("some steeldrum music", k=1))
    assert hits[0].track.id == "t-steel"


def test_exclusions_and_excluded_ids_never_appear(store, keyword_encoder) -> None:  # noqa: ANN001
    searcher = HybridSearcher(store, keyword_encoder)
    hits = searcher.search(SearchQuery("piano", k=10, excluded_descriptors=frozenset({"female vocals"}),
                                       excluded_ids=frozenset({"t-jazz-piano"})))
    ids = [h.track.id for h in hits]
    assert "t-vocal-jazz" not in ids and "t-jazz-piano" not in ids
    assert all("female vocals" not in h.track.descriptors for h in hits)
    assert "t-study-piano" in ids


@pytest.mark.parametrize("mode", ["dense", "lexical", "hybrid"])
def test_every_mode_returns_ranked_hits(store, keyword_encoder, mode: str) -> None:  # noqa: ANN001
    searcher = HybridSearcher(store, keyword_encoder, RetrievalConfig(mode=mode))
    hits = searcher.search(SearchQuery("upbeat steel drums calypso", k=3))
    assert hits and hits[0].track.id == "t-steel"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_allowed_ids_are_a_hard_filter_on_both_sides(store, keyword_encoder) -> None:  # noqa: ANN001
    searcher = HybridSearcher(store, keyword_encoder)
    allowed = frozenset({"t-sad-folk", "t-violin"})
    hits = searcher.search(SearchQuery("upbeat piano", k=5, allowed_ids=allowed))
    assert hits and {h.track.id for h in hits} <= allowed
    vector = keyword_encoder.encode(["sad"])[0]
    assert [i for i, _ in store.query(vector, 5, allowed_ids=allowed)] == [
        i for i, _ in store.query(vector, 10) if i in allowed][:5]
    assert searcher.search(SearchQuery("upbeat", k=5, allowed_ids=frozenset())) == []


def test_a_searcher_snapshot_is_reused_until_the_store_changes(tmp_path: Path, store, keyword_encoder,  # noqa: ANN001
                                                                tracks) -> None:  # noqa: ANN001
    from retriever import Track

    snapshot = tmp_path / "idx" / "searcher.pickle"
    first = HybridSearcher(store, keyword_encoder, snapshot=snapshot)
    assert snapshot.is_file()
    again = TrackStore.open(keyword_encoder.info, index_dir=tmp_path / "idx")
    second = HybridSearcher(again, keyword_encoder, snapshot=snapshot)
    query = SearchQuery("calm piano", k=3, excluded_descriptors=frozenset({"jazz"}))
    assert [h.track.id for h in second.search(query)] == [h.track.id for h in first.search(query)]
    assert again._descriptor_sets is not None  # the exclusion fast path is on without a full read
    new = Track(id="t-new", title="New", artist="N", descriptors=("calm", "piano", "solo piano"))
    again.upsert([new], keyword_encoder.encode([new.document]))
    third = HybridSearcher(TrackStore.open(keyword_encoder.info, index_dir=tmp_path / "idx"), keyword_encoder,
                           snapshot=snapshot)
    assert "t-new" in third.tracks and "t-new" not in second.tracks  # a write makes the snapshot stale
    snapshot.write_bytes(b"not a pickle")
    assert len(HybridSearcher(again, keyword_encoder, snapshot=snapshot).tracks) == len(tracks) + 1


def test_a_frozen_store_answers_as_the_chroma_store_it_was_taken_from(tmp_path: Path, store, keyword_encoder,  # noqa: ANN001
                                                                       tracks) -> None:  # noqa: ANN001
    from retriever.snapshot import SNAPSHOT_FILE, read_current

    path = tmp_path / "idx" / SNAPSHOT_FILE
    live = HybridSearcher(store, keyword_encoder, snapshot=path)
    frozen = read_current(path, tmp_path / "idx", store.collection.name)
    assert frozen is not None and frozen.fits_exact_search
    assert read_current(path, tmp_path / "idx", "other-collection") is None
    served = frozen.store(keyword_encoder.info)
    assert served.count() == store.count() and served.version() is None
    ids = [t.id for t in tracks]
    for text in ("calm piano", "upbeat steel drums", "sad folk violin", "metal"):
        vector = keyword_encoder.encode([text])[0]
        for options in ({}, {"excluded_descriptors": ["jazz", "instrumental"]}, {"excluded_ids": ids[:3]},
                        {"allowed_ids": frozenset(ids[2:7])}):
            expected, got = store.query(vector, 4, **options), served.query(vector, 4, **options)
            assert np.allclose([s for _, s in got], [s for _, s in expected], atol=1e-3), (text, options)
            last = expected[-1][1] + 1e-3  # at the last score, Chroma orders ties as it likes
            assert [i for i, s in got if s > last] == [i for i, s in expected if s > last], (text, options)
    assert all(np.allclose(served.embeddings([i])[i], store.embeddings([i])[i], atol=1e-6) for i in ids)
    over_frozen = HybridSearcher(served, keyword_encoder, snapshot=path)
    for query in (SearchQuery("calm piano", k=5), SearchQuery("upbeat", k=5, excluded_descriptors=frozenset({"happy"})),
                  SearchQuery("piano", k=5, liked_ids=(ids[0],), allowed_ids=frozenset(ids[1:8]))):
        assert [h.track.id for h in over_frozen.search(query)] == [h.track.id for h in live.search(query)]
    with pytest.raises(ValueError, match="snapshot taken with"):
        frozen.store(EncoderInfo("other", "0" * 64, keyword_encoder.info.dimension))
    store.upsert([tracks[0]], keyword_encoder.encode([tracks[0].document]))  # any write renews the mark
    assert read_current(path, tmp_path / "idx", store.collection.name) is None


def test_a_snapshot_too_large_to_search_exactly_is_not_served_without_chroma(
        tmp_path: Path, store, keyword_encoder, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    import retriever.snapshot as snapshot

    path = tmp_path / "idx" / snapshot.SNAPSHOT_FILE
    HybridSearcher(store, keyword_encoder, snapshot=path)
    assert snapshot.read_current(path, tmp_path / "idx", store.collection.name).fits_exact_search
    monkeypatch.setattr(snapshot, "FROZEN_SEARCH_LIMIT", store.count() - 1)
    assert not snapshot.read_current(path, tmp_path / "idx", store.collection.name).fits_exact_search
    assert snapshot.read_snapshot(path) is not None  # still read back by a searcher over Chroma
    import retriever.search as search

    current = snapshot.read_current(path, tmp_path / "idx", store.collection.name)
    monkeypatch.setattr(search, "read_snapshot", lambda _: pytest.fail("the snapshot was read a second time"))
    assert len(HybridSearcher(store, keyword_encoder, snapshot=path, current=current).tracks) == store.count()
