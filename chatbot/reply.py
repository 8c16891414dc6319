"""Hits -> the reply: re-rank by the explicit state, the result views, and the reply text.

`rerank` keeps the retriever's fused score as the base and adds the share of wanted
descriptors a track carries; at most two songs of an artist and one recording of a title keep
a list from being ten copies of one song. `format_reply` says what was understood and which
wanted descriptors each result matches (always true).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from retriever import Hit, Track

from chatbot.parse import ERA_COMPARATIVES
from chatbot.state import DialogueState

logger = logging.getLogger(__name__)

RERANK_POOL = 30  # hits re-ranked per turn
MORE_LIKE_POOL = 100  # a "more like #k" turn re-ranks a deeper pool by likeness to that song
WANTED_COVERAGE_WEIGHT = 0.3  # times the share of the wanted descriptors a song carries (calibrate_rerank.py)
REFERENCE_WEIGHT = 8.0
ARTIST_CHANGE_WEIGHT = 0.5  # what a refinement of "like X" asks that X's songs lack, carried
COMPARED_WEIGHT = 0.5  # "calmer" after a hard rock list: a calm (or mellow...) song of the list's genres
MODIFIER_WEIGHT = 4.0  # what a "more like #k but with X" turn adds to the reference (half the reference's weight)
VAGUE_FILTER_WEIGHT = 0.1  # in the region of "k-pop"
VAGUE_ERA_WEIGHT = 0.3  # in the era of "classic soul", "something older": a boost, not a filter
AVOIDED_WEIGHT = 0.3  # a song carrying a descriptor the user moved away from
LIKED_WEIGHT = 0.3  # a song the user liked, when it fits the request again
PLACE_LANGUAGE_WEIGHT = 0.5
MAX_PER_ARTIST = 2  # songs by one artist in a list, unless the user asked for that artist


@dataclass(frozen=True)
class ResultView:
    rank: int
    track: Track
    score: float
    matched: tuple[str, ...]
    is_seen: bool = False  # shown earlier in this session (a refinement may keep the best songs)

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
            "seen": self.is_seen,
        }


@dataclass(frozen=True)
class TurnResult:
    turn: int
    message: str
    reply: str
    results: list[ResultView]
    state: dict
    notices: list[str] = field(default_factory=list)
    summary: str = ""  # the short reply for the page: what was understood, what changed; the cards are the list

    def to_json(self) -> dict:
        return {
            "turn": self.turn,
            "message": self.message,
            "reply": self.reply,
            "results": [r.to_json() for r in self.results],
            "state": self.state,
            "notices": self.notices,
            "summary": self.summary,
        }


def _with_the(era_label: str) -> str:
    """"the 1980s", but "1985-1990", "2019", "before 1990"."""
    return f"the {era_label}" if era_label.endswith("s") else era_label


def descriptor_words(descriptors: Sequence[str]) -> list[frozenset[str]]:
    """The lowercased words of each descriptor of a track (what `carries` looks in)."""
    return [frozenset(d.lower().split()) for d in descriptors]


def carries(words: Sequence[frozenset[str]], descriptor: str) -> bool:
    """Whether a track (its `descriptor_words`) carries a descriptor: one of its descriptors contains
    all of its words ("piano" is carried by "mellow piano melody")."""
    wanted = set(descriptor.lower().split())
    return any(wanted <= own for own in words)


def rerank(
    hits: list[Hit],
    state: DialogueState,
    *,
    reference: Track | None = None,
    free_artists: set[str] | frozenset[str] = frozenset(),
    max_per_artist: int = MAX_PER_ARTIST,
    also_wanted: Mapping[str, float] = MappingProxyType({}),
    artist_changes: frozenset[str] = frozenset(),
    artist_genres: frozenset[str] = frozenset(),
    compared: frozenset[str] = frozenset(),
    list_genres: frozenset[str] = frozenset(),
) -> list[tuple[Hit, float]]:
    """Re-order retrieved hits by how much of the explicit dialogue state they satisfy.

    The retriever's fused score stays the base; on top, the weighted share of wanted descriptors a
    track carries. With a `reference` track ("more like #2"), the share of its descriptors a
    candidate carries counts most of all; `also_wanted` (the genres of a "like X" artist) counts as wanted
    too; `artist_changes` (what a refinement of "like X" asks that X's songs lack) earn a bonus of their
    own, for songs that carry a word of the artists' genres (`artist_genres`, when there are any).
    `compared` (what a comparative turn asks for more of, "calmer": calm and its kin) earns a bonus for
    songs that carry a word of the genres of the list on screen (`list_genres`, when there are any): calmer
    rock after a hard rock list, not any calm song.
    Then at most `max_per_artist` songs of one artist and one recording of a title (`cap_per_artist`): variety means other songs, not songs described
    differently, so two songs with the same descriptors keep the order the retriever gave them.
    """
    reference_set = {d.lower() for d in reference.descriptors} if reference is not None else set()
    # "more like #1 but with a female singer": what the turn itself says (its wants at full weight, older
    # ones have faded) changes the reference, so a song like #1 *with* it comes first
    # ("newer" raises modern production, but its era filter already says it)
    modifiers = ({d.lower() for d in state.turn_wants} - reference_set
                 - set(ERA_COMPARATIVES.values())) if reference_set else set()
    avoided = {d.lower() for d in state.avoided}
    liked = set(state.liked)
    wanted = {d.lower(): w for d, w in state.all_wanted.items() if w > 0}
    for descriptor, weight in also_wanted.items():  # the genres of a "like X" artist
        wanted[descriptor.lower()] = max(wanted.get(descriptor.lower(), 0.0), weight)
    total = sum(wanted.values())
    scored = []
    for hit in hits:
        score = hit.score
        carried_set = {d.lower() for d in hit.track.descriptors}
        if total:
            carried = descriptor_words(hit.track.descriptors)
            covered = sum(w for d, w in wanted.items() if carries(carried, d))
            score += WANTED_COVERAGE_WEIGHT * covered / total
        if hit.track.id in liked:
            score += LIKED_WEIGHT  # "I like #8": it stays, a little higher
        if avoided and avoided & carried_set:
            score -= AVOIDED_WEIGHT  # "faster" after "calm piano": slow songs go down
        if reference_set:
            score += REFERENCE_WEIGHT * len(reference_set & carried_set) / len(reference_set)
            if modifiers:
                score += MODIFIER_WEIGHT * len(modifiers & carried_set) / len(modifiers)
        if artist_changes and (not artist_genres or artist_genres & {w for d in carried_set for w in d.split()}):
            # "like Nirvana, but with a woman singing": female vocals first, among songs of their genres
            score += ARTIST_CHANGE_WEIGHT * len(artist_changes & carried_set) / len(artist_changes)
        if compared and compared & carried_set and (
                not list_genres or list_genres & {w for d in carried_set for w in d.split()}):
            score += COMPARED_WEIGHT  # "calmer" after hard rock: soft rock first, not calm ambient
        if state.years is not None and not state.years_explicit and hit.track.year is not None:
            if state.years[0] <= hit.track.year <= state.years[1]:
                score += VAGUE_ERA_WEIGHT  # "something older": a boost, not a filter
        if state.hinted_regions and hit.track.metadata.get("region") in state.hinted_regions:
            score += VAGUE_FILTER_WEIGHT
        if state.hinted_languages and hit.track.metadata.get("language") in state.hinted_languages:
            score += PLACE_LANGUAGE_WEIGHT  # "from brazil" within latin america: portuguese first
        scored.append((hit, score))
    scored.sort(key=lambda pair: -pair[1])
    return cap_per_artist(scored, max_per_artist, free_artists)


def cap_per_artist(
    scored: list[tuple[Hit, float]], limit: int, free_artists: set[str] | frozenset[str] = frozenset()
) -> list[tuple[Hit, float]]:
    """At most `limit` songs by one artist and one song of a title, best first (artists the user asked
    for are exempt from the first); the rest move to the end, so a short catalogue still fills the list."""
    counts: dict[str, int] = {}
    titles: set[str] = set()
    kept, later = [], []
    for pair in scored:
        artist = pair[0].track.artist.lower()
        title = " ".join(re.findall(r"\w+", pair[0].track.title.lower()))
        counts[artist] = counts.get(artist, 0) + 1
        # one recording of a song per list: the same title credited twice ("Damian Marley", "Damian 'Jr. Gong'
        # Marley") is a near-copy, not variety
        is_copy = bool(artist) and title in titles
        titles.add(title)
        fits = counts[artist] <= limit or pair[0].track.artist in free_artists or not artist
        (kept if fits and not is_copy else later).append(pair)
    return kept + later


def format_summary(results: list[ResultView], state: DialogueState, notices: list[str],
                   references: tuple[str, ...] = ()) -> str:
    """One line of what was understood ("Wanted: upbeat, steel drums · excluding vocals · 10 songs"),
    then the notices; the page shows the list itself as cards."""
    wanted = state.strongest_wants(8)
    parts = []
    if wanted:
        parts.append("Wanted: " + ", ".join(wanted))
    parts += [f"like: {label}" for label in references]
    parts += [f"like: {a}" for a in state.artists_like] + [f"by: {a}" for a in state.artists_by]
    if state.era_label:
        parts.append(("era: " if state.years_explicit else "leaning to: ") + state.era_label)
    parts += [f"from: {r}" for r in state.regions] + [f"in: {lang}" for lang in state.languages]
    excluded = [*state.excluded, *state.artists_excluded, *(f"from {r}" for r in state.excluded_regions),
                *(f"in {lang}" for lang in state.excluded_languages),
                *([f"from {state.excluded_era_label}"] if state.excluded_era_label else [])]
    if excluded:
        parts.append("excluding " + ", ".join(excluded))
    parts.append(f"{len(results)} songs" if results else "no songs")
    return "\n".join([" · ".join(parts), *notices])


def format_reply(results: list[ResultView], state: DialogueState, notices: list[str],
                 references: tuple[str, ...] = ()) -> str:
    """A short, true explanation of the results (plain text; the UI escapes it)."""
    lines = list(notices)
    wanted = state.strongest_wants(8)
    excluded = state.snapshot()["excluded"]
    if not results:
        lines.append("I found nothing that fits all of that. Try removing an exclusion or saying it differently.")
        return "\n".join(lines)
    lines.append(describe_list(len(results), wanted, excluded, state, references) + ":")
    for view in results:
        track = view.track
        year = f" ({track.year})" if track.year else ""
        why = f" · matches: {', '.join(view.matched)}" if view.matched else ""
        seen = " · seen before" if view.is_seen else ""
        lines.append(f"{view.rank}. {track.title} — {track.artist}{year}{why}{seen}")
    lines.append('Refine: "more upbeat", "no vocals", "more like #2", or "start over".')
    return "\n".join(lines)


LINKED_PARTS = ("like ", "by ", "from ", "leaning to ", "in ")  # header parts that need no "for"


def describe_list(count: int, wanted: list[str], excluded: list[str], state: DialogueState,
                  references: tuple[str, ...] = ()) -> str:
    """The header of a list: what it is for, as the state says (never more than the list holds)."""
    head = f"Here are {count} songs"
    asked = [*wanted, *(f"like {label}" for label in references)]
    asked += [f"like {a}" for a in state.artists_like] + [f"by {a}" for a in state.artists_by]
    if state.era_label:  # "from the 1980s", "from 1985-1990", "leaning to before 1990"
        asked.append(("from " if state.years_explicit else "leaning to ") + _with_the(state.era_label))
    asked += [f"from {r}" for r in state.regions] + [f"in {lang}" for lang in state.languages]
    if asked:  # "songs for upbeat, reggae", but "songs like Adele", "songs from the 1980s"
        head += (" " if asked[0].startswith(LINKED_PARTS) else " for ") + ", ".join(asked)
    not_wanted = [*excluded, *(a for a in state.artists_excluded if a not in state.artists_like)]
    if not_wanted:
        head += " (excluding " + ", ".join(not_wanted) + ")"
    elsewhere = [*(f"from {r}" for r in state.excluded_regions), *(f"in {lang}" for lang in state.excluded_languages),
                 *([f"from {_with_the(state.excluded_era_label)}"] if state.excluded_era_label else [])]
    if elsewhere:  # "rock (not from north america)"
        head += " (not " + ", ".join(elsewhere) + ")"
    others = [a for a in state.artists_excluded if a in state.artists_like]
    if others:  # "like Daft Punk (not by Daft Punk)"
        head += " (not by " + ", ".join(others) + ")"
    return head


def matched_descriptors(track: Track, state: DialogueState) -> list[str]:
    """The track's descriptors that explain it: those equal to, or containing, a wanted descriptor."""
    wanted = [w.lower() for w, weight in state.all_wanted.items() if weight > 0]
    matched = []
    for descriptor in track.descriptors:
        lower = descriptor.lower()
        words = set(lower.split())
        if any(lower == w or (set(w.split()) <= words) for w in wanted):
            matched.append(descriptor)
    return matched
