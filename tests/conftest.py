"""Shared fixtures: offline settings, a keyword one-hot fake encoder, the packaged MiniLM, data paths."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True, scope="session")
def _isolated_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ["TUNETALK_HOME"] = str(tmp_path_factory.mktemp("tunetalk-home"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"public datasets not found at {SHARED_DATA} (CI always has ../shared/data beside the clone)")
    return SHARED_DATA


def write_catalogue(path: Path, tracks) -> Path:  # noqa: ANN001 - Track objects
    """Tracks as a JSONL catalogue file (id, title, artist, descriptors)."""
    path.write_text("".join(
        json.dumps({"id": t.id, "title": t.title, "artist": t.artist, "descriptors": list(t.descriptors)}) + "\n"
        for t in tracks
    ))
    return path


class KeywordEncoder:
    """One dimension per keyword: 'jazz piano' -> e_jazz + e_piano (normalised). Exact and predictable."""

    def __init__(self, keywords: list[str]) -> None:
        from retriever import EncoderInfo

        self.keywords = keywords
        self._info = EncoderInfo(name="keyword-test-encoder", weights_sha256="0" * 64, dimension=len(keywords) + 1)

    @property
    def info(self):  # noqa: ANN201
        return self._info

    def encode(self, texts, *, batch_size: int = 64, show_progress_bar=None) -> np.ndarray:  # noqa: ANN001
        out = np.zeros((len(texts), self._info.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            lower = text.lower()
            for column, keyword in enumerate(self.keywords):
                if keyword in lower:
                    out[row, column] = 1.0
            out[row, -1] = 0.01  # never an all-zero vector
            out[row] /= np.linalg.norm(out[row])
        return out


KEYWORDS = ["jazz", "piano", "rock", "guitar", "steel drum", "calypso", "calm", "upbeat", "vocal", "instrumental",
            "sad", "happy", "electronic", "synth", "drum", "violin", "folk", "metal", "reggae", "study"]


@pytest.fixture(scope="session")
def keyword_encoder() -> KeywordEncoder:
    return KeywordEncoder(KEYWORDS)


@pytest.fixture(scope="session")
def minilm():  # noqa: ANN201
    from retriever import load_encoder

    return load_encoder()


def small_tracks():  # noqa: ANN201
    from retriever import Track

    rows = [
        ("t-jazz-piano", "Blue Keys", "Trio A", ("jazz", "piano", "calm", "instrumental", "late night")),
        ("t-rock-guitar", "Loud Road", "Band B", ("rock", "distorted guitar", "upbeat", "male vocals")),
        ("t-steel", "Pan Sunrise", "Steel C", ("calypso", "steel drums", "upbeat", "instrumental", "happy")),
        ("t-sad-folk", "Grey Field", "Singer D", ("folk", "acoustic guitar", "sad", "female vocals")),
        ("t-synth", "Neon", "Duo E", ("electronic", "synthesizer", "upbeat", "female vocals")),
        ("t-study-piano", "Quiet Hours", "Pianist F", ("solo piano", "piano", "calm", "study", "instrumental")),
        ("t-metal", "Iron", "Band G", ("metal", "distorted guitar", "aggressive", "male vocals")),
        ("t-reggae", "Island", "Band H", ("reggae", "electric guitar", "happy", "male vocals", "summer")),
        ("t-violin", "Strings", "Ens I", ("classical", "violin", "sad", "instrumental")),
        ("t-vocal-jazz", "Night Song", "Singer J", ("jazz", "piano", "female vocals", "romantic")),
    ]
    return [Track(id=i, title=t, artist=a, descriptors=d, url=f"https://example.org/{i}") for i, t, a, d in rows]


class FakeSearcher:
    """Ranks by how many query words a track's descriptors hold; honours the hard filters."""

    def __init__(self, tracks) -> None:  # noqa: ANN001 - Track objects
        self.tracks = {t.id: t for t in tracks}
        self.queries: list = []  # every SearchQuery asked
        self.fail_on: str | None = None

    def search(self, query):  # noqa: ANN001, ANN201 - a SearchQuery in, Hits out
        from retriever import Hit

        self.queries.append(query)
        words = set((query.text + " " + " ".join(query.weighted_phrases)).lower().replace(",", " ").split())
        if self.fail_on is not None and self.fail_on in words:
            raise RuntimeError("the search backend went away")
        hits = []
        for track in self.tracks.values():
            if track.id in query.excluded_ids or any(d.lower() in query.excluded_descriptors for d in track.descriptors):
                continue
            score = len(words & set(" ".join(track.descriptors).lower().split()))
            if score:
                hits.append(Hit(track, float(score)))
        return sorted(hits, key=lambda h: (-h.score, h.track.id))[: query.k]


@pytest.fixture()
def tracks():  # noqa: ANN201
    return small_tracks()


@pytest.fixture(scope="session")
def builtin_index(tmp_path_factory: pytest.TempPathFactory, minilm) -> Path:  # noqa: ANN001
    """The built-in catalogue indexed once per test session with the packaged MiniLM."""
    from retriever import BUILTIN_CATALOGUE, TrackStore, index_tracks, load_catalog

    index_dir = tmp_path_factory.mktemp("builtin-index")
    store = TrackStore.open(minilm.info, index_dir=index_dir, create=True)
    index_tracks(load_catalog(BUILTIN_CATALOGUE, "jsonl").tracks, store, minilm, show_progress_bar=False)
    return index_dir


@pytest.fixture(scope="session")
def builtin_recommender(builtin_index: Path, minilm):  # noqa: ANN001, ANN201
    from chatbot import Recommender
    from retriever import HybridSearcher, TrackStore, load_vocabulary

    store = TrackStore.open(minilm.info, index_dir=builtin_index)
    return Recommender(HybridSearcher(store, minilm), load_vocabulary())
