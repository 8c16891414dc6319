"""The page's handlers are `ChatUI` methods: called here directly, without launching Gradio."""

from __future__ import annotations

import pytest

from chatbot import DialogueState, Recommender
from retriever import load_vocabulary
from tests.conftest import FakeSearcher, small_tracks

ROWS = 10  # result rows on the page: each is (visibility update, card html)


@pytest.fixture()
def ui():  # noqa: ANN201
    from chatbot.app import ChatUI

    searcher = FakeSearcher(small_tracks())
    return ChatUI(Recommender(searcher, load_vocabulary(), k=3, use_encoder_for_parsing=False))


def cards(results: list) -> list[str]:
    return [html for html in results[1 : 2 * ROWS : 2] if html]


def test_a_message_returns_history_state_browser_copy_and_cards(ui) -> None:  # noqa: ANN001
    history, state, stored, session, textbox, *results = ui.on_message("calm piano", [], DialogueState(), "")
    assert [m["role"] for m in history] == ["user", "assistant"] and textbox == ""
    assert state.turns == 1 and session and stored["state"]["last_results"] == list(state.last_results)
    assert len(cards(results)) == len(state.last_results) == 3
    assert results[-3]["value"] == state.snapshot()["wanted"]


def test_a_failing_turn_keeps_the_session(ui, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    _, state, _, session, _, *_ = ui.on_message("calm piano", [], DialogueState(), "")
    ui.recommender.searcher.fail_on = "jazz"
    warnings: list[str] = []
    monkeypatch.setattr("chatbot.app.gr.Warning", lambda text: warnings.append(text))
    history, after, stored, _, _, *results = ui.on_message("jazz", [], state, session)
    assert after == state and warnings and "kept" in history[-1]["content"]
    assert len(cards(results)) == 3  # the list on screen stays


def test_feedback_and_chip_changes_update_the_browser_copy(ui, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setattr("chatbot.app.gr.Info", lambda text: None)
    history, state, _, session, _, *_ = ui.on_message("calm piano, no vocals", [], DialogueState(), "")
    state, stored, *_ = ui.on_feedback(0, True, history, state, session)
    assert state.liked == (state.last_results[0],) and stored["state"]["liked"] == list(state.liked)
    wanted = [d for d in state.snapshot()["wanted"] if d != "piano"]
    history, state, stored, *results = ui.on_chips(wanted, state.snapshot()["excluded"], [], history, state, session)
    assert "piano" not in state.wanted and "piano" not in stored["state"]["wanted"]
    assert "Removed piano" in history[-1]["content"]


def test_reload_restores_the_browser_copy_and_reset_clears_it(ui) -> None:  # noqa: ANN001
    history, state, stored, session, _, *_ = ui.on_message("upbeat calypso", [], DialogueState(), "")
    restored_history, restored, restored_session, *results = ui.on_load(stored)
    assert restored == state and restored_history == history and restored_session == session
    assert len(cards(results)) == len(state.last_results)
    history, state, stored, *results = ui.on_reset(session)
    assert history == [] and state == DialogueState() and cards(results) == []
    assert ui.on_load({"state": "garbage"})[1] == DialogueState()


def test_export_and_the_api_endpoint(ui, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    warnings: list[str] = []
    monkeypatch.setattr("chatbot.app.gr.Warning", lambda text: warnings.append(text))
    assert ui.on_export("m3u", DialogueState()) is None and warnings
    _, state, *_ = ui.on_message("sad folk", [], DialogueState(), "")
    path = ui.on_export("csv", state)
    assert path.endswith(".csv") and "Grey Field" in open(path, encoding="utf-8").read()
    turns = ui.recommend(["calm piano", "no vocals"], 2)
    assert [t["turn"] for t in turns] == [1, 2] and len(turns[1]["results"]) <= 2
