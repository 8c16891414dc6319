"""The chat turn as a plain function: (state, message) -> (state, reply).

`Recommender` holds the heavy, shared parts (searcher, parser, vocabulary, log) and is
built once; a `DialogueState` per session holds everything user-specific. `Conversation`
pairs the two for the CLI and tests.

Example:
    >>> recommender = Recommender(searcher, vocabulary)
    >>> conversation = Conversation(recommender)
    >>> conversation.say("upbeat tropical music with steel drums").results[0].track.title
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections import Counter
from dataclasses import dataclass, field

from retriever import Hit, HybridSearcher, Interaction, InteractionLog, Track, TrackId, Vocabulary
from retriever.vocabulary import Descriptor

from chatbot.dialogue import (
    MAX_SHOWN,
    normalise_message,
    DescriptorIndex,
    DialogueState,
    TurnParser,
    build_query,
    expand_exclusions,
    matched_descriptors,
)

logger = logging.getLogger(__name__)

PARAPHRASE_MIN_COUNT = 3
RERANK_POOL = 30
WANTED_COVERAGE_WEIGHT = 0.3
LEAD_INSTRUMENT_WEIGHT = 0.15
DIVERSITY = 0.5
MORE_LIKE_POOL = 100
REFERENCE_WEIGHT = 8.0


@dataclass(frozen=True)
class ResultView:
    rank: int
    track: Track
    score: float
    matched: tuple[str, ...]

    def to_json(self) -> dict:
        return {
            "rank": self.rank,
            "id": self.track.id,
            "title": self.track.title,
            "artist": self.track.artist,
            "year": self.track.year,
            "descriptors": list(self.track.descriptors),
            "matched": list(self.matched),
            "url": self.track.url,
            "score": round(self.score, 5),
        }


@dataclass(frozen=True)
class TurnResult:
    turn: int
    message: str
    reply: str
    results: list[ResultView]
    state: dict
    notices: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "turn": self.turn,
            "message": self.message,
            "reply": self.reply,
            "results": [r.to_json() for r in self.results],
            "state": self.state,
            "notices": self.notices,
        }


def merge_vocabulary(base: Vocabulary, tracks: list[Track]) -> Vocabulary:
    """The built-in vocabulary plus every catalogue descriptor it does not already name."""
    descriptors = dict(base.descriptors)
    surface_forms = dict(base.surface_forms)
    for track in tracks:
        for descriptor in track.descriptors:
            key = " ".join(descriptor.lower().split())
            if key not in surface_forms:
                surface_forms[key] = key
                descriptors[key] = Descriptor(name=key, facet="")
    return Vocabulary(base.facets, descriptors, surface_forms)


def lead_instrument(track: Track, vocabulary: Vocabulary) -> str | None:
    """The first instrument descriptor of a track (catalogues list the lead instrument first)."""
    for descriptor in track.descriptors:
        if vocabulary.facet_of(descriptor) == "instrument":
            return descriptor
    return None


def rerank(
    hits: list[Hit],
    state: DialogueState,
    vocabulary: Vocabulary,
    *,
    diversity: float = 0.0,
    reference: Track | None = None,
) -> list[tuple[Hit, float]]:
    """Re-order retrieved hits by how much of the explicit dialogue state they satisfy.

    The retriever's fused score stays the base; on top, the weighted share of wanted
    descriptors a track carries, and a bonus when its lead instrument is one the user asked for.
    With `diversity` > 0 the list is then built greedily (maximal marginal relevance): each
    pick loses `diversity` times its highest descriptor Jaccard similarity to the songs
    already picked, so one list is not ten near-copies of the same recording. With a
    `reference` track ("more like #2"), the share of its descriptors a candidate carries counts
    most of all.
    """
    reference_set = {d.lower() for d in reference.descriptors} if reference is not None else set()
    wanted = {d.lower(): w for d, w in state.wanted.items() if w > 0}
    total = sum(wanted.values())
    scored = []
    for hit in hits:
        score = hit.score
        if total:
            carried = [set(d.lower().split()) for d in hit.track.descriptors]
            # a wanted descriptor is carried when one of the track's descriptors contains all its words
            # ("piano" is carried by "mellow piano melody")
            covered = sum(w for d, w in wanted.items() if any(set(d.split()) <= words for words in carried))
            score += WANTED_COVERAGE_WEIGHT * covered / total
            lead = lead_instrument(hit.track, vocabulary)
            if lead is not None and lead.lower() in wanted:
                score += LEAD_INSTRUMENT_WEIGHT
        if reference_set:
            carried_set = {d.lower() for d in hit.track.descriptors}
            score += REFERENCE_WEIGHT * len(reference_set & carried_set) / len(reference_set)
        scored.append((hit, score))
    scored.sort(key=lambda pair: -pair[1])
    if diversity <= 0:
        return scored
    chosen: list[tuple[Hit, float]] = []
    chosen_sets: list[set[str]] = []
    remaining = scored
    while remaining:
        def marginal(pair: tuple[Hit, float]) -> float:
            carried = {d.lower() for d in pair[0].track.descriptors}
            overlap = max((len(carried & other) / len(carried | other) for other in chosen_sets), default=0.0)
            return pair[1] - diversity * overlap

        best = max(remaining, key=marginal)
        remaining = [pair for pair in remaining if pair is not best]
        chosen.append((best[0], marginal(best)))
        chosen_sets.append({d.lower() for d in best[0].track.descriptors})
    return chosen


def format_reply(results: list[ResultView], state: DialogueState, notices: list[str]) -> str:
    """A short, true explanation of the results (plain text; the UI escapes it)."""
    lines = list(notices)
    wanted = [d for d in sorted(state.wanted, key=lambda d: -state.wanted[d]) if state.wanted[d] >= 0.5][:8]
    excluded = state.snapshot()["excluded"]
    if not results:
        lines.append("I found nothing that fits all of that. Try removing an exclusion or saying it differently.")
        return "\n".join(lines)
    head = f"Here are {len(results)} songs"
    if wanted:
        head += " for " + ", ".join(wanted)
    if excluded:
        head += " (excluding " + ", ".join(excluded) + ")"
    lines.append(head + ":")
    for view in results:
        track = view.track
        year = f" ({track.year})" if track.year else ""
        why = f" · matches: {', '.join(view.matched)}" if view.matched else ""
        lines.append(f"{view.rank}. {track.title} — {track.artist}{year}{why}")
    lines.append('Refine: "more upbeat", "no vocals", "more like #2", or "start over".')
    return "\n".join(lines)


class Recommender:
    """Shared, heavy dependencies of the chat; one per process, never per session."""

    def __init__(
        self,
        searcher: HybridSearcher,
        vocabulary: Vocabulary,
        *,
        log: InteractionLog | None = None,
        k: int = 10,
        use_encoder_for_parsing: bool = True,
    ) -> None:
        self.searcher = searcher
        tracks = list(searcher.tracks.values())
        self.vocabulary = merge_vocabulary(vocabulary, tracks)
        counts = Counter(" ".join(d.lower().split()) for t in tracks for d in t.descriptors)
        paraphrase_names = [
            name for name, d in self.vocabulary.descriptors.items() if d.facet or counts[name] >= PARAPHRASE_MIN_COUNT
        ]
        embed = (lambda texts: searcher.encoder.encode(texts)) if use_encoder_for_parsing else None
        self.parser = TurnParser(self.vocabulary, embed, paraphrase_names)
        self.descriptor_index = DescriptorIndex(counts)
        self.log = log
        self.k = k

    def respond(self, state: DialogueState, message: object, *, session_id: str = "", k: int | None = None) -> TurnResult:
        """Take one user turn: update `state` in place and return the reply with results."""
        k = k or self.k
        parsed = self.parser.parse(message, num_results=max(len(state.last_results), k))
        if not parsed.text and not (parsed.liked_ranks or parsed.disliked_ranks or parsed.more_like_ranks
                                    or parsed.is_reset or parsed.excluded or parsed.excludes_vocals):
            cleaned = parsed.notices[-1] if parsed.notices else "Tell me what you'd like to hear."
            return TurnResult(state.turns, "", cleaned, [], state.snapshot(), list(parsed.notices))
        message_text = normalise_message(message)[0]
        only_references = not (parsed.text or parsed.wanted or parsed.boosted or parsed.excluded
                               or parsed.excludes_vocals or parsed.is_reset)
        if only_references and not state.has_reference(parsed):
            # "#42" alone: say so and keep the current list, so "#2" still means the same song.
            notices = state.apply(parsed, self.searcher.tracks)
            views = self.results_for(state)
            reply = "\n".join([*notices, "Your current results are unchanged."])
            return TurnResult(state.turns, message_text, reply, views, state.snapshot(), notices)
        notices = state.apply(parsed, self.searcher.tracks)
        return self._answer(state, notices, message_text, session_id=session_id, k=k)

    def refresh(self, state: DialogueState, *, session_id: str = "", k: int | None = None) -> TurnResult:
        """Search again for the current state (after the user edited it), without a new message."""
        state.shown = [i for i in state.shown if i not in set(state.last_results)]
        return self._answer(state, [], "", session_id=session_id, k=k or self.k)

    def _answer(self, state: DialogueState, notices: list[str], message: str, *, session_id: str, k: int) -> TurnResult:
        excluded = expand_exclusions(state, self.vocabulary, self.descriptor_index)
        query = build_query(state, excluded, k=k)
        if not query.text and not query.weighted_phrases and not query.liked_ids:
            state.last_results = []
            reply = "\n".join([*notices, "Tell me what you'd like to hear, e.g. \"calm piano music to study to\"."])
            return TurnResult(state.turns, message, reply, [], state.snapshot(), notices)
        pool = MORE_LIKE_POOL if state.more_like_turn else RERANK_POOL
        hits = self.searcher.search(dataclasses.replace(query, k=max(pool, k)))
        if not hits and state.shown:
            # Everything that fits was shown already: show it again rather than claim nothing fits.
            query = build_query(state, excluded, k=k, repeat_shown=True)
            hits = self.searcher.search(dataclasses.replace(query, k=max(RERANK_POOL, k)))
            if hits:
                notices = [*notices, "You've seen every song that fits this; here are the best of them again."]
        # A "more like #k" turn asks for near neighbours of that song: rank by likeness to it, no diversity.
        reference = None
        if state.more_like_turn and state.more_like and state.more_like[-1] in self.searcher.tracks:
            reference = self.searcher.tracks[state.more_like[-1]]
        diversity = 0.0 if reference is not None else DIVERSITY
        reranked = rerank(hits, state, self.vocabulary, diversity=diversity, reference=reference)[:k]
        results = [
            ResultView(rank, hit.track, score, tuple(matched_descriptors(hit.track, state)))
            for rank, (hit, score) in enumerate(reranked, 1)
        ]
        state.last_results = [view.track.id for view in results]
        already = set(state.shown)
        state.shown = [*state.shown, *(i for i in state.last_results if i not in already)][-MAX_SHOWN:]
        if self.log is not None:
            self.log.append(
                Interaction(
                    session_id=session_id,
                    kind="turn",
                    message=message,
                    query=query.text + (" | " + ", ".join(query.weighted_phrases) if query.weighted_phrases else ""),
                    shown=tuple((v.track.id, v.score) for v in results),
                    feedback={"excluded": sorted(state.excluded), "liked": list(state.liked)},
                )
            )
        reply = format_reply(results, state, notices)
        return TurnResult(state.turns, message, reply, results, state.snapshot(), notices)

    def results_for(self, state: DialogueState) -> list[ResultView]:
        """The last results of a state again (e.g. after a page reload), without searching."""
        views = []
        for rank, track_id in enumerate(state.last_results, 1):
            track = self.searcher.tracks.get(track_id)
            if track is not None:
                views.append(ResultView(rank, track, 0.0, tuple(matched_descriptors(track, state))))
        return views

    def feedback(self, state: DialogueState, track_id: TrackId, *, is_liked: bool, session_id: str = "") -> None:
        """A thumbs up/down on a shown track: feeds the state and the log."""
        if track_id not in self.searcher.tracks:
            raise ValueError(f"unknown track id {track_id!r}")
        target, other = (state.liked, state.disliked) if is_liked else (state.disliked, state.liked)
        if track_id not in target:
            target.append(track_id)
        if track_id in other:
            other.remove(track_id)
        if is_liked and track_id not in state.more_like:
            state.more_like.append(track_id)
        if self.log is not None:
            self.log.append(Interaction(session_id=session_id, kind="feedback",
                                        feedback={"track_id": track_id, "liked": is_liked}))


class Conversation:
    """One session: a Recommender plus its own DialogueState."""

    def __init__(self, recommender: Recommender, *, session_id: str | None = None) -> None:
        self.recommender = recommender
        self.state = DialogueState()
        self.session_id = session_id or uuid.uuid4().hex

    def say(self, message: str, *, k: int | None = None) -> TurnResult:
        return self.recommender.respond(self.state, message, session_id=self.session_id, k=k)
