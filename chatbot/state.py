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
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from retriever import Track, TrackId, Vocabulary

from chatbot.eras import DEFAULT_CURRENT_YEAR, MIN_YEAR, EraMatch
from chatbot.parse import ERA_COMPARATIVES, ParsedTurn

logger = logging.getLogger(__name__)

DECAY_PER_TURN = 0.7
# a descriptor only implied by an intent ("for a party": upbeat) counts half as much as one the user said
IMPLIED_WEIGHT = 0.5
FADED_WANTS_NAMED = 3  # wants a reply names when all have faded below 0.5 (`strongest_wants`)
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
    artists_like: tuple[str, ...] = ()  # "like Bob Marley": steer towards them
    artists_by: tuple[str, ...] = ()  # "play Bob Marley": their songs first
    artists_excluded: tuple[str, ...] = ()  # "not Bob Marley": a hard filter
    years: tuple[int, int] | None = None  # the era asked for, inclusive
    years_explicit: bool = False  # "the 80s" filters; "something older" only boosts
    years_said: bool = False  # the listener named the era ("the 90s"), not read it against a list or artist
    excluded_years: tuple[int, int] | None = None  # "nothing from the 80s": a hard filter away from them
    regions: tuple[str, ...] = ()  # hard filters on the track's region / language
    languages: tuple[str, ...] = ()
    excluded_regions: tuple[str, ...] = ()  # "not from the uk": hard filters away from a region / language
    excluded_languages: tuple[str, ...] = ()
    hinted_regions: tuple[str, ...] = ()  # "k-pop", "salsa": a boost
    hinted_languages: tuple[str, ...] = ()  # "from brazil": portuguese first
    wants_new_turn: bool = False  # the latest turn asked for songs not shown yet ("more", "next")
    avoided: tuple[str, ...] = ()  # soft: opposites of "faster", what "cheer me up" avoids (a penalty, not a filter)
    references: tuple[TrackId, ...] = ()  # songs asked for by likeness ("more like #2", "like Karma Police")
    played: tuple[TrackId, ...] = ()  # songs this turn asked to play ("play Hotel California"): listed first
    compared: tuple[str, ...] = ()  # what this turn asked for more of than the list on screen ("slower": slow tempo)
    reference_wanted: Mapping[str, float] = field(default_factory=dict)  # their descriptors (no chips)

    @property
    def all_wanted(self) -> dict[str, float]:
        """What the search and the re-rank want: the user's descriptors and those of the referenced songs."""
        merged = dict(self.reference_wanted)
        for descriptor, weight in self.wanted.items():
            merged[descriptor] = max(merged.get(descriptor, 0.0), weight)
        return merged

    def track_at(self, rank: int) -> TrackId | None:
        return self.last_results[rank - 1] if 1 <= rank <= len(self.last_results) else None

    def has_reference(self, turn: ParsedTurn) -> bool:
        """Does the turn refer to at least one result that exists?"""
        ranks = (*turn.liked_ranks, *turn.disliked_ranks, *turn.more_like_ranks)
        return any(self.track_at(rank) is not None for rank in ranks)

    @property
    def has_request(self) -> bool:
        return bool(self.wanted or self.artists_like or self.artists_by or self.years or self.regions
                    or self.languages or self.texts)

    @property
    def turn_wants(self) -> list[str]:
        """The wants at full weight, strongest first: what the latest turn said (older ones have faded by
        `DECAY_PER_TURN`); "more like #1 but with a female singer", "but with a woman singing"."""
        return [d for d in sorted(self.wanted, key=lambda d: -self.wanted[d]) if self.wanted[d] >= 1.0]

    def strongest_wants(self, limit: int) -> list[str]:
        """The wanted descriptors that still count (weight >= 0.5), strongest first: what a reply names.
        When every want has faded below that ("no sad stuff" after "a rainy sunday morning", whose wants were
        only implied), the strongest that remain: the list is still for them."""
        ranked = [d for d in sorted(self.wanted, key=lambda d: -self.wanted[d]) if self.wanted[d] > 0]
        strong = [d for d in ranked if self.wanted[d] >= 0.5]
        return (strong or ranked[:FADED_WANTS_NAMED])[:limit]

    @property
    def era_label(self) -> str | None:
        if self.years is None:
            return None
        start, end = self.years
        return years_label(start, end)

    @property
    def excluded_era_label(self) -> str | None:
        return None if self.excluded_years is None else years_label(*self.excluded_years)

    def snapshot(self) -> dict:
        """What the user sees of the state (and `ask --json` prints)."""
        return {
            "wanted": sorted(self.wanted, key=lambda d: -self.wanted[d]),
            "excluded": list(self.excluded),
            "liked": list(self.liked),
            "disliked": list(self.disliked),
            "artists": {"like": list(self.artists_like), "by": list(self.artists_by),
                        "excluded": list(self.artists_excluded)},
            "years": None if self.years is None else {"from": self.years[0], "to": self.years[1],
                                                      "is_filter": self.years_explicit},
            "not_years": None if self.excluded_years is None else {"from": self.excluded_years[0],
                                                                   "to": self.excluded_years[1]},
            "places": list(self.regions),
            "languages": list(self.languages),
            "not_places": list(self.excluded_regions),
            "not_languages": list(self.excluded_languages),
            "references": list(self.references),
        }


def years_label(start: int, end: int) -> str:
    """"1980s", "2019", "1992-2026", "before 1990": an era as a chip or header says it."""
    if end - start == 9 and start % 10 == 0:
        return f"{start}s"
    if start == end:
        return str(start)
    return f"{start}-{end}" if start > 1900 else f"before {end + 1}"


def _append_new(items: tuple[TrackId, ...], new: Sequence[TrackId]) -> tuple[TrackId, ...]:
    return (*items, *(i for i in dict.fromkeys(new) if i not in items))


def reset_state(state: DialogueState) -> DialogueState:
    """A fresh state, as the page's Start over button gives (`state` is kept for the signature's sake:
    every change is a function of the state before it)."""
    del state
    return DialogueState()


def new_topic_state(state: DialogueState) -> DialogueState:
    """A fresh request that keeps the user's feedback: likes, dislikes, what was shown, and what they
    ruled out ("no vocals", "not Bob Marley" still hold for the new request; "start over" clears them)."""
    return DialogueState(shown=state.shown, liked=state.liked, disliked=state.disliked, turns=state.turns,
                         last_results=state.last_results, excluded=state.excluded,
                         artists_excluded=state.artists_excluded, excluded_regions=state.excluded_regions,
                         excluded_languages=state.excluded_languages, excluded_years=state.excluded_years)


def is_topic_shift(state: DialogueState, turn: ParsedTurn, vocabulary: Vocabulary | None = None) -> bool:
    """Is the turn a new standalone request rather than a refinement of the current one?

    A new request names at least two things (descriptors, artists, songs, an intent phrase such as
    "for a party", an era, a place or a language), has no refinement cue ("more", "but", "also", "add", "without"...) and shares no
    descriptor or artist with what the state asks for. "japanese chill beats" after "dark 90s
    music" is one; "more upbeat", "add piano", "but from the 80s", "no vocals" are not. A turn that
    says it switches ("let's switch to something calm") is one whatever it names. So is a turn that
    only names an artist or song whose genres share no word with the genres the state wants
    ("something like Metallica" after "chill electronic music"; with the `vocabulary` to tell genres):
    "like Bob Marley" after "upbeat reggae" refines, and "like Adele" after "sad songs" (no genre) too.
    """
    if not state.has_request or turn.is_reset or turn.is_refinement:
        return False
    if vocabulary is not None and turn.named_genres and not turn.wanted and is_other_genre(
            turn.named_genres, [d for d, w in state.all_wanted.items() if w > 0 and vocabulary.facet_of(d) == "genre"]):
        return True
    named = [*turn.wanted, *turn.artists_like, *turn.artists_by, *turn.seed_ids]
    # what an intent phrase implies is one thing however many descriptors it stands for ("female rappers")
    size = len(named) - len(turn.implied) + bool(turn.implied) + bool(turn.era) + bool(turn.regions or turn.languages)
    if turn.is_switch:  # "let's switch to something calm": new, even when it names one thing
        return size > 0
    if size < 2 or not (turn.wanted or turn.artists_like or turn.artists_by or turn.seed_ids):
        return False
    if vocabulary is not None:
        # "female fronted metal" after "k-pop girl groups": another genre is a new request, whatever else
        # the two share (female vocals)
        genres = [d for d in turn.wanted if vocabulary.facet_of(d) == "genre"]
        wanted_genres = [d for d, w in state.wanted.items() if w > 0 and vocabulary.facet_of(d) == "genre"]
        if genres and wanted_genres and is_other_genre(genres, wanted_genres):
            return True
    current = {d.lower() for d, w in state.wanted.items() if w > 0} | {a.lower() for a in (*state.artists_like,
                                                                                           *state.artists_by)}
    return not current & {n.lower() for n in named}


def is_other_genre(named: Sequence[str], current: Sequence[str]) -> bool:
    """Do the genres of a named artist share no word with the genres wanted so far (and are there any)?
    "vocal jazz" shares one with "jazz", "synth-pop" with "pop"; "heavy metal" none with "electronic"."""
    words = {w for genre in current for w in re.findall(r"[a-z0-9&]+", genre.lower())}
    return bool(words) and not words & {w for genre in named for w in re.findall(r"[a-z0-9&]+", genre.lower())}


MAX_BACK_REFERENCES = 3  # liked songs "more like those" refers to
MIN_RELATIVE_YEARS = 3  # songs of the list on screen with a year, for "older"/"newer" to be read against it


def relative_era(direction: str, era: EraMatch | None, shown: Sequence[TrackId], tracks: Mapping[TrackId, Track] | None,
                 asked: tuple[int, int] | None = None) -> tuple[int, int] | None:
    """The years a vague era said as a comparison (`direction` "older" or "newer": "older", "more recent")
    means after a list: before or after the era the list was `asked` for ("more recent" after "the 90s" is
    from 2000), else before or after the median year of the songs on screen ("older" after a list from
    1959-2021 is up to the 1990s, not the 1950s); None for any other era, or when the list has too few songs
    with a year (the vague era and its production stay)."""
    if era is None or era.is_explicit or direction not in ("older", "newer") or not tracks:
        return None
    if asked is not None and shown and (asked[0] > era.start if direction == "older" else asked[1] < era.end):
        return (era.start, asked[0] - 1) if direction == "older" else (asked[1] + 1, era.end)
    years = sorted(tracks[i].year for i in shown if i in tracks and tracks[i].year)
    if len(years) < MIN_RELATIVE_YEARS:
        return None
    median = years[(len(years) - 1) // 2]
    return (era.start, median - 1) if direction == "older" else (median + 1, max(era.end, median + 1))


ARTIST_ERA_SPAN = 10  # "newer than Bob Marley": after his songs, but at most this long after his median year


def artist_relative_years(direction: str, names: Sequence[str], tracks: Mapping[TrackId, Track] | None, *,
                          own_songs: bool) -> tuple[int, int] | None:
    """The years "older"/"newer" mean against the artists named, from their catalogue songs: for their own
    songs ("their later stuff") before or after the median year of those songs; for their sound ("like Bob
    Marley but more modern") before or after their songs, at most ARTIST_ERA_SPAN years from the median
    (a forty-year career does not push "newer" to the last year). None when no song of theirs has a year.
    Their own songs of an artist whose songs are all of one year: that year."""
    wanted = {name.casefold() for name in names}
    years = sorted(t.year for t in (tracks or {}).values() if t.year and t.artist.casefold() in wanted)
    if not years or direction not in ("older", "newer"):
        return None
    median = years[(len(years) - 1) // 2]
    if direction == "older":  # their own older songs: the earliest, if all are as old as the median
        if own_songs:
            return (MIN_YEAR, median - 1 if years[0] < median else median)
        return (MIN_YEAR, max(years[0], median - ARTIST_ERA_SPAN) - 1)
    if own_songs:
        start = median + 1 if years[-1] > median else median
    else:
        start = min(years[-1], median + ARTIST_ERA_SPAN) + 1
    return (start, max(start, DEFAULT_CURRENT_YEAR))


def opposites_of(names: Iterable[str], vocabulary: Vocabulary | None) -> set[str]:
    """The lowercased opposites of these descriptors ("male vocals" for "female vocals"): what a song
    referred to loses when the same turn asks for its opposite ("more like #1 but with a female singer")."""
    if vocabulary is None:
        return set()
    return {o.lower() for name in names if name in vocabulary.descriptors
            for o in vocabulary.descriptors[name].opposites}


def descriptors_by_region(tracks: Iterable[Track]) -> dict[str, frozenset[str]]:
    """The lowercased descriptors the catalogue's tracks of each region have, built once per catalogue."""
    by_region: dict[str, set[str]] = {}
    for track in tracks:
        region = track.metadata.get("region")
        if isinstance(region, str) and region:
            by_region.setdefault(region, set()).update(d.lower() for d in track.descriptors)
    return {region: frozenset(found) for region, found in by_region.items()}


def genres_not_from(regions: Sequence[str], wanted: Mapping[str, float],
                    region_descriptors: Mapping[str, frozenset[str]], vocabulary: Vocabulary | None,
                    keep: Sequence[str] = ()) -> list[str]:
    """The wanted genres that no catalogue track of these `regions` has ("k-pop" for "from mexico").

    A place named after a genre bound to another place asks for that place: the genre is left out
    rather than filtering to nothing or to the songs least unlike it. Genres the same turn names
    (`keep`: "reggae from the uk") and genres the catalogue does have there are kept.
    `region_descriptors` is `descriptors_by_region` of the catalogue.
    """
    if not regions or not region_descriptors or vocabulary is None:
        return []
    genres = [d for d, w in wanted.items() if w > 0 and d not in keep and vocabulary.facet_of(d) == "genre"]
    if not genres:
        return []
    there = frozenset().union(*(region_descriptors.get(region, frozenset()) for region in regions))
    if not there:  # no songs of that place at all: the place filter says so, the genres stay
        return []
    return [d for d in genres if d.lower() not in there]


def apply_turn(
    state: DialogueState, turn: ParsedTurn, tracks: Mapping[TrackId, Track] | None = None,
    vocabulary: Vocabulary | None = None, region_descriptors: Mapping[str, frozenset[str]] | None = None,
) -> tuple[DialogueState, list[str]]:
    """The state after a parsed turn, and notices for the user (e.g. a reference to a missing result).

    Older wants decay; exclusions win over wants of earlier turns and lose to wants of this
    one; "more like #k" adds that song's descriptors as wants of this turn. With the `vocabulary`,
    an artist of another genre starts a new request (`is_topic_shift`). `region_descriptors`
    (`descriptors_by_region` of the catalogue, built once) is computed from `tracks` when omitted.
    """
    notices = list(turn.notices)
    if turn.is_reset:
        state = reset_state(state)
    elif is_topic_shift(state, turn, vocabulary):
        state = new_topic_state(state)
        notices.append("New search (say \"also ...\" or \"but ...\" to refine the previous one instead).")
        kept = [d for d in state.excluded if d not in turn.wanted]
        if kept:  # "no vocals" still holds for the new request: say so, and how to lift it
            notices.append(f"Still leaving out {', '.join(kept)} (say \"with {kept[0]}\" to bring them back).")
    # Older wants fade when the turn asks for something new; "I like #3" alone makes nothing older.
    decay = DECAY_PER_TURN if turn.has_new_wants else 1.0
    wanted = {descriptor: weight * decay for descriptor, weight in state.wanted.items()}
    reference_wanted = {d: weight * decay for d, weight in state.reference_wanted.items()}
    excluded = list(state.excluded)
    for descriptor in turn.excluded:
        wanted.pop(descriptor, None)
        # "no sad stuff" after "rainy day" (melancholic): melancholic goes too; but "not that sad" after
        # "something to cry to" (sad, melancholic) is less sad, not none: melancholic stays wanted
        if descriptor not in turn.softened:
            for other in (vocabulary.mood_kin(descriptor) if vocabulary is not None else ()):
                wanted.pop(other, None)
        if descriptor not in excluded:
            excluded.append(descriptor)
    for descriptor in turn.wanted:
        if descriptor in excluded:
            excluded.remove(descriptor)
        weight = IMPLIED_WEIGHT if descriptor in turn.implied else 1.0
        wanted[descriptor] = max(wanted.get(descriptor, 0.0), weight)
    relative = (relative_era(turn.era_comparative, turn.era, state.last_results, tracks,
                             state.years if state.years_said else None) if not turn.seed_ids else None)
    # "their later stuff", "like Bob Marley but more modern": the era of the artists asked about, not the calendar
    artist_years = None
    if turn.era_direction and not turn.seed_ids and (turn.era is None or not turn.era.is_explicit):
        own = turn.artists_by or ((*state.artists_by, *state.artists_like) if turn.their_songs else ())
        artist_years = artist_relative_years(turn.era_direction, own or turn.artists_like, tracks,
                                             own_songs=bool(own))
    # "older" after a list is older than that list, not a 1950s recording: its production is not raised
    era_production = (ERA_COMPARATIVES.get(turn.era.phrase.lower()) if (relative or artist_years) and turn.era
                      else None)
    for descriptor in turn.boosted:
        if descriptor == era_production:
            continue
        if descriptor in excluded:
            excluded.remove(descriptor)
        wanted[descriptor] = wanted.get(descriptor, 0.0) + 1.0
    for descriptor in turn.lowered:
        wanted.pop(descriptor, None)
    if region_descriptors is None and turn.regions and tracks:
        region_descriptors = descriptors_by_region(tracks.values())
    elsewhere = genres_not_from(turn.regions, wanted, region_descriptors or {}, vocabulary, keep=turn.wanted)
    if elsewhere:  # "music from mexico" after "k-pop": no k-pop there, so the place wins
        for descriptor in elsewhere:
            wanted.pop(descriptor, None)
        notices.append(f"No {', '.join(elsewhere)} from {', '.join(turn.regions)} here, so I left "
                       f"{'it' if len(elsewhere) == 1 else 'them'} out.")
    referred: dict[str, list[TrackId]] = {"liked": [], "disliked": [], "more_like": []}
    for kind, ranks in (("liked", turn.liked_ranks), ("disliked", turn.disliked_ranks),
                        ("more_like", turn.more_like_ranks)):
        for rank in ranks:
            track_id = state.track_at(rank)
            if track_id is None and turn.rejects_all:
                continue  # "these are not that well known": no list to turn down, and no need to say so
            if track_id is None:
                notice = f"There is no result #{rank} to refer to" + (
                    f" (the last list had {len(state.last_results)})." if state.last_results else " yet."
                )
                if notice not in notices:
                    notices.append(notice)
                continue
            referred[kind].append(track_id)
    if turn.refers_back:  # "I love #1 and #3", then "more like those": like the liked songs still on screen
        referred["more_like"] += [i for i in state.liked if i in state.last_results][-MAX_BACK_REFERENCES:]
    for track_id in (*referred["more_like"], *turn.seed_ids):
        if tracks and track_id in tracks:
            # the referenced song's descriptors become the strongest wants of this turn (one chip: the song)
            # ("more like #1 but with a female singer": not #1's male vocals)
            excluded_lower = {d.lower() for d in excluded} | opposites_of(turn.wanted, vocabulary)
            for descriptor in tracks[track_id].descriptors:
                if descriptor.lower() not in excluded_lower:
                    reference_wanted[descriptor] = max(reference_wanted.get(descriptor, 0.0), 1.0)
    for descriptor in [*turn.excluded, *turn.lowered]:
        reference_wanted.pop(descriptor, None)
    disliked = _append_new(state.disliked, referred["disliked"])
    liked = tuple(i for i in _append_new(state.liked, referred["liked"]) if i not in disliked)
    texts = state.texts
    if turn.text and (turn.wanted or turn.boosted or not (turn.liked_ranks or turn.more_like_ranks)):
        texts = (*texts, turn.text)[-MAX_REMEMBERED_TEXTS:]
    more_like = _append_new(state.more_like, referred["more_like"])
    if turn.seed_ids:  # "something like No Woman No Cry": that song is the reference
        more_like = _append_new(tuple(i for i in more_like if i not in turn.seed_ids), turn.seed_ids)
    # "not X themselves", "similar artists" after "by X": X's sound without X's songs, which the state
    # keeps as X both liked and excluded (only "by X" brings their songs back)
    sound_only = [a for a in state.artists_like if a in state.artists_excluded and a not in turn.artists_by]
    if turn.other_artists:
        sound_only += [*turn.artists_like, *turn.artists_by] or [*state.artists_by, *state.artists_like]
    sound_only += [a for a in turn.artists_like if a in turn.artists_excluded]
    if not turn.dislikes_sound:  # "no daft punk" after "like Daft Punk": not their songs, still their sound
        sound_only += [a for a in turn.artists_excluded if a in state.artists_like and a not in state.artists_by]
    sound_only = list(dict.fromkeys(sound_only))
    excluded_artists = [a for a in state.artists_excluded
                        if a in sound_only or a not in (*turn.artists_like, *turn.artists_by)]
    excluded_artists = list(dict.fromkeys((*excluded_artists, *turn.artists_excluded, *sound_only)))
    years, years_explicit, years_said = state.years, state.years_explicit, state.years_said
    if turn.era is not None:
        years, years_explicit = (turn.era.start, turn.era.end), turn.era.is_explicit
        years_said = turn.era.is_explicit and not (relative or artist_years)
        seed_years = [tracks[i].year for i in turn.seed_ids if tracks and i in tracks and tracks[i].year]
        if seed_years and not turn.era.is_explicit and turn.era.start > max(seed_years):
            # "like No Woman No Cry but newer": newer than that song, not only the last few years
            years, years_explicit = (max(seed_years) + 1, turn.era.end), True
        elif relative is not None:
            years, years_explicit = relative, True
    if artist_years is not None:
        years, years_explicit, years_said = artist_years, True, False
    excluded_years = state.excluded_years if turn.era is None else None  # "from the 90s" after "not the 80s"
    if turn.excluded_years is not None:  # "but less 80s" after an 80s list: the era goes, and stays away
        excluded_years = turn.excluded_years
        if years is not None and years[0] <= excluded_years[1] and excluded_years[0] <= years[1]:
            years, years_explicit, years_said = None, False, False
    new_state = dataclasses.replace(
        state,
        wanted=wanted,
        excluded=tuple(excluded),
        liked=liked,
        disliked=disliked,
        more_like=more_like,
        references=_append_new(tuple(i for i in state.references if i not in turn.seed_ids),
                               [*referred["more_like"], *turn.seed_ids]),
        reference_wanted=reference_wanted,
        texts=texts,
        turns=state.turns + 1,
        more_like_turn=bool(turn.more_like_ranks or turn.seed_ids or referred["more_like"]),
        artists_like=tuple(a for a in dict.fromkeys((*state.artists_like, *turn.artists_like, *sound_only))
                           if a not in excluded_artists or a in sound_only),
        # "her older stuff" after "like Taylor Swift": her songs now
        artists_by=_merge_names(state.artists_by, (*turn.artists_by, *(state.artists_like if turn.their_songs else ())),
                                excluded_artists),
        artists_excluded=tuple(excluded_artists),
        years=years,
        years_explicit=years_explicit,
        years_said=years_said,
        excluded_years=excluded_years,
        regions=tuple(r for r in (turn.regions or state.regions) if r not in turn.excluded_regions),
        languages=tuple(lang for lang in (turn.languages or state.languages) if lang not in turn.excluded_languages),
        excluded_regions=_merge_names(state.excluded_regions, turn.excluded_regions, list(turn.regions)),
        excluded_languages=_merge_names(state.excluded_languages, turn.excluded_languages, list(turn.languages)),
        hinted_regions=turn.hinted_regions or state.hinted_regions,
        hinted_languages=turn.hinted_languages or (state.hinted_languages if not turn.regions else ()),
        wants_new_turn=turn.wants_new,
        played=turn.played_ids,
        compared=tuple(d for d in turn.boosted if d != era_production and d not in ERA_COMPARATIVES.values()),
        avoided=tuple(dict.fromkeys(
            d for d in (*state.avoided, *turn.lowered) if d not in turn.wanted and d not in turn.boosted)),
    )
    return new_state, notices


def _merge_names(current: tuple[str, ...], new: tuple[str, ...], excluded: list[str]) -> tuple[str, ...]:
    return tuple(a for a in dict.fromkeys((*current, *new)) if a not in excluded)


def remove_descriptor(state: DialogueState, descriptor: str) -> DialogueState:
    """The state without one wanted or excluded descriptor (the page's chip untick)."""
    return dataclasses.replace(
        state,
        wanted={d: w for d, w in state.wanted.items() if d != descriptor},
        reference_wanted={d: w for d, w in state.reference_wanted.items() if d != descriptor},
        excluded=tuple(d for d in state.excluded if d != descriptor),
    )


def reference_label(track_id: TrackId, tracks: Mapping[TrackId, Track] | None) -> str:
    track = tracks.get(track_id) if tracks else None
    return f"like: {track.title} — {track.artist}" if track is not None else f"like: {track_id}"


def remove_filter(state: DialogueState, chip: str, tracks: Mapping[TrackId, Track] | None = None) -> DialogueState:
    """The state without one reference, artist, era, place or language chip (as `filter_chips` names them)."""
    kept = tuple(i for i in state.references if reference_label(i, tracks) != chip)
    if kept != state.references:
        keep = {d for i in kept if tracks and i in tracks for d in tracks[i].descriptors}
        return dataclasses.replace(
            state, references=kept, more_like=tuple(i for i in state.more_like if i in kept or i in state.liked),
            reference_wanted={d: w for d, w in state.reference_wanted.items() if d in keep},
            more_like_turn=False,
        )
    changes: dict[str, object] = {
        name: tuple(value for value in getattr(state, name) if f"{prefix}: {value}" != chip)
        for name, prefix in _CHIP_FIELDS if name != "years"
    }
    changes["years"] = None if chip == f"era: {state.era_label}" else state.years
    changes["excluded_years"] = None if chip == f"not: {state.excluded_era_label}" else state.excluded_years
    return dataclasses.replace(state, **changes)  # type: ignore[arg-type]


# The state's fields shown as chips, and the prefix of each chip ("by: Bob Marley", "era: 1990s").
_CHIP_FIELDS = (("artists_like", "like"), ("artists_by", "by"), ("artists_excluded", "not"), ("years", "era"),
                ("regions", "from"), ("languages", "in"))


def filter_chips(state: DialogueState, tracks: Mapping[TrackId, Track] | None = None) -> list[str]:
    """The referenced songs, artists, era, places and languages of the state as chip labels."""
    chips = [reference_label(i, tracks) for i in state.references]
    for name, prefix in _CHIP_FIELDS:
        values = ([state.era_label] if state.years is not None else []) if name == "years" else getattr(state, name)
        chips += [f"{prefix}: {value}" for value in values]
    if state.excluded_years is not None:  # "nothing from the 80s"
        chips.append(f"not: {state.excluded_era_label}")
    return chips


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
        for name in ("excluded", "liked", "disliked", "more_like", "shown", "last_results", "texts", "avoided",
                     "played"):
            items = data.get(name) or ()
            if not isinstance(items, list | tuple):
                return DialogueState()
            values[name] = tuple(str(item) for item in items)
        if data.get("excludes_vocals") is True and "vocals" not in values["excluded"]:  # type: ignore[operator]
            values["excluded"] = (*values["excluded"], "vocals")  # type: ignore[misc]  # a copy saved before ALL_VOCALS
        for name in ("artists_like", "artists_by", "artists_excluded", "regions", "languages", "hinted_regions",
                     "hinted_languages", "excluded_regions", "excluded_languages"):
            items = data.get(name) or ()
            if not isinstance(items, list | tuple):
                return DialogueState()
            values[name] = tuple(str(item) for item in items)
        years = data.get("years")
        values["years"] = (int(years[0]), int(years[1])) if isinstance(years, list | tuple) and len(years) == 2 else None
        values["years_explicit"] = bool(data.get("years_explicit"))
        values["years_said"] = bool(data.get("years_said"))
        away = data.get("excluded_years")
        values["excluded_years"] = ((int(away[0]), int(away[1])) if isinstance(away, list | tuple) and len(away) == 2
                                    else None)
        values["turns"] = int(data.get("turns") or 0)
        values["more_like_turn"] = bool(data.get("more_like_turn"))
        values["wants_new_turn"] = bool(data.get("wants_new_turn"))
        references = data.get("references") or ()
        reference_wanted = data.get("reference_wanted") or {}
        if not isinstance(references, list | tuple) or not isinstance(reference_wanted, dict):
            return DialogueState()
        values["references"] = tuple(str(i) for i in references)
        values["reference_wanted"] = {str(d): float(w) for d, w in reference_wanted.items()}
        return DialogueState(**values)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DialogueState()
