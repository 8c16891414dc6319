"""A simulated listener looking for one target track, turn by turn, through the chat.

Turn 1 names two of the target's descriptors in a natural sentence, usually not in the
catalogue's exact words (part of the phrase: "piano" for "mellow piano melody"). Later turns add
another of its descriptors, exclude a descriptor seen in the previous results that the target
lacks, or ask for "more like #k" for a shown result that shares most descriptors with the
target. Once the target is shown, the listener says so ("I like #3") and the list should keep it.
The templates were written for this project.

`benchmarks/simulate_dialogue.py` reports the episodes per turn beside a naive baseline; the GPL
gate (`tunetalk/chat_gate.py`) scores an encoder by the mean share of turns whose list holds the
target (`at_turn_success`).

Example:
    >>> episode = simulate_listener(recommender, target, random.Random("0-0"))
    >>> episode.holds_target
    [False, True, True, True]
"""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from chatbot import Conversation
from chatbot.parse import VOCAL_WORDS, names_every_vocal
from retriever import Track

MAX_TURNS = 4

FIRST_TEMPLATES = [
    "I'm looking for something with {a} and {b}",
    "can you recommend me a song with {a} and {b}?",
    "play me some {a} music with {b}",
    "I want {a}, ideally with {b}",
    "any tracks that have {a} plus {b}?",
    "something {a}, with {b} in it",
    "I'd love to hear {a} and {b}",
    "looking for a tune: {a}, {b}",
    "give me music that's got {a} and some {b}",
    "hey, find me {b} with {a}",
    "I'm in the mood for {a} with {b}",
    "do you have anything featuring {a} and {b}?",
]
ADD_TEMPLATES = [
    "also {a}", "it should have {a} too", "with {a} please", "and maybe {a}", "can it have {a} as well?",
    "add {a}", "I'd like {a} in there", "more {a}", "ideally {a}", "something with {a}",
]
EXCLUDE_TEMPLATES = [
    "no {a}", "without {a} please", "I don't want {a}", "avoid {a}", "nothing with {a}", "skip anything with {a}",
    "less {a}",
]
LIKE_TEMPLATES = ["I like #{k}", "#{k} is great", "number {k} is perfect", "love #{k}", "yes, #{k} is the one"]
MORE_LIKE_TEMPLATES = [
    "more like #{k}", "something similar to #{k}", "#{k} is close, more like that", "I like number {k}, more like it",
    "more in the style of #{k}",
]
_FILLER = {"sound", "sounds", "song", "music", "recording", "quality", "with", "and", "the", "a", "of", "in", "is"}
MORE_LIKE_OVERLAP = 0.5  # a shown song sharing this share of the target's descriptors is "close"


def hint(descriptor: str, rng: random.Random) -> str:
    """How a listener might say a descriptor: the phrase, or part of it (often its key word)."""
    words = [w for w in descriptor.split() if w.lower() not in _FILLER] or descriptor.split()
    roll = rng.random()
    if len(words) == 1 or roll < 0.4:
        return descriptor
    if roll < 0.75:
        return max(words, key=len)  # the longest content word, e.g. "piano" for "mellow piano melody"
    start = rng.randrange(len(words) - 1)
    return " ".join(words[start : start + 2])


def rules_out(excluded: str, descriptor: str) -> bool:
    """The exclusion semantics a listener expects: the phrase's words all occur in the descriptor;
    a generic vocal exclusion ("vocals", "singing") rules out every vocal descriptor ("rap" or "choir" alone
    only themselves)."""
    excluded_words = set(excluded.lower().split())
    if names_every_vocal(excluded_words) and set(re.findall(r"[a-z]+", descriptor.lower())) & VOCAL_WORDS:
        return not descriptor.lower().startswith(("no ", "without ", "instrumental"))
    return excluded_words <= set(descriptor.lower().split()) and not descriptor.lower().startswith(("no ", "without "))


@dataclass
class Episode:
    """One simulated conversation: what the listener said and what each turn's list held."""

    target: Track
    messages: list[str] = field(default_factory=list)
    excluded: list[tuple[str, ...]] = field(default_factory=list)  # what the listener had ruled out, per turn
    success_turn: int | None = None  # the first turn whose top 10 held the target
    success5_turn: int | None = None  # ... whose top 5 held it
    violations: int = 0  # results carrying a descriptor the listener had ruled out
    holds_target: list[bool] = field(default_factory=list)  # the list at turn k holds the target


def next_message(target: Track, shown: Sequence[Track], remaining: list[str], excluded: list[str],
                 rng: random.Random, *, first: bool) -> str:
    """What the listener says next, given the list on screen (`remaining` and `excluded` are updated)."""
    if first or not shown:
        if len(remaining) >= 2:
            a, b = remaining.pop(), remaining.pop()
            return rng.choice(FIRST_TEMPLATES).format(a=hint(a, rng), b=hint(b, rng))
        return rng.choice(ADD_TEMPLATES).format(a=hint(remaining.pop() if remaining else target.descriptors[0], rng))
    ids = [track.id for track in shown]
    if target.id in ids:  # the listener sees the song they were after: they say so, and the list should keep it
        return rng.choice(LIKE_TEMPLATES).format(k=ids.index(target.id) + 1)
    options = ["add"] if remaining else []
    target_set = set(target.descriptors)
    best_rank, best_overlap = 0, 0.0
    for rank, track in enumerate(shown, 1):
        shared = len(target_set & set(track.descriptors)) / max(len(target_set), 1)
        if shared > best_overlap:
            best_rank, best_overlap = rank, shared
    if best_overlap >= MORE_LIKE_OVERLAP:
        options.append("more_like")
    candidates = [d for track in shown for d in track.descriptors
                  if not any(rules_out(d, own) for own in target.descriptors) and d not in excluded]
    if candidates:
        options.append("exclude")
    action = rng.choice(options) if options else "add"
    if action == "more_like":
        return rng.choice(MORE_LIKE_TEMPLATES).format(k=best_rank)
    if action == "exclude":
        choice = rng.choice(sorted(set(candidates)))
        excluded.append(choice)
        return rng.choice(EXCLUDE_TEMPLATES).format(a=choice)
    if not remaining:
        return rng.choice(ADD_TEMPLATES).format(a=hint(target.descriptors[0], rng))
    return rng.choice(ADD_TEMPLATES).format(a=hint(remaining.pop(), rng))


def simulate_listener(recommender, target: Track, rng: random.Random, *, turns: int = MAX_TURNS,  # noqa: ANN001
                      report_violations: bool = False) -> Episode:
    """Play one conversation for `target` against a `chatbot.Recommender`, `turns` turns long.

    Args:
        recommender: the chat's shared dependencies, over a catalogue that holds `target`.
        target: the song the listener is after.
        rng: the listener's choices (a fixed seed gives the same conversation for the same lists).
        turns: how many turns the listener takes (it keeps talking after finding the target).
        report_violations: print each result that carries a ruled-out descriptor to stderr.
    """
    episode = Episode(target)
    conversation = Conversation(recommender)
    remaining = list(dict.fromkeys(target.descriptors))
    rng.shuffle(remaining)
    excluded: list[str] = []
    shown: list[Track] = []
    for turn in range(1, turns + 1):
        message = next_message(target, shown, remaining, excluded, rng, first=turn == 1)
        episode.messages.append(message)
        episode.excluded.append(tuple(excluded))
        shown = [view.track for view in conversation.say(message).results]
        ids = [track.id for track in shown]
        for track in shown:
            broken = [(e, d) for e in excluded for d in track.descriptors if rules_out(e, d)]
            if broken:
                episode.violations += 1
                if report_violations:
                    print(f"violation: {message!r} excluded {excluded} but {track.id} has {broken}", file=sys.stderr)
        episode.holds_target.append(target.id in ids)
        if episode.success_turn is None and target.id in ids:
            episode.success_turn = turn
        if episode.success5_turn is None and target.id in ids[:5]:
            episode.success5_turn = turn
    return episode


def at_turn_success(episodes: Sequence[Episode]) -> float:
    """The share of all turns whose list held the target (every turn of every episode counts once)."""
    turns = [held for episode in episodes for held in episode.holds_target]
    return sum(turns) / len(turns) if turns else 0.0


__all__ = ["MAX_TURNS", "Episode", "at_turn_success", "hint", "next_message", "rules_out", "simulate_listener"]
