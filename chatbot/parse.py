"""Message -> ParsedTurn: what one chat message asks for, before it touches the dialogue state.

Every descriptor comes from the catalogue's vocabulary (exact n-gram, then rapidfuzz for
spelling, then the encoder for paraphrases), so a user can see and edit what was understood.
Negations ("no vocals", "without drums", "anything but country") become exclusions; "no
vocals" alone is the exclusion `ALL_VOCALS`. References ("#2", "the second one", "more like
the first") become ranks; the state resolves them to tracks.

Example:
    >>> parser = TurnParser(vocabulary)
    >>> parser.parse("upbeat tropical music, no vocals").excluded
    ('vocals',)
"""

from __future__ import annotations

import dataclasses
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from retriever import ArtistProfile, TrackId, Vocabulary

from chatbot.eras import EraMatch, find_era
from chatbot.intents import IntentMatch, find_intents
from chatbot.names import ERA_WORDS, PRONOUN_NAMES, NameMention, english_words
from chatbot.places import find_places
from chatbot.translate import to_english

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000
MAX_WORDS_PER_PHRASE = 5
FUZZY_MIN_SCORE = 88.0
PARAPHRASE_MIN_SIMILARITY = 0.72

_TOKEN = re.compile(r"[#\w][\w'&+\-]*", re.UNICODE)
_PUNCTUATED = re.compile(r"[^\w' \-]")  # a character the tokens leave out ("drum & bass", "rock/pop")


def _words(text: str) -> list[str]:
    """A text's words as descriptors are looked up: lowercase, quotes and hyphens off their ends (a
    token starts with a letter, digit or "#", so none is left empty)."""
    return [token.lower().strip("'-") for token in _TOKEN.findall(text)]


_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5,
    "6th": 6, "7th": 7, "8th": 8, "9th": 9, "10th": 10, "one": 1, "two": 2, "three": 3, "four": 4,
    "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}
# what may follow "the second" when it points at a result: a noun for it, a verb, a conjunction
_RANK_FOLLOWERS = (r"(?:one|song|track|result|pick|option|tune|recommendation|of|is|was|sounds|and|but|or|with|"
                   r"without|please|too|again|more|though|on|in|a|best|better|most|the)\b")
_NEGATION_CUES = (
    "anything but", "anything except", "instead of", "rather than", "other than", "get rid of",
    "don't want", "dont want", "do not want", "don't like", "dont like", "no more", "not so", "not too",
    "without", "avoid", "exclude", "except", "minus", "skip", "less", "fewer", "hate", "not", "no", "nothing",
    "stop", "remove", "drop", "lose", "too",  # "too slow", "way too poppy": less of it
)
_TOO_SOMETHING = re.compile(r"\btoo (?!much\b|many\b|little\b|few\b)[a-z']{3,}")
_NOT_NEGATIONS = re.compile(
    r"\blose (?:yourself|myself|ourselves|themselves|oneself|your ?self|my ?self)\b|\bnothing short of\b|"
    r"\bnot only\b|\bno doubt\b|\bno wonder\b|\bnon-? ?stop\b|\b(?:can't|cant|cannot|won't|wont|don't|dont|never) stop\b|"
    r"\b(?:bass|beat|drum) drops?\b|\bdrops? the (?:beat|bass)\b|\bless is more\b|\bmore or less\b|"
    r"\b(?:a|an|the|double|triple|abrupt|sudden|full|hard|quick|short|big) (?:stop|drop)\b|"  # a noun, no "stop playing"
    # "jazz too": also, not less; "to listen too while relaxing", "love too listen": a typo of "to"
    r"\btoo(?=\s*$|\s+(?:please|pls|thanks|thank you|as well|listen|hear|dance|play|work|sleep|study|relax|drive|"
    r"that|which|while|when|long as|and|or|to|for|with|in|on|at|the|a|an|my|me)\b)|\bme too\b"
)
_RESET_CUES = (
    "start over", "start again", "restart", "reset", "something completely different",
    "something totally different", "new search", "forget that", "forget everything", "clear everything",
    "scratch that",
)
# "more like #2", "something like the first one": songs like it; "I like #2" is a like, not a request for more.
_MORE_LIKE = re.compile(r"more like|similar to|(?<!\bi )(?<!\bi really )(?<!\bwe )like (?:#|number|the )|in the style of|"
                        r"closer to")
_MORE_LIKE_THAT = re.compile(r"\b(?:more|others?|some(?:thing)?|songs?|ones?) (?:just )?(?:like|similar to) "
                             r"(?:it|this|that|this one|that one|these|those|them)\b"
                             # "more of that vibe", "more in that vein", "same vibe"
                             r"|\bmore of (?:that|this|these|those|it)\b|\bmore in (?:that|this|the same) (?:vein|style)\b"
                             r"|\b(?:same|similar) (?:vibe|vibes|feel|feeling|style|sound|energy)\b")
# "similar artists", "other bands like them", "someone else", "not Daft Punk themselves": the sound of the
# artists asked about, songs by others (`ParsedTurn.other_artists`)
_ARTIST_NOUN = r"(?:artists?|bands?|singers?|musicians?|groups?|rappers?|djs?|producers?|acts?|people)"
_OTHER_ARTISTS = re.compile(
    rf"\b(?:similar|other|different|new|another|more)\s+{_ARTIST_NOUN}\b"
    rf"|\b{_ARTIST_NOUN}\s+(?:similar to|in the same vein as|in the vein of|that sound like|who sound like)\s"
    r"|\b(?:some(?:one|body)|anyone|anybody) else\b"
    r"|\b(?:not|except|other than|besides|apart from|but) (?:by )?(?:them|him|her|this (?:artist|band|singer)|"
    r"that (?:artist|band|singer)|the same (?:artist|band|singer))\b"
    r"|\b(?:themselves|himself|herself)\b"
)
_UNHEARD = re.compile(
    r"\b(?:i|we) (?:haven't|havent|have not|haven't ever|never|did not|didn't) (?:heard|listened to)\b(?: (?:before|yet))?"
    r"|\bnot heard (?:before|yet)\b|\bsomething new to me\b"
    r"|(?P<fame>\b(?:less|lesser) (?:well[- ])?known\b|\bmore obscure\b|\bobscure\b|\bdeep cuts?\b|\bhidden gems?\b"
    r"|\bunderrated\b|\bnot (?:so |as |too )?(?:mainstream|popular|famous|well[- ]known)\b)"
)
# "her older stuff", "more by them", "anything else by this band": the songs of the artist asked about
_THEIR_SONGS = re.compile(
    r"\b(?:by|from) (?:them|her|him|this (?:artist|band|singer|group)|that (?:artist|band|singer|group))\b"
    r"|\b(?:her|his|their) (?:(?:older|newer|later|earlier|early|recent|latest|new|old|other|best|biggest|"
    r"slower|faster|softer|heavier|happier|sadder|acoustic|classic)\s+)?(?:stuff|songs?|music|work|albums?|tracks?|"
    r"hits|records|material|catalogue|discography)\b|\bmore of (?:her|his|their|them)\b"
)
# "nothing from the 80s", "but less 80s", "not 90s": the era turned down (a few words before it)
_ERA_NEGATION = re.compile(
    r"\b(?:not|no|nothing|none|without|less|fewer|except|avoid|skip|never|anything but)\b"
    r"(?:\s+(?:from|of|in|the|any|songs?|music|stuff|more|too|so|much|that|really))*\s*$"
)
_ERA_AS_SOUND = re.compile(r"\s*(?:synths?|synthesizers?|production|sound(?:ing|s)?|vibes?|style|drums?|guitars?|"
                           r"aesthetic|feel)\b")
# "their later stuff", "her early songs", "Nirvana's older albums": an era relative to the artist's own songs
_ARTIST_ERA = re.compile(
    r"(?:\b(?:her|his|their)|['’]s)\s+(?P<word>older|earlier|early|old|newer|later|late|recent|latest|new|more recent)\s+"
    r"(?:stuff|songs?|music|work|albums?|tracks?|hits|records|material)\b"
    r"|\b(?P<before>older|earlier|early|newer|later|recent|latest|more recent)\s+"
    r"(?:stuff|songs?|music|work|albums?|tracks?|hits|records|material)\s+(?:by|from|of)\b"
)
_ERA_BEFORE_NAME = re.compile(rf"\b(?P<word>{'|'.join(ERA_WORDS)})\s+$")
# an era word read against the artists asked about ("like Bob Marley but more modern": newer than Bob Marley)
RELATIVE_ERA_WORDS = {"older": "older", "earlier": "older", "early": "older", "old": "older", "newer": "newer",
                      "later": "newer", "late": "newer", "recent": "newer", "latest": "newer", "new": "newer",
                      "more recent": "newer", "modern": "newer"}
# "no swearing", "clean lyrics only", "without explicit lyrics": a request about words the catalogue cannot see
_CLEAN_LYRICS = re.compile(
    r"\b(?:no|without|not|nothing|zero|less)\s+(?:any\s+|too\s+much\s+|with\s+)?(?:swearing|swear words|cursing|curse words|"
    r"cussing|cuss words|profanity|bad words|dirty lyrics)\b"
    r"|\b(?:no|without|not|nothing|zero)\s+(?:any\s+)?explicit(?:\s+(?:lyrics|content|songs|stuff|tracks|music|language|words)\b"
    r"|(?=\s*(?:[,.!?;)]|$|please\b|thanks\b|pls\b)))"
    r"|\bclean (?:lyrics|versions?|edits?|songs?|rap|hip hop)\b|\bradio edits?\b|\bexplicit[- ]free\b"
)
EXPLICIT_STYLES = ("gangsta rap",)  # left out for "no swearing": the style whose songs most often have explicit words
# Turning down an artist's sound, not only their songs: "I don't like Daft Punk", "not into Slayer"
_DISLIKES_SOUND = re.compile(
    r"\b(?:don'?t|do not|didn'?t|never) (?:really )?(?:like|love|enjoy|want anything like)\b|\b(?:hate|dislike|can'?t stand|"
    r"cannot stand|sick of|tired of|nothing like|not like|not into|not a fan|not fond)\b"
)
_SLASH_LIST = re.compile(r"(?<=[A-Za-z]{3})/(?=[A-Z][a-z]{2})")
_RESET_PATTERN = re.compile(r"\b(?:" + "|".join(re.escape(cue) for cue in _RESET_CUES) + r")\b", re.IGNORECASE)
_LIKE_CUES = ("more like", "similar to", "like", "love", "loved", "liked", "great", "nice", "good", "yes", "perfect", "keep",
              "the one", "that's it", "this is it", "exactly")
_DISLIKE_CUES = (
    "not that", "not this", "not like", "don't like", "dont like", "didn't like", "dislike", "hate", "no to",
    "not a fan", "bad", "skip", "remove", "drop", "worse", "boring", "not #", "not number", "not the ",
)
# "older"/"newer" -> the production it raises; with a list on screen that has years, the state reads them
# as an era relative to that list instead (`state.relative_era`)
ERA_COMPARATIVES = {"older": "vintage recording", "newer": "modern production"}
# a vague era said as a comparison with what came before: "older", "earlier", "more recent", "more modern"
_COMPARED_ERA_WORDS = {"older": "older", "earlier": "older", "newer": "newer", "later": "newer"}
_MORE_BEFORE = re.compile(r"\b(?:more|bit|little|much|even|way|somewhat|slightly)\s+$")
# "not that sad", "not so dark", "a bit less melancholic": a mood said to be too strong (its kin may stay)
_DEGREE_NEGATION = re.compile(
    r"\b(?:not (?:that|so|as|too|overly|very|quite so)|less|fewer)\s+(?P<word>[a-z][a-z-]+)")
# comparative word -> (descriptor it raises, descriptor words it names)
_COMPARATIVES = {
    "upbeat": "upbeat", "faster": "fast tempo", "quicker": "fast tempo", "slower": "slow tempo",
    "calmer": "calm", "softer": "calm", "gentler": "tender", "quieter": "calm", "happier": "happy",
    "sadder": "sad", "darker": "dark", "brighter": "cheerful", "heavier": "distorted guitar",
    "louder": "high energy", "harder": "aggressive", "mellower": "mellow", "chiller": "laid-back",
    "dreamier": "dreamy", "groovier": "groovy", "funkier": "funk", "energetic": "high energy",
    "danceable": "danceable", "higher": "high register vocals", "lower": "low register vocals",
    "deeper": "low register vocals", **ERA_COMPARATIVES,
    "acoustic": "acoustic", "electronic": "electronic production", "intense": "dramatic",
    "romantic": "romantic", "relaxed": "laid-back", "relaxing": "relaxation", "chill": "laid-back",
    "lighter": "mellow",  # "lighter" after metal; "less heavy" and "not too heavy" are read as it (_LESS_HEAVY)
}
# "not too heavy", "less heavy", "not as heavy": lighter (heavy is no descriptor to leave out, and "too heavy"
# alone is not a rejection of the whole list)
_LESS_HEAVY = re.compile(r"\b(?:(?:a (?:bit|little) |way |much )?less|not (?:as|so|too)|too|bit too|way too)\s+heavy\b")
# Feedback that turns something down, with or without a descriptor ("not into Slayer", "these aren't for me").
_REJECTION = re.compile(
    r"\b(?:not|isn't|aren't|wasn't|weren't|don't|dont|do not|doesn't|didn't|never)\b[^.!?]{0,25}?"
    r"\b(?:like|into|for me|fan|crazy about|my (?:thing|style|taste)|what i(?:'m| am)|feeling|working|work|good|right|"
    r"fond|fit|as i expected|what i expected|quite it)"
    r"|\btoo (?:much|many|fast|slow|loud|quiet|sad|dark|aggressive|heavy|soft|old|new|mellow|intense|repetitive)\b"
    r"|\b(?:no more|stay away from|keep away from|get rid of|other than|instead of|rather than|anything but|"
    r"over the top|hate|dislike|boring|meh|nope|not that|not this|not these|"
    r"not those|without|avoid|less|fewer|exclude|remove|skip|except)\b"
)
_REJECT_ALL = re.compile(
    r"\b(?:these|those|them|they|any of (?:these|them|those)|this list|the list|none of (?:these|them|those))\b"
    r"[^.!?]{0,30}\b(?:aren't|are not|don't|do not|not|isn't|boring|bad|wrong|meh)\b"
    r"|\bi (?:don't|do not|didn't) (?:really )?like (?:any|these|those|them|this)\b|\bnone of (?:these|them|those)\b"
)
# Everyday phrases whose words are descriptors in another sense: "running errands" is no running
# music, "driving home from work" asks for no focus music, "cross country skiing" for no country
# (read after intent phrases, so "cross country trip" is still a road trip; assets/intents.json
# lists them as "not_intents" too).
_NOT_DESCRIPTORS = re.compile(
    r"\brunning (?:errands|late|out|around|low)\b|\bcross[- ]country\b|\b(?:from|after) work\b|"
    r"\baround the house\b"
)
# Small talk: a message made only of these asks for no songs ("hello", "thanks!", "ok cool", "bye").
_GREETING_WORDS = r"hi|hello|hey|hiya|howdy|greetings|yo"  # also open a request: "hi i want reggae"
_GREETING_TAIL = r"(?: there| again| everyone| all)?"
_SMALL_TALK_KINDS = {
    "thanks": r"(?:thanks?(?: (?:so|very) much| a lot| again| in advance)?|thank you(?: (?:so|very) much| again)?|thx|"
              r"(?:much )?appreciated|i appreciate it|appreciate it|cheers)(?: for (?:the|these|those|this|that|your|"
              r"all the|all your) (?:songs|tracks|recommendations|suggestions|music|list|playlist|picks|help))?",
    "farewell": r"bye(?: bye)?|goodbye|good night|goodnight|see you(?: later| soon)?|see ya|talk (?:to you )?later|"
                r"have a (?:good|nice|great) (?:day|night|one|evening)",
    "greeting": rf"{_GREETING_WORDS}|good (?:morning|afternoon|evening|day)|"
                r"how are you(?: doing)?(?: today)?|how's it going|how is it going|what's up|whats up|sup|"
                r"nice to meet you|(?:can|could) you help me(?: out)?|i need (?:your|some) help|help me|"
                r"(?:can|could) you (?:help me )?(?:make|create|build) (?:me )?(?:a |my )?(?:new )?playlist",
    "ack": r"ok|okay|k|cool|great|awesome|nice|perfect|sounds good|good|got it|alright|all right|sure|"
           r"that's (?:great|cool|nice|perfect|awesome)|that is (?:great|cool|nice|perfect|awesome)",
}
_SMALL_TALK_FILLER = (r"(?:\s|[,.!?;:)(]|\b(?:there|again|everyone|all|guys|man|mate|friend|so|and|then|oh|very|much|"
                      r"tunetalk|bot)\b)*")
_SMALL_TALK = {kind: re.compile(rf"(?:{phrases})") for kind, phrases in _SMALL_TALK_KINDS.items()}
_SMALL_TALK_ONLY = re.compile(
    rf"^{_SMALL_TALK_FILLER}(?:(?:{'|'.join(_SMALL_TALK_KINDS.values())})\b{_SMALL_TALK_FILLER})+$"
)
# A greeting that opens a request, thanks that close one: not words of the request ("Hi! upbeat reggae, thanks")
# ("hi i want reggae"; but "good morning music" asks for morning music: a longer greeting needs its comma)
_GREETING_LEAD = re.compile(rf"^\s*(?:(?:{_GREETING_WORDS})\b{_GREETING_TAIL}[\s,!.]*"
                            rf"|(?:{_SMALL_TALK_KINDS['greeting']}){_GREETING_TAIL}\s*[,!.?]+\s*)+",
                            re.IGNORECASE)
_THANKS_TAIL = re.compile(rf"[\s,!.]*\b(?:{_SMALL_TALK_KINDS['thanks']})[\s!.]*$", re.IGNORECASE)


def small_talk(text: str) -> str:
    """The kind of small talk a message is only made of ("thanks", "farewell", "greeting", "ack"),
    "" when it asks for something."""
    lowered = " ".join(text.lower().replace("’", "'").split())
    if not lowered or not _SMALL_TALK_ONLY.match(lowered):
        return ""
    for kind, pattern in _SMALL_TALK.items():  # "thanks, bye" is a farewell's thanks: thanks first
        if pattern.search(lowered):
            return kind
    return ""


# Descriptors starting with one of these are negative as written ("no percussion", "without drums").
_NEGATIVE_STARTS = frozenset({"no", "without", "non", "not"})
# Words that, alone after a negation ("no vocals", "without singing"), rule out every vocal descriptor.
VOCAL_WORDS = frozenset({"vocal", "vocals", "voice", "voices", "singing", "singer", "singers", "sung", "vocalist",
                         "lyrics", "words", "rap", "rapping", "choir"})
# Negated, these words rule out every vocal ("no vocals", "without rap or singing"); "no rap" and "no choir"
# alone rule out only themselves.
ANY_VOCAL_WORDS = VOCAL_WORDS - {"rap", "rapping", "choir"}


def names_every_vocal(words: set[str]) -> bool:
    """Do these words, negated, rule out every vocal ("vocals", "rap or singing"; not "rap" or "choir" alone)?"""
    return bool(words) and words <= VOCAL_WORDS and bool(words & ANY_VOCAL_WORDS)


# The exclusion "no vocals" stands for: every vocal descriptor (see chatbot/query.py:expand_exclusions).
# It is not a vocabulary descriptor, so it never collides with one ("no male vocals" excludes only that one).
ALL_VOCALS = "vocals"


def normalise_message(message: object) -> tuple[str, list[str]]:
    """Clean a raw chat message: text only, control characters removed, overlong input cut.

    Returns:
        The cleaned text and notices for the user (e.g. that it was shortened).
    """
    notices: list[str] = []
    text = message if isinstance(message, str) else ("" if message is None else str(message))
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") and ch not in "\n\t" else ch
                   for ch in text[: MAX_MESSAGE_CHARS * 4])
    text = " ".join(text.split())
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[:MAX_MESSAGE_CHARS].rsplit(" ", 1)[0]
        notices.append(f"Your message was long, so only its first {MAX_MESSAGE_CHARS} characters were read.")
    return text, notices


@dataclass(frozen=True)
class ParsedTurn:
    """What one message asks for, before it is applied to the state."""

    text: str
    wanted: tuple[str, ...] = ()
    implied: tuple[str, ...] = ()  # of `wanted`, those only an intent phrase implies ("for a party": upbeat)
    boosted: tuple[str, ...] = ()  # relative refinements ("more upbeat")
    lowered: tuple[str, ...] = ()  # opposites of boosted descriptors
    excluded: tuple[str, ...] = ()  # ALL_VOCALS among them for "no vocals"
    liked_ranks: tuple[int, ...] = ()
    disliked_ranks: tuple[int, ...] = ()
    more_like_ranks: tuple[int, ...] = ()
    is_reset: bool = False
    is_negative: bool = False  # the turn turns something down (an exclusion or rejected results)
    rejects_all: bool = False  # "none of these", "I don't like any of them"
    notices: tuple[str, ...] = ()
    # what is not a descriptor: named artists and songs, an era, places and languages
    artists_like: tuple[str, ...] = ()  # artist names (as the directory spells them): "like X", "X vibes"
    artists_by: tuple[str, ...] = ()  # "by X", "play X", "X songs"
    artists_excluded: tuple[str, ...] = ()  # "not X", "anything but X"
    seed_ids: tuple[TrackId, ...] = ()  # songs named by title: "like Karma Police"
    played_ids: tuple[TrackId, ...] = ()  # of `seed_ids`, those asked to be played ("play Hotel California")
    # the genres of the artists and songs named by a turn that says nothing else ("like Metallica": heavy metal)
    named_genres: tuple[str, ...] = ()
    unknown_names: tuple[str, ...] = ()  # named, but known to neither the catalogue nor the knowledge
    era: EraMatch | None = None
    excluded_years: tuple[int, int] | None = None  # "nothing from the 80s", "but less 80s": away from that era
    regions: tuple[str, ...] = ()  # "from brazil", "japanese artists": a filter on the track's region
    languages: tuple[str, ...] = ()  # "in spanish", "french songs": a filter on the track's language
    excluded_regions: tuple[str, ...] = ()  # "not from the uk": the track's region is not one of these
    excluded_languages: tuple[str, ...] = ()  # "nothing in spanish"
    hinted_regions: tuple[str, ...] = ()  # "k-pop", "salsa": a boost, not a filter
    hinted_languages: tuple[str, ...] = ()  # "from brazil": portuguese songs first, within the region
    wants_new: bool = False  # "more", "other ones", "next": songs not shown yet
    refers_back: bool = False  # "more like those" naming no rank: like the liked songs on screen, if any
    other_artists: bool = False  # "similar artists", "not X themselves": like the artists named, songs by others
    dislikes_sound: bool = False  # "I don't like X", "not into X": the excluded artists' sound goes too
    their_songs: bool = False  # "her older stuff", "more by them": songs by the artists asked about
    era_direction: str = ""  # "older"/"newer" than the artists asked about ("their later stuff"), if the turn says
    era_comparative: str = ""  # "older"/"newer" than the list on screen ("more recent"), if the era says so
    softened: tuple[str, ...] = ()  # of `excluded`, moods turned down by degree ("not that sad"): their kin stay
    is_refinement: bool = False  # "more upbeat", "but from the 80s", "add piano": keeps the state
    is_switch: bool = False  # "let's switch to something calm", "change direction": a new topic, whatever it names
    small_talk: str = ""  # "greeting", "thanks", "farewell", "ack": the message asks for no songs
    language: str = "en"  # the language the message was written in (translated before parsing)

    @property
    def has_request(self) -> bool:
        """Does the turn ask for something beyond references to the list on screen?"""
        return bool(self.text or self.wanted or self.boosted or self.excluded or self.is_reset or self.artists_like
                    or self.artists_by or self.artists_excluded or self.seed_ids or self.unknown_names
                    or self.era or self.excluded_years or self.regions or self.languages or self.wants_new
                    or self.other_artists
                    or self.excluded_regions or self.excluded_languages or self.their_songs)

    @property
    def has_new_wants(self) -> bool:
        """Does the turn add to what is wanted (so earlier wants count a little less)?"""
        return bool(self.wanted or self.boosted or self.lowered or self.excluded or self.more_like_ranks
                    or self.seed_ids or self.artists_like or self.artists_by or self.is_reset)

    @property
    def is_empty(self) -> bool:
        """Nothing to act on (an empty message, emoji only...)."""
        return not (self.has_request or self.liked_ranks or self.disliked_ranks or self.more_like_ranks
                    or self.refers_back)

    @property
    def has_only_references(self) -> bool:
        """Only "#2"-style references: no request text, descriptors, names, filters or reset."""
        return not self.has_request



class TurnParser:
    """Turns a message into a ParsedTurn using the catalogue's vocabulary."""

    def __init__(
        self,
        vocabulary: Vocabulary,
        embed: Callable[[list[str]], np.ndarray] | None = None,
        paraphrase_names: list[str] | None = None,
        find_names: Callable[[str], list[NameMention]] | None = None,
        resolve_artist: Callable[[str], ArtistProfile | None] | None = None,
    ) -> None:
        """Args:
            vocabulary: descriptor names and surface forms to match.
            embed: the encoder, for paraphrases; None turns that step off.
            paraphrase_names: the descriptors a paraphrase may resolve to (default: all).
            find_names: finds named artists and songs in a message (`chatbot.names.find_names` over
                the catalogue and the artist knowledge); None reads no names.
            resolve_artist: an artist by name (`ArtistDirectory.resolve`), for songs credited as
                "Title by Artist", "Title - Artist", "Artist's Title" that `find_names` left out.
        """
        self.vocabulary = vocabulary
        self.embed = embed
        self.find_names = find_names
        self.resolve_artist = resolve_artist
        self._surfaces = list(vocabulary.surface_forms)
        # "drum & bass", "singing/rapping", "R & B" as the message's words read them ("drum bass",
        # "singing rapping", "r b"; "r&b" is one word but "r & b" two)
        spelled = {" ".join(_words(spelling)): name for form, name in vocabulary.surface_forms.items()
                   if _PUNCTUATED.search(form) for spelling in (form, _PUNCTUATED.sub(" ", form))}
        self._spelled_forms = {key: name for key, name in spelled.items() if key not in vocabulary.surface_forms}
        self._names = list(paraphrase_names if paraphrase_names is not None else vocabulary.descriptors)
        # Embedded once, up front, so no chat turn pays for it.
        self._name_vectors = embed(self._names) if embed is not None and self._names else None

    # -- descriptor extraction -------------------------------------------------------------
    def _paraphrase(self, phrases: list[str]) -> dict[str, str]:
        if self.embed is None or not phrases or self._name_vectors is None:
            return {}
        vectors = self.embed(phrases)
        similarity = vectors @ self._name_vectors.T  # (phrases, names)
        best = similarity.argmax(axis=1)
        found = {}
        for i, phrase in enumerate(phrases):
            name = self._names[int(best[i])]
            if similarity[i, best[i]] < PARAPHRASE_MIN_SIMILARITY or _is_partial_match(phrase, name):
                continue
            if self.vocabulary.facet_of(name) == "genre" and name in english_words() and not phrase.startswith(name):
                continue  # a genre named by a plain word is read when said ("jazzy" too): "home" is no house music
            if (name.startswith(phrase) and name[len(phrase):] in ("a", "al")
                    and all(w in english_words() for w in phrase.split())):
                continue  # an adjective of its own is no noun made of it: "melodic" is no melodica, "harmonic" no
                # harmonica, "classic" no classical (but "afro" is afrobeat, "dream" dreamy)
            found[phrase] = name
        return found

    def _fuzzy(self, phrase: str) -> str | None:
        """A spelling variant of a surface form; words that are themselves known must be kept
        ("piano music" must not become "pan music")."""
        if not self._surfaces or any(word in _STOPWORDS for word in phrase.split()):
            return None  # "any music" is not "pan music", "please" is not "pleasant"
        match = process.extractOne(phrase, self._surfaces, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN_SCORE)
        if match is None:
            return None
        if all(word in english_words() for word in phrase.split()) and not phrase.startswith(match[0]):
            # a word of its own is no slip: "accompanied" is not "unaccompanied", "electric" not "electronic",
            # "shake" not "shaker"; one that adds an ending to the descriptor still reads as it ("jazzy")
            return None
        matched_words = set(match[0].split())
        for word in phrase.split():
            if word in self.vocabulary.surface_forms and word not in matched_words:
                return None
        return self.vocabulary.surface_forms[match[0]]

    def extract(self, text: str, *, use_encoder: bool = True) -> list[str]:
        """Vocabulary descriptors mentioned in a text, longest match first, in order of mention."""
        tokens = _words(text)
        found: list[tuple[int, str]] = []
        used = [False] * len(tokens)
        for size in range(min(MAX_WORDS_PER_PHRASE, len(tokens)), 0, -1):
            for start in range(len(tokens) - size + 1):
                if any(used[start : start + size]):
                    continue
                phrase = " ".join(tokens[start : start + size])
                if size == 1 and phrase in _STOPWORDS:
                    continue  # a catalogue descriptor "me" or "music" is never read from those words
                name = self.vocabulary.surface_forms.get(phrase) or self._spelled_forms.get(phrase)
                if name is None and phrase.endswith("s"):
                    name = self.vocabulary.surface_forms.get(phrase[:-1])
                if name is None and size <= 2 and len(phrase) >= 4 + 2 * size:
                    name = self._fuzzy(phrase)
                if name is not None:
                    found.append((start, name))
                    for i in range(start, start + size):
                        used[i] = True
        if use_encoder and self.embed is not None:
            leftovers = _content_phrases(tokens, used)
            for phrase, name in self._paraphrase(leftovers).items():
                found.append((tokens.index(phrase.split()[0]), name))
        ordered: list[str] = []
        for _, name in sorted(found):
            if name not in ordered:
                ordered.append(name)
        return ordered

    def _wants_any_vocals(self, positive: str, extracted: list[str]) -> bool:
        """Does the wanted part of a clause ask for vocals of any kind ("rock with vocals", "vocals are fine",
        "add some singing")? Not when a descriptor it names says which ("female singer", "vocal jazz")."""
        said = set(re.findall(r"[a-z]+", positive)) & ANY_VOCAL_WORDS
        if not said:
            return False
        named = {w for d in extracted for w in re.findall(r"[a-z]+", d)}
        return not (said & named or any(self.vocabulary.facet_of(d) == "vocals" for d in extracted))

    def _softened(self, clause: str, negated: list[str]) -> list[str]:
        """Of the descriptors a clause turns down, the moods it turns down by degree ("not that sad", "a bit
        less dark"): the state leaves them out but keeps their wanted kin (melancholic for sad)."""
        graded = [d for d in negated if self.vocabulary.facet_of(d) == "mood"]
        said = [self.vocabulary.canonical(m.group("word")) for m in _DEGREE_NEGATION.finditer(clause)]
        return [d for d in graded if d in said]

    def _negative_descriptors(self, clause: str) -> list[str]:
        """Descriptors starting with a negation that the clause names whole ("no percussion")."""
        tokens = _words(clause)
        found: list[str] = []
        for start, token in enumerate(tokens):
            if token not in _NEGATIVE_STARTS:
                continue
            for size in range(min(MAX_WORDS_PER_PHRASE, len(tokens) - start), 1, -1):
                name = self.vocabulary.surface_forms.get(" ".join(tokens[start : start + size]))
                if name is not None:
                    found.append(name)
                    break
        return found

    def _without_generic_nouns(self, text: str) -> str:
        """The text without the words that only say it is music ("songs my dad would listen to"): searched
        for, "songs" finds every "anime song", "music" every "world music" and "a female singer" every
        singer-songwriter. Kept inside a phrase for a descriptor that has the word ("video game music");
        "christmas music" and "female singer" are read as their descriptors, christmas and female vocals."""
        forms = self.vocabulary.surface_forms

        def own_word(phrase: str, word: str) -> bool:
            name = forms.get(phrase)
            return name is not None and word.rstrip("s") in name

        def keep_or_blank(match: re.Match[str]) -> str:
            before = re.findall(r"[\w'&-]+", text[: match.start()])[-3:]
            after = re.findall(r"[\w'&-]+", text[match.end() :])[:2]
            word = match.group()
            for size in range(1, len(before) + 1):
                if own_word(" ".join([*before[-size:], word]), word):
                    return word
            for size in range(1, len(after) + 1):
                if own_word(" ".join([word, *after[:size]]), word):
                    return word
            return " " * len(word)

        return _GENERIC_NOUNS.sub(keep_or_blank, text)

    def _is_own_word(self, match: IntentMatch) -> bool:
        """An intent phrase that names a descriptor of its own, not one the intent wants."""
        name = self.vocabulary.surface_forms.get(" ".join(match.phrase.lower().split()))
        return name is not None and name not in match.wanted

    # -- references --------------------------------------------------------------------------
    @staticmethod
    def _ranks(text: str) -> list[int]:
        # "#1 hits", "number one hits" are chart toppers, not the first result
        ranks = [int(m) for m in re.findall(r"#\s*(\d{1,4})\b(?! hits?\b)", text)]
        ranks += [int(m) for m in re.findall(r"\b(?:number|no\.|track|song|result|option)\s*(\d{1,4})\b(?! hits?\b)", text)]
        for word, rank in _ORDINALS.items():
            # "the second", "the second is great", but not "the eighth time", "the first verse", "the one I love"
            if re.search(rf"\bthe {word}\b(?!\s+(?!{_RANK_FOLLOWERS})[a-z0-9])|\b{word} one\b|\b{word} song\b"
                         rf"|\b(?:number|no\.|#) ?{word}\b(?! hits?\b)", text):
                ranks.append(rank)
        if re.search(r"\b(?:the )?last one\b", text):
            ranks.append(-1)
        if re.search(r"\bi like (\d{1,2})(?: and (\d{1,2}))?\b", text):
            match = re.search(r"\bi like (\d{1,2})(?: and (\d{1,2}))?\b", text)
            ranks += [int(g) for g in match.groups() if g]  # type: ignore[union-attr]
        ranks += [int(m) for m in re.findall(r"\band (\d{1,2})\b", text) if re.search(r"#|number|like", text)]
        unique: list[int] = []
        for rank in ranks:
            if rank not in unique:
                unique.append(rank)
        return unique

    def parse(self, message: object, *, num_results: int = 10) -> ParsedTurn:
        """Parse one user message (any text, any of the supported languages; never raises on content)."""
        text, notices = normalise_message(message)
        if not text:
            return ParsedTurn(text="", notices=(*notices, "Tell me what you'd like to hear, e.g. \"calm piano music to study to\"."))
        translation = to_english(text)  # "sin voces por favor" -> "no vocals please"; English is unchanged
        less_heavy = bool(_LESS_HEAVY.search(translation.text))  # still a turn that turns something down
        english = _LESS_HEAVY.sub("lighter", translation.text)
        kind = small_talk(english)
        if kind:
            return ParsedTurn(text="", notices=tuple(notices), small_talk=kind, language=translation.language)
        # "Beach House/Slowdive", "Eminem/Slaughterhouse": a slash between names is a list (same length,
        # so the spans still point into the message; "AC/DC" keeps its slash)
        listed = _SLASH_LIST.sub(" ", english)
        names = plausible_names(self.find_names(listed), english) if self.find_names is not None else []
        if self.resolve_artist is not None:
            names += credited_artists(english, names, self.resolve_artist)
        # "songs by men", "stuff from women": a voice, not the band The Men (a name written as one stays)
        voices = [m.span() for pattern in _GENDERED_VOICES.values() for m in pattern.finditer(english.lower())]
        names = [m for m in names if not (english[m.span[0]:m.span[1]].islower()
                                          and any(a <= m.span[0] and m.span[1] <= b for a, b in voices))]
        # A place is a place, not a band or song ("from west africa", "from europe"), unless the name is
        # longer than the place ("Hotel California", "California Love") or credited ("Africa by Toto").
        if names:
            place_spans = [m.span for m in find_places(english).mentions]
            names = [m for m in names if is_credited_title(m, names)
                     or not any(span[0] <= m.span[0] and m.span[1] <= span[1] for span in place_spans)]
        # Names are not descriptors ("Radiohead" is no "radio" request); their words leave the text.
        unnamed = _blank(english, [m.span for m in names])
        # "Hi! upbeat reggae, thanks": the greeting and the thanks are no words of the request ("Hey Jude" is
        # a name, blanked above, so its "hey" stays)
        for pattern in (_GREETING_LEAD, _THANKS_TAIL):
            unnamed = pattern.sub(lambda m: " " * len(m.group()), unnamed)
        is_reset = any(cue in english.lower() for cue in _RESET_CUES)
        if is_reset:  # "start over: upbeat reggae" asks for upbeat reggae, not for the words "start over"
            unnamed = _RESET_PATTERN.sub(lambda m: " " * len(m.group()), unnamed)
        era = find_era(unnamed)
        places = find_places(unnamed)
        lowered_text = unnamed.lower()
        # "not from the uk", "nothing in spanish": a place or language turned down, not a filter to it
        # ("no Motown" turns down the genre, not the region the word also names)
        negated_places = [m for m in places.mentions if m.kind != "style" and _is_negated_at(lowered_text, m.span[0])]
        asked_places = [m for m in places.mentions if m not in negated_places]
        negated_places = [m for m in negated_places if self.vocabulary.canonical(m.phrase) is None]

        liked: list[int] = []
        disliked: list[int] = []
        more_like: list[int] = []
        wanted: list[str] = []
        avoided: set[str] = set()
        boosted: list[str] = []
        excluded: list[str] = []
        positives: list[str] = []
        softened: list[str] = []
        intent_wants: list[str] = []  # what an intent phrase implies ("cheer me up": upbeat, happy)
        for clause in _clauses(lowered_text):
            ranks = [num_results if r == -1 else r for r in self._ranks(clause)]
            if ranks:
                if _MORE_LIKE.search(clause) and not _has_dislike(clause):
                    more_like += ranks
                    liked += ranks
                elif _has_dislike(clause):
                    disliked += ranks
                elif any(re.search(rf"\b{cue}\b", clause) or re.search(rf"\b{cue}\b", lowered_text)
                         for cue in _LIKE_CUES):  # "yes, #1 is the one": the cue may stand in another clause
                    liked += ranks
                else:
                    more_like += ranks
                clause = re.sub(r"#\s*\d+|\bnumber\s*\d+", " ", clause)
            elif re.search(r"\bnot (?:that|this) one\b|\bnot (?:that|this)\b$", clause):
                disliked.append(1)
            # A catalogue descriptor that is itself negative ("no percussion", "without drums") is wanted as said.
            wanted += self._negative_descriptors(clause)
            positive, negative = _split_negation(clause)
            said_positive = positive  # before intent phrases are blanked: "more chill" is a comparative
            # "cheer me up", "for a road trip": an intent phrase is read whole, in the wanted part only;
            # a phrase the catalogue holds as a descriptor of its own ("thunderstorm") is read as that.
            intents = [m for m in find_intents(positive) if not m.is_negated and not self._is_own_word(m)]
            implied = [d for m in intents for d in m.wanted if d in self.vocabulary.descriptors]
            wanted += implied
            # a descriptor the intent phrase itself says ("epic", "for a party") was said, not implied
            phrases = " | ".join(m.phrase.lower() for m in intents)
            intent_wants += [d for d in implied if not re.search(rf"\b{re.escape(d)}\b", phrases)]
            avoided |= {d for m in intents for d in m.avoided}
            positive = _blank(positive, [m.span for m in intents])
            positive = _NOT_DESCRIPTORS.sub(lambda m: " " * len(m.group()), positive)
            if any(w not in _STOPWORDS for w in re.findall(r"[\w']+", positive)):
                positives.append(" ".join(self._without_generic_nouns(positive).split()))
            if negative:
                content = set(re.findall(r"[a-z]+", negative)) - _STOPWORDS
                # "no vocals", "without singing": every vocal descriptor goes; "no male vocals" only that one.
                if names_every_vocal(content):
                    excluded.append(ALL_VOCALS)
                else:  # never a descriptor that is itself a negation ("other instruments" is not "no other instruments")
                    negated = [d for d in self.extract(negative, use_encoder=False)
                               if d.split()[0] not in _NEGATIVE_STARTS]
                    excluded += negated
                    softened += self._softened(clause, negated)
            for word, descriptor in _COMPARATIVES.items():
                if descriptor in self.vocabulary.descriptors and re.search(
                    rf"\b(?:more|bit|much|even|way|little)\s+{word}\b|\b{word}er\b|\b{word}\b(?= (?:please|than|now))"
                    if not word.endswith("er") else rf"\b{word}\b", said_positive
                ):
                    boosted.append(descriptor)
            extracted = self.extract(positive)
            # "female jazz singers", "male rock vocalists": the voice, with the genre between
            extracted += [name for name, pattern in _GENDERED_VOICES.items()
                          if name in self.vocabulary.descriptors and pattern.search(positive) and name not in extracted]
            for name in extracted:
                if name not in boosted:
                    wanted.append(name)
            if self._wants_any_vocals(positive, extracted):
                wanted.append(ALL_VOCALS)  # "with vocals", "vocals are fine": lifts "no vocals"
                avoided.add("instrumental")
        says_like_that = bool(_MORE_LIKE_THAT.search(lowered_text))
        refers_back = says_like_that and not (liked or disliked or more_like)
        if liked and not more_like and says_like_that:
            more_like += liked  # "#2 is great, more like it": the clause names no rank, the one before does
        rejects_all = bool(_REJECT_ALL.search(lowered_text)) and not liked and not more_like
        # "too cheesy", "these are way too mainstream": a word the catalogue has no descriptor for, said of the list
        rejects_all = rejects_all or bool(_TOO_SOMETHING.search(_NOT_NEGATIONS.sub(" ", lowered_text))
                                          and not (liked or more_like or disliked or excluded or wanted or boosted))
        if rejects_all:
            disliked += [rank for rank in range(1, num_results + 1) if rank not in disliked]
        if ALL_VOCALS in excluded and "instrumental" in self.vocabulary.descriptors:
            wanted.append("instrumental")
        lowered: list[str] = [d for d in avoided if d in self.vocabulary.descriptors]
        is_comparative = bool(boosted)
        for name in boosted:
            descriptor = self.vocabulary.descriptors.get(name)
            lowered += [o for o in (descriptor.opposites if descriptor else ()) if o not in boosted and o not in wanted]
        wanted = [w for w in wanted if w not in excluded and w not in avoided]
        excluded_years = None
        if era is not None and _ERA_NEGATION.search(lowered_text[: era.span[0]]):
            # "nothing from the 80s", "but less 80s": away from that era; "no 80s synths" is only the sound
            if era.is_explicit and not _ERA_AS_SOUND.match(lowered_text[era.span[1]:]):
                excluded_years = (era.start, era.end)
            era = None
        if era is not None and era.is_explicit:
            # "80s" is the era filter; its production descriptor ("80s synths") is wanted only when said
            wanted = [w for w in wanted if self.vocabulary.facet_of(w) != "production" or w in lowered_text]
        # "songs like Africa by Toto": "by Toto" credits the song, it asks for no more Toto songs; so does
        # the possessive of "Adele's Hello"
        crediting = {m.span for m in names if m.intent in ("by", "like") and m.profile
                     and any(t.kind == "title" and t.intent == "like" and credits(m, t)
                             and (t.span[1] <= m.span[0] if m.intent == "by" else is_possessive_of(m, t, english))
                             for t in names)}
        artists = {intent: tuple(dict.fromkeys(m.profile.name for m in names if m.kind == "artist"
                                               and m.intent == intent and m.profile is not None
                                               and m.span not in crediting))
                   for intent in ("like", "by", "not")}
        seeds = tuple(dict.fromkeys(i for m in names if m.kind == "title" and m.intent != "not"
                                    for i in credited_songs(m, names)))
        said = Counter(wanted) - Counter(intent_wants)  # wanted for what the message says, not only implied
        is_switch = bool(_SWITCH_CUE.search(lowered_text)) and not is_reset
        # "more please", "Amazing! Some more please", "More like it. Some more please": new songs, the state kept
        wants_new = (any(_WANTS_NEW.search(clause) for clause in _clauses(lowered_text))
                     and not (wanted or boosted or excluded or names))
        # "more of that vibe", "same vibe": new songs like the list (like its liked songs, when there are any)
        wants_new = wants_new or (refers_back and not (wanted or boosted or excluded or names))
        # "something I haven't heard", "more obscure", "hidden gems": songs not shown yet, the request kept
        unheard = _UNHEARD.search(lowered_text)
        if unheard:
            wants_new = True
            positives = [_blank(p, [m.span() for m in _UNHEARD.finditer(p)]) for p in positives]
            positives = [p.strip() for p in positives if any(w not in _STOPWORDS for w in re.findall(r"[\w']+", p))]
            if unheard.group("fame"):
                notices.append("I can't tell how well known a song is, so here are songs you haven't seen yet.")
        # "no swearing", "clean lyrics": the catalogue has no lyrics, so the style where explicit words are
        # most common goes, and the reply says what was and was not done
        if _CLEAN_LYRICS.search(lowered_text):
            left_out = [d for d in EXPLICIT_STYLES if d in self.vocabulary.descriptors and d not in wanted]
            excluded += [d for d in left_out if d not in excluded]
            notices.append("I can't check lyrics" + (f", so I left out {', '.join(left_out)}, where explicit "
                                                     "words are most common." if left_out else "."))
        return ParsedTurn(
            text="" if wants_new and not unheard else ", ".join(positives),  # "more like these" is no text to search for
            wanted=tuple(dict.fromkeys(wanted)),
            implied=tuple(d for d in dict.fromkeys(wanted) if d in intent_wants and d not in said),
            boosted=tuple(dict.fromkeys(boosted)),
            lowered=tuple(dict.fromkeys(lowered)),
            excluded=tuple(dict.fromkeys(excluded)),
            softened=tuple(dict.fromkeys(softened)),
            liked_ranks=tuple(dict.fromkeys(liked)),
            disliked_ranks=tuple(dict.fromkeys(disliked)),
            more_like_ranks=tuple(dict.fromkeys(more_like)),
            is_reset=is_reset,
            is_negative=bool(excluded or disliked or artists["not"] or excluded_years or less_heavy
                             or _REJECTION.search(lowered_text)),
            rejects_all=rejects_all,
            notices=tuple(notices),
            artists_like=artists["like"],
            artists_by=artists["by"],
            artists_excluded=artists["not"],
            seed_ids=seeds,
            # "play Hotel California", "put on despacito": that song first, then songs like it
            played_ids=tuple(dict.fromkeys(i for m in names if m.kind == "title" and m.intent == "by"
                                           for i in credited_songs(m, names))),
            named_genres=() if positives else tuple(dict.fromkeys(  # only for a turn that says nothing but names
                d for m in names if m.intent != "not" and m.profile is not None
                and not is_credited_title(m, names)  # "Radiohead's Creep": Radiohead's genres, not TLC's
                for d in m.profile.descriptors if self.vocabulary.facet_of(d) == "genre")),
            unknown_names=tuple(dict.fromkeys(m.phrase for m in names if m.kind == "unknown")),
            era=era,
            excluded_years=excluded_years,
            regions=_unique_values(r for m in asked_places if m.kind == "place" for r in m.regions),
            languages=_unique_values(lang for m in asked_places if m.kind == "language" for lang in m.languages),
            excluded_regions=_unique_values(r for m in negated_places if m.kind == "place" for r in m.regions),
            excluded_languages=_unique_values(lang for m in negated_places if m.kind == "language"
                                              for lang in m.languages),
            hinted_regions=tuple(r for m in asked_places if m.kind == "style" for r in m.regions),
            hinted_languages=tuple(lang for m in asked_places if m.kind == "place" for lang in m.languages),
            wants_new=wants_new,
            refers_back=refers_back,
            other_artists=bool(_OTHER_ARTISTS.search(lowered_text)),
            their_songs=bool(_THEIR_SONGS.search(lowered_text)) and not names,
            era_direction=_era_direction(english, era, names),
            era_comparative=_era_comparative(unnamed, era),
            dislikes_sound=bool(artists["not"] and _DISLIKES_SOUND.search(english.lower().replace("’", "'"))),
            is_refinement=bool(_REFINEMENT_CUE.search(english.lower()) or is_comparative or liked or disliked
                               or more_like or wants_new) and not is_switch,
            is_switch=is_switch,
            language=translation.language,
        )


def _era_comparative(text: str, era: EraMatch | None) -> str:
    """"older" or "newer" when a vague era is said as a comparison ("older", "something earlier", "more
    recent", "a bit more modern"): the state reads it against the list on screen. "" for an era of its own
    ("oldies", "recent hits", "the 80s")."""
    if era is None or era.is_explicit:
        return ""
    word = era.phrase.lower()
    if word in _COMPARED_ERA_WORDS:
        return _COMPARED_ERA_WORDS[word]
    if _MORE_BEFORE.search(text[: era.span[0]].lower()):
        return RELATIVE_ERA_WORDS.get(word, "")
    return ""


def _era_direction(english: str, era: EraMatch | None, names: Iterable[NameMention]) -> str:
    """"older" or "newer" when the message says an era that can be read against the artists it is about
    ("their later stuff", "Nirvana's early songs", "early Beatles", "like Bob Marley but more modern"); ""
    otherwise (the state decides whether there are artists to read it against)."""
    if match := _ARTIST_ERA.search(english.lower()):
        return RELATIVE_ERA_WORDS[match.group("word") or match.group("before")]
    for mention in names:
        if mention.kind == "artist" and mention.intent == "by" and (
                match := _ERA_BEFORE_NAME.search(english[: mention.span[0]].lower())):
            return RELATIVE_ERA_WORDS[match.group("word")]
    comparative = _era_comparative(english, era)
    if comparative and era is not None and any(
            m.kind == "artist" and m.intent in ("like", "by") and m.span[1] <= era.span[0] for m in names):
        # "like Bob Marley but more modern", "like Sean Paul but older"; not "newer country like luke combs"
        # (an example of the newer), nor "Hozier's Someone New" (a title the catalogue lacks)
        return comparative
    return ""


_WANTS_NEW = re.compile(
    r"^(?:(?:ok|okay|cool|nice|thanks|great)[, ]+)?(?:(?:show|give|play|find) me |can i (?:get|have|hear) |got any )?"
    r"(?:some |a few )?(?:more|others?|other ones|other songs|next|next ones|something else|different ones|new ones|"
    r"fresh ones)\b(?: (?:ones|songs|tracks|please|of (?:these|those|this|that)|like (?:these|those|this|that|it|them)))*\W*$"
)
# A message that refines the current request instead of starting a new one.
# "ok lets switch to something calm", "let's change direction", "time for something else: jazz": what follows is
# a new request (the state's exclusions kept, as for any new topic), however little it names.
_SWITCH_CUE = re.compile(
    r"\b(?:switch|change) (?:it )?(?:over |up )?to\b|\bswitch(?:ing)? (?:gears|it up|things up)\b"
    r"|\bchange (?:of )?directions?\b|\bchange (?:it|things) up\b|\btime for something (?:else|different)\b"
)
_REFINEMENT_CUE = re.compile(
    r"^(?:and|but|also|plus|now|then|maybe|make it|make them|add|with|without|no|not|less|more|only|just|except|"
    r"instead|rather|same|similar|even|a bit|bit|slightly|a little|too|what about|how about|from|in|ideally|"
    r"preferably|something with|can it|could it|it should)\b"
    r"|\b(?:too|as well|in there|also|instead|anymore|any more|but (?:from|in|with|without|more|less|no))\b"
)


# How people credit a song they name: "Endless Summer by The Midnight", "Norf Norf - Vince Staples",
# "Deftones' Adrenaline", "Radiohead's Kid A".
_CREDITS = (
    re.compile(r"\bby\s+((?:[Tt]he\s+)?[\w$][\w'&.$!+-]*(?:\s+[\w$][\w'&.$!+-]*){0,3}?)\s*(?=[?.!,;:)\"”]|$|\s+(?:and|or|but|please|maybe)\b)"),
    re.compile(r"\s[-–—]\s*((?:[Tt]he\s+)?[A-Za-z$][\w'&.$!+-]*(?:\s+[\w$][\w'&.$!+-]*){0,3}?)\s*(?=[?.!,;:)\"”]|$)"),
    re.compile(r"((?:[Tt]he\s+)?[A-Z][\w&.$!+-]*(?:\s+[A-Z][\w&.$!+-]*){0,3})['’]s?\s+[A-Z\"“‘]"),
)
_LIKE_WORDS = re.compile(r"\b(?:similar|like|vibes?|sounds?|style|kinda|close to|comparable|reminds?)\b", re.IGNORECASE)


def credited_artists(message: str, found: list[NameMention], resolve: Callable[[str], ArtistProfile | None],
                     ) -> list[NameMention]:
    """Artists credited with a song the message names that `find_names` did not read: a known artist
    after "by", after a dash, or before a possessive. Only names the directory resolves count."""
    extra: list[NameMention] = []
    intent = "like" if _LIKE_WORDS.search(message) else "by"
    for pattern in _CREDITS:
        for match in pattern.finditer(message):
            span = match.span(1)
            if any(_overlaps(span, m.span) for m in (*found, *extra)):
                continue
            phrase = match.group(1).strip()
            profile = resolve(phrase)
            if profile is None or phrase.lower() in _STOPWORDS:
                continue
            if phrase.lower() in PRONOUN_NAMES and not (phrase[:1].isupper() and not message.istitle()
                                                        and message != message.upper()):
                continue  # "anything else by her" is by the artist on screen, not by H.E.R.
            extra.append(NameMention("artist", intent, phrase, span, profile, profile.track_ids, 0.9))
    return extra


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


_CAPITALISED_WORD = re.compile(r"\s+([A-Z][\w'&.-]*)")


def credits(artist: NameMention, title: NameMention) -> bool:
    """Is `artist` a named artist with one of the songs `title` names ("Toto" for "Africa")?"""
    return artist.kind == "artist" and bool(set(artist.track_ids) & set(title.track_ids))


def is_possessive_of(artist: NameMention, title: NameMention, message: str) -> bool:
    """Is `artist` written as the possessive right before `title` ("Adele's Hello")?"""
    return (artist.phrase.endswith(("'s", "’s", "s'")) and artist.span[1] <= title.span[0]
            and not message[artist.span[1] : title.span[0]].strip())


def is_credited_title(mention: NameMention, mentions: list[NameMention]) -> bool:
    """Is this a song title whose artist the message names too ("Africa" in "Africa by Toto")?"""
    return mention.kind == "title" and any(credits(m, mention) for m in mentions)


def credited_songs(title: NameMention, mentions: list[NameMention]) -> tuple[TrackId, ...]:
    """The songs a title names, only those of the artist credited beside it when there is one ("Alone by
    Alan Walker" is not Marshmello's or Heart's "Alone")."""
    credited = {i for m in mentions if credits(m, title) for i in m.track_ids} & set(title.track_ids)
    return tuple(i for i in title.track_ids if i in credited) if credited else title.track_ids


def plausible_names(mentions: list[NameMention], message: str) -> list[NameMention]:
    """Drop name readings a listener would not mean.

    - a one-word title the catalogue has, inside a longer title it lacks ("Love" in "Love Me"),
      unless its artist is named too;
    - a name written as a plain word ("do" for the artist D/O);
    - a one-word name followed by another capitalised word: a longer name the directory lacks
      ("Troy Baker" is not Troy), reported as unknown instead.
    """
    kept: list[NameMention] = []
    for mention in mentions:
        words = mention.phrase.split()
        if (mention.kind == "title" and len(words) == 1 and not is_credited_title(mention, mentions)
                and mention.phrase.lower().strip("'\"") in english_words()):
            continue  # ("play despacito": a word no dictionary holds is the song)
        if mention.kind == "artist" and mention.phrase.strip().lower() in _STOPWORDS | {"do", "so", "go", "up"}:
            continue
        following = _CAPITALISED_WORD.match(message, mention.span[1])
        if following and (mention.phrase.endswith(("'s", "’s")) or any(m.span[0] == following.start(1) for m in mentions)):
            following = None  # "Adele's Hello", "Coldplay's Don't Panic": the next word starts a name of its own
        if (mention.kind == "artist" and len(words) == 1 and following and not message.isupper()
                and following.group(1).lower() not in _STOPWORDS and not message.istitle()):
            name = message[mention.span[0] : following.end()]
            kept.append(dataclasses.replace(mention, kind="unknown", phrase=name, profile=None, track_ids=(),
                                            span=(mention.span[0], following.end())))
            continue
        kept.append(mention)
    return kept


_PLACE_NEGATION = re.compile(
    r"\b(?:not|no|nothing|none|without|except|but not|anything but|other than|besides|apart from|avoid|skip|"
    r"exclude|never|don'?t want|no more)\b[^.;!?,]*$"
)


def _is_negated_at(text: str, position: int) -> bool:
    """Is the word at `position` in the negated part of its clause ("not from the uk", "no Motown")?"""
    before = re.split(r"[.;!?,]|(?<!anything )(?<!everything )\bbut\b(?! not)|\band\b", text[:position])[-1]
    return bool(_PLACE_NEGATION.search(before))


def _unique_values(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


_VOICE_NOUNS = r"(?:singers?|vocalists?|voices?|vocals|artists?|bands?|groups?|rappers?|fronted)"
_GENDERED_VOICES = {
    "female vocals": re.compile(rf"\b(?:female|woman|women|girl|girls|lady|ladies)\s+(?:[a-z&'-]+\s+){{1,2}}{_VOICE_NOUNS}\b"
                               r"|\b(?:by|from)\s+(?:a\s+|some\s+)?(?:women|woman|girls|ladies|lady)\b(?!['’])"),
    # (not "man" or "guys": "man, some rock bands", "guys any rock bands?" ask for no voice)
    "male vocals": re.compile(rf"\b(?:male|men|boy|boys)\s+(?:[a-z&'-]+\s+){{1,2}}{_VOICE_NOUNS}\b"
                             r"|\b(?:by|from)\s+(?:a\s+|some\s+)?(?:men|man|guys|a guy|dudes)\b(?!['’])"),
}
_GENERIC_NOUNS = re.compile(r"(?<![\w-])(?:songs?|music|tracks?|tunes?|singers?|vocalists?)(?![\w-])")


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with each span replaced by spaces (offsets of the rest unchanged)."""
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def _is_partial_match(phrase: str, name: str) -> bool:
    """A paraphrase that shares some of its words with the phrase but not all ("jazzy beat" ->
    "big beat"): a partial word match, not a paraphrase."""
    phrase_words = {w.rstrip("s") for w in phrase.split()}
    name_words = {w.rstrip("s") for w in re.findall(r"[\w']+", name)}
    shared = phrase_words & name_words
    return bool(shared) and not name_words <= phrase_words


def _has_dislike(clause: str) -> bool:
    return any(cue in clause for cue in _DISLIKE_CUES)


def _clauses(text: str) -> list[str]:
    # "anything but X" negates X; "nothing but X" wants only X: rewrite both before splitting on "but".
    text = re.sub(r"\b(anything|everything|all)\s+but\b", r"\1 except", text)
    text = re.sub(r"\bnothing\s+but\b", "only", text)
    parts = re.split(r"[.;!?,]|\s[-–—]+\s|[–—]|\bbut\b|\bthough\b|\bhowever\b|\balso\b|\bplus\b", text)
    return [p.strip() for p in parts if p.strip()]


def _split_negation(clause: str) -> tuple[str, str]:
    """(positive part, negated part) of a clause: text after a negation cue is negated."""
    best: tuple[int, int] | None = None
    # "lose yourself in", "nothing short of", "non-stop": a cue word that negates nothing (same length, so
    # the positions still point into the clause)
    masked = _NOT_NEGATIONS.sub(lambda m: " " * len(m.group()), clause)
    for cue in _NEGATION_CUES:
        match = re.search(rf"(?:^|\b){re.escape(cue)}\b", masked)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), match.end())
    if best is None:
        return clause, ""
    before, after = clause[: best[0]], clause[best[1] :]
    # "piano instead of guitar": the part before the cue stays wanted. "no singer with jam", "no percussion
    # that captures the angst": the negation ends where a "with" or a relative clause follows a negated
    # content word ("nothing with jam", "no songs that are sad" negate all of it).
    # "less rap more rock", "no piano and more guitar": a "more" after the negated word ends it too
    scope = re.search(r"\b(?:and\s+)?(?:with|that|which|more)\b", after)
    if scope and set(re.findall(r"[a-z']+", after[: scope.start()])) - _STOPWORDS - _FILLER_NOUNS:
        return before + " " + after[scope.start() :], after[: scope.start()]
    return before, after


_STOPWORDS = frozenset(
    "a an the and or of to for with in on at by some something music song songs track tracks tune tunes "
    "i i'd i'm id im me my want wanna would like love please could can you give play find recommend "
    "looking look need get just more less very really bit little kind sort type stuff that this it is "
    "are be sounds sound sounding feel feeling vibe vibes any all whatsoever think kinda sorta maybe mood".split()
)


# Words that stand in for a noun without naming one: "nothing with jam" negates all of it (see _split_negation).
_FILLER_NOUNS = frozenset("anything everything nothing something stuff one ones those these them".split())


# Words for a voice in general: never paraphrased to one kind ("rock vocalists" is no *operatic vocals*)
_VOICE_WORDS = frozenset("vocalist vocalists singer singers".split())


def _content_phrases(tokens: list[str], used: list[bool]) -> list[str]:
    """Unmatched runs of content words (1-3 words) to try against the encoder."""
    phrases: list[str] = []
    run: list[str] = []
    for token, is_used in zip([*tokens, ""], [*used, True]):
        if is_used or token in _STOPWORDS or token in _VOICE_WORDS or not token or token.startswith("#"):
            if run:
                phrases.append(" ".join(run[-3:]))
                if len(run) > 1:
                    phrases.extend(run[-3:])
            run = []
        else:
            run.append(token)
    return list(dict.fromkeys(p for p in phrases if len(p) >= 4))[:16]
