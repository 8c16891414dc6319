"""GPL adaptation of the bi-encoder from logged conversations, with our own cross-encoder as teacher.

    log -> TrainingQuery[] -> Candidates[] -> Triplet[] -> LabeledTriplet[] -> MarginMSE fit
        -> gate -> new index generation -> atomic switch

Example:
    >>> from gpl import GPLConfig, run
    >>> report = run(GPLConfig(catalogue=Path("assets/catalogue.jsonl"), run_dir=Path("runs/demo")))
"""

from __future__ import annotations

from gpl.config import (
    FusionConfig,
    GateConfig,
    GPLConfig,
    LabelConfig,
    MiningConfig,
    QueryConfig,
    TeacherConfig,
    TrainConfig,
)
from gpl.fusion import FusionRecord, choose_encoder_fusion
from gpl.gate import GateResult, decide, gate_benchmarks, score_encoder
from gpl.manifest import RunManifest, fingerprint
from gpl.mining import build_triplets, mine_candidates, sampled_view
from gpl.pipeline import STAGES, RunReport, deploy, run
from gpl.pseudo_label import label_triplets
from gpl.queries import build_queries, synthesise_request
from gpl.records import (
    Candidates,
    LabeledTriplet,
    PairScorer,
    QueryId,
    Reranker,
    TrainingQuery,
    Triplet,
    read_jsonl,
    write_jsonl,
)
from gpl.simulate import simulate_sessions
from gpl.teacher import CrossEncoderTeacher, TeacherPair, teacher_pairs, train_teacher
from gpl.train import gpl_loss, margin_mse_loss, train_encoder, training_columns

__all__ = [
    "STAGES",
    "Candidates",
    "CrossEncoderTeacher",
    "FusionConfig",
    "GPLConfig",
    "FusionRecord",
    "GateConfig",
    "GateResult",
    "LabelConfig",
    "LabeledTriplet",
    "MiningConfig",
    "PairScorer",
    "QueryConfig",
    "QueryId",
    "Reranker",
    "RunManifest",
    "RunReport",
    "TeacherConfig",
    "TeacherPair",
    "TrainConfig",
    "TrainingQuery",
    "Triplet",
    "build_queries",
    "build_triplets",
    "choose_encoder_fusion",
    "decide",
    "deploy",
    "fingerprint",
    "gate_benchmarks",
    "label_triplets",
    "gpl_loss",
    "margin_mse_loss",
    "mine_candidates",
    "read_jsonl",
    "run",
    "sampled_view",
    "score_encoder",
    "simulate_sessions",
    "synthesise_request",
    "teacher_pairs",
    "train_encoder",
    "train_teacher",
    "training_columns",
    "write_jsonl",
]
