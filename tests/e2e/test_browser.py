"""The chat in a real headless Chromium (Debian's chromium + chromedriver, driven by Selenium).

Screenshots go to a temporary folder, so a test run leaves the work tree clean. To refresh the
ones in docs/: `TUNETALK_SCREENSHOT_DIR=docs pytest -m e2e tests/e2e/test_browser.py`
(`TUNETALK_SCREENSHOT=docs/screenshot.png` alone writes only the main one, after two turns).
"""

from __future__ import annotations

import os
import shutil
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from retriever import load_vocabulary
from tests.e2e.test_app import free_port

pytestmark = pytest.mark.e2e

MAIN_SCREENSHOT = "screenshot.png"  # desktop, after two turns


@pytest.fixture(scope="module")
def screenshot(tmp_path_factory: pytest.TempPathFactory) -> Callable[[object, str], Path]:
    """`screenshot(driver, name)`: saves where TUNETALK_SCREENSHOT_DIR / TUNETALK_SCREENSHOT say, else in a temp dir."""
    folder = Path(os.environ["TUNETALK_SCREENSHOT_DIR"]) if os.environ.get("TUNETALK_SCREENSHOT_DIR") else None
    main = Path(os.environ["TUNETALK_SCREENSHOT"]) if os.environ.get("TUNETALK_SCREENSHOT") else None
    scratch = tmp_path_factory.mktemp("screenshots")

    def save(driver, name: str) -> Path:  # noqa: ANN001
        if name == MAIN_SCREENSHOT and main is not None:
            path = main
        else:
            path = (folder or scratch) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        assert driver.save_screenshot(str(path)), path
        return path

    return save


@pytest.fixture(scope="module")
def browser():  # noqa: ANN201
    if shutil.which("chromedriver") is None or shutil.which("chromium") is None:
        pytest.skip("Debian's chromium and chromium-driver are not installed (`make test` installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-quic", "--window-size=1400,1300", "--autoplay-policy=user-gesture-required"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def page_url(builtin_recommender):  # noqa: ANN001, ANN201
    from chatbot.app import launch

    port = free_port()
    demo = launch(builtin_recommender, host="127.0.0.1", port=port, prevent_thread_lock=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


PLAYABLE = {  # track id -> (url, metadata, the player the ▶ button must insert: tag, src)
    "t-youtube": ("https://www.youtube.com/watch?v=-0Gj8-vB1q4&t=30s", {"start_s": "30"},
                  ("iframe", "https://www.youtube-nocookie.com/embed/-0Gj8-vB1q4?start=30")),
    "t-spotify": ("https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC", {},
                  ("iframe", "https://open.spotify.com/embed/track/4uLU6hMCjMI75M1A2tKUQC")),
    "t-jamendo": ("https://www.jamendo.com/track/1376256", {},
                  ("audio", "https://mp3l.jamendo.com/?trackid=1376256&format=mp31")),
    "t-preview": ("https://example.org/page", {"preview_url": "https://cdn.example.org/clip.mp3"},
                  ("audio", "https://cdn.example.org/clip.mp3")),
}


@pytest.fixture(scope="module")
def player_page_url():  # noqa: ANN201
    """A page over five calypso songs: four with a playable source, one with only a search link."""
    from chatbot import Recommender
    from chatbot.app import launch
    from retriever import Track
    from tests.conftest import FakeSearcher

    tracks = [Track(id=i, title=f"Song {i[2:]}", artist=f"Artist {i[2:]}", descriptors=("calypso", "steel drums"),
                    url=url, metadata=metadata) for i, (url, metadata, _) in PLAYABLE.items()]
    tracks.append(Track(id="t-search", title="Song search", artist="Artist search", descriptors=("calypso",),
                        url="https://www.youtube.com/results?search_query=Artist+search+Song+search"))
    recommender = Recommender(FakeSearcher(tracks), load_vocabulary(), k=5, use_encoder_for_parsing=False)
    port = free_port()
    demo = launch(recommender, host="127.0.0.1", port=port, prevent_thread_lock=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def wait_for(condition, timeout: float = 30.0):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception as error:  # noqa: BLE001 - elements come and go while gradio re-renders
            last_error = error
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {condition}: {last_error}")


def visible_cards(driver) -> list:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    return [c for c in driver.find_elements(By.CSS_SELECTOR, ".tt-card") if c.is_displayed()]


def card_ids(driver) -> list[str]:  # noqa: ANN001
    return [c.get_attribute("data-track-id") for c in visible_cards(driver)]


def is_shown(driver, css: str) -> bool:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    return any(e.is_displayed() for e in driver.find_elements(By.CSS_SELECTOR, css))


def bubbles(driver, role: str) -> list[str]:  # noqa: ANN001
    """The texts of the chat's `user` or `bot` messages."""
    from selenium.webdriver.common.by import By

    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, f'#tt-chat [data-testid="{role}"]') if e.text]


def send(driver, text: str) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = driver.find_element(By.CSS_SELECTOR, "#tt-message textarea")
    box.clear()
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def open_fresh(driver, url: str) -> None:  # noqa: ANN001
    """The page with nothing remembered from earlier tests (the browser copy cleared)."""
    from selenium.webdriver.common.by import By

    driver.get(url)
    driver.execute_script("window.localStorage.clear();")
    driver.get(url)
    wait_for(lambda: driver.find_element(By.CSS_SELECTOR, "#tt-message textarea"))
    wait_for(lambda: is_shown(driver, "#tt-empty"))


def reload(driver) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    time.sleep(0.5)  # let the browser copy settle after the last update
    driver.refresh()
    wait_for(lambda: driver.find_element(By.CSS_SELECTOR, "#tt-message textarea"))


def test_chat_in_a_real_browser(browser, page_url: str, screenshot) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    driver = browser
    open_fresh(driver, page_url)
    send(driver, "upbeat tropical music with steel drums")
    cards = wait_for(lambda: len(visible_cards(driver)) >= 5 and visible_cards(driver))
    first_ids = {c.get_attribute("data-track-id") for c in cards}
    assert "steel drums" in cards[0].text
    reply = wait_for(lambda: bubbles(driver, "bot"))[-1]
    assert reply.startswith("Wanted:") and "steel drums" in reply and "songs" in reply
    assert cards[0].find_element(By.CSS_SELECTOR, ".tt-title").text not in reply  # the list is the cards

    driver.find_element(By.ID, "tt-like-0").click()
    wait_for(lambda: "👍" in visible_cards(driver)[0].text)

    send(driver, "no vocals")
    vocal = {d for d in load_vocabulary().in_facet("vocals") if d != "instrumental"}

    def second_list():  # noqa: ANN202
        current = visible_cards(driver)
        ids = {c.get_attribute("data-track-id") for c in current}
        return len(current) >= 5 and ids != first_ids and current

    cards = wait_for(second_list)
    for card in cards:
        chips = {chip.text for chip in card.find_elements(By.CSS_SELECTOR, ".tt-chip")}
        assert not chips & vocal, chips
        # a refinement may keep the best songs of the last list: they say so
        assert ("seen before" in card.text) == (card.get_attribute("data-track-id") in first_ids)
    wait_for(lambda: "excluding vocals" in bubbles(driver, "bot")[-1])
    screenshot(driver, MAIN_SCREENSHOT)

    excluded = driver.find_element(By.ID, "tt-excluded")
    assert "vocals" in excluded.text
    wanted = driver.find_element(By.ID, "tt-wanted")
    chip = next(label for label in wanted.find_elements(By.CSS_SELECTOR, "label") if label.text.strip() == "upbeat")
    chip.click()
    wait_for(lambda: "upbeat" not in driver.find_element(By.ID, "tt-wanted").text)

    driver.find_element(By.ID, "tt-export-m3u").click()
    link = wait_for(lambda: driver.find_element(By.CSS_SELECTOR, "#tt-export-file a[href]"))
    with urllib.request.urlopen(link.get_attribute("href"), timeout=10) as response:  # noqa: S310 - loopback
        playlist = response.read().decode("utf-8")
    assert playlist.startswith("#EXTM3U")
    assert playlist.count("#EXTINF") >= 5 and "https://www.youtube.com/results?search_query=" in playlist


def test_feedback_and_chips_survive_a_reload(browser, page_url: str) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    driver = browser
    open_fresh(driver, page_url)
    send(driver, "calm piano music to study to")
    wait_for(lambda: len(visible_cards(driver)) >= 5)
    ids = card_ids(driver)

    driver.find_element(By.ID, "tt-like-0").click()  # 👍, then reload
    wait_for(lambda: "👍" in visible_cards(driver)[0].text)
    reload(driver)
    wait_for(lambda: card_ids(driver) == ids and "👍" in visible_cards(driver)[0].text)

    driver.find_element(By.ID, "tt-dislike-1").click()  # 👎: the song goes, the list keeps its length
    wait_for(lambda: ids[1] not in card_ids(driver) and len(card_ids(driver)) == len(ids))
    after_dislike = card_ids(driver)
    assert after_dislike[:1] + after_dislike[1:-1] == [i for i in ids if i != ids[1]]
    reload(driver)
    wait_for(lambda: card_ids(driver) == after_dislike)

    first = visible_cards(driver)[0]
    title, artist = first.find_element(By.CSS_SELECTOR, ".tt-title").text, first.get_attribute("data-artist")
    send(driver, "more like #1")  # one chip for the song; untick it, then reload
    chip_label = wait_for(lambda: next(label for label in driver.find_elements(By.CSS_SELECTOR, "#tt-filters label")
                                       if label.text.strip().startswith("like: ")))
    assert chip_label.text.strip() == f"like: {title} — {artist}"
    wait_for(lambda: card_ids(driver) != after_dislike)
    chip_label.click()
    wait_for(lambda: not any(label.text.startswith("like: ")
                             for label in driver.find_elements(By.CSS_SELECTOR, "#tt-filters label")
                             if label.is_displayed()))
    wait_for(lambda: "Removed like: " in bubbles(driver, "bot")[-1])
    after_untick = card_ids(driver)
    reload(driver)
    wait_for(lambda: card_ids(driver) == after_untick)
    assert not is_shown(driver, "#tt-filters")  # no chip came back
    assert "Removed like: " in bubbles(driver, "bot")[-1]


def test_more_by_this_artist(browser, page_url: str, builtin_recommender) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    driver = browser
    open_fresh(driver, page_url)
    send(driver, "happy reggae")
    wait_for(lambda: len(visible_cards(driver)) >= 5)
    songs_by = Counter(t.artist for t in builtin_recommender.tracks.values())
    index, artist = next((i, card.get_attribute("data-artist")) for i, card in enumerate(visible_cards(driver))
                         if songs_by[card.get_attribute("data-artist")] >= 3)
    before = card_ids(driver)
    driver.find_element(By.ID, f"tt-more-by-{index}").click()
    wait_for(lambda: card_ids(driver) != before)
    assert bubbles(driver, "user")[-1] == f"play {artist}"
    artists = [c.get_attribute("data-artist") for c in visible_cards(driver)]
    theirs = min(10, songs_by[artist])
    assert artists[:theirs] == [artist] * theirs, artists  # all their songs first, then songs like theirs
    assert f"by: {artist}" in driver.find_element(By.ID, "tt-filters").text


def test_listen_in_place(browser, player_page_url: str, screenshot) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    driver = browser
    open_fresh(driver, player_page_url)
    send(driver, "calypso")
    wait_for(lambda: len(visible_cards(driver)) == 5)
    cards = {c.get_attribute("data-track-id"): c for c in visible_cards(driver)}
    players = "document.querySelectorAll('.tt-card iframe, .tt-card audio, .tt-card video').length"
    fetched = ("return performance.getEntriesByType('resource').map(e => e.name)"
               ".filter(n => /youtube|spotify|jamendo|cdn\\.example/.test(n)).length")
    assert driver.execute_script(f"return {players}") == 0 and driver.execute_script(fetched) == 0
    assert not cards["t-search"].find_elements(By.CSS_SELECTOR, ".tt-play")  # a search link only
    assert cards["t-search"].find_element(By.LINK_TEXT, "listen")
    for track_id, (_, _, (tag, src)) in PLAYABLE.items():
        card = cards[track_id]
        assert not card.find_elements(By.CSS_SELECTOR, "iframe, audio")
        card.find_element(By.CSS_SELECTOR, ".tt-play").click()
        player = wait_for(lambda card=card: card.find_element(By.CSS_SELECTOR, ".tt-player > *"))
        assert player.tag_name == tag and player.get_attribute("src") == src
        assert player.get_attribute("autoplay") is None
        if tag == "audio":
            assert player.get_attribute("controls") is not None
    assert driver.execute_script(f"return {players}") == len(PLAYABLE)
    screenshot(driver, "player-open.png")
    cards["t-spotify"].find_element(By.CSS_SELECTOR, ".tt-play").click()  # pressed again: the player goes
    wait_for(lambda: not cards["t-spotify"].find_elements(By.CSS_SELECTOR, "iframe"))


def test_empty_page_start_over_and_export_box(browser, page_url: str, screenshot) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    driver = browser
    open_fresh(driver, page_url)

    def assert_empty_page() -> None:
        wait_for(lambda: not visible_cards(driver) and is_shown(driver, "#tt-empty"))
        assert is_shown(driver, "#tt-examples") and "Refine as you go" in driver.find_element(By.ID, "tt-empty").text
        assert not is_shown(driver, "#tt-export") and not bubbles(driver, "bot")
        assert not is_shown(driver, "#tt-wanted") and not is_shown(driver, "#tt-excluded")  # no empty chip boxes

    assert_empty_page()
    screenshot(driver, "empty.png")
    for start_over in ("button", "typed"):
        send(driver, "sad songs with a female voice, 90s")
        wait_for(lambda: len(visible_cards(driver)) >= 3)
        assert is_shown(driver, "#tt-export") and not is_shown(driver, "#tt-empty")
        if start_over == "button":
            driver.find_element(By.ID, "tt-reset").click()
        else:
            send(driver, "start over")
        assert_empty_page()
        reload(driver)  # and it stays empty
        assert_empty_page()


def test_narrow_screen_has_no_horizontal_scroll(browser, page_url: str, screenshot) -> None:  # noqa: ANN001
    driver = browser
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    try:
        open_fresh(driver, page_url)
        overflow = "return [document.documentElement.scrollWidth, window.innerWidth]"
        width, viewport = driver.execute_script(overflow)
        assert viewport == 390 and width <= viewport, (width, viewport)
        send(driver, "upbeat tropical music with steel drums, no vocals, 1990s")
        wait_for(lambda: len(visible_cards(driver)) >= 3)
        width, viewport = driver.execute_script(overflow)
        assert width <= viewport, (width, viewport)
        for card in visible_cards(driver):
            assert card.rect["x"] >= 0 and card.rect["x"] + card.rect["width"] <= viewport, card.rect
        driver.execute_script("document.querySelector('#tt-result-0').scrollIntoView({block: 'start'});")
        time.sleep(0.3)
        width, viewport = driver.execute_script(overflow)
        assert width <= viewport, (width, viewport)
        screenshot(driver, "narrow-390.png")
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_catalogue_text_is_escaped(builtin_recommender) -> None:  # noqa: ANN001
    from chatbot.app import card_html
    from chatbot import ResultView
    from retriever import Track

    track = Track(id="x", title="<img src=x onerror=alert(1)>", artist="<b>A</b>", descriptors=("<script>",),
                  url="javascript:alert(1)")
    html = card_html(ResultView(1, track, 1.0, ()))
    assert "<img" not in html and "&lt;img src=x" in html and "<script>" not in html
    assert "javascript:" not in html
