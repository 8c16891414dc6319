"""Find the artists and song titles a listener names in a message, and what they want from each.

"songs like Bob Marley" names an artist to sound like, "play some Radiohead" asks
for that artist's songs, "anything but Taylor Swift" rules one out, and "something
like Boris" names an artist we may not know. :func:`find_names` returns one
:class:`NameMention` per name, with the profile or songs it resolved to.

Names made of ordinary words ("Yes", "Love", "Beach House", the song "Happy") and
names that are descriptor words ("Soul", "jazz") are read as names only when the
message frames them as one: a cue before them ("like", "by", "similar to"...),
capitals in a message that is not all lowercase, quotes, or "songs"/"vibes"/"'s"
after them.

Example:
    >>> directory = ArtistDirectory(profiles_from_tracks(tracks))
    >>> [(m.kind, m.intent, m.phrase) for m in find_names("songs like Bob Marley", directory, by_id)]
    [('artist', 'like', 'Bob Marley')]
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from retriever.artists import ArtistDirectory, ArtistProfile, compact_key, generate_aliases, normalise_name
from retriever.catalog import Track, TrackId
from retriever.vocabulary import DEFAULT_VOCABULARY, load_vocabulary

logger = logging.getLogger(__name__)

COMMON_WORDS_FILE = Path(__file__).resolve().parent.parent / "assets" / "common_words.txt"
KINDS = ("artist", "title", "unknown")
INTENTS = ("like", "by", "not")
MAX_NGRAM = 8
MAX_MESSAGE_CHARS = 5_000

# Cue phrases (normalised words before a name) and the intent each gives. Longest first when read.
_NOT_CUES = (
    "not", "no", "no more", "anything but", "everything but", "anything except", "other than", "except",
    "except for", "without", "besides", "apart from", "instead of", "rather than", "hate", "dislike",
    "dont like", "dont want", "nothing like", "sick of", "tired of", "cant stand", "avoid", "skip", "less",
)
_LIKE_CUES = (
    "like", "similar to", "similar", "fans of", "fan of", "in the style of", "style of", "think", "vein of",
    "reminds me of", "reminiscent of", "comparable to", "akin to", "lines of", "than", "sounds like",
    "sound like", "love", "loved", "enjoy", "enjoyed", "into",
)
_BY_CUES = ("by", "songs by", "from", "play", "put on", "more", "some", "listen to", "more of", "stuff by", "artist", "band")
# Cues that say little on their own (a verb "I like", "some"): enough for a common-word name only with capitals.
_WEAK_CUES = frozenset(("like", "love", "loved", "enjoy", "enjoyed", "into", "some", "more", "no", "play", "from", "than", "less", "skip", "avoid"))
_VERB_SUBJECTS = frozenset(("i", "id", "you", "we", "they", "really", "would", "do", "also", "just", "kinda", "still", "dont", "did"))
_CUES: dict[tuple[str, ...], str] = {}
for _intent, _phrases in (("by", _BY_CUES), ("like", _LIKE_CUES), ("not", _NOT_CUES)):
    for _phrase in _phrases:
        _CUES[tuple(_phrase.split())] = _intent
_MAX_CUE_WORDS = max(len(words) for words in _CUES)

_AFTER_BY = frozenset(("songs", "song", "tracks", "track", "albums", "album", "records", "discography", "stuff"))
_AFTER_LIKE = frozenset(("vibes", "vibe", "esque", "type", "style", "inspired", "sounding", "ish"))
_LIKE_SUFFIXES = ("-esque", "esque", "-like", "-ish", "-inspired", "-type", "-style")
_CONNECTORS = frozenset(("of", "the", "and", "&", "de", "la", "le", "y", "n", "a", "on", "in", "da", "del", "van", "von"))
_PRONOUNS = frozenset(("i", "im", "ive", "id", "ill", "me", "my", "you", "we", "it"))

_TOKEN = re.compile(r"\w+(?:['’´./\-]\w+)*['’]?|&|\+")
_QUOTED = re.compile(r"[\"“”]([^\"“”\n]{1,100})[\"“”]|(?:(?<=\s)|^)['‘]([^'’\n]{1,100})['’](?=[\s.,!?;:)]|$)")
_SENTENCE_BREAK = re.compile(r"[.!?|;:\n()\[\]]|,")


@dataclass(frozen=True)
class NameMention:
    """One name found in a message.

    kind: "artist", "title" (a catalogue song) or "unknown" (framed as a name, resolves to nothing).
    intent: "like" (sound like it), "by" (their songs), "not" (leave it out).
    phrase: the words as written; span: (start, end) character offsets into the message.
    profile: the artist (for a title, the song's artist when the directory knows them).
    track_ids: the matched songs for a title, the artist's catalogue songs for an artist.
    score: 1.0 exact name, less for an alias, possessive or spelling match.
    """

    kind: str
    intent: str
    phrase: str
    span: tuple[int, int]
    profile: ArtistProfile | None
    track_ids: tuple[TrackId, ...]
    score: float

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"NameMention: unknown kind {self.kind!r}; expected one of {KINDS}")
        if self.intent not in INTENTS:
            raise ValueError(f"NameMention: unknown intent {self.intent!r}; expected one of {INTENTS}")


@dataclass(frozen=True)
class _Token:
    raw: str
    start: int
    end: int
    norm: str  # normalised words of this token, e.g. "wu-tang" -> "wu tang"
    key: str  # compact: "wutang"
    is_capitalised: bool
    sentence_start: bool
    like_suffix: bool  # "radiohead-esque"


@dataclass(frozen=True)
class _Candidate:
    kind: str
    start: int  # token index
    stop: int
    profile: ArtistProfile | None
    track_ids: tuple[TrackId, ...]
    score: float
    words: tuple[str, ...]  # the name's normalised words
    is_possessive: bool = False
    is_fuzzy: bool = False


@dataclass(frozen=True)
class TitleIndex:
    """Catalogue titles by compact normalised key (one key can hold several songs)."""

    by_key: dict[str, tuple[TrackId, ...]]
    words: dict[str, tuple[str, ...]]
    max_tokens: int


def build_title_index(tracks: Mapping[TrackId, Track]) -> TitleIndex:
    """Index titles: the full title, without a trailing "(...)" or " - ..." part, and each "/" half."""
    by_key: dict[str, list[TrackId]] = {}
    words: dict[str, tuple[str, ...]] = {}
    for track_id, track in tracks.items():
        forms = {track.title, re.sub(r"\s*[(\[].*$", "", track.title), track.title.split(" - ")[0]}
        forms |= {part for part in track.title.split("/") if len(part.strip()) > 2}
        for form in forms:
            normalised = normalise_name(form)
            key = compact_key(normalised)
            if key:
                ids = by_key.setdefault(key, [])
                if track_id not in ids:
                    ids.append(track_id)
                words[key] = tuple(normalised.split())
    max_tokens = max((len(w) for w in words.values()), default=1)
    return TitleIndex({k: tuple(v) for k, v in by_key.items()}, words, max_tokens)


class _Lexicon:
    """Word lists the framing rules need, read once."""

    def __init__(self) -> None:
        text = COMMON_WORDS_FILE.read_text(encoding="utf-8")
        self.common = frozenset(
            word for line in text.splitlines() if not line.startswith("#") for word in line.split()
        )
        vocabulary = load_vocabulary(DEFAULT_VOCABULARY)
        self.surface_forms = frozenset(normalise_name(form) for form in vocabulary.surface_forms)
        self.descriptor_words = frozenset(word for form in self.surface_forms for word in form.split())


_LEXICON: _Lexicon | None = None
_TITLE_CACHE: dict[int, tuple[Mapping[TrackId, Track], TitleIndex]] = {}


def _lexicon() -> _Lexicon:
    global _LEXICON
    if _LEXICON is None:
        _LEXICON = _Lexicon()
    return _LEXICON


def _title_index(tracks: Mapping[TrackId, Track]) -> TitleIndex:
    # Keyed by identity; the cache holds the mapping itself, so an id is never reused while cached.
    # The catalogue mapping is taken as unchanging while it is in use.
    cached = _TITLE_CACHE.get(id(tracks))
    if cached is not None and cached[0] is tracks:
        return cached[1]
    index = build_title_index(tracks)
    if len(_TITLE_CACHE) >= 4:
        _TITLE_CACHE.pop(next(iter(_TITLE_CACHE)))
    _TITLE_CACHE[id(tracks)] = (tracks, index)
    return index


def _tokenise(message: str) -> list[_Token]:
    tokens: list[_Token] = []
    previous_end = 0
    for match in _TOKEN.finditer(message):
        raw = match.group()
        like_suffix = False
        lowered = raw.lower()
        for suffix in _LIKE_SUFFIXES:
            if lowered.endswith(suffix) and len(raw) - len(suffix) >= 3:
                raw, like_suffix = raw[: -len(suffix)], True
                break
        norm = normalise_name(raw) if raw not in ("&", "+") else "and"
        if norm.startswith("the ") or raw.lower() == "the":
            norm = "the" if raw.lower() == "the" else norm
        key = compact_key(norm)
        if not key:
            previous_end = match.end()
            continue
        gap = message[previous_end : match.start()]
        tokens.append(
            _Token(
                raw=raw,
                start=match.start(),
                end=match.start() + len(raw),
                norm=norm,
                key=key,
                is_capitalised=raw[:1].isupper() or raw[:1].isdigit(),
                sentence_start=not tokens or bool(_SENTENCE_BREAK.search(gap)),
                like_suffix=like_suffix,
            )
        )
        previous_end = match.end()
    return tokens


def message_gap(message: str, start: int, end: int) -> str:
    return message[start:end]


def _quoted_spans(message: str) -> list[tuple[int, int]]:
    spans = []
    for match in _QUOTED.finditer(message):
        group = 1 if match.group(1) is not None else 2
        spans.append((match.start(group), match.end(group)))
    return spans


class _Finder:
    """One message's tokens and the framing tests; a fresh one per call."""

    def __init__(self, message: str, directory: ArtistDirectory, tracks: Mapping[TrackId, Track]) -> None:
        self.message = message
        self.directory = directory
        self.tracks = tracks
        self.titles = _title_index(tracks)
        self.lexicon = _lexicon()
        self.tokens = _tokenise(message)
        self.quotes = _quoted_spans(message)
        letters = [char for char in message if char.isalpha()]
        has_lower = any(char.islower() for char in letters)
        has_upper = any(char.isupper() for char in letters)
        words = [t for t in self.tokens if t.raw[:1].isalpha()]
        title_cased = len(words) >= 4 and sum(t.is_capitalised for t in words) >= 0.8 * len(words)
        # Capitals carry information only in a message written in mixed case and not Title Cased.
        self.capitals_informative = has_lower and has_upper and not title_cased

    # --- word classes -------------------------------------------------------------------------
    def is_common(self, words: tuple[str, ...]) -> bool:
        lexicon = self.lexicon
        return all(w in lexicon.common or w in lexicon.descriptor_words or w.isdigit() for w in words)

    def is_descriptor(self, words: tuple[str, ...]) -> bool:
        lexicon = self.lexicon
        phrase = " ".join(words)
        if phrase in lexicon.surface_forms or phrase.removesuffix("s") in lexicon.surface_forms:
            return True
        return all(w in lexicon.descriptor_words for w in words) and len(words) <= 2

    # --- framing --------------------------------------------------------------------------------
    def cue_before(self, start: int, floor: int) -> tuple[str, str, int] | None:
        """(intent, cue phrase, token distance) of the cue ending nearest before token ``start``.

        A "not" cue anywhere in the three words before wins over a nearer one ("not really into X").
        """
        words: list[str] = []
        index = start - 1
        while index >= floor and len(words) < 4:
            words.insert(0, self.tokens[index].key)
            if self.tokens[index].sentence_start:
                break
            index -= 1
        found: tuple[str, str, int] | None = None
        negation: tuple[str, str, int] | None = None
        for end in range(len(words), 0, -1):  # cue ending at words[end-1]
            distance = len(words) - end
            for size in range(min(_MAX_CUE_WORDS, end), 0, -1):
                phrase = tuple(words[end - size : end])
                intent = _CUES.get(phrase)
                if intent is None:
                    continue
                if found is None:
                    found = (intent, " ".join(phrase), distance)
                if intent == "not" and negation is None and distance <= 2:
                    negation = (intent, " ".join(phrase), distance)
                break
        if negation is not None:
            return negation
        if found is not None and found[2] > 1 and found[1] not in ("not", "no"):
            return None  # a cue two words away frames nothing ("like the new Radiohead" is handled by "the")
        return found

    def is_strong_cue(self, cue: tuple[str, str, int] | None, start: int) -> bool:
        if cue is None:
            return False
        intent, phrase, distance = cue
        if phrase not in _WEAK_CUES:
            return True
        if phrase == "like":
            before = start - distance - 2
            # "songs like X" is a comparison; "I like X" / "I'd like X" is a verb and frames nothing.
            return before < 0 or self.tokens[before].key not in _VERB_SUBJECTS
        return False

    def is_capitalised(self, start: int, stop: int) -> bool:
        if not self.capitals_informative:
            return False
        span = self.tokens[start:stop]
        content = [t for t in span if t.key not in _CONNECTORS or t is span[0]]
        if not content or not all(t.is_capitalised for t in content):
            return False
        if span[0].sentence_start and len(content) < 2:
            return False  # a capital that only starts a sentence says nothing
        return not (len(span) == 1 and span[0].key in _PRONOUNS)

    def is_quoted(self, start: int, stop: int) -> bool:
        first, last = self.tokens[start].start, self.tokens[stop - 1].end
        return any(q_start <= first and last <= q_end for q_start, q_end in self.quotes)

    def in_partial_quote(self, start: int, stop: int) -> bool:
        first, last = self.tokens[start].start, self.tokens[stop - 1].end
        return any(
            q_start <= first and last <= q_end and self.message[q_start:q_end].strip(" '’") != self.message[first:last].strip(" '’")
            for q_start, q_end in self.quotes
        )

    def after(self, stop: int) -> str | None:
        if stop < len(self.tokens) and not self.tokens[stop].sentence_start:
            return self.tokens[stop].key
        return None

    def in_capitalised_run(self, start: int, stop: int) -> bool:
        """Whether capitalised words touch the span ("Prom Queen", "Turbo Killer"): then it is part of another name."""
        tokens = self.tokens
        before = start - 1
        if before >= 0 and not tokens[start].sentence_start and tokens[before].is_capitalised:
            if message_gap(self.message, tokens[before].end, tokens[start].start).strip() == "":
                return not tokens[before].sentence_start or tokens[before].key not in _PRONOUNS
        if stop < len(tokens) and not tokens[stop].sentence_start and tokens[stop].is_capitalised:
            return message_gap(self.message, tokens[stop - 1].end, tokens[stop].start).strip() == ""
        return False

    def name_is_framed(self, candidate: _Candidate, cue: tuple[str, str, int] | None) -> bool:
        start, stop, words = candidate.start, candidate.stop, candidate.words
        profile = candidate.profile
        is_catalogue = profile is not None and profile.source == "catalogue"
        quoted = self.is_quoted(start, stop)
        capitalised = self.is_capitalised(start, stop) and not self.in_capitalised_run(start, stop)
        strong = self.is_strong_cue(cue, start) and cue is not None and cue[2] == 0
        descriptor = self.is_descriptor(words) or self.is_descriptor(tuple(t.key for t in self.tokens[start:stop]))
        common = self.is_common(words)
        next_word = self.after(stop)
        framed_after = self.tokens[stop - 1].like_suffix or next_word in _AFTER_LIKE
        if all(w.isdigit() for w in words):
            return quoted
        if (common or len(words) == 1) and (self.in_partial_quote(start, stop) or next_word == "by"):
            return False  # a word of a quoted title ("Prom Queen"), or a title itself ("Waves by the Bahamas")
        if descriptor:
            return quoted or (capitalised and cue is not None)
        if candidate.is_fuzzy:
            return not common and (capitalised or strong or quoted)
        if not common and (is_catalogue or len(words) >= 2):
            return True
        if not common:
            # A one-word name from the knowledge files ("Intro", "Psycho"): 22k names hold many plain words.
            return quoted or strong or candidate.is_possessive or framed_after or capitalised
        if is_catalogue and len([w for w in words if w != "the"]) >= 3:
            return True  # "Rage Against the Machine": three ordinary words in that order are a name
        if quoted or (strong and (capitalised or not self.capitals_informative)):
            return True
        if is_catalogue and (capitalised or (framed_after and not self.is_descriptor((*words, next_word or "")))):
            return True
        return False

    def artist_nearby(self, track_ids: tuple[TrackId, ...], start: int, stop: int) -> bool:
        outside = [t.key for t in self.tokens[:start]] + ["|"] + [t.key for t in self.tokens[stop:]]
        grams = {
            "".join(outside[i : i + n])
            for n in range(1, 6)
            for i in range(len(outside) - n + 1)
            if "|" not in outside[i : i + n]
        }
        grams |= {gram[:-1] for gram in grams if gram.endswith("s")}
        for track_id in track_ids:
            artist = self.tracks[track_id].artist
            for name in (artist, *generate_aliases(artist)):
                if compact_key(normalise_name(name)) in grams:
                    return True
        return False

    def title_is_framed(self, candidate: _Candidate, cue: tuple[str, str, int] | None) -> bool:
        start, stop, words = candidate.start, candidate.stop, candidate.words
        if self.is_quoted(start, stop) or self.artist_nearby(candidate.track_ids, start, stop):
            return True
        capitalised = self.is_capitalised(start, stop)
        if self.is_common(words) and len(words) <= 3:
            # "Happy", "Hello", "Is This Love": everyday phrases; only a cue plus capitals make them a title.
            return cue is not None and capitalised and not self.is_descriptor(words)
        if self.is_common(words):
            return cue is not None or capitalised or self.after(stop) == "by"
        return cue is not None or self.after(stop) == "by" or (capitalised and len(words) >= 2)

    # --- candidates ---------------------------------------------------------------------------
    def candidates(self, start: int, stop: int) -> list[_Candidate]:
        span = self.tokens[start:stop]
        if span[0].key == "the" and stop - start > 1:
            return []  # names are keyed without a leading "the"; the n-gram from the next word finds them
        key = "".join(t.key for t in span)
        found: list[_Candidate] = []
        profile = self.directory.exact(key)
        possessive = False
        last = span[-1]
        if profile is None and last.key.endswith("s") and len(key) > 3:
            profile = self.directory.exact(key[:-1])
            possessive = profile is not None
        if profile is not None:
            stored = key[:-1] if possessive else key
            is_own_name = compact_key(profile.key) == stored
            found.append(
                _Candidate(
                    "artist", start, stop, profile, profile.track_ids or self.catalogue_ids(profile),
                    1.0 if is_own_name and not possessive else 0.95, self.directory.words_of(stored), possessive,
                )
            )
        title_ids = self.titles.by_key.get(key)
        if title_ids is None and last.raw.endswith(("'s", "’s")):
            title_ids = self.titles.by_key.get(key[:-1])
        if title_ids:
            profile = self.directory.resolve(self.tracks[title_ids[0]].artist)
            found.append(_Candidate("title", start, stop, profile, title_ids, 0.9, self.titles.words.get(key, ())))
        if not found and self.fuzzy_allowed(span):
            near = self.directory.fuzzy(key)
            if near is not None:
                stored, score = near
                profile = self.directory.exact(stored)
                if profile is not None:
                    found.append(
                        _Candidate(
                            "artist", start, stop, profile, profile.track_ids or self.catalogue_ids(profile),
                            0.9 * score / 100, self.directory.words_of(stored), is_fuzzy=True,
                        )
                    )
        return found

    def fuzzy_allowed(self, span: list[_Token]) -> bool:
        common = self.lexicon.common
        if len(span) > 4 or span[0].key in common or span[-1].key in common:
            return False
        return not any(t.key in _CONNECTORS or tuple([t.key]) in _CUES for t in span)

    def catalogue_ids(self, profile: ArtistProfile) -> tuple[TrackId, ...]:
        """Songs in ``tracks`` credited to a knowledge profile (a catalogue the directory was not built from)."""
        keys = {compact_key(profile.key), *(compact_key(normalise_name(a)) for a in profile.aliases)}
        artist_keys = self._artist_keys()
        return tuple(track_id for key in keys for track_id in artist_keys.get(key, ()))

    def _artist_keys(self) -> dict[str, tuple[TrackId, ...]]:
        cached = _ARTIST_KEY_CACHE.get(id(self.tracks))
        if cached is not None and cached[0] is self.tracks:
            return cached[1]
        by_artist: dict[str, list[TrackId]] = {}
        for track_id, track in self.tracks.items():
            by_artist.setdefault(compact_key(normalise_name(track.artist)), []).append(track_id)
        result = {k: tuple(v) for k, v in by_artist.items()}
        if len(_ARTIST_KEY_CACHE) >= 4:
            _ARTIST_KEY_CACHE.pop(next(iter(_ARTIST_KEY_CACHE)))
        _ARTIST_KEY_CACHE[id(self.tracks)] = (self.tracks, result)
        return result

    # --- intent ---------------------------------------------------------------------------------
    def intent(self, start: int, stop: int, cue: tuple[str, str, int] | None, kind: str) -> str:
        if cue is not None and cue[0] == "not":
            return "not"
        if self.tokens[stop - 1].like_suffix or self.after(stop) in _AFTER_LIKE:
            return "like"
        if cue is not None:
            intent = cue[0]
            if intent == "by" and cue[1] == "from" and kind != "artist":
                return "like"
            return intent
        if self.after(stop) in _AFTER_BY and kind == "artist":
            return "by"
        return "like"

    # --- the scan -------------------------------------------------------------------------------
    def find(self) -> list[NameMention]:
        tokens = self.tokens
        mentions: list[NameMention] = []
        longest = max(1, min(MAX_NGRAM, max(self.directory.max_tokens, self.titles.max_tokens)))
        floor = 0  # the previous mention's end: cues are not read across it
        index = 0
        while index < len(tokens):
            accepted: tuple[_Candidate, tuple[str, str, int] | None] | None = None
            for stop in range(min(len(tokens), index + longest), index, -1):
                if any(t.sentence_start for t in tokens[index + 1 : stop]):
                    continue
                options = self.candidates(index, stop)
                if not options:
                    continue
                cue = self.cue_before(index, floor)
                for option in sorted(options, key=lambda c: c.kind != "artist"):
                    framed = (
                        self.name_is_framed(option, cue) if option.kind == "artist" else self.title_is_framed(option, cue)
                    )
                    if framed:
                        accepted = (option, cue)
                        break
                if accepted:
                    break
            if accepted is None:
                unknown = self.unknown_at(index, floor)
                if unknown is not None:
                    mentions.append(unknown[0])
                    floor = index = unknown[1]
                    continue
                index += 1
                continue
            candidate, cue = accepted
            mentions.append(self.mention(candidate, cue))
            floor = index = candidate.stop
        return mentions

    def mention(self, candidate: _Candidate, cue: tuple[str, str, int] | None) -> NameMention:
        first, last = self.tokens[candidate.start], self.tokens[candidate.stop - 1]
        return NameMention(
            kind=candidate.kind,
            intent=self.intent(candidate.start, candidate.stop, cue, candidate.kind),
            phrase=self.message[first.start : last.end],
            span=(first.start, last.end),
            profile=candidate.profile,
            track_ids=candidate.track_ids,
            score=round(candidate.score, 3),
        )

    def unknown_at(self, index: int, floor: int) -> tuple[NameMention, int] | None:
        """A capitalised or quoted name right after a cue that nothing resolved: "similar to Boris"."""
        cue = self.cue_before(index, floor)
        if cue is None or cue[2] != 0 or cue[1] in ("some", "more", "no", "less", "skip", "avoid"):
            return None
        tokens = self.tokens
        stop = index
        quoted = next((q for q in self.quotes if q[0] == tokens[index].start), None)
        if quoted is not None:
            while stop < len(tokens) and tokens[stop].end <= quoted[1]:
                stop += 1
        elif self.capitals_informative and tokens[index].is_capitalised and tokens[index].key not in _CONNECTORS:
            stop = index + 1
            while stop < len(tokens) and stop - index < 5 and not tokens[stop].sentence_start:
                token = tokens[stop]
                if token.is_capitalised:
                    stop += 1
                elif token.key in _CONNECTORS and stop + 1 < len(tokens) and tokens[stop + 1].is_capitalised:
                    stop += 2
                else:
                    break
        if stop == index:
            return None
        words = tuple(t.key for t in tokens[index:stop])
        if self.is_common(words) or (len(words) == 1 and words[0] in _PRONOUNS):
            return None
        first, last = tokens[index], tokens[stop - 1]
        mention = NameMention(
            kind="unknown",
            intent=self.intent(index, stop, cue, "unknown"),
            phrase=self.message[first.start : last.end],
            span=(first.start, last.end),
            profile=None,
            track_ids=(),
            score=0.5,
        )
        return mention, stop


_ARTIST_KEY_CACHE: dict[int, tuple[Mapping[TrackId, Track], dict[str, tuple[TrackId, ...]]]] = {}


def find_names(message: str, directory: ArtistDirectory, tracks: Mapping[TrackId, Track]) -> list[NameMention]:
    """The artists, catalogue song titles and unknown names a message mentions, in order.

    Args:
        message: the listener's words as typed (capitals and quotes help).
        directory: artist profiles (catalogue, optionally with artist knowledge).
        tracks: the catalogue by id, for song titles; its title index is built on first use and cached.

    Returns:
        One NameMention per name, left to right, spans not overlapping. Empty for a message
        that names nothing ("I love jazz", "anything but country").
    """
    if not message or not message.strip():
        return []
    if len(message) > MAX_MESSAGE_CHARS:
        logger.warning("find_names: message of %d characters cut to %d", len(message), MAX_MESSAGE_CHARS)
        message = message[:MAX_MESSAGE_CHARS]
    return _Finder(message, directory, tracks).find()
