"""The adapt pipeline, stage by stage: ``run(config)``.

    queries -> candidates -> teacher -> triplets -> labels -> train -> gate -> deploy

Each stage writes its artifact under ``runs/<run_name>/`` and records its config and input
hashes in ``manifest.json`` (see :mod:`gpl.manifest`); a re-run skips every stage whose
manifest still matches, so a killed run resumes where it stopped (training itself resumes
from its last checkpoint).

Example:
    >>> report = run(GPLConfig(catalogue=Path("assets/catalogue.jsonl"), run_dir=Path("runs/demo"),
    ...                        log=Path("~/.cache/tunetalk/interactions.jsonl").expanduser()))
    >>> report.gate.reason
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType

import gpl.fusion
import gpl.gate
import gpl.mining
import gpl.pseudo_label
import gpl.queries
import gpl.teacher
import gpl.train
from gpl.config import GPLConfig
from gpl.fusion import FusionRecord, choose_encoder_fusion
from gpl.gate import GateResult, decide, gate_benchmarks, score_encoder
from gpl.manifest import RunManifest, fingerprint, plain
from gpl.mining import build_triplets, mine_candidates
from gpl.pseudo_label import label_triplets
from gpl.queries import build_queries
from gpl.records import Candidates, LabeledTriplet, TrainingQuery, Triplet, read_jsonl, write_jsonl
from gpl.teacher import CrossEncoderTeacher, teacher_pairs, train_teacher
from gpl.train import require_training_libraries, resolve_device, train_encoder
from retriever import (
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
from retriever import Fusion, RetrievalConfig

logger = logging.getLogger(__name__)

STAGES = ("queries", "candidates", "teacher", "triplets", "labels", "train", "gate", "fusion", "deploy")


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


class _Run:
    """The state shared by the stages of one run (paths, loaded models, the manifest)."""

    def __init__(self, config: GPLConfig) -> None:
        self.config = config
        self.dir = config.run_dir
        self.manifest = RunManifest(config.run_dir)
        self.outcomes: list[StageOutcome] = []
        self.device = resolve_device(config.device)
        loaded = load_catalog(config.catalogue, config.catalogue_format)
        if loaded.skipped:
            logger.warning("%s: %s", config.catalogue, loaded.summary())
        if not loaded.tracks:
            raise ValueError(f"{config.catalogue}: no valid tracks ({loaded.summary()})")
        self.all_tracks = loaded.tracks
        self.tracks = training_tracks(loaded.tracks, config.queries.split)
        logger.info(
            "catalogue: %d tracks, %d for training; example: %s",
            len(self.all_tracks),
            len(self.tracks),
            self.tracks[0],
        )
        self.encoder = load_encoder(config.encoder, device=self.device)
        self.teacher_dir = config.teacher or self.dir / "teacher"
        self._teacher: CrossEncoderTeacher | None = None

    def path(self, name: str) -> Path:
        return self.dir / name

    def teacher(self) -> CrossEncoderTeacher:
        if self._teacher is None:
            self._teacher = CrossEncoderTeacher.load(
                self.teacher_dir, device=self.device, max_length=self.config.teacher_training.max_length
            )
        return self._teacher

    def stage(
        self, name: str, config: object, inputs: dict[str, Path | str], outputs: list[Path], build
    ) -> None:  # noqa: ANN001
        did_run = self.manifest.run_stage(name, config, inputs, outputs, build)
        record = self.manifest.stages()[name]
        self.outcomes.append(StageOutcome(name, did_run, record.seconds, record.cpu_seconds))


def run(config: GPLConfig) -> RunReport:
    """Run (or resume) the whole adapt pipeline.

    Args:
        config: inputs, run directory, stage configs.

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
        return _run_stages(config)


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


def _run_stages(config: GPLConfig) -> RunReport:
    state = _Run(config)
    show = config.show_progress_bar
    log_input: Path | str = config.log if config.log is not None and config.log.is_file() else "no-log"
    encoder_id = state.encoder.info.fingerprint

    queries_path, heldout_path = state.path("queries.jsonl"), state.path("heldout.jsonl")

    def build_queries_stage() -> None:
        interactions = read_interactions(config.log) if isinstance(log_input, Path) else iter(())
        train, heldout = build_queries(state.tracks, interactions, config.queries)
        if not train:
            raise ValueError(
                "no training queries: the log has no turns and the catalogue gave no captions/templates"
            )
        write_jsonl(queries_path, train)
        write_jsonl(heldout_path, heldout)

    state.stage(
        "queries",
        config.queries,
        {"catalogue": config.catalogue, "log": log_input, "code": code_hash(gpl.queries)},
        [queries_path, heldout_path],
        build_queries_stage,
    )

    candidates_path = state.path("candidates.jsonl")
    candidates_config = {
        "candidates_per_retriever": config.mining.candidates_per_retriever,
        "split": config.queries.split,
    }

    def build_candidates_stage() -> None:
        queries = list(read_jsonl(queries_path, TrainingQuery))
        write_jsonl(
            candidates_path,
            mine_candidates(queries, state.tracks, state.encoder, config.mining, show_progress_bar=show),
        )

    state.stage(
        "candidates",
        candidates_config,
        {
            "queries": queries_path,
            "catalogue": config.catalogue,
            "encoder": encoder_id,
            "code": code_hash(gpl.mining),
        },
        [candidates_path],
        build_candidates_stage,
    )

    if config.teacher is None:
        teacher_config = {
            "training": config.teacher_training,
            "base": config.teacher_base,
            "sampled_view_fraction": 0.5,
            "near_duplicate_jaccard": config.mining.near_duplicate_jaccard,
        }

        def build_teacher_stage() -> None:
            pairs = teacher_pairs(
                list(read_jsonl(queries_path, TrainingQuery)),
                list(read_jsonl(candidates_path, Candidates)),
                state.tracks,
                config.teacher_training,
                near_duplicate_jaccard=config.mining.near_duplicate_jaccard,
            )
            base_dir = load_encoder(config.teacher_base, device="cpu").path
            train_teacher(
                pairs,
                base_dir,
                state.teacher_dir,
                config.teacher_training,
                device=state.device,
                show_progress_bar=show,
            )

        state.stage(
            "teacher",
            teacher_config,
            {
                "queries": queries_path,
                "candidates": candidates_path,
                "catalogue": config.catalogue,
                "code": code_hash(gpl.teacher, gpl.mining),
            },
            [state.teacher_dir],
            build_teacher_stage,
        )

    triplets_path = state.path("triplets.jsonl")

    def build_triplets_stage() -> None:
        queries = list(read_jsonl(queries_path, TrainingQuery))
        needs_teacher = any(not q.positive_ids for q in queries)
        triplets = build_triplets(
            queries,
            list(read_jsonl(candidates_path, Candidates)),
            state.tracks,
            state.teacher() if needs_teacher else None,
            config.mining,
            show_progress_bar=show,
        )
        write_jsonl(triplets_path, triplets)

    state.stage(
        "triplets",
        config.mining,
        {
            "queries": queries_path,
            "candidates": candidates_path,
            "catalogue": config.catalogue,
            "teacher": state.teacher_dir,
            "code": code_hash(gpl.mining),
        },
        [triplets_path],
        build_triplets_stage,
    )

    labels_path = state.path("labels.jsonl")

    def build_labels_stage() -> None:
        triplets = list(read_jsonl(triplets_path, Triplet))
        write_jsonl(
            labels_path, label_triplets(triplets, state.teacher(), config.labels, show_progress_bar=show)
        )

    state.stage(
        "labels",
        config.labels,
        {
            "triplets": triplets_path,
            "teacher": state.teacher_dir,
            "code": code_hash(gpl.pseudo_label, gpl.teacher),
        },
        [labels_path],
        build_labels_stage,
    )

    encoder_dir, checkpoint_dir = state.path("encoder"), state.path("checkpoints")
    train_inputs: dict[str, Path | str] = {
        "labels": labels_path,
        "encoder": encoder_id,
        "code": code_hash(gpl.train),
    }

    def build_train_stage() -> None:
        # Checkpoints from a run with another config or other labels must not be resumed.
        key = hashlib.sha256(
            json.dumps(
                [plain(config.training), state.manifest.hash_inputs(train_inputs)], sort_keys=True
            ).encode()
        ).hexdigest()
        key_file = checkpoint_dir / "CHECKPOINT_KEY"
        if checkpoint_dir.exists() and (not key_file.is_file() or key_file.read_text().strip() != key):
            logger.info("discarding checkpoints of an earlier, different training run")
            shutil.rmtree(checkpoint_dir)
        checkpoint_dir.mkdir(parents=True, exist_ok=True)
        key_file.write_text(key + "\n")
        labeled = list(read_jsonl(labels_path, LabeledTriplet))
        train_encoder(
            labeled,
            state.encoder.path,
            encoder_dir,
            checkpoint_dir,
            config.training,
            device=state.device,
            show_progress_bar=show,
        )

    state.stage("train", config.training, train_inputs, [encoder_dir], build_train_stage)

    gate_path = state.path("gate.json")

    def build_gate_stage() -> None:
        heldout = list(read_jsonl(heldout_path, TrainingQuery))
        benchmarks = gate_benchmarks(config.gate, heldout, state.tracks)
        current = score_encoder(state.encoder, benchmarks, config.gate.k)
        candidate = score_encoder(
            load_encoder(str(encoder_dir), device=state.device), benchmarks, config.gate.k
        )
        result = decide(current, candidate, config.gate)
        temporary = gate_path.with_name(gate_path.name + ".tmp")
        temporary.write_text(json.dumps(asdict(result), indent=1) + "\n", encoding="utf-8")
        os.replace(temporary, gate_path)

    gate_inputs: dict[str, Path | str] = {
        "candidate": encoder_dir,
        "current": encoder_id,
        "heldout": heldout_path,
        "catalogue": config.catalogue,
        "code": code_hash(gpl.gate),
    }
    if config.gate.benchmark is not None:
        gate_inputs["benchmark"] = config.gate.benchmark
    state.stage("gate", config.gate, gate_inputs, [gate_path], build_gate_stage)
    gate = GateResult(**json.loads(gate_path.read_text(encoding="utf-8")))

    generation: Path | None = None
    fusion: FusionRecord | None = None
    if gate.is_accepted and (config.index_dir is not None or config.save_encoder is not None):
        fusion_path = state.path("fusion.json")

        def build_fusion_stage() -> None:
            record = choose_encoder_fusion(
                load_encoder(str(encoder_dir), device=state.device),
                state.tracks,
                list(read_jsonl(heldout_path, TrainingQuery)),
                config.fusion,
            )
            temporary = fusion_path.with_name(fusion_path.name + ".tmp")
            temporary.write_text(json.dumps(asdict(record), indent=1) + "\n", encoding="utf-8")
            os.replace(temporary, fusion_path)

        state.stage(
            "fusion",
            config.fusion,
            {
                "encoder": encoder_dir,
                "heldout": heldout_path,
                "catalogue": config.catalogue,
                "code": code_hash(gpl.fusion),
            },
            [fusion_path],
            build_fusion_stage,
        )
        fusion = FusionRecord(**json.loads(fusion_path.read_text(encoding="utf-8")))
        retrieval = (
            None if fusion.dense_weight is None
            else RetrievalConfig(fusion=Fusion.WEIGHTED, dense_weight=fusion.dense_weight)
        )
        deploy_path = state.path("deploy.json")
        name = f"{config.run_dir.name}-{fingerprint(encoder_dir)[:12]}"

        def build_deploy_stage() -> None:
            record: dict[str, str] = {}
            if config.save_encoder is not None:
                copy_dir(encoder_dir, config.save_encoder)
                if retrieval is not None:
                    save_retrieval_config(config.save_encoder, retrieval)
                record["saved_encoder"] = str(config.save_encoder)
            if config.index_dir is not None:
                built = deploy(
                    state.all_tracks,
                    encoder_dir,
                    config.index_dir,
                    name,
                    device=state.device,
                    show_progress_bar=show,
                    retrieval=retrieval,
                )
                record["generation"] = str(built)
            deploy_path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")

        state.stage(
            "deploy",
            {"index_dir": config.index_dir, "save_encoder": config.save_encoder, "name": name},
            {"encoder": encoder_dir, "gate": gate_path, "fusion": fusion_path, "catalogue": config.catalogue},
            [deploy_path],
            build_deploy_stage,
        )
        recorded = json.loads(deploy_path.read_text(encoding="utf-8")).get("generation")
        generation = Path(recorded) if recorded else None
    elif not gate.is_accepted:
        logger.warning("the new encoder was not deployed: %s", gate.reason)
    return RunReport(config.run_dir, tuple(state.outcomes), gate, encoder_dir, generation, fusion)


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
) -> Path:
    """Re-index the catalogue with the accepted encoder into a new generation, then switch to it.

    The encoder is copied into the generation first and loaded from there, because the index
    records the path of the encoder that built it. The fusion chosen for it (``retrieval``), if
    any, is stored beside it before the switch. The old index stays until the switch.

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
    encoder = load_encoder(str(generation / "encoder"), device=device)
    if not (generation / "READY").is_file():
        build_generation(index_dir, name, tracks, encoder, show_progress_bar=show_progress_bar)
    activate_generation(index_dir, generation)
    return generation
