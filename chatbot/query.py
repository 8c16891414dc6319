"""DialogueState -> SearchQuery: the text, weighted phrases, hard filters and feedback of one search.

Exclusions are expanded here, once per turn, into every catalogue descriptor they rule out:
"drums" also rules out "live drums", and "no vocals" (`ALL_VOCALS`) every vocal descriptor.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from retriever import ArtistDirectory, ArtistProfile, SearchQuery, Track, TrackId, Vocabulary

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
    "live drums") unless that descriptor is itself a negation ("no drums"); a mood rules out its kin
    (`Vocabulary.mood_kin`: "sad" rules out "melancholic"). `ALL_VOCALS`
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
        forms: set[str] = set()
        # "no sad stuff": no melancholic songs either, unless melancholic is what the state now asks for
        for kin in (name, *(m for m in vocabulary.mood_kin(name) if state.wanted.get(m, 0.0) <= 0)):
            descriptor = vocabulary.descriptors.get(kin)
            forms |= {kin.lower(), *(s.lower() for s in (descriptor.synonyms if descriptor else ()))}
        ruled_out |= forms
        for form in forms:
            ruled_out |= index.containing(form)
    return frozenset(ruled_out)


LANGUAGES_OF_ANY_PLACE = ("english", "instrumental")  # a country's songs may be sung in english, or have no words


@dataclass(frozen=True)
class CatalogueFacets:
    """The catalogue's tracks by year, region and language, so a filter is a set lookup per turn."""

    by_year: Mapping[int, frozenset[TrackId]]
    by_region: Mapping[str, frozenset[TrackId]]
    by_language: Mapping[str, frozenset[TrackId]]
    all_ids: frozenset[TrackId] = frozenset()  # every track, for filters that leave some out ("not from the uk")

    @classmethod
    def from_tracks(cls, tracks: Iterable[Track]) -> CatalogueFacets:
        by_year: dict[int, set[TrackId]] = {}
        by_region: dict[str, set[TrackId]] = {}
        by_language: dict[str, set[TrackId]] = {}
        all_ids: set[TrackId] = set()
        for track in tracks:
            all_ids.add(track.id)
            if track.year is not None:
                by_year.setdefault(track.year, set()).add(track.id)
            for key, index in (("region", by_region), ("language", by_language)):
                value = track.metadata.get(key)
                if isinstance(value, str) and value.strip():
                    index.setdefault(value.strip().lower(), set()).add(track.id)
        return cls(
            {year: frozenset(ids) for year, ids in by_year.items()},
            {region: frozenset(ids) for region, ids in by_region.items()},
            {language: frozenset(ids) for language, ids in by_language.items()},
            frozenset(all_ids),
        )


@dataclass(frozen=True)
class QueryContext:
    """What a query needs beyond the state: artist profiles and the catalogue's facets."""

    artists: ArtistDirectory | None = None
    facets: CatalogueFacets = CatalogueFacets({}, {}, {})


ARTIST_DESCRIPTOR_WEIGHT = 0.5  # a referenced artist's other descriptors (moods, instruments, era)
ARTIST_GENRE_WEIGHT = 1.0  # ... and their first (genre) descriptors, as much as what the user said
ARTIST_GENRES = 2
MAX_ARTIST_REFERENCES = 3  # catalogue songs of a "like X" artist that steer the query vector


def artist_profiles(names: Iterable[str], context: QueryContext) -> list[ArtistProfile]:
    if context.artists is None:
        return []
    return [p for p in (context.artists.resolve(name) for name in names) if p is not None]


def artist_track_ids(names: Iterable[str], context: QueryContext) -> frozenset[TrackId]:
    return frozenset(i for profile in artist_profiles(names, context) for i in profile.track_ids)


def artist_wants(state: DialogueState, context: QueryContext, *, genres_only: bool = False) -> dict[str, float]:
    """The descriptors of the artists the state is "like" or "by", weighted, for the query; their genres
    (`genres_only`) for the re-rank too, so "calmer" after "like Bad Bunny" is calmer reggaeton, not any calm song."""
    weighted: dict[str, float] = {}
    for profile in artist_profiles((*state.artists_like, *state.artists_by), context):
        for position, descriptor in enumerate(profile.descriptors[:ARTIST_GENRES] if genres_only else profile.descriptors):
            # a profile lists its genres first: they say most about what "like X" means
            weight = ARTIST_GENRE_WEIGHT if position < ARTIST_GENRES else ARTIST_DESCRIPTOR_WEIGHT
            weighted[descriptor] = max(weighted.get(descriptor, 0.0), weight)
    return weighted


def filter_ids(state: DialogueState, context: QueryContext) -> tuple[frozenset[TrackId] | None, list[str]]:
    """The tracks the state's hard filters allow (None: no filter), and notices for filters this
    catalogue cannot apply (it has no years, regions or languages)."""
    facets = context.facets
    allowed: frozenset[TrackId] | None = None
    notices: list[str] = []

    def narrow(ids: frozenset[TrackId]) -> None:
        nonlocal allowed
        allowed = ids if allowed is None else allowed & ids

    if state.years is not None and state.years_explicit:
        if facets.by_year:
            start, end = state.years
            narrow(frozenset(i for year, ids in facets.by_year.items() if start <= year <= end for i in ids))
        else:
            notices.append("This catalogue has no release years, so the era is not applied.")
    for values, index, what in ((state.regions, facets.by_region, "regions"),
                                (state.languages, facets.by_language, "languages")):
        if not values:
            continue
        if index:
            narrow(frozenset(i for value in values for i in index.get(value, ())))
        else:
            notices.append(f"This catalogue has no {what}, so {', '.join(values)} is not applied.")
    def leave_out(away: frozenset[TrackId]) -> None:
        nonlocal allowed
        allowed = (frozenset(facets.all_ids) if allowed is None else allowed) - away

    for values, index in ((state.excluded_regions, facets.by_region), (state.excluded_languages, facets.by_language)):
        if values and index and facets.all_ids:  # "not from the uk", "nothing in spanish"
            leave_out(frozenset(i for value in values for i in index.get(value, ())))
    if state.excluded_years is not None and facets.by_year and facets.all_ids:  # "nothing from the 80s"
        start, end = state.excluded_years
        leave_out(frozenset(i for year, ids in facets.by_year.items() if start <= year <= end for i in ids))
    if state.regions and state.hinted_languages and facets.by_language and allowed:
        # "brazilian music" is latin america in the catalogue, but its songs in spanish are from elsewhere:
        # keep the country's languages, and the songs in english or without words
        sung_elsewhere = frozenset(i for language, ids in facets.by_language.items()
                                   if language not in (*state.hinted_languages, *LANGUAGES_OF_ANY_PLACE) for i in ids)
        if allowed - sung_elsewhere:
            allowed = allowed - sung_elsewhere
    return allowed, notices


def build_query(
    state: DialogueState,
    excluded_descriptors: frozenset[str],
    *,
    k: int = 10,
    repeat_shown: bool = False,
    context: QueryContext = QueryContext(),
    allowed_ids: frozenset[TrackId] | None = None,
) -> SearchQuery:
    """The SearchQuery for the current state: recent text, weighted wanted descriptors, filters, feedback.

    Songs shown before may come back (the best list for the state is shown again after a
    refinement), except after "more"/"next" (`wants_new_turn`) and never a disliked one.
    """
    text = ". ".join(state.texts[-MAX_REMEMBERED_TEXTS:])
    blocked = set(state.disliked) | artist_track_ids(state.artists_excluded, context)
    if state.wants_new_turn and not repeat_shown:
        blocked |= set(state.shown[-MAX_SHOWN:])
    if state.more_like_turn and state.more_like:
        blocked.add(state.more_like[-1])  # "more like #2" wants others like it, not #2 again
    # "songs like Hotel California", then "slower": still other songs than the one named (a song on screen
    # that the user liked, or one they asked to play, may stay)
    blocked |= {i for i in state.more_like if i not in state.liked and i not in state.played}
    weighted = state.all_wanted
    for descriptor, weight in artist_wants(state, context).items():
        weighted[descriptor] = max(weighted.get(descriptor, 0.0), weight)
    liked = list(state.more_like[-3:])
    # "like Daft Punk, not Daft Punk": their songs still say what the sound is, though none is listed
    sound_only = artist_track_ids([a for a in state.artists_like if a in state.artists_excluded], context)
    for profile in artist_profiles((*state.artists_like, *state.artists_by), context):
        liked += [i for i in profile.track_ids[:MAX_ARTIST_REFERENCES]
                  if i not in blocked or (i in sound_only and i not in state.disliked)]
    return SearchQuery(
        text=text,
        k=k,
        weighted_phrases=weighted,
        excluded_descriptors=excluded_descriptors,
        excluded_ids=frozenset(blocked),
        liked_ids=tuple(dict.fromkeys(liked)),
        disliked_ids=tuple(state.disliked[-3:]),
        allowed_ids=allowed_ids,
    )
