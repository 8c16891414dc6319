"""The chat turn: (state, message) -> (new state, reply), read top to bottom.

`take_turn` parses the message, applies it to a copy of the state, builds the query,
searches, re-ranks and writes the reply, in that order; each step is a function of its own
module (parse, state, query, reply). The session's state is a frozen value, so a step that
raises leaves it exactly as it was. `Recommender` holds what every session shares (the
searcher, the parser and vocabulary, the log) and is built once per process.

Example:
    >>> recommender = Recommender(searcher, load_vocabulary())
    >>> state, turn = take_turn(recommender, DialogueState(), "upbeat tropical music with steel drums")
    >>> state, turn = take_turn(recommender, state, "no vocals")
    >>> turn.results[0].track.title
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np

from retriever import (
    ArtistDirectory,
    ArtistProfile,
    FeedbackEvent,
    Hit,
    InteractionLog,
    SearchQuery,
    Track,
    TrackId,
    TurnEvent,
    Vocabulary,
    profiles_from_tracks,
)
from retriever.artists import normalise_name
from retriever.vocabulary import Descriptor

from chatbot.names import find_names
from chatbot.parse import ALL_VOCALS, TurnParser, normalise_message
from chatbot.query import (
    CatalogueFacets,
    DescriptorIndex,
    QueryContext,
    artist_track_ids,
    artist_wants,
    build_query,
    expand_exclusions,
    filter_ids,
)
from chatbot.reply import (
    MORE_LIKE_POOL,
    RERANK_POOL,
    ResultView,
    TurnResult,
    carries,
    descriptor_words,
    format_reply,
    format_summary,
    matched_descriptors,
    rerank,
)
from chatbot.state import (
    DialogueState,
    apply_turn,
    descriptors_by_region,
    opposites_of,
    record_feedback,
    record_results,
    reference_label,
    unshow_last_results,
)

logger = logging.getLogger(__name__)

PARAPHRASE_MIN_COUNT = 3  # a catalogue descriptor this common may be the target of a paraphrase
ASK_FOR_MORE = "Tell me what you'd like to hear, e.g. \"calm piano music to study to\"."
REFINE_HINT = "Say \"more\" for new songs, refine the list (\"more upbeat\", \"no vocals\"), or ask for something else."
# What small talk gets back: before any list, and once a list is on screen (which stays as it is).
SMALL_TALK_REPLIES = {
    "greeting": ("Hi! Tell me what you'd like to hear: a genre, a mood, an artist or an occasion, "
                 "e.g. \"calm piano music to study to\".", "Hi again! " + REFINE_HINT),
    "thanks": ("You're welcome! " + ASK_FOR_MORE, "You're welcome! " + REFINE_HINT),
    "farewell": ("Bye! Come back when you want some music.", "Enjoy the music! Come back any time."),
    "ack": (ASK_FOR_MORE, REFINE_HINT),
}


class Searcher(Protocol):
    """What the chat needs of a retriever (`retriever.HybridSearcher`, or a fake in tests)."""

    tracks: Mapping[TrackId, Track]

    def search(self, query: SearchQuery) -> list[Hit]: ...


class TextEncoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray: ...


def merge_vocabulary(base: Vocabulary, tracks: list[Track]) -> Vocabulary:
    """The built-in vocabulary plus every catalogue descriptor it does not already name.

    A catalogue descriptor that the built-in vocabulary holds only as a synonym of another
    ("cinematic" for *film scene*) is read as itself: the catalogue's own word is the better match.
    """
    descriptors = dict(base.descriptors)
    surface_forms = dict(base.surface_forms)
    for track in tracks:
        for descriptor in track.descriptors:
            key = " ".join(descriptor.lower().split())
            if key not in descriptors:
                surface_forms[key] = key
                descriptors[key] = Descriptor(name=key, facet="")
    return Vocabulary(base.facets, descriptors, surface_forms)


class Recommender:
    """The dependencies every session shares: built once per process, never changed by a turn."""

    def __init__(
        self,
        searcher: Searcher,
        vocabulary: Vocabulary,
        *,
        log: InteractionLog | None = None,
        k: int = 10,
        encoder: TextEncoder | None = None,
        use_encoder_for_parsing: bool = True,
        artist_knowledge: Sequence[ArtistProfile] = (),
    ) -> None:
        """Args:
            searcher: the retriever over the catalogue.
            vocabulary: the built-in descriptor vocabulary (catalogue descriptors are added to it).
            log: where turns and feedback are logged for GPL; None logs nothing.
            k: results per turn.
            encoder: for paraphrase matching in the parser; default the searcher's own encoder.
            use_encoder_for_parsing: False turns paraphrase matching off.
            artist_knowledge: profiles of artists the catalogue may lack (`retriever.load_artist_knowledge`),
                so "like Fleetwood Mac" is understood without their songs.
        """
        self.searcher = searcher
        self.tracks: Mapping[TrackId, Track] = searcher.tracks
        tracks = list(searcher.tracks.values())
        self.vocabulary = merge_vocabulary(vocabulary, tracks)
        counts = Counter(" ".join(d.lower().split()) for t in tracks for d in t.descriptors)
        paraphrase_names = [
            name for name, d in self.vocabulary.descriptors.items() if d.facet or counts[name] >= PARAPHRASE_MIN_COUNT
        ]
        encoder = encoder if encoder is not None else getattr(searcher, "encoder", None)
        embed = encoder.encode if use_encoder_for_parsing and encoder is not None else None
        # The catalogue's own artists first; known artists it lacks only shape the query.
        self.artists = ArtistDirectory(with_known_aliases(profiles_from_tracks(tracks, self.vocabulary), artist_knowledge))
        self.parser = TurnParser(self.vocabulary, embed, paraphrase_names,
                                 find_names=lambda text: find_names(text, self.artists, self.tracks),
                                 resolve_artist=self.artists.resolve)
        self.descriptor_index = DescriptorIndex(counts)
        self.context = QueryContext(self.artists, CatalogueFacets.from_tracks(tracks))
        self.region_descriptors = descriptors_by_region(tracks)
        self.log = log
        self.k = k


def with_known_aliases(catalogue: list[ArtistProfile], knowledge: Sequence[ArtistProfile]) -> list[ArtistProfile]:
    """Catalogue profiles that also carry the aliases the knowledge has for the same artist ("QOTSA",
    "CCR"), followed by the knowledge profiles."""
    aliases: dict[str, list[str]] = {}
    for profile in knowledge:
        aliases.setdefault(normalise_name(profile.name), []).extend(profile.aliases)
    merged = [
        dataclasses.replace(p, aliases=tuple(dict.fromkeys((*p.aliases, *aliases.get(normalise_name(p.name), ())))))
        for p in catalogue
    ]
    return [*merged, *knowledge]


def take_turn(
    deps: Recommender, state: DialogueState, message: object, *, session_id: str = "", k: int | None = None
) -> tuple[DialogueState, TurnResult]:
    """One user turn: the state after it and the reply. `state` itself is never changed."""
    k = k or deps.k
    parsed = deps.parser.parse(message, num_results=max(len(state.last_results), k))
    if parsed.small_talk:  # "hello", "thanks!", "bye": a reply, no search; the list on screen stays
        before, after = SMALL_TALK_REPLIES[parsed.small_talk]
        results = current_results(deps, state)
        return state, TurnResult(state.turns, normalise_message(message)[0], after if results else before,
                                 results, state.snapshot(), list(parsed.notices))
    if parsed.is_empty:  # "", "🎵", or words that name nothing ("not so cheesy"): the list on screen stays
        text = normalise_message(message)[0] if not parsed.notices else ""
        results = current_results(deps, state)
        reply = (parsed.notices[-1] if parsed.notices else not_understood(text, bool(results)) if text
                 else "Tell me what you'd like to hear.")
        return state, TurnResult(state.turns, text, reply, results, state.snapshot(), list(parsed.notices))
    text = normalise_message(message)[0]
    if parsed.has_only_references and not state.has_reference(parsed):
        # "#42" alone: say so and keep the current list, so "#2" still means the same song.
        state, notices = apply_turn(state, parsed, deps.tracks, deps.vocabulary, deps.region_descriptors)
        reply = "\n".join([*notices, "Your current results are unchanged."])
        return state, TurnResult(state.turns, text, reply, current_results(deps, state), state.snapshot(), notices)
    before = state
    state, notices = apply_turn(state, parsed, deps.tracks, deps.vocabulary, deps.region_descriptors)
    notices += unknown_name_notices(parsed.unknown_names, state)
    notices += nothing_left_out(deps, before, state)
    return answer(deps, state, notices, text, session_id=session_id, k=k)


def nothing_left_out(deps: Recommender, before: DialogueState, after: DialogueState) -> list[str]:
    """One line when a turn rules out what no song on screen carries ("less jazzy" after lo-fi hip hop
    that no song tags jazz): the list may stay as it was, and the user should know why."""
    new = [d for d in after.excluded if d not in before.excluded and d != ALL_VOCALS]
    shown = [deps.tracks[i] for i in before.last_results if i in deps.tracks]
    if not new or not shown:
        return []
    ruled_out = expand_exclusions(dataclasses.replace(after, excluded=tuple(new)), deps.vocabulary,
                                  deps.descriptor_index)
    if any(d.lower() in ruled_out for track in shown for d in track.descriptors):
        return []
    named = " or ".join(new)
    return [f"None of the songs on screen is {named}; I'll keep {named if len(new) == 1 else 'them'} out from now on."]


def not_understood(text: str, has_list: bool) -> str:
    """The reply to a message that names nothing the catalogue knows: what was not understood, and what to say."""
    return f"I didn't understand \"{text}\", so " + (
        "your list stays as it is. " + REFINE_HINT if has_list else "I have nothing to search for yet. " + ASK_FOR_MORE)


def search_again(
    deps: Recommender, state: DialogueState, *, session_id: str = "", k: int | None = None
) -> tuple[DialogueState, TurnResult]:
    """A new list for the current state, without a message (after the user edited the state)."""
    return answer(deps, unshow_last_results(state), [], "", session_id=session_id, k=k or deps.k)


def state_query(
    deps: Recommender, state: DialogueState, k: int
) -> tuple[SearchQuery, frozenset[str], frozenset[TrackId] | None, list[str]]:
    """The search a state asks for: (query, expanded exclusions, ids its hard filters allow,
    notices for filters this catalogue cannot apply)."""
    excluded = expand_exclusions(state, deps.vocabulary, deps.descriptor_index)
    allowed, notices = filter_ids(state, deps.context)
    return build_query(state, excluded, k=k, context=deps.context, allowed_ids=allowed), excluded, allowed, notices


def answer(
    deps: Recommender, state: DialogueState, notices: list[str], message: str, *, session_id: str, k: int
) -> tuple[DialogueState, TurnResult]:
    """Search for a state that already holds the turn, re-rank, record what is shown, and reply."""
    query, excluded, allowed, filter_notices = state_query(deps, state, k)
    notices = [*notices, *filter_notices]
    if not (query.text or query.weighted_phrases or query.liked_ids or state.artists_by or allowed is not None):
        state = dataclasses.replace(state, last_results=())
        left_out = [*state.excluded, *state.artists_excluded]
        # "I don't like Daft Punk" after "like Daft Punk": say what now holds before asking for more
        ask = (f"OK, leaving out {', '.join(left_out)}. What would you like instead? "
               "E.g. \"calm piano music to study to\"." if left_out else ASK_FOR_MORE)
        return state, TurnResult(state.turns, message, "\n".join([*notices, ask]), [], state.snapshot(), notices)
    hits = deps.searcher.search(dataclasses.replace(query, k=max(rerank_pool(state), k)))
    if not hits and state.wants_new_turn and state.shown:
        # Everything that fits was shown already: show it again rather than claim nothing fits.
        query = build_query(state, excluded, k=k, repeat_shown=True, context=deps.context, allowed_ids=allowed)
        hits = deps.searcher.search(dataclasses.replace(query, k=max(RERANK_POOL, k)))
        if hits:
            notices = [*notices, "You've seen every song that fits this; here are the best of them again."]
    by_ids = artist_track_ids(state.artists_by, deps.context) - query.excluded_ids
    if allowed is not None:
        by_ids &= allowed
    first: list[Hit] = []
    if by_ids:  # "play Bob Marley": their songs first, then songs like theirs
        first = deps.searcher.search(dataclasses.replace(query, k=max(len(by_ids), k), allowed_ids=by_ids))
        hits = [hit for hit in hits if hit.track.id not in by_ids]
    reference = reference_track(deps, state)  # "more like #k": rank by likeness to that song
    free_artists = {deps.tracks[i].artist for i in by_ids if i in deps.tracks}
    seen = set(state.shown)
    genres = artist_wants(state, deps.context, genres_only=True)
    changes = artist_changes(state, deps.context, deps.vocabulary) if reference is None else frozenset()
    genre_words = frozenset(w for d in genres if deps.vocabulary.facet_of(d) == "genre" for w in d.lower().split())
    bonuses = {"also_wanted": genres, "artist_changes": changes, "artist_genres": genre_words,
               **compared_bonus(deps, state, genre_words)}
    reranked = [*rerank(first, state, free_artists=free_artists, **bonuses),
                *keep_some_seen(rerank(hits, state, reference=reference, **bonuses), seen, set(state.liked))]
    if "compared" in bonuses:  # "slower" than the list on screen: its songs that are not slow are no answer
        reranked = not_as_before(reranked, state, bonuses["compared"])
        left = genres_left(deps, state, [pair[0].track for pair in reranked[:k]])
        if left:  # "more chill" after k-pop: no k-pop is laid-back; say so, and how to go back
            notices.append(f"No {', '.join(left)} here is also {', '.join(state.compared)}, so these are "
                           f"{', '.join(state.compared)} songs of other genres (say \"{left[0]}\" to go back).")
    played = [i for i in state.played if i in deps.tracks]
    if played:  # "play Hotel California": that song first, then the songs like it
        reranked = [*((Hit(deps.tracks[i], 1.0), 1.0) for i in played),
                    *(pair for pair in reranked if pair[0].track.id not in played)]
    reranked = reranked[:k]
    results = [
        ResultView(rank, hit.track, score, tuple(matched_descriptors(hit.track, state)), hit.track.id in seen)
        for rank, (hit, score) in enumerate(reranked, 1)
    ]
    if allowed is not None and len(results) < k:
        notices.append(exhausted_notice(state, len(results)))
    missing = unmet_wants(state, results)
    if missing:  # "happy songs in spanish from the 2000s": no such song is happy; say so, not only "for happy"
        notices.append(f"No song here is also {', '.join(missing)}: none in this catalogue fits all of that, "
                       "so these fit the rest.")
    state = record_results(state, [view.track.id for view in results])
    if deps.log is not None:
        deps.log.append(TurnEvent(
            session_id=session_id, message=message, query_text=query.text,
            query_phrases=tuple(query.weighted_phrases), shown=tuple((v.track.id, v.score) for v in results),
            excluded=state.excluded, liked=state.liked,
        ))
    references = tuple(reference_label(i, deps.tracks)[len("like: "):] for i in state.references)
    reply = format_reply(results, state, notices, references)
    summary = format_summary(results, state, notices, references)
    return state, TurnResult(state.turns, message, reply, results, state.snapshot(), notices, summary)


CHANGE_FACETS = ("vocals", "instrument")  # what a listener adds to "like X" as a must ("with a woman singing")


def artist_changes(state: DialogueState, context: QueryContext, vocabulary: Vocabulary) -> frozenset[str]:
    """The voice or instrument a refinement of "like X" asks that X's songs do not have: "but with a
    woman singing" after "like Nirvana" (female vocals). Empty on the turn that names the artist; moods
    and tempo are not changes of this kind (the coverage bonus and the comparatives weigh them)."""
    if not (state.artists_like or state.artists_by) or state.turns <= 1:
        return frozenset()
    sound = {d.lower() for d in artist_wants(state, context)}
    return frozenset(d.lower() for d in state.turn_wants if d.lower() not in sound
                     and vocabulary.facet_of(d) in CHANGE_FACETS)


def rerank_pool(state: DialogueState) -> int:
    """How many hits the turn re-ranks: "more like #k" and "faster" re-rank a deeper pool, since the
    songs they move towards may rank low for the text."""
    return MORE_LIKE_POOL if state.more_like_turn or state.avoided else RERANK_POOL


MAX_SEEN_KEPT = 5  # a refined list keeps at most this many songs already shown (likes aside), then new ones


def keep_some_seen(ranked: list[tuple[Hit, float]], seen: set[TrackId], liked: set[TrackId],
                   ) -> list[tuple[Hit, float]]:
    """The best songs for the refined state, of which at most `MAX_SEEN_KEPT` were shown before
    (liked ones always stay): a refinement keeps the best matches and still brings new ones."""
    kept, later = [], []
    seen_count = 0
    for pair in ranked:
        track_id = pair[0].track.id
        if track_id in seen and track_id not in liked:
            seen_count += 1
            if seen_count > MAX_SEEN_KEPT:
                later.append(pair)
                continue
        kept.append(pair)
    return kept + later


LIST_GENRE_SHARE = 0.3  # a genre word of the list on screen that at least this share of its songs carry (2 at least)


def compared_bonus(deps: Recommender, state: DialogueState,
                   artist_genres: frozenset[str]) -> dict[str, frozenset[str]]:
    """For a comparative turn ("calmer", "slower"): what it asks for more of with its kin (calm: mellow,
    tender...), lowercased, and the genre words it stays within (`rerank`'s `compared` and `list_genres`):
    those of the "like X" artists (`artist_genres`) when there are any, else those of the list it compares
    with. Empty for other turns, and for a first request ("darker music like dodie" compares with nothing)."""
    if not state.compared or not state.last_results:
        return {}
    compared = {d.lower() for name in state.compared for d in (name, *deps.vocabulary.comparative_kin(name))}
    shown = [deps.tracks[i] for i in state.last_results if i in deps.tracks]
    counts = Counter(w for track in shown
                     for w in {w for d in track.descriptors if deps.vocabulary.facet_of(d) == "genre"
                               for w in d.lower().split()})
    least = max(2, LIST_GENRE_SHARE * len(shown))
    return {"compared": frozenset(compared),
            "list_genres": artist_genres or frozenset(w for w, n in counts.items() if n >= least)}


def genres_left(deps: Recommender, state: DialogueState, listed: Sequence[Track]) -> list[str]:
    """The genres a comparative turn's list left: those asked for before ("k-pop", then "more chill") that
    no listed song carries. Empty when the list keeps one of them, when the turn itself names a genre, or
    when none was asked for."""
    said = set(state.turn_wants)
    earlier = [d for d in state.strongest_wants(len(state.wanted))
               if deps.vocabulary.facet_of(d) == "genre" and d not in said]
    if not earlier or any(deps.vocabulary.facet_of(d) == "genre" for d in said):
        return []
    carried = [descriptor_words(track.descriptors) for track in listed]
    return [] if any(carries(words, d) for words in carried for d in earlier) else earlier


def not_as_before(ranked: list[tuple[Hit, float]], state: DialogueState, compared: frozenset[str],
                  ) -> list[tuple[Hit, float]]:
    """The ranking with the songs of the list on screen that carry none of what the turn asked for more
    of (`compared`, lowercased: "slower" after a party list) moved to the end: a song cannot be slower
    than itself, so "slower" does not list the same songs again. Liked songs, and the songs of the artists
    asked for ("play Corey Taylor", then "more acoustic"), stay where they are."""
    previous = set(state.last_results)
    kept = {*state.liked, *(p[0].track.id for p in ranked if p[0].track.artist in state.artists_by)}

    def as_before(track: Track) -> bool:
        if track.id not in previous or track.id in kept:
            return False
        carried = descriptor_words(track.descriptors)
        return not any(carries(carried, d) for d in compared)

    return [p for p in ranked if not as_before(p[0].track)] + [p for p in ranked if as_before(p[0].track)]


def unknown_name_notices(unknown: Sequence[str], state: DialogueState) -> list[str]:
    """One honest line for the names of a turn that nobody knows: nothing is invented about them."""
    if not unknown:
        return []
    wanted = state.strongest_wants(5)
    rest = f"; here is what matches '{', '.join(wanted)}'" if wanted else "; tell me what they sound like"
    return [f"I don't know {' or '.join(unknown)}{rest}."]


def unmet_wants(state: DialogueState, results: Sequence[ResultView]) -> list[str]:
    """What the latest turn asked for (its wants at full weight) that no listed song carries, while the
    list does carry others ("happy" of "happy songs in spanish from the 2000s", which the built-in
    catalogue does not have); empty when every want is carried or none is."""
    said = [d for d in state.turn_wants[:8] if d != ALL_VOCALS]
    if not results or not said:
        return []
    carried = [words for view in results for words in descriptor_words(view.matched)]
    missing = [d for d in said if not carries(carried, d)]
    return missing if len(missing) < len(said) else []


def exhausted_notice(state: DialogueState, found: int) -> str:
    """What to drop when the filters leave fewer songs than a full list."""
    parts = [label for label in (state.era_label if state.years_explicit else None,
                                 ", ".join(state.regions), ", ".join(state.languages)) if label]
    count = f"Only {found} songs" if found else "No songs"
    return f"{count} in this catalogue fit all of that ({' and '.join(parts)}); dropping '{parts[0]}' gives more."


def reference_track(deps: Recommender, state: DialogueState) -> Track | None:
    """The song a "more like #k" turn refers to, if this turn is one, without the descriptors the state now
    turns away from: "more like #1 but with a female singer" is not like #1's male vocals."""
    if not (state.more_like_turn and state.more_like and state.more_like[-1] in deps.tracks):
        return None
    track = deps.tracks[state.more_like[-1]]
    against = {d.lower() for d in state.excluded} | opposites_of(state.strongest_wants(len(state.wanted)),
                                                                  deps.vocabulary)
    kept = tuple(d for d in track.descriptors if d.lower() not in against)
    return dataclasses.replace(track, descriptors=kept) if len(kept) < len(track.descriptors) else track


def current_results(deps: Recommender, state: DialogueState) -> list[ResultView]:
    """The state's list on screen again (e.g. after a page reload), without searching."""
    views = []
    for rank, track_id in enumerate(state.last_results, 1):
        track = deps.tracks.get(track_id)
        if track is not None:
            views.append(ResultView(rank, track, 0.0, tuple(matched_descriptors(track, state))))
    return views


def give_feedback(
    deps: Recommender, state: DialogueState, track_id: TrackId, *, is_liked: bool, session_id: str = ""
) -> DialogueState:
    """A thumbs up/down on a shown track: the new state, and the event in the log.

    Raises:
        ValueError: the track is not in the catalogue.
    """
    if track_id not in deps.tracks:
        raise ValueError(f"unknown track id {track_id!r}")
    new_state = record_feedback(state, track_id, is_liked=is_liked)
    if deps.log is not None:
        deps.log.append(FeedbackEvent(session_id=session_id, track_id=track_id, is_liked=is_liked))
    return new_state


def replace_disliked(
    deps: Recommender, state: DialogueState, track_id: TrackId, *, session_id: str = ""
) -> tuple[DialogueState, list[ResultView]]:
    """A 👎 on a shown song: it is logged and leaves the list, and the next best song not on the
    list takes its place at the end (the rest of the list stays where it was).

    Raises:
        ValueError: the track is not in the catalogue.
    """
    state = give_feedback(deps, state, track_id, is_liked=False, session_id=session_id)
    keep = [i for i in state.last_results if i != track_id]
    query, *_ = state_query(deps, state, RERANK_POOL)
    hits = deps.searcher.search(dataclasses.replace(query, excluded_ids=query.excluded_ids | set(keep)))
    genres = artist_wants(state, deps.context, genres_only=True)
    replacement = [hit.track.id for hit, _ in rerank(hits, state, also_wanted=genres)][:1]
    state = record_results(state, [*keep, *replacement])
    return state, current_results(deps, state)


class Conversation:
    """One session for the CLI and tests: a Recommender plus the latest state."""

    def __init__(self, recommender: Recommender, *, session_id: str | None = None) -> None:
        self.recommender = recommender
        self.state = DialogueState()
        self.session_id = session_id or uuid.uuid4().hex

    def say(self, message: object, *, k: int | None = None) -> TurnResult:
        self.state, turn = take_turn(self.recommender, self.state, message, session_id=self.session_id, k=k)
        return turn
