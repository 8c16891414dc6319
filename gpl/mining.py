"""Stages ``candidates`` and ``triplets``: hard negatives from the current bi-encoder and lexical search.

For every request, the current bi-encoder (exact cosine over the catalogue) and the
phrase-aware lexical index each return their top tracks. A triplet pairs the request's
positive (the track the user liked, or the teacher's best candidate) with a candidate that
is neither a positive nor a near-duplicate of it.

Documents are descriptor sets. With probability ``sampled_view_fraction`` a document is
shown as a *sampled view*: the descriptors the request mentions plus a few of the track's
others, as the paper's benchmark builds its documents; otherwise it is the full set.

Example:
    >>> candidates = mine_candidates(queries, tracks, encoder, MiningConfig())
    >>> triplets = build_triplets(queries, candidates, tracks, teacher, MiningConfig())
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping, Sequence

import numpy as np
from tqdm.auto import tqdm

from gpl.config import MiningConfig
from gpl.records import Candidates, Reranker, TrainingQuery, Triplet
from retriever import Encoder, LexicalIndex, Track, TrackId

logger = logging.getLogger(__name__)

DESCRIPTOR_SEPARATOR = ", "
QUERY_CHUNK = 512


def _progress(show_progress_bar: bool | None) -> bool:
    if show_progress_bar is None:
        return logger.getEffectiveLevel() <= logging.INFO
    return show_progress_bar


def mentioned(query: str, descriptors: Sequence[str]) -> list[str]:
    """The descriptors whose text occurs in the request (case-insensitive), in track order."""
    lower = query.lower()
    return [d for d in dict.fromkeys(descriptors) if d.strip() and d.lower() in lower]


def _split_by_mention(query: str, descriptors: Sequence[str]) -> tuple[list[str], list[str], list[str]]:
    """(distinct non-blank descriptors, those the request mentions, the others)."""
    distinct = [d for d in dict.fromkeys(descriptors) if d.strip()]
    matching = mentioned(query, distinct)
    return distinct, matching, [d for d in distinct if d not in matching]


def sampled_view(query: str, descriptors: Sequence[str], rng: random.Random) -> list[str]:
    """A random view of a descriptor set as the paper's benchmark draws its documents.

    A non-empty random subset of the descriptors the request mentions plus up to as many of
    the others, shuffled. A track the request does not mention gives a random subset of
    one to four of its descriptors.
    """
    distinct, matching, others = _split_by_mention(query, descriptors)
    if matching:
        chosen = rng.sample(matching, rng.randint(1, len(matching)))
        chosen += rng.sample(others, rng.randint(0, min(len(matching), len(others))))
    else:
        chosen = rng.sample(distinct, rng.randint(1, min(4, len(distinct))))
    rng.shuffle(chosen)
    return chosen


def sibling_view(query: str, descriptors: Sequence[str], rng: random.Random) -> list[str] | None:
    """Another view of the request's own track, one that is mostly about what the request does not name.

    In the paper's benchmark the documents drawn for a caption's other sentences are views of
    the same track, and they are the hardest wrong answers: the right one names mostly
    descriptors the request mentions (at least as many as the others it adds), a sibling names
    mostly descriptors it does not (a non-empty random subset of them plus fewer of the
    mentioned ones). None when the request names none of the track's descriptors or all of them.
    """
    _, matching, others = _split_by_mention(query, descriptors)
    if not matching or not others:
        return None
    chosen = rng.sample(others, rng.randint(1, len(others)))
    chosen += rng.sample(matching, rng.randint(0, min(len(chosen) - 1, len(matching))))
    rng.shuffle(chosen)
    return chosen


def document_text(
    query: str, track: Track, rng: random.Random, is_sampled: bool, *, is_positive: bool = False
) -> str:
    """The document a triplet shows for a track: a sampled view or the full descriptor set.

    A positive the request does not mention is always shown in full: a random subset of it
    would be an unrelated document labelled relevant.
    """
    if is_sampled and track.descriptors and not (is_positive and not mentioned(query, track.descriptors)):
        return DESCRIPTOR_SEPARATOR.join(sampled_view(query, track.descriptors, rng))
    return track.document


def jaccard(first: Sequence[str], second: Sequence[str]) -> float:
    a = {d.lower() for d in first}
    b = {d.lower() for d in second}
    return len(a & b) / len(a | b) if a or b else 1.0


def is_near_duplicate(candidate: Track, positive: Track, threshold: float) -> bool:
    """Same document, or descriptor sets that overlap at least ``threshold`` (Jaccard)."""
    return (
        candidate.document == positive.document
        or jaccard(candidate.descriptors, positive.descriptors) >= threshold
    )


def mine_candidates(
    queries: Sequence[TrainingQuery],
    tracks: Sequence[Track],
    encoder: Encoder,
    config: MiningConfig,
    *,
    show_progress_bar: bool | None = None,
) -> list[Candidates]:
    """Each query's top tracks by the current bi-encoder (exact cosine) and by lexical search.

    Args:
        queries: the training requests.
        tracks: the catalogue to mine from.
        encoder: the current bi-encoder.
        config: how many candidates per retriever, batch size.
        show_progress_bar: None shows bars when logging is at INFO or lower.

    Returns:
        One :class:`Candidates` per query, in query order.
    """
    show = _progress(show_progress_bar)
    track_ids = [track.id for track in tracks]
    k = min(config.candidates_per_retriever, len(tracks))
    documents = encoder.encode(
        [track.document for track in tracks], batch_size=config.batch_size, show_progress_bar=show
    )  # (tracks, dim)
    query_vectors = encoder.encode(
        [q.text for q in queries], batch_size=config.batch_size, show_progress_bar=show
    )  # (queries, dim)
    lexical = LexicalIndex.build(track_ids, [track.descriptors for track in tracks])
    results: list[Candidates] = []
    for start in tqdm(range(0, len(queries), QUERY_CHUNK), desc="mining", unit="chunk", disable=not show):
        chunk = queries[start : start + QUERY_CHUNK]
        dense = query_vectors[start : start + QUERY_CHUNK] @ documents.T  # (chunk, tracks)
        lexical_scores = lexical.score_many([q.text for q in chunk])  # (chunk, tracks)
        dense_top = np.argsort(-dense, axis=1, kind="stable")[:, :k]
        lexical_top = np.argsort(-lexical_scores, axis=1, kind="stable")[:, :k]
        for row, query in enumerate(chunk):
            lexical_ids = tuple(track_ids[i] for i in lexical_top[row] if lexical_scores[row, i] > 0)
            results.append(
                Candidates(query.query_id, tuple(track_ids[i] for i in dense_top[row]), lexical_ids)
            )
    logger.info("mined candidates for %d queries (%d per retriever)", len(results), k)
    if results:
        logger.info("example candidates: %s", results[0])
    return results


def interleave(*rankings: Sequence[TrackId]) -> list[TrackId]:
    """Merge rankings round-robin, dropping repeats: [a1, b1, a2, b2, ...]."""
    merged: dict[TrackId, None] = {}
    for position in range(max((len(r) for r in rankings), default=0)):
        for ranking in rankings:
            if position < len(ranking):
                merged.setdefault(ranking[position], None)
    return list(merged)


def choose_positive(
    query: TrainingQuery, pool: Sequence[TrackId], tracks: Mapping[TrackId, Track], teacher: Reranker | None
) -> TrackId | None:
    """The query's known positive, else the teacher's best track among the candidates."""
    known = [track_id for track_id in query.positive_ids if track_id in tracks]
    if known:
        return known[0]
    if teacher is None or not pool:
        return None
    scores = teacher.score(query.text, [tracks[track_id].document for track_id in pool])
    return pool[int(np.argmax(scores))]


def build_triplets(
    queries: Sequence[TrainingQuery],
    candidates: Sequence[Candidates],
    tracks: Sequence[Track],
    teacher: Reranker | None,
    config: MiningConfig,
    *,
    show_progress_bar: bool | None = None,
) -> list[Triplet]:
    """``views_per_query`` x ``num_negatives`` triplets per query that has a positive and enough negatives.

    Each view draws the positive's document again (a new sampled view); each negative is a
    mined track or, with probability ``sibling_fraction``, a sibling view of the positive's own
    track (see :func:`sibling_view`; its ``negative_id`` is then the positive's id).

    Args:
        queries: the training requests.
        candidates: their mined candidates (same query ids).
        tracks: the catalogue.
        teacher: picks the positive of a query without one; None skips such queries.
        config: negatives per query, near-duplicate threshold, sampled-view share, seed.
        show_progress_bar: None shows a bar when logging is at INFO or lower.

    Returns:
        Triplets grouped by query (each query's ``num_negatives`` in a row).

    Raises:
        ValueError: a query has no mined candidates.
    """
    rng = random.Random(config.seed)
    by_id = {track.id: track for track in tracks}
    candidates_by_query = {c.query_id: c for c in candidates}
    triplets: list[Triplet] = []
    skipped_no_positive = skipped_few_negatives = 0
    for query in tqdm(queries, desc="triplets", unit="query", disable=not _progress(show_progress_bar)):
        found = candidates_by_query.get(query.query_id)
        if found is None:
            raise ValueError(
                f"query {query.query_id!r} has no mined candidates; run the candidates stage again"
            )
        pool = [t for t in interleave(query.shown_ids, found.dense, found.lexical) if t in by_id]
        positive_id = choose_positive(query, pool, by_id, teacher)
        if positive_id is None:
            skipped_no_positive += 1
            continue
        positive = by_id[positive_id]
        negatives = [
            track_id
            for track_id in interleave(found.dense, found.lexical)
            if track_id in by_id
            and track_id not in query.positive_ids
            and track_id != positive_id
            and not is_near_duplicate(by_id[track_id], positive, config.near_duplicate_jaccard)
        ]
        if config.negative_depth is not None:
            negatives = negatives[: config.negative_depth]
        if len(negatives) < config.num_negatives:
            skipped_few_negatives += 1
            continue
        for _ in range(config.views_per_query):
            is_sampled = rng.random() < config.sampled_view_fraction
            positive_text = document_text(query.text, positive, rng, is_sampled, is_positive=True)
            for negative_id in rng.sample(negatives, config.num_negatives):
                sibling = None
                if config.sibling_fraction > 0 and rng.random() < config.sibling_fraction:
                    sibling = sibling_view(query.text, positive.descriptors, rng)
                if sibling is None:
                    negative_text = document_text(query.text, by_id[negative_id], rng, is_sampled)
                else:
                    negative_id, negative_text = positive_id, DESCRIPTOR_SEPARATOR.join(sibling)
                triplets.append(
                    Triplet(query.query_id, query.text, positive_id, positive_text, negative_id, negative_text)
                )
    logger.info(
        "%d triplets from %d queries (skipped: %d without a positive, %d with fewer than %d negatives)",
        len(triplets),
        len(queries),
        skipped_no_positive,
        skipped_few_negatives,
        config.num_negatives,
    )
    if triplets:
        logger.info("example triplet: %s", triplets[0])
    return triplets
