"""Each stage of gpl.pipeline alone, on hand-written inputs and the tiny BERT; the STAGES table; the loop."""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
from pathlib import Path

import pytest

from gpl import (
    Candidates,
    CrossEncoderTeacher,
    GPLConfig,
    LabeledTriplet,
    MiningConfig,
    QueryConfig,
    TeacherConfig,
    TrainConfig,
    TrainingQuery,
    Triplet,
    read_jsonl,
    simulate_sessions,
    write_jsonl,
)
from gpl.fusion import FusionRecord
from gpl.gate import HELDOUT_BENCHMARK
from gpl.pipeline import (
    STAGES,
    RunContext,
    Stage,
    StageKey,
    deploys,
    open_run,
    read_fusion,
    read_gate,
    read_generation,
    run_stages,
    trains_other_seeds,
    trains_teacher,
    write_candidates,
    write_deploy,
    write_encoder,
    write_fusion,
    write_gate,
    write_labels,
    write_queries,
    write_teacher,
    write_triplets,
)
from tests.gpl.conftest import tiny_run_config
from retriever import InteractionLog, TrackStore, load_encoder, resolve_index_dir

QUERIES = [
    TrainingQuery("q-jazz", "calm jazz piano", "template", ("t-jazz-piano",)),
    TrainingQuery("q-rock", "upbeat rock with distorted guitar", "template", ("t-rock-guitar",)),
    TrainingQuery("q-folk", "sad folk with acoustic guitar", "template", ("t-sad-folk",)),
    TrainingQuery("q-reggae", "happy reggae for summer", "template", ("t-reggae",)),
    TrainingQuery("q-violin", "sad classical violin", "template", ("t-violin",)),
]
CANDIDATES = [
    Candidates("q-jazz", ("t-vocal-jazz", "t-study-piano", "t-jazz-piano"), ("t-study-piano", "t-violin")),
    Candidates("q-rock", ("t-metal", "t-rock-guitar", "t-reggae"), ("t-metal", "t-synth")),
    Candidates("q-folk", ("t-violin", "t-sad-folk", "t-synth"), ("t-sad-folk", "t-rock-guitar")),
    Candidates("q-reggae", ("t-steel", "t-reggae", "t-synth"), ("t-reggae", "t-steel")),
    Candidates("q-violin", ("t-sad-folk", "t-violin", "t-study-piano"), ("t-violin", "t-jazz-piano")),
]
TRIPLETS = [
    Triplet("q-jazz", "calm jazz piano", "t-jazz-piano", "jazz, piano, calm", "t-metal", "metal, aggressive"),
    Triplet("q-rock", "upbeat rock", "t-rock-guitar", "rock, upbeat", "t-violin", "classical, violin, sad"),
    Triplet("q-folk", "sad folk", "t-sad-folk", "folk, sad", "t-synth", "electronic, upbeat"),
    Triplet("q-reggae", "happy reggae", "t-reggae", "reggae, happy", "t-study-piano", "solo piano, study"),
]


@pytest.fixture()
def run_context(tmp_path: Path, tiny_encoder_dir: Path, tiny_catalogue: Path, tracks) -> RunContext:  # noqa: ANN001
    config = tiny_run_config(tmp_path, tiny_encoder_dir, tiny_catalogue, tracks, num_sessions=20)
    config.run_dir.mkdir(parents=True)
    return open_run(config)


def _with_encoder(run: RunContext, tiny_encoder_dir: Path) -> None:
    """The train stage's artifact, without training: a copy of the current encoder."""
    shutil.copytree(tiny_encoder_dir, run.paths.encoder)


def test_the_stages_table_lists_the_stages_in_order() -> None:
    assert [stage.name for stage in STAGES] == [
        "queries",
        "candidates",
        "teacher",
        "triplets",
        "labels",
        "train",
        "seeds",
        "fusion",
        "gate",
        "deploy",
    ]
    optional = {stage.name: stage.applies for stage in STAGES if stage.applies is not STAGES[0].applies}
    assert optional == {"teacher": trains_teacher, "seeds": trains_other_seeds, "deploy": deploys}


def test_every_stage_writes_under_the_run_dir(run_context: RunContext, tiny_encoder_dir: Path) -> None:
    _with_encoder(run_context, tiny_encoder_dir)
    gate = dataclasses.replace(run_context.config.gate, training_seeds=2)  # the seeds stage has an artifact
    run_context = dataclasses.replace(run_context, config=dataclasses.replace(run_context.config, gate=gate))
    write_jsonl(run_context.paths.heldout, QUERIES)
    (run_context.paths.gate).write_text("{}")
    for stage in STAGES:
        key = stage.key(run_context)
        assert key.outputs, stage.name
        assert all(path.parent == run_context.paths.run_dir for path in key.outputs), stage.name
        assert "code" in key.inputs or stage.name == "deploy", stage.name


def test_queries_stage_alone(run_context: RunContext) -> None:
    queries_path, heldout_path = write_queries(run_context)
    train = list(read_jsonl(queries_path, TrainingQuery))
    heldout = list(read_jsonl(heldout_path, TrainingQuery))
    assert train and heldout
    assert {q.source for q in train} >= {"template"}
    assert {q.query_id for q in train}.isdisjoint(q.query_id for q in heldout)


def test_queries_stage_refuses_an_empty_result(run_context: RunContext) -> None:
    config = dataclasses.replace(
        run_context.config, queries=QueryConfig(use_log=False, use_captions=False, templates_per_track=0)
    )
    with pytest.raises(ValueError, match="no training queries"):
        write_queries(dataclasses.replace(run_context, config=config))


def test_candidates_stage_alone(run_context: RunContext) -> None:
    write_jsonl(run_context.paths.queries, QUERIES)
    candidates = list(read_jsonl(write_candidates(run_context), Candidates))
    assert [c.query_id for c in candidates] == [q.query_id for q in QUERIES]
    assert all(len(c.dense) == 6 for c in candidates)
    catalogue = {track.id for track in run_context.tracks}
    assert all(set(c.dense) | set(c.lexical) <= catalogue for c in candidates)


def test_teacher_stage_alone(run_context: RunContext) -> None:
    write_jsonl(run_context.paths.queries, QUERIES)
    write_jsonl(run_context.paths.candidates, CANDIDATES)
    teacher_dir = write_teacher(run_context)
    assert teacher_dir == run_context.paths.teacher and (teacher_dir / "config.json").is_file()
    scores = run_context.teacher.score("calm jazz piano", ["jazz, piano, calm", "metal"])
    assert len(scores) == 2 and all(math.isfinite(score) for score in scores)


def test_triplets_stage_alone_needs_no_teacher_when_every_positive_is_known(run_context: RunContext) -> None:
    write_jsonl(run_context.paths.queries, QUERIES)
    write_jsonl(run_context.paths.candidates, CANDIDATES)
    triplets = list(read_jsonl(write_triplets(run_context), Triplet))
    positives = {q.query_id: q.positive_ids for q in QUERIES}
    assert triplets
    assert all(t.positive_id in positives[t.query_id] for t in triplets)
    # A negative is another track, or a sibling view of the positive's own track (another text).
    assert all(t.negative_id not in positives[t.query_id] or t.negative != t.positive for t in triplets)
    assert "teacher" not in vars(run_context)  # never loaded: there is no teacher dir to load


def test_labels_stage_alone(run_context: RunContext, tiny_cross_encoder) -> None:  # noqa: ANN001
    tiny_cross_encoder.save_pretrained(str(run_context.paths.teacher), safe_serialization=True)
    write_jsonl(run_context.paths.triplets, TRIPLETS)
    labeled = list(read_jsonl(write_labels(run_context), LabeledTriplet))
    assert [item.triplet for item in labeled] == TRIPLETS
    teacher = CrossEncoderTeacher.load(run_context.paths.teacher)
    first = TRIPLETS[0]
    expected = teacher.score(first.query, [first.positive, first.negative])
    assert labeled[0].margin == pytest.approx(expected[0] - expected[1], abs=1e-4)


def test_train_stage_alone_discards_foreign_checkpoints(run_context: RunContext) -> None:
    write_jsonl(
        run_context.paths.labels,
        [LabeledTriplet(triplet, 2.0, float(index) / 4) for index, triplet in enumerate(TRIPLETS)],
    )
    # Resuming from this unkeyed checkpoint would fail: the stage must discard it first.
    stale = run_context.paths.checkpoints / "checkpoint-1" / "trainer_state.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("from another training run")
    encoder_dir = write_encoder(run_context)
    assert encoder_dir == run_context.paths.encoder and (encoder_dir / "model.safetensors").is_file()
    assert load_encoder(str(encoder_dir), device="cpu").info.dimension == 8
    assert not run_context.paths.checkpoints.exists()  # a finished training run removes its checkpoints


def test_gate_stage_alone(run_context: RunContext, tiny_encoder_dir: Path) -> None:
    _with_encoder(run_context, tiny_encoder_dir)
    write_jsonl(run_context.paths.heldout, QUERIES)
    run_context.paths.fusion.write_text(json.dumps(dataclasses.asdict(FusionRecord(None, "none", 0, {}, None, None))))
    result = write_gate(run_context)
    assert set(result.current) == {HELDOUT_BENCHMARK}
    assert result.candidate == result.current  # the same weights: no improvement
    assert not result.is_accepted and result.reason.startswith("refused")
    assert read_gate(run_context.paths.gate) == result


def test_the_gate_scores_the_chat_of_the_new_encoder_with_the_weight_the_fusion_stage_chose(
    run_context: RunContext, tiny_encoder_dir: Path
) -> None:
    from retriever import Fusion, RetrievalConfig

    class RecordingScorer:
        name = "recording"

        def __init__(self) -> None:
            self.retrieval: list[RetrievalConfig] = []

        def __call__(self, encoder, benchmarks, tracks, retrieval):  # noqa: ANN001, ANN204
            self.retrieval.append(retrieval)
            return {"chat/x": 0.5}

    _with_encoder(run_context, tiny_encoder_dir)
    write_jsonl(run_context.paths.heldout, QUERIES)
    run_context.paths.fusion.write_text(json.dumps(dataclasses.asdict(FusionRecord(0.3, "held-out", 3, {}, None, None))))
    scorer = RecordingScorer()
    write_gate(dataclasses.replace(run_context, turn_scorer=scorer))
    current, new = scorer.retrieval
    assert current == RetrievalConfig()  # the base encoder stores no fusion: the default
    assert new.fusion is Fusion.WEIGHTED and new.dense_weight == 0.3  # as the deployed encoder would be served
    assert not deploys(run_context)


def test_fusion_stage_alone(run_context: RunContext, tiny_encoder_dir: Path) -> None:
    _with_encoder(run_context, tiny_encoder_dir)
    write_jsonl(run_context.paths.heldout, QUERIES)
    record = write_fusion(run_context)
    assert record.benchmark == "held-out logged queries" and record.num_queries == len(QUERIES)
    assert record.dense_weight is not None and str(record.dense_weight) in record.recall_by_weight
    assert read_fusion(run_context.paths.fusion) == record


def test_deploy_stage_alone(run_context: RunContext, tiny_encoder_dir: Path, tracks) -> None:  # noqa: ANN001
    _with_encoder(run_context, tiny_encoder_dir)
    run_context.paths.fusion.write_text(
        json.dumps(dataclasses.asdict(FusionRecord(None, "none", 0, {}, None, None)))
    )
    generation = write_deploy(run_context)
    assert generation is not None and read_generation(run_context.paths.deploy) == generation
    live = resolve_index_dir(run_context.config.index_dir)
    assert live == generation / "index"
    encoder = load_encoder(TrackStore.built_with(index_dir=live))
    assert TrackStore.open(encoder.info, index_dir=live).count() == len(tracks)


def _note_stage(name: str, *, applies: bool = True) -> Stage:
    """A stage that writes ``<name>.txt`` with the names of the files already in the run dir."""

    def key(run: RunContext) -> StageKey:
        return StageKey({"version": run.config.training.max_steps}, {}, (run.paths.run_dir / f"{name}.txt",))

    def build(run: RunContext) -> Path:
        path = run.paths.run_dir / f"{name}.txt"
        path.write_text(" ".join(sorted(p.name for p in run.paths.run_dir.glob("*.txt"))))
        return path

    return Stage(name, key, build, applies=lambda run: applies)


def test_the_loop_runs_in_order_skips_what_matches_and_redoes_what_changed(run_context: RunContext) -> None:
    stages = (_note_stage("first"), _note_stage("never", applies=False), _note_stage("second"))
    outcomes = run_stages(run_context, stages)
    assert [(o.name, o.did_run) for o in outcomes] == [("first", True), ("second", True)]
    assert (run_context.paths.run_dir / "second.txt").read_text() == "first.txt"
    assert not (run_context.paths.run_dir / "never.txt").exists()

    assert [o.did_run for o in run_stages(run_context, stages)] == [False, False]
    (run_context.paths.run_dir / "second.txt").write_text("edited")
    assert [o.did_run for o in run_stages(run_context, stages)] == [False, True]
    changed = dataclasses.replace(
        run_context, config=dataclasses.replace(run_context.config, training=TrainConfig(max_steps=5))
    )
    assert [o.did_run for o in run_stages(changed, stages)] == [True, True]
