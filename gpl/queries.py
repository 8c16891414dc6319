"""Stage ``queries``: the requests to adapt on (log turns, captions, synthesised requests).

- From the interaction log: each turn's message and the query its dialogue state produced.
  A turn's positives are the shown tracks the user then liked (a thumbs up, or "I like #2" /
  "more like #2", which add to the state's liked list). Whole sessions are held out for the
  gate by a hash of their id, so a session never feeds both training and the gate.
- Cold start: a track's ``caption`` metadata (whole-sentence requests written for that
  track) and requests written from its descriptor set with the templates below.

Example:
    >>> train, heldout = build_queries(tracks, read_interactions(log_path), QueryConfig())
"""

from __future__ import annotations

import hashlib
import logging
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from gpl.config import QueryConfig
from gpl.mining import mentioned
from gpl.records import TrainingQuery
from retriever import FeedbackEvent, Interaction, Track, TrackId, TurnEvent

logger = logging.getLogger(__name__)

SENTENCE_SEPARATOR = ". "  # the paper benchmark's splitter; requests are scored sentence by sentence
MIN_QUERY_WORDS = 3

# Requests and descriptions in the styles the chat and the caption benchmarks see. "{items}" is
# a list of the track's own descriptors, verbatim; "{one}" a single further descriptor.
TEMPLATES = (
    "This song features {items}.",
    "The recording features {items}.",
    "This track has {items}.",
    "A song with {items}.",
    "This piece showcases {items}, creating a {one} feel.",
    "In this track, {items} come together.",
    "The music is {one}, with {items}.",
    "Here, {items} blend together.",
    "I'm looking for something with {items}.",
    "play me some music with {items}",
    "songs with {items}",
    "I want {items}",
    "something {one} with {items}",
    "Can you recommend a track with {items}?",
)


def join_items(items: Sequence[str], rng: random.Random) -> str:
    """'a', 'a and b', 'a, b and c' (or, sometimes, 'a, b, c')."""
    if len(items) == 1:
        return items[0]
    if rng.random() < 0.2:
        return ", ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def synthesise_request(descriptors: Sequence[str], rng: random.Random, max_items: int = 5) -> str:
    """One request written from a descriptor set; every descriptor it names appears verbatim.

    Args:
        descriptors: the track's descriptors (at least one).
        rng: the random source (seeded by the caller).
        max_items: most descriptors named in ``{items}``.

    Returns:
        The request text.
    """
    distinct = list(dict.fromkeys(d for d in descriptors if d.strip()))
    template = rng.choice(TEMPLATES)
    needs_one = "{one}" in template
    if needs_one and len(distinct) < 2:
        template = "This song features {items}."
        needs_one = False
    count = rng.randint(1, max(1, min(max_items, len(distinct) - int(needs_one))))
    chosen = rng.sample(distinct, count + int(needs_one))
    one = chosen.pop() if needs_one else ""
    items = join_items(chosen, rng)
    return template.replace("{items}", items).replace("{one}", one)


def caption_sentences(caption: str) -> list[str]:
    """A caption's sentences (split as the paper's benchmark splits requests), short ones dropped."""
    text = re.sub(r"\s+", " ", caption).strip()
    sentences = [s.strip().rstrip(".").strip() for s in text.split(SENTENCE_SEPARATOR)]
    return [s for s in sentences if len(s.split()) >= MIN_QUERY_WORDS]


def caption_queries(tracks: Iterable[Track], *, needs_mention: bool = False) -> list[TrainingQuery]:
    """Each sentence of a track's ``caption`` metadata, as a request for that track.

    With ``needs_mention``, only the sentences that name one of the track's descriptors.
    """
    queries: list[TrainingQuery] = []
    for track in tracks:
        caption = track.metadata.get("caption")
        if not isinstance(caption, str):
            continue
        for index, sentence in enumerate(caption_sentences(caption)):
            if needs_mention and not mentioned(sentence, track.descriptors):
                continue
            queries.append(TrainingQuery(f"caption-{track.id}-{index}", sentence, "caption", (track.id,)))
    return queries


def template_queries(tracks: Iterable[Track], per_track: int, rng: random.Random) -> list[TrainingQuery]:
    """``per_track`` synthesised requests for each track that has descriptors."""
    queries: list[TrainingQuery] = []
    for track in tracks:
        if not track.descriptors:
            continue
        texts = dict.fromkeys(synthesise_request(track.descriptors, rng) for _ in range(per_track))
        for index, text in enumerate(texts):
            queries.append(TrainingQuery(f"template-{track.id}-{index}", text, "template", (track.id,)))
    return queries


def is_heldout(session_id: str, fraction: float) -> bool:
    """A stable, session-level split: the same session always lands on the same side."""
    bucket = int(hashlib.sha256(session_id.encode("utf-8")).hexdigest()[:8], 16) % 10_000
    return bucket < round(fraction * 10_000)


@dataclass
class _Turn:
    interaction: TurnEvent
    index: int
    liked_after: set[TrackId] = field(default_factory=set)


def log_queries(
    interactions: Iterable[Interaction], catalogue_ids: set[TrackId]
) -> dict[str, list[TrainingQuery]]:
    """Requests from logged turns, grouped by session id.

    A turn's positives are tracks it showed that the user liked before the next turn, by a
    feedback event or by a turn that added them to the state's liked list. Tracks not in the
    catalogue are dropped (the log may predate a catalogue change).
    """
    sessions: dict[str, list[_Turn]] = {}
    for interaction in interactions:
        turns = sessions.setdefault(interaction.session_id, [])
        if isinstance(interaction, TurnEvent):
            if turns:
                turns[-1].liked_after |= set(interaction.liked) - set(turns[-1].interaction.liked)
            turns.append(_Turn(interaction, len(turns)))
        elif isinstance(interaction, FeedbackEvent) and turns and interaction.is_liked:
            turns[-1].liked_after.add(interaction.track_id)
    grouped: dict[str, list[TrainingQuery]] = {}
    for session_id, turns in sessions.items():
        for turn in turns:
            shown = tuple(track_id for track_id, _ in turn.interaction.shown if track_id in catalogue_ids)
            positives = tuple(track_id for track_id in shown if track_id in turn.liked_after)
            prefix = f"log-{hashlib.sha256(session_id.encode()).hexdigest()[:10]}-{turn.index}"
            texts = {
                "log-message": turn.interaction.message.strip(),
                "log-query": turn.interaction.search_text,
            }
            seen: set[str] = set()
            for source, text in texts.items():
                if len(text.split()) < 1 or text.lower() in seen:
                    continue
                seen.add(text.lower())
                grouped.setdefault(session_id, []).append(
                    TrainingQuery(f"{prefix}-{source[4:]}", text, source, positives, shown)
                )
    return grouped


def build_queries(
    tracks: Sequence[Track], interactions: Iterable[Interaction], config: QueryConfig
) -> tuple[list[TrainingQuery], list[TrainingQuery]]:
    """All training requests and the held-out logged requests (those with a positive).

    Args:
        tracks: the training catalogue (already filtered to ``config.split``).
        interactions: the interaction log, streamed.
        config: which sources to use, the held-out share, the cap and the seed.

    Returns:
        (training queries, held-out queries), training ones shuffled and capped.
    """
    rng = random.Random(config.seed)
    catalogue_ids = {track.id for track in tracks}
    train: list[TrainingQuery] = []
    heldout: list[TrainingQuery] = []
    if config.use_log:
        for session_id, queries in log_queries(interactions, catalogue_ids).items():
            if is_heldout(session_id, config.heldout_fraction):
                heldout.extend(q for q in queries if q.positive_ids)
            else:
                train.extend(queries)
    num_logged = len(train)
    if config.use_captions:
        train.extend(caption_queries(tracks, needs_mention=config.caption_needs_mention))
    num_captions = len(train) - num_logged
    train.extend(template_queries(tracks, config.templates_per_track, rng))
    num_templates = len(train) - num_logged - num_captions
    rng.shuffle(train)
    if config.max_queries is not None:
        train = train[: config.max_queries]  # a uniform sample: each source keeps its share
    logger.info(
        "%d training queries (of %d logged, %d caption sentences, %d templated; cap %s), "
        "%d held-out logged queries",
        len(train),
        num_logged,
        num_captions,
        num_templates,
        config.max_queries,
        len(heldout),
    )
    if train:
        logger.info("example query: %s", train[0])
    return train, heldout
