"""Find the release era a listener asks for: "80s", "the late seventies", "2010-2014", "older stuff".

Pure text analysis: no catalogue, no state. Explicit eras (years, decades, ranges, "before 2000")
win over vague ones ("oldies", "something recent"); among equals the leftmost is reported.
Catalogue descriptors such as "90s production" are not treated differently: the era is
reported and the caller decides whether to keep the descriptor too.

Example:
    >>> find_era("late 70s funk")
    EraMatch(start=1976, end=1979, is_explicit=True, phrase='late 70s', span=(0, 8))
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from chatbot.textfold import fold

logger = logging.getLogger(__name__)

MIN_YEAR = 1900  # the open end of "before 2000" and of vague "older" requests
OLD_END_YEAR = 1989  # vague "oldies", "classic", "old school": up to the end of the 80s
RECENT_YEARS = 6  # vague "recent", "new", "latest": the last six years
DEFAULT_CURRENT_YEAR = 2026


@dataclass(frozen=True)
class EraMatch:
    """An era named in a message; ``start`` and ``end`` are inclusive years, ``span`` character offsets."""

    start: int
    end: int
    is_explicit: bool
    phrase: str
    span: tuple[int, int]


@dataclass(frozen=True)
class _Atom:
    start_year: int
    end_year: int
    begin: int
    end: int


_WORD_DECADES = {
    "thirties": 1930, "forties": 1940, "fifties": 1950, "sixties": 1960, "seventies": 1970,
    "eighties": 1980, "nineties": 1990, "noughties": 2000, "naughties": 2000, "aughts": 2000,
    "two thousands": 2000, "twenty tens": 2010, "twenty-tens": 2010,
}
_MODIFIER = r"(?:(?P<mod>early|mid|late)[\s-]*)?"
_DECADE = re.compile(
    r"(?<![\w#'.])(?:the\s+)?" + _MODIFIER
    + r"(?:(?P<d4>(?:19|20)\d0)|'?(?P<d2>\d0))'?s(?:[\s-]+era)?(?![\w])"
)
_WORD_DECADE = re.compile(
    r"(?<![\w])(?:the\s+)?" + _MODIFIER
    + r"(?P<word>" + "|".join(sorted(_WORD_DECADES, key=len, reverse=True)) + r")(?:[\s-]+era)?(?![\w])"
)
_Y2K = re.compile(r"(?<![\w])y2k(?:[\s-]+era)?(?![\w])")
_YEAR_RANGE_SHORT = re.compile(r"(?<![\w#.])(?P<y>(?:19|20)\d{2})\s*[-/]\s*(?P<e>\d{2})(?![\w])")
_YEAR = re.compile(r"(?<![\w#.$])(?P<y>(?:19|20)\d{2})(?![\w%])(?:[\s-]+era)?")
_SHORT_YEAR = re.compile(r"(?<![\w])'(?P<y>\d{2})(?![\ws])")
_NOT_A_YEAR_BEFORE = re.compile(r"(?:\btop|\bnumber|\bno\.|\bnr\.?|#|\bthe first|\bover|\bunder|\bround)\s*$")
_NOT_A_YEAR_AFTER = re.compile(
    r"^\s*(?:bpm|hz|khz|kbps|plays|views|streams|followers|listeners|times|x\b|ms\b|songs? long|minutes|seconds|%)"
)
_CONNECTOR = re.compile(r"^\s*(?:-|/|,|&|\+|and|or|to|through|thru|till|until|into|and the|or the|to the|vs\.?)?\s*$")
_BEFORE = re.compile(
    r"(?:\bbefore|\bpre|\bprior to|\bearlier than|\bolder than|\bup to|\bup until|\buntil|\btill)[\s-]*(?:the\s+)?$"
)
_AFTER = re.compile(r"(?:\bafter|\bpost|\blater than|\bnewer than)[\s-]*(?:the\s+)?$")
_SINCE = re.compile(r"\bsince\s+(?:the\s+)?$")
_LEAD_IN = re.compile(r"(?:\bbetween|\bfrom|\bin|\bof|\baround|\bcirca|\bca\.|\bduring)\s+(?:the\s+)?$")
_ONWARD = re.compile(r"^(?:\s*(?:onwards?|on|and (?:later|after|newer|up)|or (?:later|newer))\b|\+)")
_UNTIL_SUFFIX = re.compile(r"^\s*(?:and|or) (?:earlier|before|older)\b")

_OLD = re.compile(
    r"(?<![\w])(?:golden oldies|oldies|oldie|old[\s-]school|old[\s-]fashioned|older|back in the day|throwbacks?|"
    r"classics|classic(?!al)|vintage|retro|old(?=\s+(?:songs?|music|stuff|tracks?|tunes?|hits?|records?|ones?|favou?rites)\b))"
    r"(?![\w])"
)
_NEW = re.compile(
    r"(?<![\w])(?:recently released|recent|latest|newest|newer|nowadays|these days|today's|new[\s-]school|"
    r"modern(?!\s+classical)|"
    r"current(?!\s+(?:list|results?|ones?|selection|playlist|picks?))|"
    r"brand[\s-]new|new(?![\s-]+(?:wave|age|order|york|orleans|zealand|jersey|mexico|search|ones?|jack|romantic|list|batch|set|"
    r"recommendations?|suggestions?|picks?|direction|results?|things?|genre|artists? to me|to me))|"
    r"(?:the\s+)?(?:last|past)\s+(?:few|couple of|couple)\s+years|trending|"
    r"(?:popular|hot|big|playing|out)\s+(?:right\s+)?now|(?:hits|charts?) (?:of )?today|(?:music|songs) of today)(?![\w'])"
)
# Whose music: "songs my grandma would like" leans to before 1970, "what my dad listens to" to 1965-1994.
_GENERATIONS = (
    (re.compile(r"\b(?:grandma|grandpa|granny|grandmother|grandfather|grandparents?|grandad|granddad|nana)(?:'?s)?\b"),
     (MIN_YEAR, 1969)),
    (re.compile(r"\b(?:my|our|your) (?:mom|mum|dad|mother|father|parents|folks|old man)(?:'?s)?\b"), (1965, 1994)),
)
_NOT_RECENT_NEW = re.compile(r"(?:\bsomething|\banything|\ba|\btry|\bsome)\s+$")
_THIS_YEAR = re.compile(r"(?<![\w])(?:this year|this year's)(?![\w])")
_LAST_YEAR = re.compile(r"(?<![\w])(?:last year|last year's)(?![\w])")


def find_era(text: str, *, current_year: int = DEFAULT_CURRENT_YEAR) -> EraMatch | None:
    """The era a message asks for, or None.

    Args:
        text: the user's message (any string).
        current_year: the year "recent", "this year" and "after 2010" end in.

    Returns:
        An EraMatch with inclusive ``start``/``end`` years, whether the era is explicit
        (a year, decade or range) or vague ("older", "recent"), the matched phrase and its
        character span in ``text``; None when the message names no era.
    """
    if not isinstance(text, str) or not text:
        return None
    folded = fold(text)
    atoms = _explicit_atoms(folded, current_year)
    explicit = _merge(atoms, folded)
    if explicit:
        atom = explicit[0]
        begin, end, start_year, end_year = _with_context(atom, folded, current_year)
        return EraMatch(start_year, end_year, True, text[begin:end], (begin, end))
    vague = _vague(folded, current_year)
    if vague is None:
        return None
    start_year, end_year, begin, end, is_explicit = vague
    return EraMatch(start_year, end_year, is_explicit, text[begin:end], (begin, end))


def _decade_years(decade: int, modifier: str | None) -> tuple[int, int]:
    if modifier == "early":
        return decade, decade + 3
    if modifier == "mid":
        return decade + 3, decade + 6
    if modifier == "late":
        return decade + 6, decade + 9
    return decade, decade + 9


def _explicit_atoms(folded: str, current_year: int) -> list[_Atom]:
    atoms: list[_Atom] = []
    taken = [False] * len(folded)

    def add(start_year: int, end_year: int, begin: int, end: int) -> None:
        if any(taken[begin:end]) or start_year > end_year:
            return
        for i in range(begin, end):
            taken[i] = True
        atoms.append(_Atom(start_year, end_year, begin, end))

    for match in _DECADE.finditer(folded):
        if match.group("d4"):
            decade = int(match.group("d4"))
        else:
            two = int(match.group("d2"))
            decade = 1900 + two if two >= 30 else 2000 + two
        add(*_decade_years(decade, match.group("mod")), match.start(), match.end())
    for match in _WORD_DECADE.finditer(folded):
        add(*_decade_years(_WORD_DECADES[match.group("word")], match.group("mod")), match.start(), match.end())
    for match in _Y2K.finditer(folded):
        add(1998, 2002, match.start(), match.end())
    for match in _YEAR_RANGE_SHORT.finditer(folded):
        first = int(match.group("y"))
        last = first // 100 * 100 + int(match.group("e"))
        if _is_year(first, current_year) and first <= last <= current_year + 1:
            add(first, last, match.start(), match.end())
    for match in _YEAR.finditer(folded):
        year = int(match.group("y"))
        if not _is_year(year, current_year):
            continue
        if _NOT_A_YEAR_BEFORE.search(folded[: match.start()]) or _NOT_A_YEAR_AFTER.match(folded[match.end("y"):]):
            continue
        add(year, year, match.start(), match.end())
    for match in _SHORT_YEAR.finditer(folded):
        two = int(match.group("y"))
        year = 1900 + two if 1900 + two >= 1930 else 2000 + two
        if two >= 30 or 2000 + two <= current_year:
            add(year, year, match.start(), match.end())
    return sorted(atoms, key=lambda a: a.begin)


def _is_year(year: int, current_year: int) -> bool:
    return MIN_YEAR <= year <= current_year + 1


def _merge(atoms: list[_Atom], folded: str) -> list[_Atom]:
    """Join "80s or 90s", "2010-2014", "2015 2016 era", "late 80s to early 90s" into one range."""
    merged: list[_Atom] = []
    for atom in atoms:
        if merged and _CONNECTOR.match(folded[merged[-1].end : atom.begin]) and atom.begin - merged[-1].end <= 12:
            last = merged[-1]
            end = atom.end
            tail = re.match(r"[\s-]+era(?![\w])", folded[end:])
            if tail:
                end += tail.end()
            merged[-1] = _Atom(min(last.start_year, atom.start_year), max(last.end_year, atom.end_year), last.begin, end)
        else:
            merged.append(atom)
    return merged


def _with_context(atom: _Atom, folded: str, current_year: int) -> tuple[int, int, int, int]:
    """Widen an atom by "before"/"after"/"since"/"onwards" cues: (begin, end, start year, end year)."""
    before_text, after_text = folded[: atom.begin], folded[atom.end :]
    begin, end = atom.begin, atom.end
    start_year, end_year = atom.start_year, atom.end_year
    if match := _BEFORE.search(before_text):
        begin = match.start()
        inclusive = re.match(r"(?:up to|up until|until|till)", match.group(0))
        start_year, end_year = MIN_YEAR, atom.end_year if inclusive else max(MIN_YEAR, atom.start_year - 1)
    elif match := _AFTER.search(before_text):
        begin = match.start()
        start_year, end_year = atom.end_year + 1, max(current_year, atom.end_year + 1)
    elif match := _SINCE.search(before_text):
        begin = match.start()
        end_year = max(current_year, atom.end_year)
    else:
        if match := _LEAD_IN.search(before_text):
            begin = match.start()
        if onward := _ONWARD.match(after_text):
            end += onward.end()
            end_year = max(current_year, atom.end_year)
        elif until := _UNTIL_SUFFIX.match(after_text):
            end += until.end()
            start_year = MIN_YEAR
    return begin, end, start_year, end_year


def _vague(folded: str, current_year: int) -> tuple[int, int, int, int, bool] | None:
    """(start year, end year, begin, end, is_explicit) of the leftmost vague era cue, or None."""
    found: list[tuple[int, int, int, int, bool]] = []
    if match := _THIS_YEAR.search(folded):
        found.append((current_year, current_year, match.start(), match.end(), True))
    if match := _LAST_YEAR.search(folded):
        found.append((current_year - 1, current_year - 1, match.start(), match.end(), True))
    for match in _OLD.finditer(folded):
        found.append((MIN_YEAR, OLD_END_YEAR, match.start(), match.end(), False))
        break
    for pattern, (start_year, end_year) in _GENERATIONS:  # "something my grandma would like"
        if match := pattern.search(folded):
            found.append((start_year, end_year, match.start(), match.end(), False))
    for match in _NEW.finditer(folded):
        if match.group(0) == "new" and _NOT_RECENT_NEW.search(folded[: match.start()]):
            continue
        found.append((current_year - RECENT_YEARS, current_year, match.start(), match.end(), False))
        break
    if not found:
        return None
    found.sort(key=lambda item: (not item[4], item[2]))
    return found[0]
