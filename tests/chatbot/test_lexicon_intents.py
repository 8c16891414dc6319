"""chatbot/intents.py: listener phrases -> wanted/avoided vocabulary descriptors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatbot.intents import DEFAULT_INTENTS, IntentMatch, build_intent_table, find_intents, load_intent_table

ASSETS = Path(__file__).resolve().parents[2] / "assets"
RAW = json.loads(DEFAULT_INTENTS.read_text(encoding="utf-8"))


def _known_descriptors() -> set[str]:
    vocabulary = json.loads((ASSETS / "vocabulary.json").read_text(encoding="utf-8"))
    names = {d["name"] for d in vocabulary["descriptors"]}
    for line in (ASSETS / "catalogue.jsonl").read_text(encoding="utf-8").splitlines():
        if line:
            names.update(json.loads(line)["descriptors"])
    return names


def test_at_least_forty_intents() -> None:
    assert len(load_intent_table().intents) >= 40


def test_every_descriptor_exists_in_vocabulary_or_catalogue() -> None:
    known = _known_descriptors()
    for entry in RAW["intents"]:
        unknown = [d for d in (*entry["wanted"], *entry["avoided"]) if d not in known]
        assert not unknown, (entry["phrases"][0], unknown)
        assert not set(entry["wanted"]) & set(entry["avoided"]), entry["phrases"][0]


CASES = [
    ("cheer me up", "cheer me up", {"uplifting", "happy", "upbeat"}, {"sad", "melancholic"}),
    ("I'm sad and want to feel better", "I'm sad and want to feel better", {"uplifting", "happy"}, {"sad"}),
    ("im sad and want to feel better", "im sad and want to feel better", {"uplifting"}, {"sad"}),
    ("please make me happy", "make me happy", {"happy"}, {"sad"}),
    ("I need a pick me up", "pick me up", {"uplifting", "upbeat"}, {"sad"}),
    ("something to cry to", "something to cry to", {"sad", "melancholic"}, {"happy"}),
    ("chill beats", "chill beats", {"laid-back", "chill out"}, {"aggressive"}),
    ("chill vibes only", "chill vibes", {"laid-back"}, set()),
    ("songs for a road trip", "for a road trip", {"road trip"}, set()),
    ("music to focus", "to focus", {"focus"}, set()),
    ("lo-fi to study", "to study", {"study"}, {"aggressive"}),
    ("tunes for a party", "for a party", {"party", "danceable"}, {"sad"}),
    ("workout playlist", "workout", {"workout", "high energy"}, {"calm"}),
    ("something to sleep", "to sleep", {"sleep", "calm"}, {"high energy"}),
    ("perfect for a rainy day", "a rainy day", {"rainy day"}, set()),
    ("date night jazz", "date night", {"romantic evening", "romantic"}, set()),
    ("background for dinner", "for dinner", {"dinner party"}, set()),
    ("songs to dance to", "songs to dance to", {"danceable"}, {"slow tempo"}),
    ("wake me up", "wake me up", {"morning"}, {"sleep"}),
    ("calm me down", "calm me down", {"calm"}, {"aggressive"}),
    ("I'm so angry", "I'm so angry", {"angry", "aggressive"}, {"calm"}),
    ("heartbroken", "heartbroken", {"heartbreak", "sad"}, {"happy"}),
    ("feeling nostalgic tonight", "feeling nostalgic", {"nostalgic"}, set()),
    ("Hype me up before the game", "Hype me up", {"motivation", "high energy"}, {"calm"}),
    ("something for yoga", "for yoga", {"meditation"}, {"aggressive"}),
    ("music while cleaning the house", "while cleaning", {"upbeat"}, {"sad"}),
    ("halloween party", "halloween party", {"halloween", "eerie"}, set()),
    ("for my kids", "for my kids", {"kids"}, {"sensual"}),
    ("I'm stressed out", "I'm stressed", {"calm"}, {"aggressive"}),
    ("CHEER ME UP", "CHEER ME UP", {"uplifting"}, {"sad"}),
    ("music for a rainy sunday morning", "rainy sunday morning", {"rainy day", "mellow"}, {"festive"}),
    ("I like to play bard music in the background", "music in the background", {"calm"}, set()),
]


def test_a_rainy_morning_is_rain_not_a_cheerful_morning() -> None:
    assert [m.phrase for m in find_intents("music for a rainy sunday morning")] == ["rainy sunday morning"]


@pytest.mark.parametrize(("text", "phrase", "wanted", "avoided"), CASES)
def test_intents(text: str, phrase: str, wanted: set, avoided: set) -> None:
    matches = find_intents(text)
    assert matches, text
    first = matches[0]
    assert first.phrase == phrase
    assert wanted <= set(first.wanted)
    assert avoided <= set(first.avoided)
    assert text[first.span[0] : first.span[1]] == first.phrase
    assert not first.is_negated


def test_several_intents_in_order() -> None:
    matches = find_intents("chill beats to study to, it's a rainy day")
    assert [m.phrase for m in matches] == ["chill beats", "to study", "a rainy day"]


@pytest.mark.parametrize("text", ["no party music please", "nothing to cry to", "not for a party, just to study",
                                  "I don't want workout stuff"])
def test_negated_intents_are_marked(text: str) -> None:
    matches = find_intents(text)
    assert matches and matches[0].is_negated


def test_negation_does_not_reach_across_clauses() -> None:
    matches = find_intents("not that one, something to cry to")
    assert [m.is_negated for m in matches] == [False]


NO_INTENT = ["more like #2", "80s synthpop", "church organ music", "rage against the machine", "bedroom pop",
             "songs by radiohead", "something like aphex twin", "start over", "a song with piano", "", "chillwave"]


@pytest.mark.parametrize("text", NO_INTENT)
def test_no_false_intent(text: str) -> None:
    assert find_intents(text) == []


def test_bad_table_is_rejected() -> None:
    with pytest.raises(ValueError, match="needs phrases"):
        build_intent_table({"intents": [{"phrases": ["x"], "wanted": []}]})
    with pytest.raises(ValueError, match="listed for two intents"):
        build_intent_table({"intents": [{"phrases": ["chill"], "wanted": ["calm"]},
                                        {"phrases": ["chill"], "wanted": ["mellow"]}]})


def test_custom_table() -> None:
    table = build_intent_table({"intents": [{"phrases": ["for the sauna"], "wanted": ["calm"], "avoided": []}]})
    assert find_intents("music for the sauna", table=table) == [
        IntentMatch("for the sauna", ("calm",), (), (6, 19), False)
    ]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_never_raises(text: str) -> None:
    for match in find_intents(text):
        assert text[match.span[0] : match.span[1]] == match.phrase
