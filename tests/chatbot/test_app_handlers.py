"""The page's handlers are `ChatUI` methods: called here directly, without launching Gradio."""

from __future__ import annotations

import pytest

from chatbot import DialogueState, Recommender, ResultView
from retriever import Track, load_vocabulary
from tests.conftest import FakeSearcher, small_tracks

ROWS = 10  # result rows on the page: each is (visibility update, card html)
WANTED, EXCLUDED, FILTERS, EMPTY, EXPORT_BOX, EXPORT_FILE = range(2 * ROWS, 2 * ROWS + 6)


@pytest.fixture()
def ui(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    from chatbot.app import ChatUI

    monkeypatch.setattr("chatbot.app.gr.Info", lambda text: None)
    searcher = FakeSearcher(small_tracks())
    return ChatUI(Recommender(searcher, load_vocabulary(), k=3, use_encoder_for_parsing=False))


def cards(results: list) -> list[str]:
    return [html for html in results[1 : 2 * ROWS : 2] if html]


def card_ids(results: list) -> list[str]:
    return [html.split('data-track-id="')[1].split('"')[0] for html in cards(results)]


def test_a_message_returns_history_state_browser_copy_and_cards(ui) -> None:  # noqa: ANN001
    history, state, stored, session, textbox, *results = ui.on_message("calm piano", [], DialogueState(), "")
    assert [m["role"] for m in history] == ["user", "assistant"] and textbox == ""
    assert state.turns == 1 and session and stored["state"]["last_results"] == list(state.last_results)
    assert len(cards(results)) == len(state.last_results) == 3
    assert results[WANTED]["value"] == state.snapshot()["wanted"]


def test_the_bubble_holds_the_short_summary_and_the_cards_hold_the_list(ui) -> None:  # noqa: ANN001
    history, state, *_ = ui.on_message("calm piano", [], DialogueState(), "")
    reply = history[-1]["content"]
    assert reply.startswith("Wanted: calm, piano") and reply.endswith("3 songs")
    for track_id in state.last_results:  # no list in the bubble: titles are on the cards only
        assert ui.recommender.tracks[track_id].title not in reply


def test_a_failing_turn_keeps_the_session(ui, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    _, state, _, session, _, *_ = ui.on_message("calm piano", [], DialogueState(), "")
    ui.recommender.searcher.fail_on = "jazz"
    warnings: list[str] = []
    monkeypatch.setattr("chatbot.app.gr.Warning", lambda text: warnings.append(text))
    history, after, stored, _, _, *results = ui.on_message("jazz", [], state, session)
    assert after == state and warnings and "kept" in history[-1]["content"]
    assert len(cards(results)) == 3  # the list on screen stays


def test_feedback_and_chip_changes_update_the_browser_copy(ui) -> None:  # noqa: ANN001
    history, state, _, session, _, *_ = ui.on_message("calm piano, no vocals", [], DialogueState(), "")
    state, stored, *_ = ui.on_feedback(0, True, history, state, session)
    assert state.liked == (state.last_results[0],) and stored["state"]["liked"] == list(state.liked)
    wanted = [d for d in state.snapshot()["wanted"] if d != "piano"]
    history, state, stored, *results = ui.on_chips(wanted, state.snapshot()["excluded"], [], history, state, session)
    assert "piano" not in state.wanted and "piano" not in stored["state"]["wanted"]
    assert "Removed piano" in history[-1]["content"]


def test_a_dislike_replaces_the_song_and_keeps_the_list_length(ui) -> None:  # noqa: ANN001
    # four instrumental songs in the catalogue, three on the list: a 👎 brings in the fourth
    history, state, _, session, _, *results = ui.on_message("instrumental", [], DialogueState(), "")
    before = list(state.last_results)
    assert len(before) == 3
    disliked = before[1]
    state, stored, *results = ui.on_feedback(1, False, history, state, session)
    assert disliked not in state.last_results and disliked in state.disliked
    assert len(state.last_results) == len(before) == len(cards(results))
    assert disliked not in card_ids(results) and card_ids(results) == list(state.last_results)
    assert [i for i in before if i != disliked] == list(state.last_results[:-1])  # the others stay in place
    assert stored["state"]["last_results"] == list(state.last_results) and disliked in stored["state"]["disliked"]


def test_more_like_k_is_one_chip_that_can_be_unticked(ui) -> None:  # noqa: ANN001
    history, state, _, session, _, *_ = ui.on_message("calm piano", [], DialogueState(), "")
    first = ui.recommender.tracks[state.last_results[0]]
    history, state, stored, session, _, *results = ui.on_message("more like #1", history, state, session)
    chip = f"like: {first.title} — {first.artist}"
    assert results[FILTERS]["choices"] == [chip] and results[FILTERS]["visible"] is True
    assert not any("like:" in d for d in results[WANTED]["choices"])  # the song's descriptors are no chips
    history, state, stored, *results = ui.on_chips(results[WANTED]["value"], results[EXCLUDED]["value"], [],
                                                   history, state, session)
    assert state.references == () and stored["state"]["references"] == []
    assert results[FILTERS]["choices"] == [] and results[FILTERS]["visible"] is False
    assert f"Removed {chip}" in history[-1]["content"]


def test_more_by_this_artist_plays_that_artist(ui) -> None:  # noqa: ANN001
    history, state, _, session, _, *_ = ui.on_message("calm piano", [], DialogueState(), "")
    artist = ui.recommender.tracks[state.last_results[1]].artist
    history, state, stored, session, _, *results = ui.on_more_by(1, history, state, session)
    assert history[-2]["content"] == f"play {artist}" and state.artists_by == (artist,)
    assert ui.recommender.tracks[state.last_results[0]].artist == artist
    assert f"by: {artist}" in results[FILTERS]["choices"]
    assert stored["state"]["artists_by"] == [artist]
    unchanged = ui.on_more_by(7, history, state, session)  # no result #8: nothing happens
    assert unchanged[1] == state and unchanged[0] == history


def test_reload_restores_the_browser_copy_and_reset_clears_it(ui) -> None:  # noqa: ANN001
    history, state, stored, session, _, *_ = ui.on_message("upbeat calypso", [], DialogueState(), "")
    restored_history, restored, restored_session, *results = ui.on_load(stored)
    assert restored == state and restored_history == history and restored_session == session
    assert len(cards(results)) == len(state.last_results)
    history, state, stored, *results = ui.on_reset(session)
    assert history == [] and state == DialogueState() and cards(results) == []
    assert ui.on_load({"state": "garbage"})[1] == DialogueState()


def test_empty_page_and_typed_start_over_match_the_button(ui) -> None:  # noqa: ANN001
    fresh = ui.on_load({})[3:]
    assert fresh[EMPTY]["visible"] is True and fresh[EXPORT_BOX]["visible"] is False and cards(fresh) == []
    assert fresh[WANTED]["visible"] is False and fresh[EXCLUDED]["visible"] is False  # no empty chip boxes
    history, state, stored, session, _, *results = ui.on_message("calm piano", [], DialogueState(), "")
    assert results[EMPTY]["visible"] is False and results[EXPORT_BOX]["visible"] is True
    button = ui.on_reset(session)
    typed = ui.on_message("start over", history, state, session)
    assert typed[0] == button[0] == [] and typed[1] == button[1] == DialogueState()
    assert typed[2] == button[2] and typed[3] == session and typed[4] == ""
    assert typed[5:] == button[3:]
    assert typed[5:][EMPTY]["visible"] is True and typed[5:][EXPORT_BOX]["visible"] is False
    assert typed[5:][EXPORT_FILE] is None  # the old playlist file goes too
    # "start over" with a new request is a new search, not an empty page
    history, state, *_ = ui.on_message("start over, sad folk", history, state, session)
    assert state.last_results and "folk" in state.wanted


def test_liked_songs_alone_keep_the_export_box(ui) -> None:  # noqa: ANN001
    assert ui.render(DialogueState(liked=("t-steel",)), [])[EXPORT_BOX]["visible"] is True


def test_export_and_the_api_endpoint(ui, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    warnings: list[str] = []
    monkeypatch.setattr("chatbot.app.gr.Warning", lambda text: warnings.append(text))
    assert ui.on_export("m3u", DialogueState()) is None and warnings
    _, state, *_ = ui.on_message("sad folk", [], DialogueState(), "")
    path = ui.on_export("csv", state)
    assert path.endswith(".csv") and "Grey Field" in open(path, encoding="utf-8").read()
    turns = ui.recommend(["calm piano", "no vocals"], 2)
    assert [t["turn"] for t in turns] == [1, 2] and len(turns[1]["results"]) <= 2


# -- the ▶ player -----------------------------------------------------------------------------------

def track(url: str = "", **metadata: object) -> Track:
    return Track(id="x", title="T", artist="A", descriptors=("jazz",), url=url, metadata=metadata)


@pytest.mark.parametrize(
    ("source", "kind", "src"),
    [
        (track("https://www.youtube.com/watch?v=-0Gj8-vB1q4&t=30s", start_s="30"), "embed",
         "https://www.youtube-nocookie.com/embed/-0Gj8-vB1q4?start=30"),
        (track("https://www.youtube.com/watch?v=-0Gj8-vB1q4&t=12s"), "embed",
         "https://www.youtube-nocookie.com/embed/-0Gj8-vB1q4?start=12"),
        (track("https://youtu.be/-0Gj8-vB1q4"), "embed", "https://www.youtube-nocookie.com/embed/-0Gj8-vB1q4?start=0"),
        (track("https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC"), "embed",
         "https://open.spotify.com/embed/track/4uLU6hMCjMI75M1A2tKUQC"),
        (track("https://www.jamendo.com/track/1376256"), "audio",
         "https://mp3l.jamendo.com/?trackid=1376256&format=mp31"),
        (track("https://example.org/page", preview_url="https://cdn.example.org/a.mp3"), "audio",
         "https://cdn.example.org/a.mp3"),
        (track("https://www.youtube.com/watch?v=-0Gj8-vB1q4", preview_url="http://x.example/p"), "audio",
         "http://x.example/p"),
    ],
)
def test_player_for_known_sources(source: Track, kind: str, src: str) -> None:
    from chatbot.app import card_html, player_for

    player = player_for(source)
    assert player is not None and (player.kind, player.src) == (kind, src)
    html = card_html(ResultView(1, source, 1.0, ()))
    assert f'class="tt-play" data-{kind}="{src.replace("&", "&amp;")}"' in html
    assert "<iframe" not in html and "<audio" not in html and "autoplay" not in html  # nothing before the click


@pytest.mark.parametrize(
    "source",
    [
        track("https://www.youtube.com/results?search_query=Bob+Marley+Jammin"),  # a search: no clip to play
        track("https://www.youtube.com/watch?v=short"),
        track("https://www.youtube.com/watch?v=-0Gj8-vB1q4\"onclick=x"),
        track("https://open.spotify.com/album/4uLU6hMCjMI75M1A2tKUQC"),
        track("https://evil.example/track/4uLU6hMCjMI75M1A2tKUQC"),
        track("", preview_url="javascript:alert(1)"),
        track("", preview_url="data:audio/mp3;base64,AAAA"),
        track("", preview_url="//cdn.example.org/a.mp3"),
        track("javascript:alert(1)"),
    ],
)
def test_no_player_for_searches_and_unsafe_urls(source: Track) -> None:
    from chatbot.app import card_html, player_for

    assert player_for(source) is None
    html = card_html(ResultView(1, source, 1.0, ()))
    assert "class=\"tt-play\"" not in html and "javascript:" not in html and "data:audio" not in html


def test_a_card_without_a_player_keeps_its_listen_link() -> None:
    from chatbot.app import card_html

    html = card_html(ResultView(1, track("https://www.youtube.com/results?search_query=A+T"), 1.0, ()))
    assert ">listen</a>" in html and "class=\"tt-play\"" not in html


def test_the_player_attributes_are_escaped() -> None:
    from chatbot.app import card_html

    evil = Track(id="x", title='"><script>', artist="A", descriptors=("jazz",), url="",
                 metadata={"preview_url": 'https://e.example/a.mp3?"><script>alert(1)</script>'})
    html = card_html(ResultView(1, evil, 1.0, ()))
    assert "<script>" not in html and 'data-audio="https://e.example/a.mp3?&quot;&gt;&lt;script&gt;' in html
