"""Requests that name an artist, against the built-in catalogue with the packaged MiniLM (no artist knowledge).

benchmarks/artist_requests.py measures the same behaviour on real Reddit requests (MusicRecoNER).
"""

from __future__ import annotations

import pytest

from chatbot import Conversation

MARLEY = "Bob Marley & The Wailers"
# The reggae family as the built-in catalogue spells it ("lovers rock" is not in it; reggaeton is another family).
REGGAE_FAMILY = {"reggae", "roots reggae", "dub", "dancehall", "rocksteady", "ska"}


def is_reggae(track) -> bool:  # noqa: ANN001 - a retriever.Track
    return bool(REGGAE_FAMILY & {d.lower() for d in track.descriptors})


def listed_artists(state: dict) -> list[str]:
    return [*state["artists"]["like"], *state["artists"]["by"], *state["artists"]["excluded"]]


def test_songs_like_bob_marley_are_reggae_and_mostly_by_others(builtin_recommender) -> None:  # noqa: ANN001
    turn = Conversation(builtin_recommender).say("songs like Bob Marley")
    tracks = [view.track for view in turn.results]
    assert len(tracks) == 10
    assert sum(is_reggae(t) for t in tracks) >= 8, [(t.artist, t.title) for t in tracks]
    assert sum(t.artist == MARLEY for t in tracks) <= 2, [t.artist for t in tracks]
    assert turn.state["artists"]["like"] == [MARLEY]


def test_play_bob_marley_puts_their_songs_first(builtin_recommender) -> None:  # noqa: ANN001
    profile = builtin_recommender.artists.resolve("Bob Marley")
    assert profile is not None and profile.name == MARLEY and profile.track_ids
    turn = Conversation(builtin_recommender).say("play Bob Marley")
    first = [view.track for view in turn.results[: min(10, len(profile.track_ids))]]
    assert [t.artist for t in first] == [MARLEY] * len(first)
    assert turn.state["artists"]["by"] == [MARLEY]


def test_reggae_but_not_bob_marley_leaves_him_out(builtin_recommender) -> None:  # noqa: ANN001
    turn = Conversation(builtin_recommender).say("reggae but not Bob Marley")
    tracks = [view.track for view in turn.results]
    assert len(tracks) == 10
    assert not [t.title for t in tracks if t.artist == MARLEY]
    assert sum(is_reggae(t) for t in tracks) >= 8, [(t.artist, t.title) for t in tracks]
    assert turn.state["artists"]["excluded"] == [MARLEY]


def test_an_unknown_artist_is_named_honestly_and_not_invented(builtin_recommender) -> None:  # noqa: ANN001
    turn = Conversation(builtin_recommender).say("something like Zzyzx Quartet")
    notices = [n for n in turn.notices if "I don't know" in n]
    assert notices and "zzyzx quartet" in notices[0].lower(), turn.notices
    assert listed_artists(turn.state) == []


def test_a_song_of_a_catalogue_artist_that_the_catalogue_lacks_still_gives_songs_like_the_artist(
    builtin_recommender,  # noqa: ANN001
) -> None:
    turn = Conversation(builtin_recommender).say("a song similar to Elvis Presley's \"Love Me\"?")
    assert turn.state["artists"]["like"] == ["Elvis Presley"]
    genres = {d for i in builtin_recommender.artists.resolve("Elvis Presley").track_ids
              for d in builtin_recommender.tracks[i].descriptors
              if builtin_recommender.vocabulary.facet_of(d.lower()) == "genre"}
    tracks = [view.track for view in turn.results]
    assert sum(bool(genres & {d.lower() for d in t.descriptors}) for t in tracks) >= 5, [t.title for t in tracks]


def test_their_later_stuff_is_the_artists_later_songs(builtin_recommender) -> None:  # noqa: ANN001
    """"their later stuff" after "play some Nirvana" listed the same five 1991-1993 songs again: "later"
    was no era; it is now after the median year of the artist's own songs."""
    conversation = Conversation(builtin_recommender)
    conversation.say("play some Nirvana")
    turn = conversation.say("their later stuff")
    nirvana = [view.track for view in turn.results if view.track.artist == "Nirvana"]
    assert nirvana and all(t.year >= 1992 for t in nirvana), [(t.title, t.year) for t in nirvana]
    assert turn.results[0].track.artist == "Nirvana"


@pytest.mark.parametrize("message", ["Nirvana's early songs", "early nirvana", "the early stuff by Nirvana"])
def test_an_artists_early_songs_are_theirs_and_early(builtin_recommender, message: str) -> None:  # noqa: ANN001
    turn = Conversation(builtin_recommender).say(message)
    first = turn.results[0].track
    assert (first.artist, first.year) == ("Nirvana", 1989), [(v.track.artist, v.track.year) for v in turn.results]
    assert turn.state["artists"]["by"] == ["Nirvana"]


def test_like_an_artist_but_more_modern_is_newer_than_the_artist(builtin_recommender) -> None:  # noqa: ANN001
    """"like bob marley but more modern" leaned to 2020-2026 with a weak boost and listed five 1970s
    songs under a header saying 2020-2026; newer than Bob Marley is after his songs."""
    turn = Conversation(builtin_recommender).say("i want something like bob marley but more modern")
    tracks = [view.track for view in turn.results]
    assert all(t.year and t.year > 1983 for t in tracks), [(t.artist, t.year) for t in tracks]
    assert sum(is_reggae(t) for t in tracks) >= 7, [(t.artist, t.title) for t in tracks]


def test_an_era_word_before_a_band_named_with_it_is_no_era() -> None:
    from chatbot.eras import find_era

    assert find_era("songs from new order") is None
    assert find_era("new music please") is not None


def test_slower_after_a_party_list_lists_no_song_of_it_that_is_not_slow(builtin_recommender) -> None:  # noqa: ANN001
    """"slower" after "some dance music for a party" listed the same five party songs again (none of them
    slow): a song cannot be slower than itself."""
    conversation = Conversation(builtin_recommender)
    first = conversation.say("some dance music for a party")
    turn = conversation.say("slower")
    shown = {view.track.id for view in first.results}
    again = [v.track.title for v in turn.results[:5] if v.track.id in shown]
    assert not again, again
    assert sum("slow tempo" in v.track.descriptors for v in turn.results[:5]) >= 3, [v.track.title for v in turn.results]


def test_calmer_after_hard_rock_puts_a_calm_rock_song_first(builtin_recommender) -> None:  # noqa: ANN001
    """"something calmer" after "hard rock" listed the same hard rock songs again; calm (or mellow,
    tender...) songs of the list's genres now come first."""
    conversation = Conversation(builtin_recommender)
    conversation.say("hard rock")
    first = conversation.say("something calmer").results[0].track
    calm = {"calm", "mellow", "tender", "peaceful", "laid-back"}
    assert calm & set(first.descriptors) and any("rock" in d for d in first.descriptors), (first.title, first.descriptors)


def test_calm_reaches_its_softer_kin() -> None:
    from retriever import load_vocabulary

    vocabulary = load_vocabulary()
    assert {"mellow", "tender"} <= set(vocabulary.comparative_kin("calm"))
    assert "aggressive" not in vocabulary.comparative_kin("calm")
    assert vocabulary.comparative_kin("hard rock") == []


def test_like_early_x_is_their_sound_not_their_songs(builtin_recommender) -> None:  # noqa: ANN001
    """"Dark and heavy blues rock like early Sabbath" (a Reddit request) was read as Black Sabbath's own songs
    from before 1971: the era word between "like" and the name took the cue."""
    parsed = builtin_recommender.parser.parse("dark and heavy grunge like early Nirvana")
    assert parsed.artists_like == ("Nirvana",) and not parsed.artists_by and not parsed.era_direction
    assert builtin_recommender.parser.parse("early Nirvana").artists_by == ("Nirvana",)


def test_new_is_no_era_cue_and_an_era_word_before_an_example_artist_is_the_calendars(builtin_recommender) -> None:  # noqa: ANN001
    """Real CPCD turns the artist-relative era misread: "Lets make a new Wave playlist" (an artist "Wave"),
    "newer country like luke combs style" (newer than Luke Combs: nearly no song left)."""
    parser = builtin_recommender.parser
    assert "new wave" in parser.parse("Lets make a new Wave playlist").wanted
    assert not parser.parse("Lets make a new Wave playlist").artists_by
    assert not parser.parse("I'd like some newer country like luke combs style maybe").era_direction
    assert parser.parse("something like bob marley but more modern").era_direction == "newer"


def test_more_acoustic_after_an_artists_songs_keeps_their_songs(builtin_recommender) -> None:  # noqa: ANN001
    conversation = Conversation(builtin_recommender)
    conversation.say("play some Nirvana")
    turn = conversation.say("more acoustic")
    assert sum(v.track.artist == "Nirvana" for v in turn.results[:5]) >= 3, [v.track.artist for v in turn.results]
