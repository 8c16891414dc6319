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

import functools
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from chatbot.eras import find_era
from retriever.artists import ArtistDirectory, ArtistProfile, compact_key, generate_aliases, normalise_name
from retriever.catalog import Track, TrackId
from retriever.vocabulary import DEFAULT_VOCABULARY, load_vocabulary

logger = logging.getLogger(__name__)

COMMON_WORDS_FILE = Path(__file__).resolve().parent.parent / "assets" / "common_words.txt"
ENGLISH_WORDS_FILE = Path(__file__).resolve().parent.parent / "assets" / "english_words.txt"
MUSIC_WORDS_FILE = Path(__file__).resolve().parent.parent / "assets" / "music_words.txt"
GENRE_MAP_FILE = Path(__file__).resolve().parent.parent / "assets" / "genre_map.json"
KINDS = ("artist", "title", "unknown")
INTENTS = ("like", "by", "not")
MAX_NGRAM = 8
MAX_MESSAGE_CHARS = 5_000
MISSPELT_MIN_SCORE = 88.0  # rapidfuzz ratio to an English word above which a lowercase word is a typo of it

# Cue phrases (normalised words before a name) and the intent each gives. Longest first when read.
_NOT_CUES = (
    "not", "no", "no more", "anything but", "everything but", "anything except", "other than", "except",
    "except for", "without", "besides", "apart from", "instead of", "rather than", "hate", "dislike",
    "dont like", "dont want", "nothing like", "sick of", "tired of", "cant stand", "avoid", "skip", "less",
)
# Credits inside a song's name: "Molly ft. Brandon Urie", "I'm Good (Prod. DOPAM!NE)".
_CREDIT_CUES = ("ft", "feat", "featuring", "prod", "prod by", "produced by")
_LIKE_CUES = (
    "like", "similar to", "similar", "fans of", "fan of", "in the style of", "style of", "think", "vein of",
    "reminds me of", "reminiscent of", "comparable to", "akin to", "lines of", "than", "sounds like",
    "sound like", "love", "loved", "enjoy", "enjoyed", "into", "similiar to", "similar too", "such as", "eg",
    "similar songs to", "similar music to", "similar artists to", "similar bands to", "similar stuff to",
    "similar music as", "same vibe as", "same energy as", "same feel as", "along the lines of", "vibes of",
    *_CREDIT_CUES,
)
# "early Beatles", "later Metallica", "Nirvana's later songs": the artist's own songs of an era (`chatbot.parse`
# reads the era against their songs). Not "new" or "old": "new Wave", "new songs from Alicia Keys" (new to me)
ERA_WORDS = ("early", "earlier", "older", "later", "late", "newer", "recent", "latest")
_BY_CUES = ("by", "songs by", "from", "play", "put on", "more", "some", "listen to", "more of", "stuff by", "artist", "band",
            *ERA_WORDS)
# Cues that say little on their own (a verb "I like", "some"): enough for a common-word name only with capitals.
# The cue a name gets from the name before it in a list ("bands like Boris, Sunn O))) and Earth").
_LIST_CUE = "and"
# "more X", "some X": of an artist, their songs; of a title written in lower case, a sound ("more west coast")
_AMOUNT_CUES = frozenset(("more", "some", "more of"))
_WEAK_CUES = frozenset(("like", "love", "loved", "enjoy", "enjoyed", "into", "some", "more", "no", "play", "from", "than", "less", "skip", "avoid",
                        _LIST_CUE, *ERA_WORDS))
# Cues after which a name may be written in lowercase ("songs by wozwald", "similar to nyxen"): they ask for a name.
# Every "like" cue but the verbs and comparisons that also take plain words ("I love rain", "think summer").
_LOWERCASE_NAME_CUES = (
    frozenset(_LIKE_CUES) - {"think", "lines of", "than", "love", "loved", "enjoy", "enjoyed", "into"}
) | {"by", "songs by", "stuff by", _LIST_CUE}
# Verbs before "by" that credit a person: "performed by wozwald" names one, "backed by strings" does not.
_CREDIT_VERBS = frozenset("performed sung written produced composed recorded covered remixed made released sampled "
                          "inspired influenced arranged played featured".split())
# Words after a name in a song's credit: "(ANAR Remix)", "(Kopa edit)".
_VERSION_WORDS = frozenset(("remix", "edit", "bootleg", "rework", "flip", "cover", "version", "mix"))
# Words that end a name read without capitals ("similar to wozwald but heavier"): function and request words.
_NAME_STOPS = frozenset(
    "a an and or nor but with without for to in on at from by of as that this these those who which what where when "
    "while if than then so because please thanks maybe kinda sorta etc especially also too plus or is are was were "
    "songs song music tracks track tunes tune band bands artist artists stuff albums album vibes vibe type style "
    "something anything some any more less i im ive id my me you your we our it its".split()
)
# Pronouns some band is named after ("Them", "Her", "Us"): a name only when written as one.
PRONOUN_NAMES = frozenset("them him her it this that these those us you they she he we".split())
# Words that say a side of "A - B" is prose, not a name or a title ("looking for songs - something chill").
_REQUEST_WORDS = frozenset(
    "songs song music tracks looking recommend recommendations suggestions suggest similar something anything "
    "playlist stuff want need please genre".split()
)
# After a descriptor word, these make it a genre, not a band ("Rock music", "Soul songs").
_GENRE_NOUNS = frozenset("music songs song tunes tracks playlist playlists stuff genre".split())
_LIST_GAP = re.compile(r"\s*(?:,|/|&|\+|\band\b|\bor\b|\bnor\b)(?:[\s,/&+]|\band\b|\bor\b)*", re.IGNORECASE)
_HARD_BREAK = re.compile(r"[.!?;|\n]")
_CREDIT_DASH = re.compile(r"\s[-–—]+\s*|\s*[-–—]+\s|(?<=\w)[–—](?=\w)")
# Words that end the title or artist side of "Artist - Title" ("Oloff - Sun Rays (feat. X)").
_CREDIT_ENDS = frozenset(("by", "ft", "feat", "featuring", "prod", "remix", "or", "from"))
_MAX_CREDIT_TOKENS = 7
_DECADE = re.compile(r"\d{2,4}['’]?s")
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
_DETERMINERS = frozenset(("my", "your", "our", "his", "her", "their"))  # possessive determiners

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
        self.common = _read_words(COMMON_WORDS_FILE)
        vocabulary = load_vocabulary(DEFAULT_VOCABULARY)
        self.surface_forms = frozenset(normalise_name(form) for form in vocabulary.surface_forms)
        self.descriptor_words = frozenset(word for form in self.surface_forms for word in form.split())
        genres = json.loads(GENRE_MAP_FILE.read_text(encoding="utf-8"))
        genre_names = [*genres["exact"], *(rule[0] for rule in genres["contains"])]
        self.music_words = self.descriptor_words | _read_words(MUSIC_WORDS_FILE) | {
            word for name in genre_names for word in (*normalise_name(name).split(), compact_key(normalise_name(name)))
        }
        self.plain = (english_words() | self.music_words
                      | {compact_key(form) for form in self.surface_forms})
        self.plain_by_letter: dict[str, list[str]] = {}
        for word in self.plain:
            self.plain_by_letter.setdefault(word[:1], []).append(word)

    def is_plain(self, word: str) -> bool:
        """Whether a normalised word is an English or music word, also inflected ("snowing", "jazzy", "synths")."""
        if word in self.plain or not word.isalpha() or len(word) < 3:
            return True
        stems = [word[:-1] if word.endswith(("s", "y", "z")) else "", word[:-1] + "s" if word.endswith("z") else ""]
        for suffix, replacement in (("es", ""), ("ies", "y"), ("ing", ""), ("ing", "e"), ("in", ""), ("ed", ""),  # "walkin"
                                    ("ed", "e"), ("er", ""), ("ers", ""), ("ly", ""), ("est", ""), ("ish", "")):
            if word.endswith(suffix):
                stem = word[: -len(suffix)] + replacement
                stems += [stem, stem[:-1] if len(stem) > 3 and stem[-1] == stem[-2] else ""]
        return any(stem in self.plain for stem in stems if len(stem) >= 3)

    def is_misspelt(self, word: str) -> bool:
        """Whether a word is one slip from an English word ("somthing"): a typo, not a name."""
        if len(word) < 6:
            return False
        near = process.extractOne(word, self.plain_by_letter.get(word[:1], ()), scorer=fuzz.ratio,
                                  score_cutoff=MISSPELT_MIN_SCORE)
        return near is not None


@functools.lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Plain English words (`assets/english_words.txt` and `assets/common_words.txt`), read once."""
    return _read_words(ENGLISH_WORDS_FILE) | _read_words(COMMON_WORDS_FILE)


def _read_words(path: Path) -> frozenset[str]:
    """The words of a word-list asset: space-separated, lines starting with "#" are comments."""
    text = path.read_text(encoding="utf-8")
    return frozenset(word for line in text.splitlines() if not line.startswith("#") for word in line.split())


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
        self.has_lower = has_lower
        self.previous: tuple[int, str] | None = None  # (end offset, intent) of the last name found, for lists

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
        if (start > 0 and _HARD_BREAK.search(self.message[self.tokens[start - 1].end : self.tokens[start].start])
                and self.tokens[start - 1].key not in _CREDIT_CUES):
            return None  # "similar to? Trying to think of..." frames nothing; "feat. X" keeps its cue
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
        if found is not None and found[1] in ERA_WORDS and found[2] == 0 and len(words) >= 2:
            # "like early Sabbath", "similar to late Kreator": the era word keeps the cue before it (the sound of
            # their early songs); alone it asks for their songs ("early Beatles")
            for size in range(min(_MAX_CUE_WORDS, len(words) - 1), 0, -1):
                outer = _CUES.get(tuple(words[len(words) - 1 - size : len(words) - 1]))
                if outer is not None:
                    return (outer, " ".join(words[len(words) - 1 - size : len(words) - 1]), 0)
        if found is None and self.previous is not None and self.previous[0] <= self.tokens[start].start:
            end, intent = self.previous
            if _LIST_GAP.fullmatch(self.message, end, self.tokens[start].start):
                return (intent, _LIST_CUE, 0)  # "bands like Boris, Sunn O))) and Earth": the list keeps the cue
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

    def is_describing_by(self, cue: tuple[str, str, int], start: int) -> bool:
        """Whether a "by" cue follows a verb that describes the sound ("accompanied by", "backed by", "driven
        by"), not one that credits a person ("performed by", "songs by"): no lowercase name follows it."""
        before = start - cue[2] - 2
        if cue[1] != "by" or before < 0:
            return False
        word = self.tokens[before].key
        return word.endswith(("ed", "en")) and word not in _CREDIT_VERBS

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
        keys = tuple(t.key for t in self.tokens[start:stop])
        descriptor = self.is_descriptor(words) or self.is_descriptor(keys)
        common = self.is_common(words)
        next_word = self.after(stop)
        framed_after = self.tokens[stop - 1].like_suffix or next_word in _AFTER_LIKE
        if all(w.isdigit() for w in words):
            return quoted
        if len(words) == 1 and words[0] in PRONOUN_NAMES and not (quoted or (self.is_capitalised(start, stop)
                                                                         and self.capitals_informative)):
            return False  # "more like them" points at the list, not at the band Them
        if len(words) == 1 and words[0] in _NAME_STOPS and not (
                quoted or (self.is_capitalised(start, stop) and self.capitals_informative)):
            return False  # "not as loud", "not so dark": a word of the sentence, not The A's or So
        if (start > 0 and self.tokens[start - 1].key in ("about", "regarding") and not quoted
                and not (start > 1 and self.tokens[start - 2].key in ("what", "how"))  # "what about radiohead"
                and not (self.is_capitalised(start, stop) and self.capitals_informative)):
            return False  # "rock songs about cars", "songs about love": a topic, not The Cars or Love
        if (start > 0 and self.tokens[start - 1].key in _DETERMINERS and not (quoted or capitalised)
                and all(self.lexicon.is_plain(word) for word in words)):
            return False  # "my grandson's birthday", "our jam": a person's noun, not the band ("my radiohead cds" is)
        if (common or len(words) == 1) and (self.in_partial_quote(start, stop) or next_word == "by"):
            return False  # a word of a quoted title ("Prom Queen"), or a title itself ("Waves by the Bahamas")
        if descriptor:
            # "Play me some Rock music", "any Jazz songs": a genre, even capitalised after a cue
            as_genre = any(normalise_name(" ".join(form)) in self.lexicon.surface_forms for form in (words, keys)) and (
                next_word in _GENRE_NOUNS or (start > 0 and self.tokens[start - 1].key in {"some", "any"}))
            return quoted or (capitalised and cue is not None and not as_genre)
        if candidate.is_fuzzy:
            return not common and (capitalised or strong or quoted)
        if not common and (is_catalogue or len(words) >= 2):
            return True
        if not common:
            # A one-word name from the knowledge files ("Intro", "Psycho"): 22k names hold many plain words.
            return quoted or strong or self.is_named_possessive(candidate) or framed_after or capitalised
        if is_catalogue and len([w for w in words if w != "the"]) >= 3:
            return True  # "Rage Against the Machine": three ordinary words in that order are a name
        if self.is_named_possessive(candidate) and self.song_of_at(candidate.track_ids, stop):
            return True  # "Queen's Bohemian Rhapsody": the possessive credits the song after it
        if quoted or (strong and (capitalised or not self.capitals_informative)):
            return True
        if is_catalogue and (capitalised or (framed_after and not self.is_descriptor((*words, next_word or "")))):
            return True
        if is_catalogue and len(words) >= 2 and self.asks_for_plain_band(cue, start, stop):
            return True  # "play new order", "some new order songs", "songs from new order"
        return False

    def asks_for_plain_band(self, cue: tuple[str, str, int] | None, start: int, stop: int) -> bool:
        """Whether a weak "by" cue right before a catalogue name of plain words, in lower case, asks for that
        band: "some new order songs" (a noun for their songs after it, the two no descriptor), "play new
        order" and "songs from new order" (the name ends the request). Not "play new music", "songs from new
        york": those are no catalogue artists."""
        if cue is None or cue[0] != "by" or cue[2] != 0:
            return False
        if find_era(self.message[self.tokens[start].start : self.tokens[stop - 1].end]) is not None:
            return False  # "some brand new songs": new songs, not the band Brand New
        next_word = self.after(stop)
        if next_word in _AFTER_BY:
            return not self.is_descriptor((*(t.key for t in self.tokens[start:stop]), next_word))
        if next_word not in (None, "please", "pls", "thanks"):
            return False
        if cue[1] == "from":
            return start >= 2 and self.tokens[start - 2].key in _GENRE_NOUNS
        return cue[1] in ("play", "put on", "listen to", "some")

    def is_named_possessive(self, candidate: _Candidate) -> bool:
        """A possessive that names its artist: "Radiohead's", "radioheads" (an apostrophe lost), but not a
        plain plural ("slow jams" is no "The Jam's", "blues" no "Blue's")."""
        if not candidate.is_possessive:
            return False
        last = self.tokens[candidate.stop - 1]
        return last.raw.endswith(("'s", "’s")) or not self.lexicon.is_plain(last.key[:-1])

    def song_of_at(self, track_ids: tuple[TrackId, ...], start: int) -> bool:
        """Whether a title of one of these songs starts at token ``start``."""
        own = set(track_ids)
        return any(own & set(self.titles.by_key.get("".join(t.key for t in self.tokens[start:stop]), ()))
                   for stop in range(start + 1, min(len(self.tokens), start + self.titles.max_tokens) + 1))

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
        if self.is_quoted(start, stop):
            return True
        capitalised = self.is_capitalised(start, stop)
        if self.artist_nearby(candidate.track_ids, start, stop):
            # "karma police radiohead": their song; but an everyday word of theirs ("help me find songs like the
            # beatles", "something like the beatles") only when written as a title or credited ("yesterday by
            # the beatles", "the beatles - help"; "something by ..." is any of their songs)
            return (not (self.is_common(words) and len(words) <= 3) or capitalised
                    or (self.after(stop) == "by" and not set(words) <= _NAME_STOPS)
                    or self.dash_before(start) or (stop < len(self.tokens) and self.dash_before(stop)))
        if self.is_common(words) and len(words) <= 3:
            # "Happy", "Hello", "Is This Love": everyday phrases; only a cue plus capitals make them a title.
            return cue is not None and capitalised and not self.is_descriptor(words)
        if cue is not None and cue[1] in _AMOUNT_CUES and not capitalised:
            return False  # "more west coast", "some dream pop": more of a sound, not a song to play
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
        last = span[-1]
        # "Queen's" with its apostrophe is Queen's, not Queens of the Stone Age ("Queens")
        apostrophe = last.raw.endswith(("'s", "’s")) and len(key) > 3
        profile = self.directory.exact(key[:-1]) if apostrophe else None
        possessive = profile is not None
        if profile is None:
            profile = self.directory.exact(key)
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
        if kind == "artist" and (self.after(stop) in _AFTER_BY
                                 or self.after(stop) in ERA_WORDS and self.after(stop + 1) in _AFTER_BY):
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
                    if (mentions and mentions[-1].kind == "title" and index > 0 and tokens[index - 1].key == "by"
                            and mentions[-1].span[1] <= tokens[index - 1].start):
                        mentions.pop()  # "Come Together by urbandawn" is not the Beatles' song
                    mentions.append(unknown[0])
                    self.previous = (unknown[0].span[1], unknown[0].intent)
                    floor = index = unknown[1]
                    continue
                index += 1
                continue
            candidate, cue = accepted
            mentions.append(self.mention(candidate, cue))
            self.previous = (mentions[-1].span[1], mentions[-1].intent)
            floor = index = candidate.stop
        return self.credit_pairs(mentions)

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
        """A name right after a cue that nothing resolved: "similar to Boris", "songs by wozwald", "like
        "Slab City"", or the next name of a list ("bands like Boris, Earth and Sunn").

        Capitals frame it in a mixed-case message (or after a cue written in lowercase in a Title Cased
        one); without capitals, only a cue that asks for a name does, and only for words that are
        not English ("similar to nyxen", never "like rain on a window")."""
        cue = self.cue_before(index, floor)
        if cue is None and self.is_version_credit(index):
            cue = ("like", "remix", 0)
        if (cue is None or cue[2] != 0 or cue[1] in ("some", "more", "no", "less", "skip", "avoid")
                or self.tokens[index].key in ("or", "and", "nor", "but", "also", "plus")):
            return None  # "Newton Faulkner, Or Halestorm": "Or" starts no name
        tokens = self.tokens
        stop = index
        quoted = next((q for q in self.quotes if q[0] == tokens[index].start), None)
        cue_in_lowercase = index > 0 and tokens[index - 1].raw[:1].islower() and cue[1] != _LIST_CUE
        capitals_frame = self.capitals_informative or (self.has_lower and cue_in_lowercase)
        if quoted is not None:
            while stop < len(tokens) and tokens[stop].end <= quoted[1]:
                stop += 1
        elif capitals_frame and tokens[index].is_capitalised and tokens[index].key not in _CONNECTORS:
            stop = index + 1
            while stop < len(tokens) and stop - index < 5 and not tokens[stop].sentence_start:
                token = tokens[stop]
                if (token.key in _VERSION_WORDS and cue[1] == "remix") or self.dash_before(stop):
                    break
                if token.is_capitalised:
                    stop += 1
                elif (token.key in _CONNECTORS and stop + 1 < len(tokens) and tokens[stop + 1].is_capitalised
                      and not (cue[1] == _LIST_CUE and token.key == "and")):  # "A, B and C": three names
                    stop += 2
                else:
                    break
        elif (cue[1] in _LOWERCASE_NAME_CUES and (self.is_strong_cue(cue, index) or cue[1] == _LIST_CUE)
              and not self.is_describing_by(cue, index)):
            stop = self.plain_run(index)
        if stop == index:
            return None
        span = tokens[index:stop]
        words = tuple(t.key for t in span)
        spelled = tuple(w for t in span for w in t.norm.split())
        if cue[1] == "remix" and all(self.lexicon.is_plain(w) for w in spelled):
            return None  # "(Radio Edit)", "(Original Mix)": a version, not a name
        if (self.is_common(words) or self.is_common(tuple(w.removesuffix("s") for w in spelled))
                or self.is_descriptor(spelled) or all(w in self.lexicon.music_words for w in spelled)
                or (len(words) == 1 and words[0] in _PRONOUNS)):
            return None  # "like Hip-hop", "similar Instrumentals": music words, not names
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

    def dash_before(self, index: int) -> bool:
        """Whether a credit dash stands between token ``index`` and the one before it ("Oloff - Sun Rays")."""
        return index > 0 and bool(_CREDIT_DASH.search(self.message, self.tokens[index - 1].end, self.tokens[index].start))

    def is_version_credit(self, index: int) -> bool:
        """Whether token ``index`` opens a bracket that credits a version to a name: "(Kopa Remix)"."""
        tokens = self.tokens
        if not tokens[index].is_capitalised or index == 0 or not re.search(
                r"[(\[]\s*$", self.message[tokens[index - 1].end : tokens[index].start]):
            return False
        stop = index + 1
        while stop < len(tokens) and stop - index < 4 and not tokens[stop].sentence_start \
                and tokens[stop].key not in _VERSION_WORDS:
            stop += 1
        return stop < len(tokens) and tokens[stop].key in _VERSION_WORDS

    def is_distinctive(self, token: _Token) -> bool:
        """A word no dictionary holds, nor a slip of one ("wozwald", "nyxen"): a name even in lowercase."""
        words = token.norm.split()
        lexicon = self.lexicon
        return (len(token.key) >= 4 and not lexicon.is_plain(token.key) and not all(lexicon.is_plain(w) for w in words)
                and not lexicon.is_misspelt(token.key))

    def plain_run(self, index: int) -> int:
        """The end of a name written without capitals that starts at token ``index`` with a word that is
        not English (after an optional "the"): up to four words before a function word, a music word
        or a break, ending with its last word that is not English (``index`` itself when there is none)."""
        tokens = self.tokens
        first = index + 1 if tokens[index].key == "the" and index + 1 < len(tokens) else index
        if not self.is_distinctive(tokens[first]):
            # "like normal Perturbator": the name starts later, where the scan will find it
            return first + 2 if self.is_closing_pair(first) else index
        stop = index
        while stop < len(tokens) and stop - index < 4 and (stop == index or not tokens[stop].sentence_start):
            token = tokens[stop]
            if (stop > index and self.dash_before(stop)) or token.key in _NAME_STOPS or (token.key,) in _CUES or self.is_descriptor((token.key,)) \
                    or self.is_descriptor(tuple(token.norm.split())):
                break
            stop += 1
        distinctive = [i for i in range(index, stop) if self.is_distinctive(tokens[i])]
        return distinctive[-1] + 1 if distinctive else index

    def is_closing_pair(self, index: int) -> bool:
        """Whether tokens ``index`` and the next are a two-word name that ends the clause, the first an
        English word and the second not one, however short: "songs like kid buu", "like lil yachty?"
        ("like old school", "like rain on a window" are English to the end)."""
        tokens = self.tokens
        if index + 1 >= len(tokens) or tokens[index + 1].sentence_start:
            return False
        after = index + 2
        ends = (after == len(tokens) or tokens[after].sentence_start or tokens[after].key in ("please", "thanks")
                or bool(re.search(r"[,;.!?)]", self.message[tokens[index + 1].end : tokens[after].start])))
        pair = tokens[index : index + 2]
        last = pair[1].key
        return (ends and len(last) >= 3 and last.isalpha() and not self.lexicon.is_plain(last)
                and not self.lexicon.is_misspelt(last) and pair[0].key.isalpha()
                and not any(t.key in _NAME_STOPS or (t.key,) in _CUES or self.is_descriptor(tuple(t.norm.split()))
                            for t in pair))

    # --- "Artist - Title" -------------------------------------------------------------------------
    def credit_pairs(self, mentions: list[NameMention]) -> list[NameMention]:
        """Read "Artist - Title" and "Title - Artist" ("Oloff - Sun Rays", "songs like Cigarette - offonoff").

        When one side is an artist we know, the other is a song of theirs: nothing about it is
        unknown. When neither is, the pair is one unknown name, and what was read inside it
        goes: a common-word band ("Everything", "Brand New") or a song of someone else there
        would be an artist the listener never named.
        """
        for match in _CREDIT_DASH.finditer(self.message):
            left, right = self.credit_side(match.start(), -1), self.credit_side(match.end(), 1)
            if left is None or right is None or not self.is_credit(left, right):
                continue
            start, end = self.tokens[left[0]].start, self.tokens[right[1] - 1].end
            inside = [m for m in mentions if _spans_overlap(m.span, (start, end))]
            if any(m.span[0] < start or m.span[1] > end for m in inside):
                continue  # a name that reaches out of the pair: it is read already
            sides = [(self.tokens[left[0]].start, self.tokens[left[1] - 1].end),
                     (self.tokens[right[0]].start, self.tokens[right[1] - 1].end)]
            # An artist we know at the dash is trusted, unless a plain-word band only the knowledge has
            # ("Everything", "Brand New") stands where a title would.
            if any(m.kind == "artist" and (m.span[1] == sides[0][1] or m.span[0] == sides[1][0])
                   and (bool(m.profile is not None and m.profile.track_ids)
                        or not self.is_common(tuple(normalise_name(m.phrase).split())))
                   for m in inside):
                mentions = [m for m in mentions if m not in inside or m.kind != "unknown"]
                continue  # "Heatstroke - Calvin Harris": a song of an artist we know
            cue = self.cue_before(left[0], 0)
            pair = NameMention("unknown", "not" if cue is not None and cue[0] == "not" else "like",
                               self.message[start:end], (start, end), None, (), 0.5)
            mentions = sorted([*(m for m in mentions if m not in inside), pair], key=lambda m: m.span)
        return mentions

    def credit_side(self, offset: int, direction: int) -> tuple[int, int] | None:
        """The tokens (start, stop) of one side of a credit dash at character ``offset``: from the dash
        to a break, a cue, another dash or a credit word, at most `_MAX_CREDIT_TOKENS`."""
        tokens = self.tokens
        if direction < 0:
            index = next((i for i in range(len(tokens) - 1, -1, -1) if tokens[i].end <= offset), None)
            if index is None:
                return None
            stop, start = index + 1, index + 1
            while start > 0 and stop - start < _MAX_CREDIT_TOKENS + 1:
                token = tokens[start - 1]
                if (token.key,) in _CUES and token.raw[:1].islower() or token.key in ("to", "as"):
                    break
                if start < stop and _CREDIT_DASH.search(self.message, token.end, tokens[start].start):
                    break
                start -= 1
                if token.sentence_start:
                    break
        else:
            start = next((i for i in range(len(tokens)) if tokens[i].start >= offset), None)
            if start is None or tokens[start].sentence_start and start > 0 and _HARD_BREAK.search(
                    self.message[tokens[start - 1].end : tokens[start].start]):
                return None
            stop = start
            while stop < len(tokens) and stop - start < _MAX_CREDIT_TOKENS + 1:
                token = tokens[stop]
                if stop > start and (token.sentence_start or token.key in _CREDIT_ENDS
                                     or _CREDIT_DASH.search(self.message, tokens[stop - 1].end, token.start)):
                    break
                stop += 1
        if stop - start == 0 or stop - start > _MAX_CREDIT_TOKENS:
            return None
        return start, stop

    def is_credit(self, left: tuple[int, int], right: tuple[int, int]) -> bool:
        """Whether two sides of a dash read as an artist and a song title, not as prose or music words.

        A side is written as a name (a capital, quotes or a word no dictionary holds); when no side has
        such a word, the capitals must say so: in a mixed-case message, or in a message that is only
        the pair ("Haley Smalls - VooDoo Doll")."""
        tokens = self.tokens
        sides = [(left, tokens[left[0] : left[1]]), (right, tokens[right[0] : right[1]])]
        for (start, stop), side in sides:
            keys = [t.key for t in side]
            if any(_DECADE.fullmatch(t.raw) for t in side) or all(key.isdigit() for key in keys):
                return False  # "1940's - 1950's": a span of years
            if any(key in _REQUEST_WORDS for key in keys) or self.is_descriptor(tuple(w for t in side for w in t.norm.split())):
                return False
            if not (side[0].is_capitalised or self.is_quoted(start, stop) or any(self.is_distinctive(t) for t in side)):
                return False
        if any(self.is_distinctive(t) for _, side in sides for t in side):
            return True
        rest = self.message[tokens[right[1] - 1].end :] if right[1] < len(tokens) else ""
        is_whole = left[0] == 0 and (right[1] == len(tokens) or rest.lstrip()[:1] in ("(", "["))
        if all(self.is_common(tuple(t.key for t in side)) for _, side in sides):
            return False
        capitalised = all(sum(t.is_capitalised for t in side) * 2 >= len(side) for _, side in sides)
        return capitalised and (self.capitals_informative or is_whole)


def _spans_overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


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
