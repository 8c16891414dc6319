"""Real playlist conversations (CPCD, Google's Conversational Playlist Curation Dataset), judged by genre.

In CPCD a person builds a playlist with a helper over several turns ("I want to create a slow
jams playlist", "I like Troop only. I want more artist like them.") and keeps the songs they want
(the dialog's goal playlist). CPCD has no descriptors, only the goal songs' artists, so a list is
judged by what those artists sound like: each goal artist the chat's artist directory resolves (a
catalogue artist, whose genres are those of their catalogue songs, or a knowledge-only profile)
votes for its genre descriptors (the vocabulary's "genre" facet), and the dialog's *target
genres* are those at least `MIN_GENRE_SHARE` of the resolved artists carry (the most carried ones
when none reaches that share). A result counts
when it is by a goal artist or carries a target genre (`hits_goal`).

Every user turn is sent in order to one chat conversation; each turn that shows a list is judged
(`dialog_shares`). A random list's expected share is the share of catalogue songs that count
(`chance_share`), about 0.2 on the built-in catalogue.

`benchmarks/cpcd_dialogs.py` reports this beside TF-IDF and chance; the GPL gate
(`tunetalk/chat_gate.py`) scores an encoder by the mean share over the dialogs' first turns.

Example:
    >>> dialogs = read_dialogs(data_dir / "cpcd")
    >>> goal = goal_target(recommender, dialogs[0])
    >>> dialog_shares(recommender, dialogs[0], goal, max_turns=3)
    [0.6, 0.9, 1.0]
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from retriever import Track, Vocabulary

from tunetalk.artist_requests import genres_of

logger = logging.getLogger(__name__)

MIN_GENRE_SHARE = 0.25  # of the resolved goal artists that must carry a genre for it to be a target genre


@dataclass(frozen=True)
class Dialog:
    """One CPCD dialog: the user's messages in order and the artists of its goal playlist."""

    id: str
    user_turns: tuple[str, ...]
    goal_artists: tuple[str, ...]


@dataclass(frozen=True)
class GoalTarget:
    """What a dialog's list is judged against: the goal artists' catalogue songs and their target genres."""

    track_ids: frozenset[str]
    genres: frozenset[str]


def read_dialogs(cpcd_dir: Path) -> list[Dialog]:
    """Every dialog of the ``cpcd_v1.dialogs.*.jsonl`` files under `cpcd_dir`, once per dialog id.

    A line that is not a dialog (bad JSON, no turns) is skipped with a warning; the others are kept.

    Raises:
        FileNotFoundError: `cpcd_dir` holds no ``cpcd_v1.dialogs.*.jsonl``.
    """
    files = sorted(cpcd_dir.rglob("cpcd_v1.dialogs.*.jsonl"))
    if not files:
        raise FileNotFoundError(f"{cpcd_dir}: no cpcd_v1.dialogs.*.jsonl (pass the cpcd folder of the public datasets)")
    dialogs: dict[str, Dialog] = {}
    skipped = 0
    for path in files:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                dialog = _dialog(line)
                if dialog is None:
                    skipped += 1
                elif dialog.id not in dialogs:
                    dialogs[dialog.id] = dialog
    if skipped:
        logger.warning("%s: skipped %d lines that are not CPCD dialogs", cpcd_dir, skipped)
    return list(dialogs.values())


def _dialog(line: str) -> Dialog | None:
    try:
        row = json.loads(line)
        turns = tuple(str(turn["user_query"]) for turn in row["turns"])
        tracks = row.get("tracks") or {}
        artists = (artist for track_id in row.get("goal_playlist") or () if isinstance(tracks.get(track_id), dict)
                   for artist in tracks[track_id].get("track_artists") or ())
        dialog = Dialog(str(row["id"]), turns, tuple(dict.fromkeys(str(a) for a in artists)))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return dialog if dialog.user_turns else None


def goal_target(recommender, dialog: Dialog,  # noqa: ANN001 - a chatbot.Recommender
                min_share: float = MIN_GENRE_SHARE) -> GoalTarget | None:
    """The dialog's goal songs in the catalogue and its target genres; None when no goal artist
    resolves to a profile with a genre (such a dialog cannot be judged)."""
    votes: Counter[str] = Counter()
    voters = 0
    track_ids: set[str] = set()
    for name in dialog.goal_artists:
        profile = recommender.artists.resolve(name)
        if profile is None:
            continue
        if profile.track_ids:
            track_ids |= set(profile.track_ids)
            genres = set().union(*(genres_of(recommender.tracks[i].descriptors, recommender.vocabulary)
                                   for i in profile.track_ids if i in recommender.tracks))
        else:
            genres = genres_of(profile.descriptors, recommender.vocabulary)
        if genres:
            voters += 1
            votes.update(genres)
    if not voters:
        return None
    needed = min(max(1.0, min_share * voters), max(votes.values()))  # the most carried genres at least
    return GoalTarget(frozenset(track_ids), frozenset(g for g, n in votes.items() if n >= needed))


def hits_goal(track: Track, goal: GoalTarget, vocabulary: Vocabulary) -> bool:
    """Is the result by a goal artist, or does it carry a target genre?"""
    return track.id in goal.track_ids or bool(genres_of(track.descriptors, vocabulary) & goal.genres)


def list_share(tracks: Sequence[Track], goal: GoalTarget, vocabulary: Vocabulary, k: int = 10) -> float:
    """The share of the first k that count; a shorter list counts its missing places as misses."""
    return sum(hits_goal(track, goal, vocabulary) for track in tracks[:k]) / k


def chance_share(tracks: Iterable[Track], goal: GoalTarget, vocabulary: Vocabulary) -> float:
    """A random list's expected share: the share of the catalogue's songs that count."""
    tracks = list(tracks)
    return sum(hits_goal(track, goal, vocabulary) for track in tracks) / len(tracks) if tracks else 0.0


def dialog_shares(recommender, dialog: Dialog, goal: GoalTarget, *, k: int = 10,  # noqa: ANN001 - a Recommender
                  max_turns: int | None = None) -> list[float | None]:
    """Each user turn (the first `max_turns`) said in order in one conversation: the share of the list
    it shows, None for a turn that shows no list (a question back, an unknown name)."""
    from chatbot import Conversation

    conversation = Conversation(recommender)
    shares: list[float | None] = []
    for message in dialog.user_turns[:max_turns]:
        results = conversation.say(message, k=k).results
        shares.append(list_share([view.track for view in results], goal, recommender.vocabulary, k)
                      if results else None)
    return shares


def judged_dialogs(recommender, dialogs: Sequence[Dialog]) -> list[tuple[Dialog, GoalTarget]]:  # noqa: ANN001
    """The dialogs that can be judged on the recommender's catalogue, with their goals."""
    judged = [(dialog, goal_target(recommender, dialog)) for dialog in dialogs]
    return [(dialog, goal) for dialog, goal in judged if goal is not None]


__all__ = ["Dialog", "GoalTarget", "MIN_GENRE_SHARE", "chance_share", "dialog_shares", "goal_target", "hits_goal",
           "judged_dialogs", "list_share", "read_dialogs"]
