"""chatbot/translate.py: language detection and phrase-table translation of requests into English."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatbot.translate import LANGUAGES, Translation, build_translation_table, detect_language, to_english

DATA = Path(__file__).resolve().parents[1] / "data" / "multilingual_requests.tsv"
ROWS = list(csv.DictReader(DATA.open(encoding="utf-8"), delimiter="\t"))

EXACT = [
    ("sin voces por favor", "es", "no vocals please"),
    ("más rápido", "es", "faster"),
    ("sans paroles", "fr", "no vocals"),
    ("musique douce pour dormir", "fr", "music soft to sleep"),
    ("mehr wie Nummer 2", "de", "more like #2"),
    ("qualcosa di più allegro", "it", "something happier"),
    ("canciones en español", "es", "songs in spanish"),
    ("como el #2", "es", "like #2"),
    ("comme le numéro 2", "fr", "like #2"),
    ("más como el 2", "es", "more like #2"),
    ("empezar de nuevo", "es", "start over"),
    ("recommencer", "fr", "start over"),
    ("começar de novo", "pt", "start over"),
    ("von vorne", "de", "start over"),
    ("ricominciare", "it", "start over"),
    ("el segundo", "es", "the second one"),
    ("le deuxième", "fr", "the second one"),
    ("der zweite", "de", "the second one"),
    ("il secondo", "it", "the second one"),
    ("para estudar", "pt", "to study"),
    ("Musik zum Lernen", "de", "music to study"),
    ("per studiare", "it", "to study"),
    ("Quiero algo como Shakira", "es", "i want something like Shakira"),
    ("ich möchte ruhige Klaviermusik ohne Gesang", "de", "i want calm piano music no vocals"),
    ("eu quero samba sem vozes", "pt", "i want samba no vocals"),
]


@pytest.mark.parametrize(("message", "language", "english"), EXACT)
def test_translates_requests_and_refinements(message: str, language: str, english: str) -> None:
    assert to_english(message) == Translation(english, language, True)


def test_artist_names_keep_their_spelling() -> None:
    assert "Shakira" in to_english("Quiero algo como Shakira").text
    assert "Stromae" in to_english("je veux quelque chose comme Stromae").text


def test_translated_phrases_are_ones_the_english_lexicon_understands() -> None:
    from chatbot.eras import find_era
    from chatbot.intents import find_intents
    from chatbot.places import find_places

    assert find_era(to_english("quiero rock de los 80").text).start == 1980
    assert find_places(to_english("canciones en español").text).language_requests == ("spanish",)
    assert find_intents(to_english("música relajante para dormir").text)[0].phrase == "to sleep"


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['language']}:{r['message']}" for r in ROWS])
def test_multilingual_file_key_phrases(row: dict) -> None:
    translation = to_english(row["message"])
    assert translation.was_translated
    assert row["key"].lower() in translation.text.lower()


def test_multilingual_file_shape() -> None:
    assert len(ROWS) >= 100
    for language in LANGUAGES[1:]:
        assert sum(r["language"] == language for r in ROWS) >= 20
    assert all(r["message"] and r["english"] and r["key"] for r in ROWS)


def test_detects_the_language_of_the_multilingual_file() -> None:
    # Identical short phrases in Spanish and Portuguese ("música para dormir") may go either way.
    correct = sum(detect_language(r["message"]) == r["language"] for r in ROWS)
    assert correct / len(ROWS) >= 0.95


ENGLISH = [
    "upbeat tropical music, no vocals", "more like #2", "something like Los Lobos", "latin jazz with piano",
    "salsa and bossa nova", "start over", "80s synthpop please", "calm piano music to study to", "the second one",
    "I love Radiohead's Kid A. Something similar?", "fado", "tango please", "songs like Despacito", "Sigur Rós",
    "Mötley Crüe or Motörhead", "café del mar chill out", "something in spanish", "piano",
]


@pytest.mark.parametrize("text", ENGLISH)
def test_english_comes_back_unchanged(text: str) -> None:
    assert to_english(text) == Translation(text, "en", False)


def test_real_english_requests_are_rarely_flagged(shared_data: Path) -> None:
    path = shared_data / "music-reco-ner" / "dataset1" / "queries.csv"
    requests = [row["original"] for row in csv.DictReader(path.open(encoding="utf-8"))]
    flagged = [text for text in requests if detect_language(text) != "en"]
    assert len(requests) >= 500
    assert len(flagged) / len(requests) <= 0.01, flagged


def test_fast_enough() -> None:
    messages = [r["message"] for r in ROWS]
    to_english(messages[0])
    start = time.perf_counter()
    for message in messages * 5:
        to_english(message)
    per_message_ms = (time.perf_counter() - start) * 1000 / (len(messages) * 5)
    assert per_message_ms < 1.0


def test_unknown_language_in_table_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown language 'nl'"):
        build_translation_table({"phrases": {"nl": {"zonder": "without"}}})


def test_custom_table() -> None:
    table = build_translation_table({"phrases": {"es": {"sin": "without", "gaita": "bagpipes", "como el {n}": "like #{n}"}},
                                     "stopwords": {"es": ["sin", "el"], "en": ["with"]}})
    assert to_english("sin gaita como el 7", table=table) == Translation("without bagpipes like #7", "es", True)


def test_non_string_input() -> None:
    assert to_english(None) == Translation("", "en", False)  # type: ignore[arg-type]
    assert detect_language(None) == "en"  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_never_raises(text: str) -> None:
    translation = to_english(text)
    assert translation.language in LANGUAGES
    assert translation.was_translated == (translation.text != text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["sin", "más", "como", "el", "#", "2", "numero", "plus", "comme", "le", "mehr", "wie",
                                 "Nummer", "più", "il", "los", "años", "80", "sans", "de", "l'", "d'", "po'"]), max_size=10))
def test_never_raises_on_table_fragments(parts: list[str]) -> None:
    assert isinstance(to_english(" ".join(parts)).text, str)
