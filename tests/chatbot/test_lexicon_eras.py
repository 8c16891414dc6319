"""chatbot/eras.py: the era a listener asks for, explicit or vague, and numbers that are not years."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatbot.eras import MIN_YEAR, EraMatch, find_era

EXPLICIT = [
    ("80s synthpop please", 1980, 1989, "80s"),
    ("some '80s rock", 1980, 1989, "'80s"),
    ("songs from the 1980s", 1980, 1989, "from the 1980s"),
    ("take me back to the eighties", 1980, 1989, "the eighties"),
    ("soul from the seventies", 1970, 1979, "from the seventies"),
    ("something from 2015", 2015, 2015, "from 2015"),
    ("a rap song released in 1997", 1997, 1997, "in 1997"),
    ("that 2015 2016 era of edm", 2015, 2016, "2015 2016 era"),
    ("indie rock 2010-2014", 2010, 2014, "2010-2014"),
    ("indie rock 2010–14", 2010, 2014, "2010–14"),
    ("early 90s grunge", 1990, 1993, "early 90s"),
    ("late 70s disco", 1976, 1979, "late 70s"),
    ("mid 80s pop", 1983, 1986, "mid 80s"),
    ("the mid-80s", 1983, 1986, "the mid-80s"),
    ("90s-era boom bap", 1990, 1999, "90s-era"),
    ("90's r&b", 1990, 1999, "90's"),
    ("anything before 2000", MIN_YEAR, 1999, "before 2000"),
    ("pop after 2010", 2011, 2026, "after 2010"),
    ("pre-2000 hip hop", MIN_YEAR, 1999, "pre-2000"),
    ("pre-90s metal", MIN_YEAR, 1989, "pre-90s"),
    ("2000s emo", 2000, 2009, "2000s"),
    ("noughties indie", 2000, 2009, "noughties"),
    ("early 2000s r&b", 2000, 2003, "early 2000s"),
    ("80s or 90s rock", 1980, 1999, "80s or 90s"),
    ("late 80s to early 90s house", 1986, 1993, "late 80s to early 90s"),
    ("between 2010 and 2014", 2010, 2014, "between 2010 and 2014"),
    ("country since the 90s", 1990, 2026, "since the 90s"),
    ("from 2015 onwards", 2015, 2026, "from 2015 onwards"),
    ("the 2010s", 2010, 2019, "the 2010s"),
    ("songs from this year", 2026, 2026, "this year"),
    ("the sixties and seventies", 1960, 1979, "the sixties and seventies"),
    ("y2k pop", 1998, 2002, "y2k"),
    ("90s production with 80s synths", 1990, 1999, "90s"),
]


@pytest.mark.parametrize(("text", "start", "end", "phrase"), EXPLICIT)
def test_explicit_eras(text: str, start: int, end: int, phrase: str) -> None:
    match = find_era(text)
    assert match is not None
    assert (match.start, match.end, match.is_explicit, match.phrase) == (start, end, True, phrase)
    assert text[match.span[0] : match.span[1]] == match.phrase


VAGUE_OLD = ["something older", "old school hip hop", "play some oldies", "classic rock anthems",
             "old songs my dad likes", "throwback jams", "vintage soul"]
VAGUE_NEW = ["something recent", "new songs", "the latest hits", "modern r&b", "current pop",
             "what's popular these days", "brand new music", "songs from the last few years",
             "what's popular right now?", "songs that are hot right now", "what's trending", "top hits of today"]


@pytest.mark.parametrize("text", VAGUE_OLD)
def test_vague_old_eras(text: str) -> None:
    match = find_era(text)
    assert match is not None and not match.is_explicit
    assert match.start == MIN_YEAR and match.end == 1989


@pytest.mark.parametrize("text", VAGUE_NEW)
def test_vague_recent_eras_follow_current_year(text: str) -> None:
    match = find_era(text, current_year=2030)
    assert match is not None and not match.is_explicit
    assert (match.start, match.end) == (2024, 2030)


def test_explicit_beats_vague_wherever_it_is() -> None:
    match = find_era("older stuff, ideally from the 60s")
    assert match is not None and (match.start, match.end, match.is_explicit) == (1960, 1969, True)


NOT_ERAS = [
    "top 10 songs", "more like #2", "120 bpm house", "I like 2 and 3", "not number 5", "play 3 songs",
    "classical music for studying", "new wave", "new age meditation", "something new", "a new search please",
    "songs about new york", "track 1999 bpm", "just give me 100 tracks", "over 9000", "the second one",
    "kpop with a 4/4 beat", "artists from new zealand", "contemporary classical", "modern classical piano",
    "give me new ones", "music for today", "i want to dance today", "songs to play now", "",
]


@pytest.mark.parametrize("text", NOT_ERAS)
def test_no_false_era(text: str) -> None:
    assert find_era(text) is None


def test_span_points_into_original_text_with_accents() -> None:
    text = "Música de los años 80s"
    match = find_era(text)
    assert match is not None and text[match.span[0] : match.span[1]] == "80s"


def test_match_is_frozen() -> None:
    match = find_era("80s")
    assert isinstance(match, EraMatch)
    with pytest.raises(AttributeError):
        match.start = 1  # type: ignore[misc]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_never_raises_and_is_consistent(text: str) -> None:
    match = find_era(text)
    if match is not None:
        assert match.start <= match.end
        assert text[match.span[0] : match.span[1]] == match.phrase


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["80s", "from", "1997", "-", "to", "before", "new", "old", "the", "late", "'", "s",
                                 "2010", "14", "#", "top", "era", " ", "and"]), max_size=12))
def test_never_raises_on_era_like_fragments(parts: list[str]) -> None:
    text = " ".join(parts)
    match = find_era(text)
    if match is not None:
        assert match.start <= match.end


def test_before_the_first_year_stays_a_valid_range() -> None:
    match = find_era("before 1900")
    assert match is not None and match.start <= match.end


@pytest.mark.parametrize(("text", "start", "end"), [
    ("play something my grandma would like", MIN_YEAR, 1969),
    ("music for my grandparents' anniversary", MIN_YEAR, 1969),
    ("songs my dad would listen to while fixing his car", 1965, 1994),
    ("what my parents danced to", 1965, 1994),
])
def test_whose_music_leans_to_their_generation(text: str, start: int, end: int) -> None:
    """"something my grandma would like" asked for no era at all, and got video game themes."""
    era = find_era(text)
    assert era is not None and (era.start, era.end, era.is_explicit) == (start, end, False)


def test_an_explicit_era_wins_over_whose_music_it_is() -> None:
    era = find_era("90s songs my dad likes")
    assert era is not None and (era.start, era.end) == (1990, 1999)


def test_new_school_is_recent_even_after_some() -> None:
    """"Ok, maybe some new school would do" after "old school please" kept the old-school era (CPCD)."""
    era = find_era("Ok, maybe some new school would do")
    assert era is not None and era.start >= 2010 and not era.is_explicit
