"""DialogueState -> SearchQuery: the text, weighted phrases, hard filters and feedback of one search.

Exclusions are expanded here, once per turn, into every catalogue descriptor they rule out:
"drums" also rules out "live drums", and "no vocals" (`ALL_VOCALS`) every vocal descriptor.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from retriever import SearchQuery, Vocabulary

from chatbot.parse import ALL_VOCALS, VOCAL_WORDS
from chatbot.state import MAX_REMEMBERED_TEXTS, MAX_SHOWN, DialogueState

logger = logging.getLogger(__name__)


class DescriptorIndex:
    """The catalogue's distinct descriptors by word, so an exclusion is expanded by set
    intersection over the words it names, never by a scan of the whole catalogue per turn."""

    _NEGATED = ("no ", "without ", "non ")

    def __init__(self, catalogue_descriptors: Iterable[str]) -> None:
        self.by_word: dict[str, set[str]] = {}
        vocal: set[str] = set()
        for descriptor in {d.lower() for d in catalogue_descriptors}:
            if descriptor.startswith(self._NEGATED):
                continue
            words = set(re.findall(r"[a-z0-9']+", descriptor))
            for word in set(descriptor.split()) | set(re.findall(r"[\w']+", descriptor)):
                self.by_word.setdefault(word, set()).add(descriptor)
            if words & VOCAL_WORDS and not descriptor.startswith("instrumental"):
                vocal.add(descriptor)
        self.vocal = frozenset(vocal)

    def containing(self, phrase: str) -> set[str]:
        """Descriptors that contain every word of `phrase` (negated descriptors excluded)."""
        words = phrase.split()
        if not words:
            return set()
        if len(words) == 1 and len(re.findall(r"[\w']+", phrase)) > 1:
            words = re.findall(r"[\w']+", phrase)  # "rock/pop" is excluded wherever rock and pop both are
        found = set(self.by_word.get(words[0], ()))
        for word in words[1:]:
            found &= self.by_word.get(word, set())
            if not found:
                break
        return found


def expand_exclusions(
    state: DialogueState, vocabulary: Vocabulary, index: DescriptorIndex | Iterable[str]
) -> frozenset[str]:
    """Every catalogue descriptor an exclusion rules out, lowercase.

    An excluded descriptor rules out itself, its synonyms and, for a catalogue that
    uses other phrasings, any descriptor containing all of its words ("drums" rules out
    "live drums") unless that descriptor is itself a negation ("no drums"). `ALL_VOCALS`
    ("no vocals") rules out every vocal descriptor (vocals facet but "instrumental").
    """
    if not isinstance(index, DescriptorIndex):
        index = DescriptorIndex(index)
    ruled_out: set[str] = set()
    for name in state.excluded:
        if name == ALL_VOCALS:
            ruled_out |= {name.lower() for name in vocabulary.in_facet("vocals") if name != "instrumental"}
            ruled_out |= index.vocal
            continue
        descriptor = vocabulary.descriptors.get(name)
        forms = {name.lower(), *(s.lower() for s in (descriptor.synonyms if descriptor else ()))}
        ruled_out |= forms
        for form in forms:
            ruled_out |= index.containing(form)
    return frozenset(ruled_out)


def build_query(
    state: DialogueState,
    excluded_descriptors: frozenset[str],
    *,
    k: int = 10,
    repeat_shown: bool = False,
) -> SearchQuery:
    """The SearchQuery for the current state: recent text, weighted wanted descriptors, filters, feedback."""
    text = ". ".join(state.texts[-MAX_REMEMBERED_TEXTS:])
    blocked = set(state.disliked)
    if not repeat_shown:
        blocked |= set(state.shown[-MAX_SHOWN:])
    return SearchQuery(
        text=text,
        k=k,
        weighted_phrases=dict(state.wanted),
        excluded_descriptors=excluded_descriptors,
        excluded_ids=frozenset(blocked),
        liked_ids=tuple(state.more_like[-3:]),
        disliked_ids=tuple(state.disliked[-3:]),
    )
