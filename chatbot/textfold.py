"""Length-preserving text folding shared by the lexicon modules (eras, places, intents, translate).

Each character is lowercased and stripped of its accent independently, so a match found in the
folded text has the same character offsets in the original message.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable

logger = logging.getLogger(__name__)

_APOSTROPHES = {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u2013": "-", "\u2014": "-"}


def fold(text: str) -> str:
    """Lowercase, accent-free copy of ``text`` with exactly the same length.

    Args:
        text: any string.

    Returns:
        A string of ``len(text)`` characters ("Canción" -> "cancion", "’" -> "'").
    """
    out: list[str] = []
    for ch in text:
        if ch in _APOSTROPHES:
            out.append(_APOSTROPHES[ch])
            continue
        base = unicodedata.normalize("NFD", ch)[0].lower()
        out.append(base if len(base) == 1 else ch)
    return "".join(out)


def phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str]:
    """One regex matching any of ``phrases`` (already folded) as whole words, longest first.

    Inner spaces match any run of whitespace; a phrase never matches inside a longer word.
    """
    unique = sorted({p for p in phrases if p}, key=lambda p: (-len(p), p))
    if not unique:
        return re.compile(r"(?!x)x")
    body = "|".join(r"\s+".join(re.escape(part) for part in p.split()) for p in unique)
    return re.compile(rf"(?<![\w'])(?:{body})(?![\w])")


def apostrophe_variants(phrase: str) -> set[str]:
    """"i'm sad" -> {"i'm sad", "im sad", "i am sad"}; "don't" -> {"don't", "dont", "do not"}."""
    variants = {phrase}
    expansions = {"i'm": ("im", "i am"), "don't": ("dont", "do not"), "i've": ("ive", "i have"),
                  "i'd": ("id", "i would"), "can't": ("cant", "cannot"), "i'll": ("i will",),
                  "let's": ("lets", "let us"), "it's": ("its", "it is"), "won't": ("wont", "will not")}
    for short, longs in expansions.items():
        for variant in list(variants):
            if re.search(rf"(?<!\w){re.escape(short)}(?!\w)", variant):
                for replacement in longs:
                    variants.add(re.sub(rf"(?<!\w){re.escape(short)}(?!\w)", replacement, variant))
    return variants
