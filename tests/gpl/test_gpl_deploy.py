"""Index generations (retriever/deploy.py): build beside the live index, switch atomically, keep the old one."""

from __future__ import annotations

from pathlib import Path

import pytest

from retriever import (
    StoreError,
    TrackStore,
    activate_generation,
    build_generation,
    generation_dir,
    index_tracks,
    resolve_index_dir,
)


def test_a_new_generation_goes_live_only_when_activated(tmp_path: Path, keyword_encoder, tracks) -> None:  # noqa: ANN001
    index_dir = tmp_path / "index"
    store = TrackStore.open(keyword_encoder.info, index_dir=index_dir, create=True)
    index_tracks(tracks[:5], store, keyword_encoder, show_progress_bar=False)
    assert resolve_index_dir(index_dir) == index_dir  # no ACTIVE yet: the plain index is live

    generation = build_generation(index_dir, "gpl-1", tracks, keyword_encoder, show_progress_bar=False)
    assert resolve_index_dir(index_dir) == index_dir  # built, not yet switched
    activate_generation(index_dir, generation)
    live = resolve_index_dir(index_dir)
    assert live == generation_dir(index_dir, "gpl-1") / "index"
    assert TrackStore.open(keyword_encoder.info, index_dir=live).count() == len(tracks)
    assert TrackStore.open(keyword_encoder.info, index_dir=index_dir).count() == 5  # the old index stays
    assert not (index_dir / "ACTIVE.tmp").exists()


class FailingEncoder:
    """Encodes nothing: a crash in the middle of building a generation."""

    def __init__(self, info) -> None:  # noqa: ANN001
        self.info = info

    def encode(self, texts, *, batch_size: int = 64, show_progress_bar=None):  # noqa: ANN001, ANN201
        raise RuntimeError("killed while encoding")


def test_a_failed_build_leaves_the_live_generation_alone(tmp_path: Path, keyword_encoder, tracks) -> None:  # noqa: ANN001
    index_dir = tmp_path / "index"
    first = build_generation(index_dir, "gpl-1", tracks, keyword_encoder, show_progress_bar=False)
    activate_generation(index_dir, first)
    with pytest.raises(RuntimeError, match="killed while encoding"):
        build_generation(
            index_dir, "gpl-2", tracks, FailingEncoder(keyword_encoder.info), show_progress_bar=False
        )
    assert resolve_index_dir(index_dir) == first / "index"
    with pytest.raises(StoreError, match="not a finished generation"):
        activate_generation(index_dir, generation_dir(index_dir, "gpl-2"))
    # Finished names are never reused (a crashed, unfinished one is wiped and rebuilt by the next process).
    second = build_generation(index_dir, "gpl-3", tracks, keyword_encoder, show_progress_bar=False)
    activate_generation(index_dir, second)
    assert resolve_index_dir(index_dir) == second / "index"
    with pytest.raises(StoreError, match="already exists"):
        build_generation(index_dir, "gpl-3", tracks, keyword_encoder, show_progress_bar=False)


def test_a_broken_pointer_is_reported(tmp_path: Path) -> None:
    (tmp_path / "ACTIVE").write_text("../../etc\n")
    with pytest.raises(StoreError, match="should name 'generations/<name>/index'"):
        resolve_index_dir(tmp_path)
    (tmp_path / "ACTIVE").write_text("generations/missing/index\n")
    with pytest.raises(StoreError, match="not a finished generation"):
        resolve_index_dir(tmp_path)
    with pytest.raises(ValueError, match="generation name"):
        generation_dir(tmp_path, "../escape")
