"""Hits -> the reply: re-rank by the explicit state, the result views, and the reply text.

`rerank` keeps the retriever's fused score as the base and adds the share of wanted
descriptors a track carries and a bonus for the lead instrument asked for; a light
maximal-marginal-relevance step keeps a list from being ten near-copies. `format_reply`
says what was understood and which wanted descriptors each result matches (always true).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from retriever import Hit, Track, Vocabulary

from chatbot.state import DialogueState

logger = logging.getLogger(__name__)

RERANK_POOL = 30  # hits re-ranked per turn
MORE_LIKE_POOL = 100  # a "more like #k" turn re-ranks a deeper pool by likeness to that song
WANTED_COVERAGE_WEIGHT = 0.3
LEAD_INSTRUMENT_WEIGHT = 0.15
DIVERSITY = 0.5
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


def matched_descriptors(track: Track, state: DialogueState) -> list[str]:
    """The track's descriptors that explain it: those equal to, or containing, a wanted descriptor."""
    wanted = [w.lower() for w in state.wanted if state.wanted[w] > 0]
    matched = []
    for descriptor in track.descriptors:
        lower = descriptor.lower()
        words = set(lower.split())
        if any(lower == w or (set(w.split()) <= words) for w in wanted):
            matched.append(descriptor)
    return matched
