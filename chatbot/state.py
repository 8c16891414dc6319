"""The dialogue state: a frozen value, and the functions that make the next one.

A session's state holds what the user asked for so far (wanted descriptors with weights,
exclusions), their feedback (liked, disliked, "more like" references), what was shown, and
the recent free text. Nothing here changes a state in place: every function returns a new
one, so a turn that fails half-way leaves the session's state exactly as it was.

Example:
    >>> state, notices = apply_turn(DialogueState(), parser.parse("upbeat reggae, no vocals"))
    >>> state.wanted, state.excluded
    ({'upbeat': 1.0, 'reggae': 1.0, 'instrumental': 1.0}, ('vocals',))
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from retriever import Track, TrackId

from chatbot.parse import ParsedTurn

logger = logging.getLogger(__name__)

DECAY_PER_TURN = 0.7
MAX_REMEMBERED_TEXTS = 3
MAX_SHOWN = 2000


@dataclass(frozen=True)
class DialogueState:
    """Per-session state. Frozen: change it with the functions below (the dict is never mutated)."""

    wanted: Mapping[str, float] = field(default_factory=dict)  # descriptor -> weight (latest turn 1.0)
    excluded: tuple[str, ...] = ()  # descriptors ruled out; ALL_VOCALS for "no vocals"
    liked: tuple[TrackId, ...] = ()
    disliked: tuple[TrackId, ...] = ()
    more_like: tuple[TrackId, ...] = ()  # reference tracks ("more like #2", a 👍)
    shown: tuple[TrackId, ...] = ()  # every track shown this session, oldest first
    last_results: tuple[TrackId, ...] = ()  # the list on screen: "#2" is last_results[1]
    texts: tuple[str, ...] = ()  # the recent free text of the request
    turns: int = 0
    more_like_turn: bool = False  # the latest turn asked for songs like a shown one

    def track_at(self, rank: int) -> TrackId | None:
        return self.last_results[rank - 1] if 1 <= rank <= len(self.last_results) else None

    def has_reference(self, turn: ParsedTurn) -> bool:
        """Does the turn refer to at least one result that exists?"""
        ranks = (*turn.liked_ranks, *turn.disliked_ranks, *turn.more_like_ranks)
        return any(self.track_at(rank) is not None for rank in ranks)

    def snapshot(self) -> dict:
        """What the user sees of the state (and `ask --json` prints)."""
        return {
            "wanted": sorted(self.wanted, key=lambda d: -self.wanted[d]),
            "excluded": list(self.excluded),
            "liked": list(self.liked),
            "disliked": list(self.disliked),
        }


def _append_new(items: tuple[TrackId, ...], new: Sequence[TrackId]) -> tuple[TrackId, ...]:
    return (*items, *(i for i in dict.fromkeys(new) if i not in items))


def reset_state(state: DialogueState) -> DialogueState:
    """A fresh state that still remembers what was shown (results never repeat within a session)."""
    return DialogueState(shown=state.shown)


def apply_turn(
    state: DialogueState, turn: ParsedTurn, tracks: Mapping[TrackId, Track] | None = None
) -> tuple[DialogueState, list[str]]:
    """The state after a parsed turn, and notices for the user (e.g. a reference to a missing result).

    Older wants decay; exclusions win over wants of earlier turns and lose to wants of this
    one; "more like #k" adds that song's descriptors as wants of this turn.
    """
    notices = list(turn.notices)
    if turn.is_reset:
        state = reset_state(state)
    wanted = {descriptor: weight * DECAY_PER_TURN for descriptor, weight in state.wanted.items()}
    excluded = list(state.excluded)
    for descriptor in turn.excluded:
        wanted.pop(descriptor, None)
        if descriptor not in excluded:
            excluded.append(descriptor)
    for descriptor in turn.wanted:
        if descriptor in excluded:
            excluded.remove(descriptor)
        wanted[descriptor] = max(wanted.get(descriptor, 0.0), 1.0)
    for descriptor in turn.boosted:
        if descriptor in excluded:
            excluded.remove(descriptor)
        wanted[descriptor] = wanted.get(descriptor, 0.0) + 1.0
    for descriptor in turn.lowered:
        wanted.pop(descriptor, None)
    referred: dict[str, list[TrackId]] = {"liked": [], "disliked": [], "more_like": []}
    for kind, ranks in (("liked", turn.liked_ranks), ("disliked", turn.disliked_ranks),
                        ("more_like", turn.more_like_ranks)):
        for rank in ranks:
            track_id = state.track_at(rank)
            if track_id is None:
                notice = f"There is no result #{rank} to refer to" + (
                    f" (the last list had {len(state.last_results)})." if state.last_results else " yet."
                )
                if notice not in notices:
                    notices.append(notice)
                continue
            referred[kind].append(track_id)
            if kind == "more_like" and tracks and track_id in tracks:
                # the referenced song's descriptors become the strongest wants of this turn
                excluded_lower = {d.lower() for d in excluded}
                for descriptor in tracks[track_id].descriptors:
                    if descriptor.lower() not in excluded_lower:
                        wanted[descriptor] = max(wanted.get(descriptor, 0.0), 1.0)
    disliked = _append_new(state.disliked, referred["disliked"])
    liked = tuple(i for i in _append_new(state.liked, referred["liked"]) if i not in disliked)
    texts = state.texts
    if turn.text and (turn.wanted or turn.boosted or not (turn.liked_ranks or turn.more_like_ranks)):
        texts = (*texts, turn.text)[-MAX_REMEMBERED_TEXTS:]
    new_state = dataclasses.replace(
        state,
        wanted=wanted,
        excluded=tuple(excluded),
        liked=liked,
        disliked=disliked,
        more_like=_append_new(state.more_like, referred["more_like"]),
        texts=texts,
        turns=state.turns + 1,
        more_like_turn=bool(turn.more_like_ranks),
    )
    return new_state, notices


def remove_descriptor(state: DialogueState, descriptor: str) -> DialogueState:
    """The state without one wanted or excluded descriptor (the page's chip untick)."""
    return dataclasses.replace(
        state,
        wanted={d: w for d, w in state.wanted.items() if d != descriptor},
        excluded=tuple(d for d in state.excluded if d != descriptor),
    )


def record_feedback(state: DialogueState, track_id: TrackId, *, is_liked: bool) -> DialogueState:
    """A 👍 or 👎 on a shown track; a 👍 also makes it a reference for the next search."""
    if is_liked:
        return dataclasses.replace(
            state,
            liked=_append_new(state.liked, [track_id]),
            disliked=tuple(i for i in state.disliked if i != track_id),
            more_like=_append_new(state.more_like, [track_id]),
        )
    return dataclasses.replace(
        state,
        disliked=_append_new(state.disliked, [track_id]),
        liked=tuple(i for i in state.liked if i != track_id),
    )


def record_results(state: DialogueState, track_ids: Sequence[TrackId]) -> DialogueState:
    """The state showing a new list: it becomes `last_results` and joins `shown`."""
    return dataclasses.replace(
        state,
        last_results=tuple(track_ids),
        shown=_append_new(state.shown, track_ids)[-MAX_SHOWN:],
    )


def unshow_last_results(state: DialogueState) -> DialogueState:
    """The state with the list on screen no longer counted as shown (to search it again after an edit)."""
    on_screen = set(state.last_results)
    return dataclasses.replace(state, shown=tuple(i for i in state.shown if i not in on_screen))


def state_to_dict(state: DialogueState) -> dict:
    """A JSON-ready copy of the state (the browser keeps it across reloads)."""
    data: dict[str, object] = {}
    for field_ in dataclasses.fields(state):
        value = getattr(state, field_.name)
        data[field_.name] = dict(value) if isinstance(value, Mapping) else list(value) if isinstance(value, tuple) else value
    return data


def state_from_dict(data: object) -> DialogueState:
    """A state from `state_to_dict`'s output; anything unreadable gives a fresh state."""
    if not isinstance(data, dict):
        return DialogueState()
    try:
        wanted = data.get("wanted") or {}
        if not isinstance(wanted, dict):
            return DialogueState()
        values: dict[str, object] = {"wanted": {str(d): float(w) for d, w in wanted.items()}}
        for name in ("excluded", "liked", "disliked", "more_like", "shown", "last_results", "texts"):
            items = data.get(name) or ()
            if not isinstance(items, list | tuple):
                return DialogueState()
            values[name] = tuple(str(item) for item in items)
        if data.get("excludes_vocals") is True and "vocals" not in values["excluded"]:  # type: ignore[operator]
            values["excluded"] = (*values["excluded"], "vocals")  # type: ignore[misc]  # a copy saved before ALL_VOCALS
        values["turns"] = int(data.get("turns") or 0)
        values["more_like_turn"] = bool(data.get("more_like_turn"))
        return DialogueState(**values)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DialogueState()
