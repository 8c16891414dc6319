"""The adapt pipeline, stage by stage: ``run(config)``.

    queries -> candidates -> teacher -> triplets -> labels -> train [-> seeds] -> fusion -> gate -> deploy

Each stage is one function ``write_<artifact>(run) -> artifact`` that reads the artifacts of
earlier stages from ``runs/<run_name>/`` (:class:`RunPaths`) and writes its own there, and
one ``<stage>_key(run) -> StageKey`` that names what its manifest entry is matched on: its
config, its inputs (hashed files and dirs, or identity strings) and its artifacts.
:data:`STAGES` lists them in order and :func:`run_stages` is the loop: it records each stage
in ``manifest.json`` (see :mod:`gpl.manifest`) and skips every stage whose manifest still
matches, so a killed run resumes where it stopped (training itself resumes from its last
checkpoint).

Example:
    >>> report = run(GPLConfig(catalogue=Path("assets/catalogue.jsonl"), run_dir=Path("runs/demo"),
    ...                        log=Path("~/.cache/tunetalk/interactions.jsonl").expanduser()))
    >>> report.gate.reason
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from types import ModuleType

import numpy as np

import gpl.fusion
import gpl.gate
import gpl.mining
import gpl.pseudo_label
import gpl.queries
import gpl.teacher
import gpl.train
from gpl.config import GPLConfig, TrainConfig
from gpl.fusion import FusionRecord, choose_encoder_fusion
from gpl.gate import GateResult, TurnScorer, decide, gate_benchmarks, score_encoder
from gpl.manifest import RunManifest, fingerprint, plain
from gpl.mining import build_triplets, mine_candidates
from gpl.pseudo_label import label_triplets
from gpl.queries import build_queries
from gpl.records import Candidates, LabeledTriplet, TrainingQuery, Triplet, read_jsonl, write_jsonl
from gpl.teacher import CrossEncoderTeacher, teacher_pairs, train_teacher
from gpl.train import require_training_libraries, resolve_device, train_encoder
from retriever import (
    Encoder,
    MemoEncoder,
    Track,
    activate_generation,
    active_generation,
    build_generation,
    generation_dir,
    load_catalog,
    load_encoder,
    read_interactions,
    save_retrieval_config,
)
from retriever import Fusion, RetrievalConfig, retrieval_config_for

logger = logging.getLogger(__name__)


def code_hash(*modules: ModuleType) -> str:
    """sha256 of the source files that implement a stage: changed code redoes the stage too."""
    digest = hashlib.sha256()
    for module in modules:
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class StageOutcome:
    name: str
    did_run: bool
    seconds: float  # wall clock of the run that produced the artifact (this one or an earlier one)
    cpu_seconds: float


@dataclass(frozen=True)
class RunReport:
    """What ``run`` did: per-stage outcome, the gate's decision, where the new index lives."""

    run_dir: Path
    stages: tuple[StageOutcome, ...]
    gate: GateResult
    encoder_dir: Path
    generation: Path | None
    fusion: FusionRecord | None = None  # the dense weight chosen for an accepted encoder


def training_tracks(tracks: list[Track], split: str | None) -> list[Track]:
    """The tracks training may see: those whose ``split`` metadata is ``split`` (all if None).

    Raises:
        ValueError: no track has that split.
    """
    if split is None:
        return tracks
    kept = [track for track in tracks if track.metadata.get("split") == split]
    if not kept:
        found = sorted({str(track.metadata.get("split")) for track in tracks})
        raise ValueError(
            f"no catalogue track has split {split!r} (found {found}); drop --split or fix the catalogue"
        )
    return kept


@dataclass(frozen=True)
class RunPaths:
    """Every artifact of one run; all under ``run_dir`` except an already trained ``--teacher``."""

    run_dir: Path
    queries: Path  # queries.jsonl: TrainingQuery[] to train on
    heldout: Path  # heldout.jsonl: TrainingQuery[] the gate and fusion measure on
    candidates: Path  # candidates.jsonl: Candidates[]
    teacher: Path  # the cross-encoder dir
    triplets: Path  # triplets.jsonl: Triplet[]
    labels: Path  # labels.jsonl: LabeledTriplet[]
    encoder: Path  # the adapted bi-encoder dir
    checkpoints: Path  # training checkpoints (not an artifact: resumed, never skipped on)
    gate: Path  # gate.json: GateResult
    fusion: Path  # fusion.json: FusionRecord
    deploy: Path  # deploy.json: where the accepted encoder went

    def seed_encoder(self, index: int) -> Path:
        """The student trained with the ``index``-th extra seed (``GateConfig.training_seeds``)."""
        return self.run_dir / f"encoder-seed{index}"

    def seed_checkpoints(self, index: int) -> Path:
        return self.run_dir / f"checkpoints-seed{index}"

    @classmethod
    def for_config(cls, config: GPLConfig) -> RunPaths:
        run_dir = config.run_dir
        return cls(
            run_dir=run_dir,
            queries=run_dir / "queries.jsonl",
            heldout=run_dir / "heldout.jsonl",
            candidates=run_dir / "candidates.jsonl",
            teacher=config.teacher or run_dir / "teacher",
            triplets=run_dir / "triplets.jsonl",
            labels=run_dir / "labels.jsonl",
            encoder=run_dir / "encoder",
            checkpoints=run_dir / "checkpoints",
            gate=run_dir / "gate.json",
            fusion=run_dir / "fusion.json",
            deploy=run_dir / "deploy.json",
        )


@dataclass(frozen=True)
class RunContext:
    """What every stage reads: the config, the artifact paths, the catalogue and the current encoder."""

    config: GPLConfig
    paths: RunPaths
    device: str
    all_tracks: list[Track]  # the whole catalogue: re-indexed on deploy
    tracks: list[Track]  # the training split: queries, negatives, gate and fusion
    encoder: MemoEncoder  # the encoder being adapted (and the gate's "current")
    log: Path | None  # the interaction log, None when there is none to read
    turn_scorer: TurnScorer | None = None  # the application's chat-turn scores for the gate
    # the vectors each encoder (by its weights) gave in this process: the stages encode the catalogue
    # with the current and the new encoder several times (mining, fusion, gate, chat index, deploy)
    memos: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    def load_encoder(self, path: Path) -> MemoEncoder:
        """The encoder at `path` on the run's device, sharing the vectors its weights gave before."""
        return MemoEncoder.sharing(load_encoder(str(path), device=self.device), self.memos)

    @property
    def show_progress_bar(self) -> bool | None:
        return self.config.show_progress_bar

    @functools.cached_property
    def teacher(self) -> CrossEncoderTeacher:
        """The trained teacher, loaded on first use (the triplets and labels stages share it)."""
        return CrossEncoderTeacher.load(
            self.paths.teacher, device=self.device, max_length=self.config.teacher_training.max_length
        )


def open_run(config: GPLConfig, turn_scorer: TurnScorer | None = None) -> RunContext:
    """Load what the stages share: the catalogue (and its training split) and the current encoder.

    Raises:
        ValueError: the catalogue has no valid track, or none in the training split.
        FileNotFoundError: the catalogue does not exist.
    """
    device = resolve_device(config.device)
    loaded = load_catalog(config.catalogue, config.catalogue_format)
    if loaded.skipped:
        logger.warning("%s: %s", config.catalogue, loaded.summary())
    if not loaded.tracks:
        raise ValueError(f"{config.catalogue}: no valid tracks ({loaded.summary()})")
    tracks = training_tracks(loaded.tracks, config.queries.split)
    logger.info(
        "catalogue: %d tracks, %d for training; example: %s", len(loaded.tracks), len(tracks), tracks[0]
    )
    memos: dict[str, dict[str, np.ndarray]] = {}
    return RunContext(
        config=config,
        paths=RunPaths.for_config(config),
        device=device,
        all_tracks=loaded.tracks,
        tracks=tracks,
        encoder=MemoEncoder.sharing(load_encoder(config.encoder, device=device), memos),
        log=config.log if config.log is not None and config.log.is_file() else None,
        turn_scorer=turn_scorer,
        memos=memos,
    )


@dataclass(frozen=True)
class StageKey:
    """What a stage's manifest entry is matched on, and the artifacts the stage writes."""

    config: object  # a config dataclass or plain data
    inputs: dict[str, Path | str]  # name => file/dir (hashed) or identity string
    outputs: tuple[Path, ...]


DEPLOYED_GATE = "gate.json"  # in a deployed generation: the gate result that let it in (`train --status`)


def _write_json(path: Path, record: object) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def read_gate(path: Path) -> GateResult:
    """The gate's decision as the ``gate`` stage wrote it."""
    return GateResult(**json.loads(path.read_text(encoding="utf-8")))


def read_fusion(path: Path) -> FusionRecord:
    """The dense weight the ``fusion`` stage chose, with its evidence."""
    return FusionRecord(**json.loads(path.read_text(encoding="utf-8")))


def read_generation(path: Path) -> Path | None:
    """The index generation the ``deploy`` stage switched to (None: it only saved the encoder)."""
    recorded = json.loads(path.read_text(encoding="utf-8")).get("generation")
    return Path(recorded) if recorded else None


# --- queries: the log's turns and the catalogue's captions/templates -> train and held-out requests


def queries_key(run: RunContext) -> StageKey:
    return StageKey(
        run.config.queries,
        {"catalogue": run.config.catalogue, "log": run.log or "no-log", "code": code_hash(gpl.queries)},
        (run.paths.queries, run.paths.heldout),
    )


def write_queries(run: RunContext) -> tuple[Path, Path]:
    """Build the training and held-out requests.

    Returns:
        ``(queries.jsonl, heldout.jsonl)``.

    Raises:
        ValueError: neither the log nor the catalogue gave a single training request.
    """
    interactions = read_interactions(run.log) if run.log is not None else iter(())
    train, heldout = build_queries(run.tracks, interactions, run.config.queries)
    if not train:
        raise ValueError(
            "no training queries: the log has no turns and the catalogue gave no captions/templates"
        )
    write_jsonl(run.paths.queries, train)
    write_jsonl(run.paths.heldout, heldout)
    return run.paths.queries, run.paths.heldout


# --- candidates: each request's top tracks from the current bi-encoder and lexical search


def candidates_key(run: RunContext) -> StageKey:
    return StageKey(
        {
            "candidates_per_retriever": run.config.mining.candidates_per_retriever,
            "split": run.config.queries.split,
        },
        {
            "queries": run.paths.queries,
            "catalogue": run.config.catalogue,
            "encoder": run.encoder.info.fingerprint,
            "code": code_hash(gpl.mining),
        },
        (run.paths.candidates,),
    )


def write_candidates(run: RunContext) -> Path:
    """Mine every training request's candidates. Returns ``candidates.jsonl``."""
    queries = list(read_jsonl(run.paths.queries, TrainingQuery))
    candidates = mine_candidates(
        queries, run.tracks, run.encoder, run.config.mining, show_progress_bar=run.show_progress_bar
    )
    write_jsonl(run.paths.candidates, candidates)
    return run.paths.candidates


# --- teacher: our cross-encoder, trained on the requests whose positive is known


def trains_teacher(run: RunContext) -> bool:
    """Whether the run trains its teacher (no ``--teacher`` dir was given)."""
    return run.config.teacher is None


def teacher_key(run: RunContext) -> StageKey:
    return StageKey(
        {
            "training": run.config.teacher_training,
            "base": run.config.teacher_base,
            "sampled_view_fraction": 0.5,
            "near_duplicate_jaccard": run.config.mining.near_duplicate_jaccard,
        },
        {
            "queries": run.paths.queries,
            "candidates": run.paths.candidates,
            "catalogue": run.config.catalogue,
            "code": code_hash(gpl.teacher, gpl.mining),
        },
        (run.paths.teacher,),
    )


def write_teacher(run: RunContext) -> Path:
    """Train the cross-encoder teacher from ``teacher_base``. Returns its directory."""
    pairs = teacher_pairs(
        list(read_jsonl(run.paths.queries, TrainingQuery)),
        list(read_jsonl(run.paths.candidates, Candidates)),
        run.tracks,
        run.config.teacher_training,
        near_duplicate_jaccard=run.config.mining.near_duplicate_jaccard,
    )
    base_dir = load_encoder(run.config.teacher_base, device="cpu").path
    return train_teacher(
        pairs,
        base_dir,
        run.paths.teacher,
        run.config.teacher_training,
        device=run.device,
        show_progress_bar=run.show_progress_bar,
    )


# --- triplets: (request, positive, hard negative); the teacher picks a positive where none is known


def triplets_key(run: RunContext) -> StageKey:
    return StageKey(
        run.config.mining,
        {
            "queries": run.paths.queries,
            "candidates": run.paths.candidates,
            "catalogue": run.config.catalogue,
            "teacher": run.paths.teacher,
            "code": code_hash(gpl.mining),
        },
        (run.paths.triplets,),
    )


def write_triplets(run: RunContext) -> Path:
    """Build the triplets (the teacher is loaded only if a request has no known positive).

    Returns ``triplets.jsonl``.
    """
    queries = list(read_jsonl(run.paths.queries, TrainingQuery))
    needs_teacher = any(not query.positive_ids for query in queries)
    triplets = build_triplets(
        queries,
        list(read_jsonl(run.paths.candidates, Candidates)),
        run.tracks,
        run.teacher if needs_teacher else None,
        run.config.mining,
        show_progress_bar=run.show_progress_bar,
    )
    write_jsonl(run.paths.triplets, triplets)
    return run.paths.triplets


# --- labels: the teacher's margin for every triplet


def labels_key(run: RunContext) -> StageKey:
    return StageKey(
        run.config.labels,
        {
            "triplets": run.paths.triplets,
            "teacher": run.paths.teacher,
            "code": code_hash(gpl.pseudo_label, gpl.teacher),
        },
        (run.paths.labels,),
    )


def write_labels(run: RunContext) -> Path:
    """Label every triplet with the teacher's margin. Returns ``labels.jsonl``."""
    triplets = list(read_jsonl(run.paths.triplets, Triplet))
    labeled = label_triplets(
        triplets, run.teacher, run.config.labels, show_progress_bar=run.show_progress_bar
    )
    write_jsonl(run.paths.labels, labeled)
    return run.paths.labels


# --- train: MarginMSE fit of the current encoder on the labels


def train_key(run: RunContext) -> StageKey:
    return StageKey(
        run.config.training,
        {"labels": run.paths.labels, "encoder": run.encoder.info.fingerprint, "code": code_hash(gpl.train)},
        (run.paths.encoder,),
    )


def write_encoder(run: RunContext) -> Path:
    """Fit the student, resuming from checkpoints of this same training run. Returns its directory."""
    fit_student(run, run.config.training, run.paths.encoder, run.paths.checkpoints)
    return run.paths.encoder


def fit_student(run: RunContext, training: TrainConfig, output: Path, checkpoint_dir: Path) -> None:
    """MarginMSE fit of the current encoder on the run's labels into `output`, resuming from
    `checkpoint_dir` when its checkpoints come from this same config and these same labels."""
    # Checkpoints from a run with another config or other labels must not be resumed.
    inputs = RunManifest(run.paths.run_dir).hash_inputs(train_key(run).inputs)
    key = hashlib.sha256(json.dumps([plain(training), inputs], sort_keys=True).encode()).hexdigest()
    key_file = checkpoint_dir / "CHECKPOINT_KEY"
    if checkpoint_dir.exists() and (not key_file.is_file() or key_file.read_text().strip() != key):
        logger.info("discarding checkpoints of an earlier, different training run")
        shutil.rmtree(checkpoint_dir)
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    key_file.write_text(key + "\n")
    train_encoder(
        list(read_jsonl(run.paths.labels, LabeledTriplet)),
        run.encoder.path,
        output,
        checkpoint_dir,
        training,
        device=run.device,
        show_progress_bar=run.show_progress_bar,
    )


# --- seeds: the same student trained with other seeds, so the gate knows the training noise


def trains_other_seeds(run: RunContext) -> bool:
    return run.config.gate.training_seeds > 1


def other_seed_configs(run: RunContext) -> list[TrainConfig]:
    training = run.config.training
    return [replace(training, seed=training.seed + index) for index in range(1, run.config.gate.training_seeds)]


def seeds_key(run: RunContext) -> StageKey:
    return StageKey(other_seed_configs(run), train_key(run).inputs, tuple(other_seed_encoders(run)))


def write_other_seeds(run: RunContext) -> list[Path]:
    """Fit the student again with each other seed (each resumable like the first). Returns their directories."""
    for index, training in enumerate(other_seed_configs(run), 1):
        logger.info("training the student with seed %d (%d of %d)", training.seed, index + 1,
                    run.config.gate.training_seeds)
        fit_student(run, training, run.paths.seed_encoder(index), run.paths.seed_checkpoints(index))
    return other_seed_encoders(run)


def other_seed_encoders(run: RunContext) -> list[Path]:
    return [run.paths.seed_encoder(index) for index in range(1, run.config.gate.training_seeds)]


# --- fusion: the dense weight the new encoder would be served with


def fusion_key(run: RunContext) -> StageKey:
    return StageKey(
        run.config.fusion,
        {
            "encoder": run.paths.encoder,
            "heldout": run.paths.heldout,
            "catalogue": run.config.catalogue,
            "code": code_hash(gpl.fusion),
        },
        (run.paths.fusion,),
    )


def write_fusion(run: RunContext) -> FusionRecord:
    """Choose the hybrid search's dense weight for the new encoder; the choice goes to ``fusion.json``
    (the gate scores the chat turn with it, and a deployed encoder is served with it)."""
    record = choose_encoder_fusion(
        run.load_encoder(run.paths.encoder),
        run.tracks,
        list(read_jsonl(run.paths.heldout, TrainingQuery)),
        run.config.fusion,
    )
    _write_json(run.paths.fusion, asdict(record))
    return record


# --- gate: the new encoder against the current one, on the benchmark and the held-out requests


def gate_key(run: RunContext) -> StageKey:
    inputs: dict[str, Path | str] = {
        "candidate": run.paths.encoder,
        "current": run.encoder.info.fingerprint,
        "heldout": run.paths.heldout,
        "catalogue": run.config.catalogue,
        "code": code_hash(gpl.gate),
    }
    if run.config.gate.benchmark is not None:
        inputs["benchmark"] = run.config.gate.benchmark
    if run.turn_scorer is not None:
        inputs["turn_scorer"] = run.turn_scorer.name
        inputs["fusion"] = run.paths.fusion  # the chat turn serves the new encoder with its chosen weight
    for index, path in enumerate(other_seed_encoders(run), 1):
        inputs[f"seed{index}"] = path
    return StageKey(run.config.gate, inputs, (run.paths.gate,))


def write_gate(run: RunContext) -> GateResult:
    """Score both encoders and decide; the decision goes to ``gate.json``."""
    heldout = list(read_jsonl(run.paths.heldout, TrainingQuery))
    benchmarks = gate_benchmarks(run.config.gate, heldout, run.tracks)
    # The chat serves each encoder with its own fusion: the current one with the weight stored beside it
    # (the default for the base), the new ones with the weight the fusion stage chose for them.
    fusion = read_fusion(run.paths.fusion)
    new_retrieval = (RetrievalConfig() if fusion.dense_weight is None
                     else RetrievalConfig(fusion=Fusion.WEIGHTED, dense_weight=fusion.dense_weight))

    def scores(encoder: Encoder, retrieval: RetrievalConfig) -> dict[str, float]:
        measured = score_encoder(encoder, benchmarks, run.config.gate.k)
        if run.turn_scorer is not None:  # what the chat serves with the encoder, beside retrieval alone
            measured |= run.turn_scorer(encoder, benchmarks, run.tracks, retrieval)
        return measured

    current = scores(run.encoder, retrieval_config_for(run.encoder.path))
    candidate = scores(run.load_encoder(run.paths.encoder), new_retrieval)
    other_seeds = [scores(run.load_encoder(path), new_retrieval)
                   for path in other_seed_encoders(run)]
    result = decide(current, candidate, run.config.gate, other_seeds)
    _write_json(run.paths.gate, asdict(result))
    return result


# --- deploy runs only for an accepted encoder that has somewhere to go


def deploys(run: RunContext) -> bool:
    """Whether the gate accepted the new encoder and the run has an index or a save dir for it."""
    config = run.config
    return read_gate(run.paths.gate).is_accepted and (
        config.index_dir is not None or config.save_encoder is not None
    )


def generation_name(run: RunContext) -> str:
    """The new index generation's name: the run's name and the new encoder's hash."""
    return f"{run.config.run_dir.name}-{fingerprint(run.paths.encoder)[:12]}"


def deploy_key(run: RunContext) -> StageKey:
    config = run.config
    return StageKey(
        {"index_dir": config.index_dir, "save_encoder": config.save_encoder, "name": generation_name(run)},
        {
            "encoder": run.paths.encoder,
            "gate": run.paths.gate,
            "fusion": run.paths.fusion,
            "catalogue": config.catalogue,
        },
        (run.paths.deploy,),
    )


def write_deploy(run: RunContext) -> Path | None:
    """Save the encoder (``--save-encoder``) and/or re-index and switch (``--index-dir``).

    Returns:
        The new live generation, None when there is no index dir.
    """
    config = run.config
    fusion = read_fusion(run.paths.fusion)
    retrieval = (
        None
        if fusion.dense_weight is None
        else RetrievalConfig(fusion=Fusion.WEIGHTED, dense_weight=fusion.dense_weight)
    )
    record: dict[str, str] = {}
    if config.save_encoder is not None:
        copy_dir(run.paths.encoder, config.save_encoder)
        if retrieval is not None:
            save_retrieval_config(config.save_encoder, retrieval)
        record["saved_encoder"] = str(config.save_encoder)
    generation: Path | None = None
    if config.index_dir is not None:
        generation = deploy(
            run.all_tracks,
            run.paths.encoder,
            config.index_dir,
            generation_name(run),
            device=run.device,
            show_progress_bar=run.show_progress_bar,
            retrieval=retrieval,
            memos=run.memos,
        )
        record["generation"] = str(generation)
        if run.paths.gate.is_file():  # absent only when the deploy stage runs alone (tests)
            shutil.copyfile(run.paths.gate, generation / DEPLOYED_GATE)
    _write_json(run.paths.deploy, record)
    return generation


def _always(run: RunContext) -> bool:
    return True


@dataclass(frozen=True)
class Stage:
    """One row of :data:`STAGES`."""

    name: str
    key: Callable[[RunContext], StageKey]  # what the manifest entry is matched on
    build: Callable[[RunContext], object]  # writes the stage's artifacts and returns the artifact
    applies: Callable[[RunContext], bool] = _always  # False: the stage is not part of this run


STAGES: tuple[Stage, ...] = (
    Stage("queries", queries_key, write_queries),
    Stage("candidates", candidates_key, write_candidates),
    Stage("teacher", teacher_key, write_teacher, applies=trains_teacher),
    Stage("triplets", triplets_key, write_triplets),
    Stage("labels", labels_key, write_labels),
    Stage("train", train_key, write_encoder),
    Stage("seeds", seeds_key, write_other_seeds, applies=trains_other_seeds),
    Stage("fusion", fusion_key, write_fusion),
    Stage("gate", gate_key, write_gate),
    Stage("deploy", deploy_key, write_deploy, applies=deploys),
)


def run_stages(run: RunContext, stages: Sequence[Stage] = STAGES) -> tuple[StageOutcome, ...]:
    """Run every stage that applies, in order, skipping those whose manifest entry still matches.

    A stage's ``applies`` and ``key`` are evaluated only once the stages before it have finished,
    so they may read earlier artifacts (``fusion`` and ``deploy`` read the gate's decision).

    Returns:
        One outcome per stage that applied.
    """
    manifest = RunManifest(run.paths.run_dir)
    outcomes: list[StageOutcome] = []
    for stage in stages:
        if not stage.applies(run):
            continue
        key = stage.key(run)
        did_run = manifest.run_stage(
            stage.name, key.config, key.inputs, key.outputs, functools.partial(stage.build, run)
        )
        record = manifest.stages()[stage.name]
        outcomes.append(StageOutcome(stage.name, did_run, record.seconds, record.cpu_seconds))
    return tuple(outcomes)


def run(config: GPLConfig, *, turn_scorer: TurnScorer | None = None) -> RunReport:
    """Run (or resume) the whole adapt pipeline.

    Args:
        config: inputs, run directory, stage configs.
        turn_scorer: the application's chat-turn scores, measured by the gate beside retrieval.

    Returns:
        The per-stage outcome, the gate's decision and, if the gate accepted and an index
        directory was given, the new live generation.

    Raises:
        ValueError: bad inputs (empty catalogue, no gate benchmark, unavailable device...).
        FileNotFoundError: a missing catalogue, teacher or benchmark.
        ModuleNotFoundError: the training extras are not installed.
    """
    require_training_libraries()
    config.run_dir.mkdir(parents=True, exist_ok=True)
    with run_lock(config.run_dir):
        context = open_run(config, turn_scorer)
        return build_report(context, run_stages(context))


def build_report(run: RunContext, outcomes: tuple[StageOutcome, ...]) -> RunReport:
    """Read the gate's decision and, for a deployed encoder, its fusion and generation back from the run."""
    gate = read_gate(run.paths.gate)
    fusion: FusionRecord | None = None
    generation: Path | None = None
    if deploys(run):
        fusion = read_fusion(run.paths.fusion)
        generation = read_generation(run.paths.deploy)
    elif not gate.is_accepted:
        logger.warning("the new encoder was not deployed: %s", gate.reason)
    return RunReport(run.paths.run_dir, outcomes, gate, run.paths.encoder, generation, fusion)


@contextlib.contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on a run directory: two processes must never write one run's artifacts.

    Raises:
        ValueError: another process holds the lock.
    """
    handle = (run_dir / ".lock").open("a")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise ValueError(
                f"another `tunetalk train` is running on {run_dir}; wait for it, stop it, or use another --run-name"
            ) from error
        yield
    finally:
        handle.close()  # closing releases the lock, also when the process dies


def copy_dir(source: Path, target: Path) -> None:
    """Copy a directory so that ``target`` appears complete or not at all (temp copy, then rename)."""
    if target.exists() and fingerprint(target) == fingerprint(source):
        return
    temporary = target.with_name(target.name + ".tmp")
    shutil.rmtree(temporary, ignore_errors=True)
    shutil.copytree(source, temporary)
    if target.exists():
        shutil.rmtree(target)
    temporary.rename(target)


def deploy(
    tracks: list[Track],
    encoder_dir: Path,
    index_dir: Path,
    name: str,
    *,
    device: str = "cpu",
    show_progress_bar: bool | None = None,
    retrieval: RetrievalConfig | None = None,
    memos: dict[str, dict[str, np.ndarray]] | None = None,
) -> Path:
    """Re-index the catalogue with the accepted encoder into a new generation, then switch to it.

    The encoder is copied into the generation first and loaded from there, because the index
    records the path of the encoder that built it. The fusion chosen for it (``retrieval``), if
    any, is stored beside it before the switch. The old index stays until the switch. `memos`: the
    vectors encoders gave earlier in this process (`MemoEncoder.sharing`), so a catalogue the gate
    already encoded with this encoder is not encoded again.

    Returns:
        The new live generation's directory.
    """
    generation = generation_dir(index_dir, name)
    if active_generation(index_dir) == generation:
        if retrieval is not None:
            save_retrieval_config(generation / "encoder", retrieval)
        logger.info("%s is already live", generation)
        return generation
    copy_dir(encoder_dir, generation / "encoder")
    if retrieval is not None:
        save_retrieval_config(generation / "encoder", retrieval)
    encoder: Encoder = load_encoder(str(generation / "encoder"), device=device)
    if memos is not None:
        encoder = MemoEncoder.sharing(encoder, memos)
    if not (generation / "READY").is_file():
        build_generation(index_dir, name, tracks, encoder, show_progress_bar=show_progress_bar)
    activate_generation(index_dir, generation)
    return generation
