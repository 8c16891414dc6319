"""Stage ``fusion``: choose the hybrid's dense weight for the encoder the gate accepted.

The live searcher fuses the encoder's cosine scores with the lexical index's by a weighted sum
of min-max normalised scores (`retriever.fusion.fuse`). The default weight was chosen for the
packaged MiniLM; a retrained encoder ranks better on its own and earns a larger share. The
weight is chosen on training data only:

- the training tracks' ``caption`` metadata, split into sentences and matched to sampled views
  of the tracks' descriptors (the paper's protocol, `retriever.evaluate.sample_paper_benchmark`),
  one benchmark per seed;
- else the held-out logged queries against the catalogue (the gate's second benchmark).

The chosen settings are stored beside the deployed encoder's weights (``tunetalk_retrieval.json``).

Example:
    >>> choice = choose_encoder_fusion(encoder, tracks, heldout, FusionConfig())
    >>> choice.config.dense_weight
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from gpl.config import FusionConfig
from gpl.gate import heldout_benchmark
from gpl.records import TrainingQuery
from retriever import Encoder, Track
from retriever.evaluate import Benchmark, McRow, sample_paper_benchmark
from retriever.rankers import choose_fusion

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FusionRecord:
    """What the ``fusion`` stage writes (``fusion.json``): the choice and the evidence for it."""

    dense_weight: float | None  # None: nothing to choose on, the encoder keeps the default
    benchmark: str
    num_queries: int
    recall_by_weight: dict[str, float]
    dense_recall: float | None
    lexical_recall: float | None


def caption_benchmarks(tracks: Sequence[Track], seeds: Sequence[int]) -> list[Benchmark]:
    """Paper-protocol benchmarks over the tracks that carry a ``caption`` (none if no track does)."""
    rows = [
        McRow(track.id, tuple(track.descriptors), track.metadata["caption"].replace("\n", " ").strip())
        for track in tracks
        if isinstance(track.metadata.get("caption"), str) and track.metadata["caption"].strip() and track.descriptors
    ]
    if not rows:
        return []
    benchmarks = [sample_paper_benchmark(rows, seed) for seed in seeds]
    return [benchmark for benchmark in benchmarks if benchmark.queries]


def choose_encoder_fusion(
    encoder: Encoder, tracks: Sequence[Track], heldout: Sequence[TrainingQuery], config: FusionConfig
) -> FusionRecord:
    """Choose the dense weight for ``encoder`` on training captions, else on held-out logged queries.

    Returns:
        The record; ``dense_weight`` is None when the catalogue has no captions and the log no
        judged held-out query (the encoder then keeps the searcher's default).
    """
    benchmarks = caption_benchmarks(tracks, config.seeds)
    source = f"training captions, paper protocol, seeds {list(config.seeds)}"
    if not benchmarks:
        logged = heldout_benchmark(heldout, tracks)
        benchmarks = [logged] if logged is not None else []
        source = "held-out logged queries"
    if not benchmarks:
        logger.warning(
            "fusion: no training captions and no judged held-out query; the encoder keeps the default weight"
        )
        return FusionRecord(None, "none", 0, {}, None, None)
    choice = choose_fusion(encoder, benchmarks, dense_weights=config.dense_weights, k=config.k)
    return FusionRecord(
        choice.config.dense_weight,
        source,
        sum(len(b.queries) for b in benchmarks),
        {str(weight): recall for weight, recall in choice.recall_by_weight.items()},
        choice.dense_recall,
        choice.lexical_recall,
    )
