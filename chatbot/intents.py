"""Map what listeners actually say ("cheer me up", "something to cry to", "for a road trip") to
vocabulary descriptors to want and to avoid.

The table is ``assets/intents.json``: each intent has phrases, ``wanted`` and ``avoided``
descriptor names (all of them exist in assets/vocabulary.json or the catalogue; a test checks).
Phrases match whole words, accent- and case-insensitively, longest first, without overlap;
"i'm"/"im"/"i am" and "don't"/"dont"/"do not" variants are generated.

Example:
    >>> [m.wanted for m in find_intents("cheer me up, it's a rainy day")]
    [('uplifting', 'happy', 'upbeat'), ('rainy day', 'melancholic', 'mellow')]
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from chatbot.textfold import apostrophe_variants, fold, phrase_pattern

logger = logging.getLogger(__name__)

DEFAULT_INTENTS = Path(__file__).resolve().parent.parent / "assets" / "intents.json"

# "no party music", "not for sleeping", "nothing to cry to": the intent is turned down.
_NEGATED_BEFORE = re.compile(
    r"\b(?:not|no|without|nothing|never|don't want|dont want|do not want|don't need|isn't|aren't|not really)"
    r"\s+(?:[\w']+\s+){0,2}$"
)


@dataclass(frozen=True)
class IntentMatch:
    """One intent phrase found in a message; ``is_negated`` when a negation cue comes just before it."""

    phrase: str
    wanted: tuple[str, ...]
    avoided: tuple[str, ...]
    span: tuple[int, int]
    is_negated: bool = False


@dataclass(frozen=True)
class Intent:
    phrases: tuple[str, ...]
    wanted: tuple[str, ...]
    avoided: tuple[str, ...]


@dataclass(frozen=True)
class IntentTable:
    intents: tuple[Intent, ...]
    by_phrase: dict[str, Intent]  # folded phrase (and its apostrophe variants) -> intent
    pattern: re.Pattern[str]
    blocker: re.Pattern[str]


def build_intent_table(raw: dict) -> IntentTable:
    """Build an IntentTable from the JSON form of assets/intents.json.

    Raises:
        ValueError: when an intent has no phrases or wants nothing, or a phrase is listed twice.
    """
    intents: list[Intent] = []
    by_phrase: dict[str, Intent] = {}
    for entry in raw.get("intents", ()):
        intent = Intent(tuple(entry.get("phrases", ())), tuple(entry.get("wanted", ())), tuple(entry.get("avoided", ())))
        if not intent.phrases or not intent.wanted:
            raise ValueError(f"intents.json: entry {entry!r} needs phrases and at least one wanted descriptor")
        intents.append(intent)
        for phrase in intent.phrases:
            for variant in apostrophe_variants(" ".join(fold(phrase).split())):
                if variant in by_phrase and by_phrase[variant] is not intent:
                    raise ValueError(f"intents.json: phrase {phrase!r} is listed for two intents; keep it in one")
                by_phrase[variant] = intent
    blockers = [fold(p) for p in raw.get("not_intents", ())]
    return IntentTable(tuple(intents), by_phrase, phrase_pattern(by_phrase), phrase_pattern(blockers))


@lru_cache(maxsize=4)
def load_intent_table(path: Path = DEFAULT_INTENTS) -> IntentTable:
    """Load (once per path) the intents table, assets/intents.json by default."""
    with path.open(encoding="utf-8") as handle:
        table = build_intent_table(json.load(handle))
    logger.info("intents: %d intents, %d phrases", len(table.intents), len(table.by_phrase))
    return table


def find_intents(text: str, *, table: IntentTable | None = None) -> list[IntentMatch]:
    """The listening intents a message expresses, in order of appearance.

    Args:
        text: the user's message (any string).
        table: an IntentTable; the packaged assets/intents.json when None.

    Returns:
        One IntentMatch per intent phrase found (an intent named twice is reported once),
        each with the descriptors to want and to avoid and its character span in ``text``.
    """
    if not isinstance(text, str) or not text:
        return []
    table = table or load_intent_table()
    folded = fold(text)
    blocked = [False] * len(folded)
    for match in table.blocker.finditer(folded):
        for i in range(match.start(), match.end()):
            blocked[i] = True
    found: list[IntentMatch] = []
    seen: set[int] = set()
    for match in table.pattern.finditer(folded):
        if any(blocked[match.start() : match.end()]):
            continue
        intent = table.by_phrase[" ".join(match.group(0).split())]
        if id(intent) in seen:
            continue
        seen.add(id(intent))
        clause_start = max(folded.rfind(p, 0, match.start()) for p in ".,;!?") + 1
        is_negated = bool(_NEGATED_BEFORE.search(folded[clause_start : match.start()]))
        found.append(IntentMatch(text[match.start() : match.end()], intent.wanted, intent.avoided,
                                 (match.start(), match.end()), is_negated))
    return found
