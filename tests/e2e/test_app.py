"""The launched app on loopback, driven over HTTP with gradio_client (real Chroma, real MiniLM)."""

from __future__ import annotations

import socket

import pytest

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(builtin_recommender):  # noqa: ANN001, ANN201
    from chatbot.app import launch

    port = free_port()
    demo = launch(builtin_recommender, host="127.0.0.1", port=port, prevent_thread_lock=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def reply_text(history: list) -> str:
    content = history[-1]["content"]
    return content if isinstance(content, str) else " ".join(part.get("text", "") for part in content)


def test_two_turns_through_gradio_client(app_url: str) -> None:
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    first = client.predict("upbeat tropical music with steel drums", [], api_name="/chat")
    history, stored = first[0], first[1]
    assert reply_text(history).startswith("Wanted: ") and reply_text(history).endswith("10 songs")  # the summary
    assert stored["state"]["wanted"].get("steel drums") == 1.0
    second = client.predict("no vocals", history, api_name="/chat")
    text = reply_text(second[0])
    assert "excluding vocals" in text
    assert "vocals" in second[1]["state"]["excluded"]
    # a new list (a refinement may keep the best songs of the last one)
    assert second[1]["state"]["last_results"] != stored["state"]["last_results"]


def test_sessions_do_not_share_state(app_url: str) -> None:
    from gradio_client import Client

    one, two = Client(app_url, verbose=False), Client(app_url, verbose=False)
    a = one.predict("heavy metal with screamed vocals", [], api_name="/chat")
    b = two.predict("calm piano music to study to", [], api_name="/chat")
    assert "heavy metal" in a[1]["state"]["wanted"] and "heavy metal" not in b[1]["state"]["wanted"]
    assert not set(a[1]["state"]["shown"]) & set(b[1]["state"]["shown"])


def test_bad_turns_keep_the_session(app_url: str) -> None:
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    first = client.predict("happy reggae", [], api_name="/chat")
    for message in ["", "   ", "#42 more like #42", "<img src=x onerror=alert(1)>", "x" * 100_000]:
        result = client.predict(message, first[0], api_name="/chat")
        assert result[1]["state"]["wanted"].get("reggae", 0) > 0


def test_recommend_api_returns_json_turns(app_url: str) -> None:
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    turns = client.predict(["calm piano music to study to", "no vocals"], 5, api_name="/recommend")
    assert [t["turn"] for t in turns] == [1, 2]
    assert len(turns[1]["results"]) == 5
    assert all("instrumental" in r["descriptors"] for r in turns[1]["results"])
