"""Rewrite requests written in Spanish, French, Portuguese, German or Italian into the English
phrases the English parser understands ("sin voces por favor" -> "no vocals please").

No multilingual sentence encoder ships offline on PyPI (see docs/understanding-tables.md), so this is a
phrase table, ``assets/translations.json``: per language, folded phrase -> English, matched whole-word,
accent- and case-insensitively, longest first. ``{n}`` in a phrase stands for a result number
("como el {n}" -> "like #{n}") and ``{d}`` for a decade ("los años {d}" -> "the {d}s"). Words the
table does not know (artist names, titles) are kept as the user wrote them.

The language is told by a stopword detector: each word votes for the languages whose table or
stopword list has it, split evenly between them (English included), plus accent letters (ñ, ã, ß…).
English text is returned unchanged.

Example:
    >>> to_english("musique douce pour dormir").text
    'music soft to sleep'
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from chatbot.textfold import fold

logger = logging.getLogger(__name__)

DEFAULT_TRANSLATIONS = Path(__file__).resolve().parent.parent / "assets" / "translations.json"
LANGUAGES = ("en", "es", "fr", "pt", "de", "it")
MIN_FOREIGN_SCORE = 0.9  # below this much evidence a message stays English...
MIN_FOREIGN_SCORE_NO_ENGLISH = 0.3  # ...unless not one word of it is English ("más rápido", "lento")
FOREIGN_TO_ENGLISH_RATIO = 3.0  # or the other language has this many times the English evidence ("piano tranquilo")
_TIE_ORDER = ("es", "pt", "it", "fr", "de")  # most listeners first when the evidence is equal
_WORD = re.compile(r"[\w']+")
_PLACEHOLDERS = {"{n}": r"(?P<n{i}>\d{{1,3}})", "{d}": r"(?P<d{i}>\d{{3}}0|\d0)"}
# letters that only some of the languages use, and how much each one counts for them
_LETTERS = {
    "ñ": {"es": 2.0}, "¿": {"es": 2.0}, "¡": {"es": 2.0}, "ã": {"pt": 2.0}, "õ": {"pt": 2.0},
    "ç": {"fr": 0.7, "pt": 0.7}, "ß": {"de": 2.0}, "ä": {"de": 0.8}, "ö": {"de": 0.8}, "ü": {"de": 0.8},
    "è": {"fr": 0.6, "it": 0.6}, "ê": {"fr": 0.6, "pt": 0.6}, "â": {"fr": 0.6, "pt": 0.6}, "œ": {"fr": 2.0},
    "ì": {"it": 1.5}, "ò": {"it": 1.5}, "ù": {"it": 0.8, "fr": 0.4}, "à": {"it": 0.4, "fr": 0.4, "pt": 0.4},
    "á": {"es": 0.4, "pt": 0.4}, "í": {"es": 0.4, "pt": 0.3}, "ó": {"es": 0.4, "pt": 0.3}, "ú": {"es": 0.4, "pt": 0.3},
    "é": {"fr": 0.3, "es": 0.2, "pt": 0.2, "it": 0.1},
}


@dataclass(frozen=True)
class Translation:
    """The English text for a message, the language it was written in, and whether it changed."""

    text: str
    language: str
    was_translated: bool


@dataclass(frozen=True)
class _LanguageTable:
    body: str  # the alternation of every phrase, compiled on first use (English messages never need it)
    literals: dict[str, str]  # folded phrase -> English
    templates: dict[str, str]  # group name -> English with {n}/{d}

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(rf"(?<![\w'#])(?:{self.body})")


@dataclass(frozen=True)
class TranslationTable:
    languages: dict[str, _LanguageTable]
    votes: dict[str, tuple[str, ...]]  # folded word -> languages whose vocabulary has it


def build_translation_table(raw: dict) -> TranslationTable:
    """Build a TranslationTable from the JSON form of assets/translations.json.

    Raises:
        ValueError: when a language is not one of LANGUAGES or an English value is not a string.
    """
    languages: dict[str, _LanguageTable] = {}
    votes: dict[str, set[str]] = defaultdict(set)
    for language, phrases in raw.get("phrases", {}).items():
        if language not in LANGUAGES[1:]:
            raise ValueError(f"translations.json: unknown language {language!r}; expected one of {LANGUAGES[1:]}")
        literals: dict[str, str] = {}
        templates: dict[str, str] = {}
        alternatives: list[tuple[int, str]] = []
        for index, (phrase, english) in enumerate(phrases.items()):
            if not isinstance(english, str):
                raise ValueError(f"translations.json: {language} {phrase!r} -> {english!r}: expected a string")
            key = " ".join(fold(phrase).split())
            for word in _WORD.findall(key):
                votes[word].add(language)
            for word in _WORD.findall(english):
                votes[word].add("en")
            alternatives.append((len(key), _phrase_regex(key, index)))
            if "{" in key:
                templates[f"p{index}"] = english
            else:
                literals[key] = english
        alternatives.sort(key=lambda item: -item[0])
        body = "|".join(regex for _, regex in alternatives)
        languages[language] = _LanguageTable(body, literals, templates)
    for language, words in raw.get("stopwords", {}).items():
        for word in words:
            votes[fold(word)].add(language)
    return TranslationTable(languages, {word: tuple(sorted(langs)) for word, langs in votes.items()})


def _phrase_regex(key: str, index: int) -> str:
    parts = re.split(r"(\{n\}|\{d\})", key)
    regex = ""
    for part in parts:
        if part in _PLACEHOLDERS:
            regex += _PLACEHOLDERS[part].format(i=index)
        else:
            regex += r"\s+".join(re.escape(word) for word in part.split(" ")).replace("\\#", "#\\s*")
    tail = "" if key.endswith("'") else r"(?![\w])"
    return f"(?P<p{index}>{regex}){tail}" if "{" in key else f"{regex}{tail}"


@lru_cache(maxsize=4)
def load_translation_table(path: Path = DEFAULT_TRANSLATIONS) -> TranslationTable:
    """Load (once per path) the phrase tables, assets/translations.json by default."""
    with path.open(encoding="utf-8") as handle:
        table = build_translation_table(json.load(handle))
    logger.info("translations: %s phrases", {lang: len(t.literals) + len(t.templates) for lang, t in table.languages.items()})
    return table


def language_scores(text: str, *, table: TranslationTable | None = None, use_letters: bool = True) -> dict[str, float]:
    """How much evidence ``text`` holds for each language in LANGUAGES (the detector's votes)."""
    table = table or load_translation_table()
    scores = dict.fromkeys(LANGUAGES, 0.0)
    if not isinstance(text, str):
        return scores
    for word in _WORD.findall(fold(text)):
        langs = table.votes.get(word)
        if langs:
            for language in langs:
                scores[language] += 1.0 / len(langs)
    for letter in set(text.lower()) if use_letters else ():
        for language, weight in _LETTERS.get(letter, {}).items():
            scores[language] += weight
    return scores


def detect_language(text: str, *, table: TranslationTable | None = None) -> str:
    """The language a message is written in: one of "en", "es", "fr", "pt", "de", "it".

    Args:
        text: the user's message (any string).
        table: a TranslationTable; the packaged assets/translations.json when None.

    Returns:
        The ISO 639-1 code; "en" when there is too little evidence for another language.
    """
    table = table or load_translation_table()
    scores = language_scores(text, table=table)
    if all(score <= scores["en"] for score in scores.values()):
        return "en"  # whichever language won the tie below, it would not outscore English
    best = max(_TIE_ORDER, key=lambda lang: (round(scores[lang], 6), _coverage(text, lang, table), -_TIE_ORDER.index(lang)))
    # Accents alone ("Sigur Rós", "Mötley Crüe") never make a message foreign: a word must vote too.
    if scores[best] <= scores["en"] or language_scores(text, table=table, use_letters=False)[best] == 0:
        return "en"
    if scores["en"] == 0:
        return best if scores[best] >= MIN_FOREIGN_SCORE_NO_ENGLISH else "en"
    if scores[best] >= MIN_FOREIGN_SCORE or scores[best] >= FOREIGN_TO_ENGLISH_RATIO * scores["en"]:
        return best
    return "en"


def _coverage(text: str, language: str, table: TranslationTable) -> int:
    if not isinstance(text, str) or language not in table.languages:
        return 0
    return sum(m.end() - m.start() for m in table.languages[language].pattern.finditer(fold(text)))


def to_english(text: str, *, table: TranslationTable | None = None) -> Translation:
    """Rewrite a request or refinement into English phrases the English parser understands.

    Args:
        text: the user's message (any string; non-strings come back as "").
        table: a TranslationTable; the packaged assets/translations.json when None.

    Returns:
        A Translation; for English input (or too little evidence of another language) the text
        comes back unchanged with ``was_translated`` False.
    """
    if not isinstance(text, str):
        return Translation("", "en", False)
    table = table or load_translation_table()
    language = detect_language(text, table=table)
    if language == "en" or language not in table.languages:
        return Translation(text, language, False)
    language_table = table.languages[language]
    folded = fold(text)
    pieces: list[str] = []
    position = 0
    for match in language_table.pattern.finditer(folded):
        pieces.append(text[position : match.start()])
        pieces.append(f" {_english_for(match, language_table)} ")
        position = match.end()
    pieces.append(text[position:])
    english = " ".join("".join(pieces).split())
    english = re.sub(r"\s+([,.;:!?])", r"\1", english)
    return Translation(english, language, english != text)


def _english_for(match: re.Match[str], language_table: _LanguageTable) -> str:
    name = match.lastgroup
    if name and name in language_table.templates:
        index = name[1:]
        english = language_table.templates[name]
        for placeholder, group in (("{n}", f"n{index}"), ("{d}", f"d{index}")):
            if placeholder in english:
                english = english.replace(placeholder, match.group(group))
        return english
    return language_table.literals.get(" ".join(match.group(0).split()), match.group(0))
