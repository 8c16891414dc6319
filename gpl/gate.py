"""Stage ``gate``: ship the new encoder only if it measures better than the current one.

Both encoders rank the same benchmarks with dense retrieval alone (exact cosine):

- the paper's protocol (Epure et al., NLP4MusA 2024) on an LP-MusicCaps-MC-style csv, per
  request column and seed, optionally on a fixed random sample of rows;
- the held-out logged queries (whole sessions the training never saw) against the
  catalogue, each relevant to the tracks the user liked.

The candidate is accepted when its mean Recall@k over the benchmarks rises by at least
``min_improvement`` and no single benchmark falls by more than ``max_drop``.

With ``training_seeds`` of 2 or more, the same student is also trained with other seeds on the
same labels; the rise each mean needs is then the larger of ``min_improvement`` and the spread
(max - min) of that mean over the seeds, so an encoder wins only by more than training noise.

A ``TurnScorer`` given by the application (``gpl`` never imports the chat) adds what the product
serves: the same benchmarks (and the application's own) through whole chat turns made with each
encoder, served with its own fusion (the new encoder with the weight the fusion stage chose),
named ``chat/...``. With such scores the candidate must also be better on each side: the
mean of the ``chat/`` scores and the mean of the others must each rise by at least
``min_improvement``.

Example:
    >>> benchmarks = gate_benchmarks(GateConfig(benchmark=Path("test.csv")), heldout, tracks)
    >>> decide(score_encoder(current, benchmarks), score_encoder(candidate, benchmarks), GateConfig())
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from gpl.config import GateConfig
from gpl.records import TrainingQuery
from retriever import Encoder, RetrievalConfig, Track
from retriever.evaluate import Benchmark, load_mc_rows, sample_paper_benchmark, score_run
from retriever.rankers import dense_score_matrices

logger = logging.getLogger(__name__)

HELDOUT_BENCHMARK = "heldout-log"
CHAT_PREFIX = "chat/"  # scores a TurnScorer gives: what the chat turn serves with the encoder


class TurnScorer(Protocol):
    """Scores an encoder through the product (whole chat turns), given by the application.

    ``name`` identifies what it measures (it keys the stage manifest). Called with an encoder, the
    gate's benchmarks, the catalogue tracks they rank and the fusion the chat would serve that
    encoder with, it returns benchmark name => score in [0, 1], every name starting with
    ``CHAT_PREFIX`` (the gate's own benchmarks through the chat turn, and any of the application's).
    """

    name: str

    def __call__(self, encoder: Encoder, benchmarks: Mapping[str, Benchmark],
                 tracks: Sequence[Track], retrieval: RetrievalConfig) -> dict[str, float]: ...


@dataclass(frozen=True)
class GateResult:
    """The gate's decision and the Recall@k of both encoders on every benchmark."""

    is_accepted: bool
    reason: str
    current: dict[str, float]  # benchmark name => recall@k
    candidate: dict[str, float]
    other_seeds: list[dict[str, float]] = field(default_factory=list)  # the candidate trained with other seeds
    margins: dict[str, float] = field(default_factory=dict)  # side => the rise its mean needed


def heldout_benchmark(heldout: Sequence[TrainingQuery], tracks: Sequence[Track]) -> Benchmark | None:
    """Held-out logged queries against the whole catalogue; None when none has a positive."""
    track_ids = {track.id for track in tracks}
    judged = [q for q in heldout if any(p in track_ids for p in q.positive_ids)]
    if not judged:
        return None
    return Benchmark(
        queries={q.query_id: q.text for q in judged},
        corpus={track.id: track.document for track in tracks},
        qrels={q.query_id: {p for p in q.positive_ids if p in track_ids} for q in judged},
    )


def gate_benchmarks(
    config: GateConfig, heldout: Sequence[TrainingQuery], tracks: Sequence[Track]
) -> dict[str, Benchmark]:
    """Every benchmark the gate scores, by name.

    Raises:
        ValueError: there is nothing to gate on (no benchmark file and no held-out query).
    """
    benchmarks: dict[str, Benchmark] = {}
    if config.benchmark is not None:
        for column in config.query_columns:
            rows = load_mc_rows(config.benchmark, query_column=column)
            if config.max_rows is not None and len(rows) > config.max_rows:
                keep = sorted(random.Random(0).sample(range(len(rows)), config.max_rows))
                rows = [rows[i] for i in keep]
            for seed in config.seeds:
                benchmarks[f"paper/{column}/seed{seed}"] = sample_paper_benchmark(rows, seed)
    logged = heldout_benchmark(heldout, tracks)
    if logged is not None:
        benchmarks[HELDOUT_BENCHMARK] = logged
    if not benchmarks:
        raise ValueError(
            "the gate has nothing to measure: give --gate-benchmark (e.g. the LP-MusicCaps-MC test.csv) "
            "or a log with held-out sessions that liked a track"
        )
    logger.info("gate benchmarks: %s", {name: len(b.queries) for name, b in benchmarks.items()})
    return benchmarks


def score_encoder(
    encoder: Encoder, benchmarks: Mapping[str, Benchmark], k: int = 10, batch_size: int = 64
) -> dict[str, float]:
    """Dense Recall@k of one encoder on every benchmark (each distinct text encoded once)."""
    matrices = dense_score_matrices(encoder, list(benchmarks.values()), batch_size)
    scores: dict[str, float] = {}
    for (name, benchmark), similarity in zip(benchmarks.items(), matrices, strict=True):
        query_ids = list(benchmark.queries)
        doc_ids = list(benchmark.corpus)
        top = np.argsort(-similarity, axis=1, kind="stable")[:, :k]
        run = {q: [doc_ids[i] for i in ranked] for q, ranked in zip(query_ids, top, strict=True)}
        scores[name] = score_run(benchmark.qrels, run, k)[f"recall@{k}"]
    return scores


def sides(scores: Mapping[str, float]) -> dict[str, list[str]]:
    """The benchmark names of each side whose mean must rise: "chat turn" and "retrieval" when
    chat-turn scores are there, else one side, "all"."""
    chat = [name for name in scores if name.startswith(CHAT_PREFIX)]
    retrieval = [name for name in scores if not name.startswith(CHAT_PREFIX)]
    if chat and retrieval:
        return {"chat turn": chat, "retrieval": retrieval}
    return {"all": list(scores)}


def side_mean(scores: Mapping[str, float], names: Sequence[str]) -> float:
    return float(np.mean([scores[name] for name in names]))


def seed_margins(candidate: Mapping[str, float], other_seeds: Sequence[Mapping[str, float]],
                 min_improvement: float) -> dict[str, float]:
    """The rise each side's mean needs: ``min_improvement``, or the spread of that mean over the
    training seeds (the candidate and ``other_seeds``) when that is larger."""
    margins = {}
    for label, names in sides(candidate).items():
        means = [side_mean(scores, names) for scores in (candidate, *other_seeds)]
        margins[label] = max(min_improvement, max(means) - min(means)) if other_seeds else min_improvement
    return margins


def worse_side(current: Mapping[str, float], candidate: Mapping[str, float],
               margins: Mapping[str, float]) -> str | None:
    """The side whose mean does not rise by its margin (chat first), said in words; None when all rise."""
    for label, names in sides(current).items():
        before, after = side_mean(current, names), side_mean(candidate, names)
        if after < before + margins[label]:
            what = f"mean {label} score" if label != "all" else "mean Recall@k"
            return f"{what} {after:.4f} vs current {before:.4f}; needs +{margins[label]:.4f}"
    return None


def decide(current: Mapping[str, float], candidate: Mapping[str, float], config: GateConfig,
           other_seeds: Sequence[Mapping[str, float]] = ()) -> GateResult:
    """Accept the candidate only if it is better on average (on the chat-turn and the retrieval side
    each, when both are scored) by more than its seeds' spread, and not worse anywhere by much.

    Args:
        current, candidate: benchmark name => score of the deployed and of the new encoder.
        config: the margins.
        other_seeds: the scores of the same student trained with other seeds (``training_seeds``).

    Raises:
        ValueError: the score sets cover different benchmarks.
    """
    if set(current) != set(candidate) or not current or any(set(s) != set(current) for s in other_seeds):
        raise ValueError(
            f"every encoder must be scored on the same benchmarks, got {sorted(current)}, "
            f"{sorted(candidate)} and {[sorted(s) for s in other_seeds]}"
        )
    margins = seed_margins(candidate, other_seeds, config.min_improvement)
    current_mean = float(np.mean(list(current.values())))
    candidate_mean = float(np.mean(list(candidate.values())))
    drops = {
        name: current[name] - candidate[name]
        for name in current
        if current[name] - candidate[name] > config.max_drop
    }
    seeds = (f" (the larger of +{config.min_improvement} and the spread of {len(other_seeds) + 1} training seeds)"
             if other_seeds else "")
    if drops:
        worst = max(drops, key=drops.__getitem__)
        accepted, reason = (
            False,
            (
                f"refused: Recall@{config.k} on {worst} fell from {current[worst]:.4f} to {candidate[worst]:.4f} "
                f"(more than max_drop={config.max_drop})"
            ),
        )
    elif (side := worse_side(current, candidate, margins)) is not None:
        accepted, reason = False, f"refused: {side}{seeds}"
    elif candidate_mean < current_mean + config.min_improvement:
        accepted, reason = (
            False,
            (
                f"refused: mean Recall@{config.k} {candidate_mean:.4f} vs current {current_mean:.4f}; "
                f"needs +{config.min_improvement}"
            ),
        )
    else:
        accepted, reason = (
            True,
            f"accepted: mean Recall@{config.k} {current_mean:.4f} -> {candidate_mean:.4f}",
        )
    logger.info("gate %s", reason)
    return GateResult(accepted, reason, dict(current), dict(candidate), [dict(s) for s in other_seeds], margins)
