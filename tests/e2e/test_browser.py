"""The chat in a real headless Chromium (Debian's chromium + chromedriver, driven by Selenium)."""

from __future__ import annotations

import shutil
import time
import urllib.request
from pathlib import Path

import pytest

from retriever import load_vocabulary
from tests.e2e.test_app import free_port

pytestmark = pytest.mark.e2e

DOCS = Path(__file__).resolve().parents[2] / "docs"


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
                 "--disable-quic", "--window-size=1400,1300"):
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


def send(driver, text: str) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = driver.find_element(By.CSS_SELECTOR, "#tt-message textarea")
    box.clear()
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def test_chat_in_a_real_browser(browser, page_url: str) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(page_url)
    wait_for(lambda: driver.find_element(By.CSS_SELECTOR, "#tt-message textarea"))
    send(driver, "upbeat tropical music with steel drums")
    cards = wait_for(lambda: len(visible_cards(driver)) >= 5 and visible_cards(driver))
    first_ids = {c.get_attribute("data-track-id") for c in cards}
    assert "steel drums" in cards[0].text

    driver.find_element(By.ID, "tt-like-0").click()
    wait_for(lambda: "👍" in visible_cards(driver)[0].text)

    send(driver, "no vocals")
    vocal = {d for d in load_vocabulary().in_facet("vocals") if d != "instrumental"}

    def second_list():  # noqa: ANN202
        current = visible_cards(driver)
        ids = {c.get_attribute("data-track-id") for c in current}
        return len(current) >= 5 and not ids & first_ids and current

    cards = wait_for(second_list)
    for card in cards:
        chips = {chip.text for chip in card.find_elements(By.CSS_SELECTOR, ".tt-chip")}
        assert not chips & vocal, chips
    DOCS.mkdir(exist_ok=True)
    driver.save_screenshot(str(DOCS / "screenshot.png"))

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


def test_catalogue_text_is_escaped(builtin_recommender) -> None:  # noqa: ANN001
    from chatbot.app import card_html
    from chatbot import ResultView
    from retriever import Track

    track = Track(id="x", title="<img src=x onerror=alert(1)>", artist="<b>A</b>", descriptors=("<script>",),
                  url="javascript:alert(1)")
    html = card_html(ResultView(1, track, 1.0, ()))
    assert "<img" not in html and "&lt;img src=x" in html and "<script>" not in html
    assert "javascript:" not in html
