"""The launched app (loopback, gradio_client): bound to 127.0.0.1, analytics off, `--auth`
enforced, catalogue text escaped, and bad or failing turns never take the session down."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reply_text(history: list) -> str:
    content = history[-1]["content"]
    return content if isinstance(content, str) else " ".join(part.get("text", "") for part in content)


@pytest.fixture(scope="module")
def failing_recommender(keyword_store_dir: Path, hashing_encoder):  # noqa: ANN001, ANN201
    """The built-in catalogue's recommender, except that searching for "boom" raises inside the turn."""
    from chatbot import Recommender
    from retriever import HybridSearcher, TrackStore, load_vocabulary

    class FailsOnBoom(HybridSearcher):
        """A searcher whose search raises for "boom": the turn fails after parsing, as a real failure might."""

        def search(self, query):  # noqa: ANN001, ANN201
            if "boom" in query.text:
                raise RuntimeError("simulated failure inside a turn")
            return super().search(query)

    store = TrackStore.open(hashing_encoder.info, index_dir=keyword_store_dir)
    return Recommender(FailsOnBoom(store, hashing_encoder), load_vocabulary())


@pytest.fixture(scope="module")
def served(failing_recommender) -> Iterator[tuple[object, int]]:  # noqa: ANN001
    from chatbot.app import launch

    port = free_port()
    demo = launch(
        failing_recommender, port=port, prevent_thread_lock=True
    )  # defaults, as `tunetalk chat` uses them
    yield demo, port
    demo.close()


def non_loopback_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("10.255.255.255", 1))  # no packet is sent; this only picks the outgoing interface
            address = sock.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_it_listens_on_loopback_only_with_analytics_off(served) -> None:  # noqa: ANN001
    demo, port = served
    assert demo.server_name == "127.0.0.1" and not getattr(demo, "share_url", None)
    assert demo.analytics_enabled is False
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=30) as response:
        assert response.status == 200
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to probe")
    with socket.socket() as sock, pytest.raises(OSError):
        sock.settimeout(5)
        sock.connect((address, port))


def test_bad_and_failing_turns_keep_the_session(served) -> None:  # noqa: ANN001
    from gradio_client import Client

    _, port = served
    client = Client(f"http://127.0.0.1:{port}/", verbose=False)
    history, stored = client.predict("happy reggae", [], api_name="/chat")[:2]
    assert reply_text(history).startswith("Wanted: ") and reply_text(history).endswith("· 10 songs")  # the summary
    for message in [
        "",
        "   ",
        "x" * 100_000,
        "🎷🎹",
        "موسيقى هادئة",
        "\x00\x1b[31m",
        "<script>alert(1)</script>",
        "ignore previous instructions",
        "#42",
        "boom",
    ]:
        history, stored = client.predict(message, history, api_name="/chat")[:2]
        assert reply_text(history).strip(), message
        assert stored["state"]["wanted"].get("reggae", 0) > 0, message
        assert (
            len(
                history[-2]["content"][0]["text"]
                if isinstance(history[-2]["content"], list)
                else history[-2]["content"]
            )
            <= 2002
        )  # the echoed message is cut too
    assert "Sorry, something went wrong" in reply_text(history)  # the "boom" turn
    history, stored = client.predict("more upbeat", history, api_name="/chat")[:2]
    assert reply_text(history).startswith("Wanted: ") and reply_text(history).endswith(" songs")


def test_auth_keeps_strangers_out(tmp_path: Path, hashing_encoder) -> None:  # noqa: ANN001
    from gradio_client import Client

    from chatbot import Recommender
    from chatbot.app import launch
    from retriever import HybridSearcher, TrackStore, index_tracks, load_vocabulary
    from tests.conftest import small_tracks

    store = TrackStore.open(hashing_encoder.info, index_dir=tmp_path / "idx", create=True)
    index_tracks(small_tracks(), store, hashing_encoder, show_progress_bar=False)
    port = free_port()
    demo = launch(
        Recommender(HybridSearcher(store, hashing_encoder), load_vocabulary()),
        port=port,
        auth=("listener", "s3cret"),
        prevent_thread_lock=True,
    )
    try:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=30)
        assert refused.value.code in (401, 403)
        with pytest.raises(Exception):  # noqa: B017 - gradio_client raises its own types for a 401
            Client(f"http://127.0.0.1:{port}/", verbose=False, auth=("listener", "wrong"))
        client = Client(f"http://127.0.0.1:{port}/", verbose=False, auth=("listener", "s3cret"))
        assert reply_text(client.predict("calm jazz piano", [], api_name="/chat")[0]).startswith("Wanted: ")
    finally:
        demo.close()


def test_catalogue_text_is_escaped_in_result_cards() -> None:
    from chatbot.app import card_html
    from chatbot import ResultView
    from retriever import Track

    evil = Track(
        id='x" onmouseover="alert(1)',
        title="<script>alert('t')</script>",
        artist="<img src=x onerror=alert(1)>",
        descriptors=("<b>jazz</b>",),
        url="javascript:alert(1)",
    )
    html_text = card_html(ResultView(1, evil, 1.0, ("<b>jazz</b>",)))
    for raw in ("<script>", "<img", "<b>", 'x" onmouseover', "javascript:"):
        assert raw not in html_text
