"""Stage ``labels``: the teacher's score margin for every (query, positive, negative) triplet.

The label is ``teacher(query, positive) - teacher(query, negative)`` in raw logits, as in GPL
(Wang et al., NAACL 2022). Each distinct (query, document) pair is scored once: a query's
positive is shared by all its negatives.

Example:
    >>> labeled = label_triplets(triplets, CrossEncoderTeacher.load(teacher_dir), LabelConfig())
    >>> labeled[0].margin
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from gpl.config import LabelConfig
from gpl.records import LabeledTriplet, PairScorer, Triplet

logger = logging.getLogger(__name__)


def label_triplets(
    triplets: Sequence[Triplet],
    teacher: PairScorer,
    config: LabelConfig = LabelConfig(),
    *,
    show_progress_bar: bool | None = None,
) -> list[LabeledTriplet]:
    """Score both documents of every triplet with the teacher.

    Args:
        triplets: the mined triplets.
        teacher: raw-logit pair scorer (the trained cross-encoder).
        config: the scoring batch size.
        show_progress_bar: None shows a bar when logging is at INFO or lower.

    Returns:
        The triplets with their positive and negative logits, in input order.
    """
    pairs = list(
        dict.fromkeys(pair for t in triplets for pair in ((t.query, t.positive), (t.query, t.negative)))
    )
    if show_progress_bar is None:
        show_progress_bar = logger.getEffectiveLevel() <= logging.INFO
    logger.info("scoring %d distinct pairs for %d triplets", len(pairs), len(triplets))
    scores = teacher.score_pairs(pairs, batch_size=config.batch_size, show_progress_bar=show_progress_bar)
    score_of = {pair: float(score) for pair, score in zip(pairs, scores, strict=True)}
    labeled = [
        LabeledTriplet(t, score_of[(t.query, t.positive)], score_of[(t.query, t.negative)]) for t in triplets
    ]
    if labeled:
        margins = [item.margin for item in labeled]
        logger.info(
            "margins: mean %.2f, min %.2f, max %.2f, %.0f%% positive; example %s",
            sum(margins) / len(margins),
            min(margins),
            max(margins),
            100 * sum(m > 0 for m in margins) / len(margins),
            labeled[0],
        )
    return labeled
