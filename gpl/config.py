"""One small frozen config per adapt-pipeline stage, and :class:`GPLConfig` that holds them.

Defaults are the ones measured in ``gpl/README.md`` (MusicCaps train, CPU). Every config is
validated in ``__post_init__`` and stored in ``runs/<run_name>/manifest.json``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from retriever import DEFAULT_ENCODER, CatalogFormat
from retriever.rankers import DENSE_WEIGHTS

_DEVICE = re.compile(r"^(cpu|cuda(:\d+)?|mps)$")


def _check_positive(**values: float) -> None:
    for name, value in values.items():
        if value <= 0:
            raise ValueError(f"{name} must be > 0, got {value}")


def _check_fraction(**values: float) -> None:
    for name, value in values.items():
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be in [0, 1], got {value}")


@dataclass(frozen=True)
class QueryConfig:
    """Where training requests come from (stage ``queries``).

    Attributes:
        use_log: read turn messages and state queries from the interaction log.
        use_captions: use a track's ``caption`` metadata (e.g. MusicCaps human captions), whole
            and sentence by sentence, as requests for that track.
        templates_per_track: requests synthesised per catalogue track from its descriptors.
        split: keep only tracks whose ``split`` metadata equals this (e.g. "train"), so a
            catalogue that carries its test clips never trains on them; None keeps all.
        heldout_fraction: share of logged sessions held out for the gate (by session id hash).
        max_queries: cap on training queries after shuffling (None: all).
        caption_needs_mention: keep only caption sentences that name at least one of their
            track's descriptors; a sentence that names none ("Sounds from this piece could be
            used in adverts") says nothing its track's descriptor set can be matched on.
    """

    use_log: bool = True
    use_captions: bool = True
    templates_per_track: int = 2
    split: str | None = None
    heldout_fraction: float = 0.1
    max_queries: int | None = None
    caption_needs_mention: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        if self.templates_per_track < 0:
            raise ValueError(f"templates_per_track must be >= 0, got {self.templates_per_track}")
        _check_fraction(heldout_fraction=self.heldout_fraction)
        if self.max_queries is not None:
            _check_positive(max_queries=self.max_queries)


@dataclass(frozen=True)
class MiningConfig:
    """Hard-negative mining with the current bi-encoder and lexical search (stages ``candidates``, ``triplets``).

    Attributes:
        candidates_per_retriever: how many tracks each retriever returns per query.
        num_negatives: hard negatives kept per query (each gives one triplet).
        near_duplicate_jaccard: a candidate whose descriptor set overlaps the positive's at
            least this much (Jaccard) is a near-duplicate, never a negative.
        sampled_view_fraction: share of documents shown as a sampled view (the descriptors the
            request mentions plus a few others, as in the paper's benchmark) rather than the
            full descriptor set.
        negative_depth: draw the negatives from the first this many candidates (the two
            retrievers' lists interleaved, best first; near-duplicates of the positive skipped)
            rather than from all of them (None): smaller is harder.
        views_per_query: triplets drawn per query and negative, each with a new sampled view of
            the positive (and of the negative).
        sibling_fraction: share of negatives that are a sibling view of the positive's own track
            (mostly descriptors the request does not name: the paper benchmark's hardest wrong
            answers, its documents for the caption's other sentences) instead of a mined track.
    """

    candidates_per_retriever: int = 30
    num_negatives: int = 1
    near_duplicate_jaccard: float = 0.8
    sampled_view_fraction: float = 1.0
    negative_depth: int | None = 10
    views_per_query: int = 2
    sibling_fraction: float = 1.0
    batch_size: int = 64
    seed: int = 0

    def __post_init__(self) -> None:
        _check_positive(
            candidates_per_retriever=self.candidates_per_retriever,
            num_negatives=self.num_negatives,
            views_per_query=self.views_per_query,
            batch_size=self.batch_size,
        )
        if self.negative_depth is not None and self.negative_depth < self.num_negatives:
            raise ValueError(
                f"negative_depth ({self.negative_depth}) must be at least num_negatives ({self.num_negatives})"
            )
        _check_fraction(
            near_duplicate_jaccard=self.near_duplicate_jaccard,
            sampled_view_fraction=self.sampled_view_fraction,
            sibling_fraction=self.sibling_fraction,
        )


@dataclass(frozen=True)
class TeacherConfig:
    """The cross-encoder teacher, trained from the packaged MiniLM body (stage ``teacher``).

    Attributes:
        max_queries: requests with a known positive used to train it.
        hard_negatives: mined negatives per request (bi-encoder and lexical candidates).
        random_negatives: random catalogue tracks per request.
        sibling_negatives: sibling views of the request's own track per request (the negatives
            ``MiningConfig.sibling_fraction`` trains the student on; see ``gpl.mining.sibling_view``).
    """

    max_queries: int = 1500
    hard_negatives: int = 3
    random_negatives: int = 1
    sibling_negatives: int = 1
    epochs: float = 1.0
    batch_size: int = 16
    learning_rate: float = 1e-4
    warmup_ratio: float = 0.1
    max_length: int = 128
    seed: int = 0

    def __post_init__(self) -> None:
        _check_positive(
            max_queries=self.max_queries,
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            max_length=self.max_length,
        )
        counts = (self.hard_negatives, self.random_negatives, self.sibling_negatives)
        if min(counts) < 0 or sum(counts) == 0:
            raise ValueError(
                f"the teacher needs negatives: got hard_negatives={self.hard_negatives}, "
                f"random_negatives={self.random_negatives}, sibling_negatives={self.sibling_negatives}"
            )
        _check_fraction(warmup_ratio=self.warmup_ratio)


@dataclass(frozen=True)
class LabelConfig:
    """Pseudo-labelling with the teacher (stage ``labels``)."""

    batch_size: int = 64

    def __post_init__(self) -> None:
        _check_positive(batch_size=self.batch_size)


@dataclass(frozen=True)
class TrainConfig:
    """MarginMSE fine-tuning of the bi-encoder (stage ``train``).

    Attributes:
        epochs: passes over the labelled queries (one example = a query, its positive and
            all its negatives).
        max_steps: if set, stop after this many optimiser steps instead.
        similarity_scale: the student's margin is ``scale * (cos(q, pos) - cos(q, neg))``; the
            encoder normalises its embeddings, so this puts its margin on the scale of the
            teacher's raw logits. None calibrates it before training: the ratio of the spread
            (std) of the teacher's margins to that of the untrained student's cosine margins.
        save_steps: checkpoint every this many steps (a killed run resumes from the last).
        in_batch_weight: weight of the in-batch ranking term added to MarginMSE (0: MarginMSE only).
        min_margin: drop triplets whose teacher margin is below this before training (None: keep
            all). A negative margin means the teacher ranks the mined negative above the query's
            positive: a false negative (it matches the request too) or a teacher error, and
            either way a wrong lesson for both loss terms (RocketQA's denoising of hard negatives).
    """

    epochs: float = 1.0
    max_steps: int | None = None
    batch_size: int = 64
    learning_rate: float = 1e-4
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    similarity_scale: float | None = None
    max_seq_length: int = 128
    save_steps: int = 100
    in_batch_weight: float = 8.0
    min_margin: float | None = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.in_batch_weight < 0:
            raise ValueError(f"in_batch_weight must be >= 0, got {self.in_batch_weight}")
        _check_positive(
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            max_seq_length=self.max_seq_length,
            save_steps=self.save_steps,
        )
        if self.similarity_scale is not None:
            _check_positive(similarity_scale=self.similarity_scale)
        if self.max_steps is not None:
            _check_positive(max_steps=self.max_steps)
        _check_fraction(warmup_ratio=self.warmup_ratio)


@dataclass(frozen=True)
class GateConfig:
    """Is the new encoder better? (stage ``gate``)

    Attributes:
        benchmark: an LP-MusicCaps-MC-style csv scored with the paper's protocol (None: only
            the held-out logged queries count).
        query_columns: request columns of ``benchmark`` to score.
        seeds: paper-protocol sampling seeds.
        max_rows: score a fixed random sample of this many benchmark rows (None: all).
        min_improvement: the mean Recall@k over all gate benchmarks must rise by at least this.
        max_drop: no single gate benchmark may fall by more than this.
        training_seeds: train the student this many times on the same labels (training seeds
            ``TrainConfig.seed``, +1, ...); with 2 or more, each mean must rise by more than its
            spread over the seeds too. The first seed's student is the one deployed.
        chat_sample: at most this many conversations for each sampled chat-turn measure (the
            application's scorer: simulated-listener targets, CPCD dialogs, Reddit requests); None:
            the scorer's own sizes. Smaller is quicker and noisier.
    """

    benchmark: Path | None = None
    query_columns: tuple[str, ...] = ("caption_writing",)
    seeds: tuple[int, ...] = (0,)
    max_rows: int | None = 600
    k: int = 10
    min_improvement: float = 0.005
    max_drop: float = 0.01
    training_seeds: int = 1
    chat_sample: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "query_columns", tuple(self.query_columns))
        _check_positive(training_seeds=self.training_seeds)
        if self.chat_sample is not None:
            _check_positive(chat_sample=self.chat_sample)
        object.__setattr__(self, "seeds", tuple(self.seeds))
        if not self.query_columns:
            raise ValueError("query_columns must name at least one column")
        _check_positive(k=self.k)
        if self.max_rows is not None:
            _check_positive(max_rows=self.max_rows)
        if self.max_drop < 0:
            raise ValueError(f"max_drop must be >= 0, got {self.max_drop}")


@dataclass(frozen=True)
class FusionConfig:
    """The hybrid's dense weight for an accepted encoder (stage ``fusion``).

    A retrained encoder ranks better on its own than the one the default weight was chosen
    for, so the weight is chosen again, on the training tracks' captions (paper protocol),
    and stored with the deployed encoder, where ``ask``, ``chat`` and ``evaluate`` read it.

    Attributes:
        seeds: paper-protocol sampling seeds over the training captions.
        dense_weights: the weights tried; the best mean Recall@k wins, ties to the smaller.
        k: the recall cut-off.
    """

    seeds: tuple[int, ...] = (0, 1, 2)
    dense_weights: tuple[float, ...] = DENSE_WEIGHTS
    k: int = 10

    def __post_init__(self) -> None:
        object.__setattr__(self, "seeds", tuple(self.seeds))
        object.__setattr__(self, "dense_weights", tuple(self.dense_weights))
        if not self.seeds:
            raise ValueError("fusion seeds must name at least one seed")
        if not self.dense_weights or any(not 0.0 < w <= 1.0 for w in self.dense_weights):
            raise ValueError(f"fusion dense_weights must each be in (0, 1], got {list(self.dense_weights)}")
        _check_positive(k=self.k)


@dataclass(frozen=True)
class GPLConfig:
    """Everything ``tunetalk train`` needs: inputs, where the run lives, and the stage configs.

    Attributes:
        catalogue: the catalogue file the queries, negatives and new index come from.
        log: the interaction log (JSONL); may be missing for a cold start.
        run_dir: ``runs/<run_name>``; every stage writes its artifact and manifest entry here.
        encoder: the current bi-encoder (name or directory); the student starts from it.
        teacher: an already trained cross-encoder directory; None trains one in the run.
        teacher_base: what the teacher is initialised from (default: the packaged MiniLM).
        index_dir: the index to switch to the new encoder when the gate accepts it (None: no
            re-index; the accepted encoder is only saved).
        save_encoder: also copy an accepted encoder to this directory.
        device: "cpu", "cuda", "cuda:N" or "mps".
    """

    catalogue: Path
    run_dir: Path
    catalogue_format: CatalogFormat = CatalogFormat.JSONL
    log: Path | None = None
    encoder: str = DEFAULT_ENCODER
    teacher: Path | None = None
    teacher_base: str = DEFAULT_ENCODER
    index_dir: Path | None = None
    save_encoder: Path | None = None
    device: str = "cpu"
    show_progress_bar: bool | None = None
    queries: QueryConfig = field(default_factory=QueryConfig)
    mining: MiningConfig = field(default_factory=MiningConfig)
    teacher_training: TeacherConfig = field(default_factory=TeacherConfig)
    labels: LabelConfig = field(default_factory=LabelConfig)
    training: TrainConfig = field(default_factory=TrainConfig)
    gate: GateConfig = field(default_factory=GateConfig)
    fusion: FusionConfig = field(default_factory=FusionConfig)

    def __post_init__(self) -> None:
        object.__setattr__(self, "catalogue_format", CatalogFormat(self.catalogue_format))
        if not _DEVICE.match(self.device):
            raise ValueError(f"device must be cpu, cuda, cuda:N or mps, got {self.device!r}")
        if not self.catalogue.is_file():
            raise FileNotFoundError(f"catalogue {self.catalogue}: no such file")
        if self.log is not None and self.log.exists() and not self.log.is_file():
            raise ValueError(f"log {self.log} is not a file")
        if self.teacher is not None and not (self.teacher / "config.json").is_file():
            raise FileNotFoundError(
                f"teacher {self.teacher}: not a cross-encoder directory (no config.json); "
                "leave --teacher out to train one"
            )
        if self.gate.benchmark is not None and not self.gate.benchmark.is_file():
            raise FileNotFoundError(f"gate benchmark {self.gate.benchmark}: no such file")
