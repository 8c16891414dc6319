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
