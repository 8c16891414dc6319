"""Era, place, language and mood requests on the built-in catalogue, checked as a listener would.

The thresholds ("at least 7 of 10") are what a listener would accept, not the current ranking.
"""

from __future__ import annotations

import pytest

from chatbot import Conversation
from retriever import load_vocabulary

VOCAL = {d for d in load_vocabulary().in_facet("vocals") if d != "instrumental"}
SAD = {"sad", "melancholic", "heartbreak", "gloomy", "somber", "mournful", "grief", "lonely", "depressing"}
HAPPY = {"happy", "uplifting", "cheerful", "euphoric", "joyful", "playful", "carefree", "festive", "hopeful",
         "triumphant", "empowering", "sunny"}


def _language(view) -> str:  # noqa: ANN001 - a ResultView
    return str(view.track.metadata.get("language", ""))


def _region(view) -> str:  # noqa: ANN001
    return str(view.track.metadata.get("region", ""))


def test_a_new_standalone_request_starts_a_new_search(builtin_recommender) -> None:  # noqa: ANN001
    conversation = Conversation(builtin_recommender)
    first = conversation.say("dark 90s music")
    assert first.state["years"] == {"from": 1990, "to": 1999, "is_filter": True}
    second = conversation.say("japanese chill beats")
    assert second.state["years"] is None  # the 90s belonged to the previous request
    assert "dark" not in second.state["wanted"]
    assert any("new search" in line.lower() for line in [*second.notices, second.reply])
    dark_90s = [v for v in second.results if "dark" in v.track.descriptors and 1990 <= (v.track.year or 0) <= 1999]
    assert len(dark_90s) <= 2, [v.track.title for v in dark_90s]
    assert sum(_region(v) == "east asia" for v in second.results) >= 8


def test_female_singer_from_brazil_after_disco_gives_brazilian_songs(builtin_recommender) -> None:  # noqa: ANN001
    conversation = Conversation(builtin_recommender)
    conversation.say("70s disco")
    turn = conversation.say("female singer from brazil")
    assert len(turn.results) == 10
    assert all(_region(v) == "latin america" for v in turn.results)
    assert sum("female vocals" in v.track.descriptors for v in turn.results) >= 8
    # The catalogue holds only 4 Portuguese-language songs with a female singer: they should lead.
    assert sum(_language(v) == "portuguese" for v in turn.results[:5]) >= 3, [v.track.title for v in turn.results]
    assert sum(_language(v) in {"portuguese", "spanish"} for v in turn.results) >= 8
    assert not any("disco" in v.track.descriptors for v in turn.results)


def test_80s_synth_pop_is_all_from_the_80s(builtin_recommender) -> None:  # noqa: ANN001
    turn = Conversation(builtin_recommender).say("80s synth pop")
    assert len(turn.results) == 10
    assert all(1980 <= (v.track.year or 0) <= 1989 for v in turn.results), [(v.track.title, v.track.year)
                                                                            for v in turn.results]
    assert sum(bool({"synth-pop", "new wave", "80s synths"} & set(v.track.descriptors)) for v in turn.results) >= 7


def test_songs_in_french_are_all_in_french(builtin_recommender) -> None:  # noqa: ANN001
    turn = Conversation(builtin_recommender).say("songs in french")
    assert turn.state["languages"] == ["french"]
    assert len(turn.results) == 10
    assert all(_language(v) == "french" for v in turn.results), [(v.track.title, _language(v)) for v in turn.results]


def test_mas_rapido_after_calm_piano_asks_for_a_faster_tempo(builtin_recommender) -> None:  # noqa: ANN001
    conversation = Conversation(builtin_recommender)
    conversation.say("calm piano music")
    turn = conversation.say("más rápido")
    assert turn.state["wanted"][0] == "fast tempo"
    assert "piano" in turn.state["wanted"]  # a refinement keeps the request


def test_mas_rapido_after_calm_piano_gives_faster_songs(builtin_recommender) -> None:  # noqa: ANN001
    conversation = Conversation(builtin_recommender)
    before = conversation.say("calm piano music")
    after = conversation.say("más rápido")

    def slow(turn) -> int:  # noqa: ANN001
        return sum("slow tempo" in v.track.descriptors for v in turn.results)

    assert slow(after) <= slow(before) - 3


@pytest.mark.parametrize("history", [[], ["calm piano music"]], ids=["alone", "after-calm-piano"])
def test_sin_voces_excludes_vocals(builtin_recommender, history: list[str]) -> None:  # noqa: ANN001
    conversation = Conversation(builtin_recommender)
    for message in history:
        conversation.say(message)
    turn = conversation.say("sin voces por favor")
    assert "vocals" in turn.state["excluded"]
    assert len(turn.results) == 10
    for view in turn.results:
        assert not VOCAL & set(view.track.descriptors), (view.track.title, view.track.descriptors)


def test_cheer_me_up_gives_happy_songs_and_no_sad_ones(builtin_recommender) -> None:  # noqa: ANN001
    turn = Conversation(builtin_recommender).say("cheer me up")
    assert len(turn.results) == 10
    sad = [v.track.title for v in turn.results if SAD & set(v.track.descriptors)]
    assert not sad
    assert sum(bool(HAPPY & set(v.track.descriptors)) for v in turn.results) >= 7


def test_a_title_seed_but_newer_gives_songs_like_it_from_after_it(builtin_recommender) -> None:  # noqa: ANN001
    turn = Conversation(builtin_recommender).say("something like No Woman No Cry but newer")
    seed = next(t for t in builtin_recommender.tracks.values() if t.title.startswith("No Woman, No Cry"))
    assert turn.state["references"] == [seed.id]
    years = [view.track.year for view in turn.results]
    assert years and all(year is not None and year > seed.year for year in years), years
    reggae = {"reggae", "roots reggae", "dub", "dancehall", "rocksteady", "ska", "lovers rock"}
    assert sum(bool(reggae & set(view.track.descriptors)) for view in turn.results) >= 6


def test_a_filter_that_runs_out_says_what_to_drop(builtin_recommender) -> None:  # noqa: ANN001
    turn = Conversation(builtin_recommender).say("hindi songs from the 1950s")
    assert turn.state["languages"] == ["hindi"] and turn.state["years"]["from"] == 1950
    assert all(view.track.metadata.get("language") == "hindi" and 1950 <= view.track.year <= 1959
               for view in turn.results)
    assert len(turn.results) < 10  # the catalogue has a couple: the list is short, not filled with others
    assert any("dropping" in notice for notice in turn.notices), turn.notices
