"""Find the places and languages a listener names: "from mexico", "in spanish", "k-pop", "brazilian jazz".

The table is ``assets/places.json`` (countries with demonyms, cities, language names, place-bound
genres, and look-alike phrases that are not places such as "spanish guitar"). Each mention has a
kind:

- ``"language"``: the words are a language request ("in spanish", "spanish lyrics", "sung in french",
  "french songs"); only ``languages`` is set.
- ``"place"``: the words name where the music is from ("from spain", "spanish artists", "brazilian
  jazz", "london"); ``regions`` is set, and ``languages`` holds the country's main language(s) as a
  hint (a Spanish artist may sing in English).
- ``"style"``: a genre that implies a place ("k-pop", "bollywood", "salsa", "latin"); the
  vocabulary descriptor stays the main signal and the region/language are soft hints.

"latin" is a style (regions latin america and caribbean, no language, since Brazil sings in
Portuguese and reggaeton is Caribbean), except in language contexts ("in latin", "latin lyrics"),
where it is the Latin language of the catalogue's choral pieces; "latin jazz" names no place at all.

Example:
    >>> find_places("brazilian jazz sung in portuguese").regions
    ('latin america',)
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from chatbot.textfold import fold, phrase_pattern

logger = logging.getLogger(__name__)

DEFAULT_PLACES = Path(__file__).resolve().parent.parent / "assets" / "places.json"
KINDS = ("language", "place", "style")
_WORD = re.compile(r"[a-z]+")
SPELLING_MIN_LENGTH = 6  # shorter words are too often another word one edit away ("thai", "irish")

_LANGUAGE_BEFORE = re.compile(r"(?:\b(?:sung|sang|singing|rapped|rapping|lyrics|words|written)\s+)?\b(?:in|en)\s+$")
_LANGUAGE_AFTER = re.compile(r"^(?:[\s-]+(?:lyrics|lyric|language|vocals|vocal|words|speaking|singing|text)|-language)\b")
_SONGS_AFTER = re.compile(r"^\s+(?:songs?|music|tracks?|tunes?|ballads?|lyrics|language)\b")
_FROM_BEFORE = re.compile(r"\b(?:from|out of|made in|based in|in)\s+(?:the\s+)?$")


@dataclass(frozen=True)
class PlaceMention:
    """One phrase naming a place, a language or a place-bound genre."""

    phrase: str
    span: tuple[int, int]
    kind: str  # one of KINDS
    regions: tuple[str, ...]
    languages: tuple[str, ...]


@dataclass(frozen=True)
class PlaceMatch:
    """Every mention in a message, and their regions and languages merged in order of appearance.

    ``phrases``, ``spans`` and ``kinds`` are parallel to ``mentions``.
    """

    regions: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    spans: tuple[tuple[int, int], ...] = ()
    kinds: tuple[str, ...] = ()
    mentions: tuple[PlaceMention, ...] = ()

    @property
    def language_requests(self) -> tuple[str, ...]:
        """Languages asked for as languages ("in spanish"), not implied by a place."""
        return _unique(lang for m in self.mentions if m.kind == "language" for lang in m.languages)

    @property
    def place_regions(self) -> tuple[str, ...]:
        """Regions named as places ("from mexico", "japanese artists"), not implied by a genre."""
        return _unique(region for m in self.mentions if m.kind == "place" for region in m.regions)


@dataclass(frozen=True)
class PlaceTable:
    """The loaded places.json: every folded surface form and what it stands for."""

    places: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]  # surface -> (regions, languages)
    languages: dict[str, tuple[str, ...]]  # language name -> catalogue languages
    styles: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]  # genre phrase -> (regions, languages)
    main_language_names: frozenset[str]  # demonyms that are their country's main language ("french")
    not_places: tuple[str, ...]
    pattern: re.Pattern[str]
    blocker: re.Pattern[str]
    one_word_forms: tuple[str, ...] = ()  # the surfaces a misspelt word is corrected to (`_spelling_fixed`)


def build_place_table(raw: dict) -> PlaceTable:
    """Build a PlaceTable from the JSON form of assets/places.json.

    Raises:
        ValueError: when an entry lacks its region, or a country's language list is not a list.
    """
    places: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    main_names: set[str] = set()
    languages = {fold(name): tuple(values) for name, values in raw.get("languages", {}).items()}
    for entry in raw.get("countries", ()):
        region = entry.get("region")
        if not region or not isinstance(entry.get("languages", []), list):
            raise ValueError(f"places.json: country entry {entry!r} needs a region and a list of languages")
        value = ((region,), tuple(entry.get("languages", ())))
        for surface in (*entry.get("names", ()), *entry.get("demonyms", ())):
            places.setdefault(fold(surface), value)
        for demonym in entry.get("demonyms", ()):
            if languages.get(fold(demonym), ()) and set(languages[fold(demonym)]) <= set(entry.get("languages", ())):
                main_names.add(fold(demonym))
    for entry in raw.get("cities", ()):
        if not entry.get("region"):
            raise ValueError(f"places.json: city entry {entry!r} needs a region")
        for surface in entry.get("names", ()):
            places.setdefault(fold(surface), ((entry["region"],), ()))
    styles = {fold(phrase): (tuple(entry["regions"]), tuple(entry.get("languages", ())))
              for entry in raw.get("styles", ()) for phrase in entry["phrases"]}
    not_places = tuple(fold(p) for p in raw.get("not_places", ()))
    pattern = phrase_pattern([*places, *languages, *styles])
    one_word = tuple(sorted({form for form in (*places, *languages, *styles)
                             if form.isalpha() and len(form) >= SPELLING_MIN_LENGTH - 1}))
    return PlaceTable(places, languages, styles, frozenset(main_names), not_places, pattern,
                      phrase_pattern(not_places), one_word)


@lru_cache(maxsize=4)
def load_place_table(path: Path = DEFAULT_PLACES) -> PlaceTable:
    """Load (once per path) the places table, assets/places.json by default."""
    with path.open(encoding="utf-8") as handle:
        table = build_place_table(json.load(handle))
    logger.info("places: %d place forms, %d language names, %d styles",
                len(table.places), len(table.languages), len(table.styles))
    return table


def find_places(text: str, *, table: PlaceTable | None = None) -> PlaceMatch:
    """The places, languages and place-bound genres a message names.

    Args:
        text: the user's message (any string).
        table: a PlaceTable; the packaged assets/places.json when None.

    Returns:
        A PlaceMatch (empty when nothing is named), each mention with its kind
        ("language", "place" or "style") and its character span in ``text``.
    """
    if not isinstance(text, str) or not text:
        return PlaceMatch()
    table = table or load_place_table()
    folded, offsets = _spelling_fixed(fold(text), table)  # "brazillian jazz", "songs in spansh"
    blocked = [False] * len(folded)
    for match in table.blocker.finditer(folded):
        for i in range(match.start(), match.end()):
            blocked[i] = True
    mentions: list[PlaceMention] = []
    for match in table.pattern.finditer(folded):
        if any(blocked[match.start() : match.end()]):
            continue
        mention = _classify(match, folded, table)
        if mention is not None:
            begin, end = offsets[mention.span[0]], offsets[mention.span[1] - 1] + 1
            mentions.append(PlaceMention(text[begin:end], (begin, end), mention.kind, mention.regions, mention.languages))
    return PlaceMatch(
        regions=_unique(r for m in mentions for r in m.regions),
        languages=_unique(lang for m in mentions for lang in m.languages),
        phrases=tuple(m.phrase for m in mentions),
        spans=tuple(m.span for m in mentions),
        kinds=tuple(m.kind for m in mentions),
        mentions=tuple(mentions),
    )


def _classify(match: re.Match[str], folded: str, table: PlaceTable) -> PlaceMention | None:
    surface = " ".join(match.group(0).split())
    begin, end = match.start(), match.end()
    before, after = folded[:begin], folded[end:]
    language = table.languages.get(surface)
    if language:
        if lead := _LANGUAGE_BEFORE.search(before):
            return PlaceMention("", (lead.start(), end), "language", (), language)
        if tail := _LANGUAGE_AFTER.match(after):
            return PlaceMention("", (begin, end + tail.end()), "language", (), language)
        if surface not in table.places and surface not in table.styles:
            return PlaceMention("", (begin, end), "language", (), language)
        if surface in table.main_language_names and (tail := _SONGS_AFTER.match(after)):
            return PlaceMention("", (begin, end), "language", (), language)
    if surface in table.styles:
        regions, languages = table.styles[surface]
        return PlaceMention("", (begin, end), "style", regions, languages)
    if surface in table.places:
        regions, languages = table.places[surface]
        if lead := _FROM_BEFORE.search(before):
            begin = lead.start()
        return PlaceMention("", (begin, end), "place", regions, languages)
    return None


def _spelling_fixed(folded: str, table: PlaceTable) -> tuple[str, list[int]]:
    """The folded text with misspelt one-word places and languages corrected ("brazillian" -> "brazilian",
    "spansh" -> "spanish", "portugese" -> "portuguese"), and for each of its characters the offset in
    ``folded`` it came from. A word is corrected only when it is no English word and one edit from
    exactly one place or language name ("atlantean" is no "atlanta")."""
    from chatbot.names import english_words  # noqa: PLC0415 - the word lists load once, on first use

    forms = table.one_word_forms
    pieces: list[str] = []
    offsets: list[int] = []
    last = 0
    plain = english_words()
    for match in _WORD.finditer(folded):
        word = match.group()
        if len(word) < SPELLING_MIN_LENGTH or word in forms or word in plain:
            continue
        near = process.extract(word, forms, scorer=Levenshtein.distance, limit=2, score_cutoff=1)
        if len(near) != 1 and not (len(near) == 2 and near[0][1] < near[1][1]):
            continue
        pieces.append(folded[last : match.start()])
        offsets.extend(range(last, match.start()))
        pieces.append(near[0][0])
        size = len(near[0][0])  # its last letter maps to the word's last, so a span covers the word as typed
        offsets.extend(match.end() - 1 if i == size - 1 else min(match.start() + i, match.end() - 1) for i in range(size))
        last = match.end()
    pieces.append(folded[last:])
    offsets.extend(range(last, len(folded)))
    return "".join(pieces), offsets


def _unique(values) -> tuple[str, ...]:  # noqa: ANN001 - any iterable of str
    return tuple(dict.fromkeys(values))
