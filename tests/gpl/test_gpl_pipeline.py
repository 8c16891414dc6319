"""The whole adapt pipeline on the tiny BERT: runs, deploys, skips on a re-run, redoes what changed."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from gpl import (
    GateConfig,
    GPLConfig,
    MiningConfig,
    QueryConfig,
    TeacherConfig,
    TrainConfig,
    run,
    simulate_sessions,
)
from gpl.pipeline import STAGES
from tests.gpl.conftest import tiny_run_config
from retriever import InteractionLog, TrackStore, load_encoder, resolve_index_dir, retrieval_config_for


def test_run_deploys_then_skips_then_redoes_only_what_changed(
    tmp_path: Path,
    tiny_encoder_dir: Path,
    tiny_catalogue: Path,
    tracks,  # noqa: ANN001
) -> None:
    config = tiny_run_config(
        tmp_path, tiny_encoder_dir, tiny_catalogue, tracks, num_sessions=30,
        # accept anything: this test is about the plumbing (two training seeds: every stage runs)
        gate=GateConfig(min_improvement=-1.0, max_drop=1.0, training_seeds=2),
    )
    first = run(config)
    assert [s.name for s in first.stages] == [stage.name for stage in STAGES]  # every stage (the order: test_gpl_stages)
    assert all(s.did_run for s in first.stages)
    assert first.gate.is_accepted and "heldout-log" in first.gate.current
    # the second seed's student was trained and scored on the same benchmarks
    assert (config.run_dir / "encoder-seed1" / "model.safetensors").is_file()
    assert [set(scores) for scores in first.gate.other_seeds] == [set(first.gate.current)]
    assert set(first.gate.margins) == {"all"}
    for artifact in (
        "queries.jsonl",
        "heldout.jsonl",
        "candidates.jsonl",
        "triplets.jsonl",
        "labels.jsonl",
        "gate.json",
        "fusion.json",
        "manifest.json",
        "teacher/model.safetensors",
        "encoder/model.safetensors",
    ):
        assert (config.run_dir / artifact).is_file(), artifact
    live = resolve_index_dir(config.index_dir)
    assert live == first.generation / "index"
    fusion = json.loads((config.run_dir / "fusion.json").read_text())
    assert fusion["benchmark"] == "held-out logged queries"  # the tiny catalogue has no captions
    assert retrieval_config_for(first.generation / "encoder").dense_weight == fusion["dense_weight"]
    encoder = load_encoder(TrackStore.built_with(index_dir=live))
    assert TrackStore.open(encoder.info, index_dir=live).count() == len(tracks)

    second = run(config)
    assert not any(s.did_run for s in second.stages)

    third = run(dataclasses.replace(config, training=TrainConfig(max_steps=3, batch_size=4)))
    ran = {s.name for s in third.stages if s.did_run}
    assert ran == {"train", "seeds", "gate", "fusion", "deploy"}
    assert resolve_index_dir(config.index_dir) == third.generation / "index" != live
    assert live.is_dir()  # the previous generation stays on disk


def test_a_second_process_cannot_run_the_same_run_dir(tmp_path: Path) -> None:
    import pytest

    from gpl.pipeline import run_lock

    with (
        run_lock(tmp_path),
        pytest.raises(ValueError, match="another `tunetalk train` is running"),
        run_lock(tmp_path),
    ):
        pass
    with run_lock(tmp_path):  # released when the holder leaves
        pass
