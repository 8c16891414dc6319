"""Requests phrased as a listener would ask, written for this project (not in any dataset's style;
`assets/listener_requests.json`, which the GPL gate also scores), each with a relevance rule over
the built-in catalogue: a result is relevant when, for every group, it carries at least one of the
group's descriptors. Compares precision@10 of TF-IDF over descriptor sets, the hybrid retriever
alone, and the full first chat turn (dialogue state + rerank).

Run: .venv/bin/python benchmarks/listener_requests.py
"""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tunetalk.chat_gate import load_listener_requests, relevant, turn_precision  # noqa: E402 - as the gate scores them

REQUESTS = load_listener_requests()  # assets/listener_requests.json


def measure(recommender, k: int = 10) -> dict[str, list[float]]:  # noqa: ANN001
    """Precision@k per request for TF-IDF, hybrid retrieval alone, and the first chat turn."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    from retriever import SearchQuery

    tracks = list(recommender.searcher.tracks.values())
    vectorizer = TfidfVectorizer()
    matrix = vectorizer.fit_transform([t.document for t in tracks])
    scores: dict[str, list[float]] = {"tfidf": [], "hybrid": [], "tunetalk": []}
    for text, groups in REQUESTS:
        ranked = np.argsort(-(vectorizer.transform([text]) @ matrix.T).toarray()[0], kind="stable")[:k]
        scores["tfidf"].append(sum(relevant(tracks[i].descriptors, groups) for i in ranked) / k)
        hits = recommender.searcher.search(SearchQuery(text, k=k))
        scores["hybrid"].append(sum(relevant(h.track.descriptors, groups) for h in hits) / k)
        scores["tunetalk"].append(turn_precision(recommender, text, groups, k))
    return scores


def main() -> None:
    from chatbot import Recommender
    from retriever import BUILTIN_CATALOGUE, HybridSearcher, TrackStore, index_tracks, load_catalog, load_encoder, load_vocabulary
    from retriever.indexing import builtin_index_dir
    from tunetalk import paths

    encoder = load_encoder()
    index_dir = builtin_index_dir(paths.home(), encoder.info.weights_sha256)
    store = TrackStore.open(encoder.info, index_dir=index_dir, create=True)
    index_tracks(load_catalog(BUILTIN_CATALOGUE, "jsonl").tracks, store, encoder, show_progress_bar=False)
    scores = measure(Recommender(HybridSearcher(store, encoder), load_vocabulary()))
    print(f"{len(REQUESTS)} listener-phrased requests, built-in catalogue, precision@10\n")
    print("| system | mean P@10 | requests where it beats TF-IDF / ties / loses |")
    print("|---|---|---|")
    for system, values in scores.items():
        wins = sum(v > t for v, t in zip(values, scores["tfidf"]))
        ties = sum(v == t for v, t in zip(values, scores["tfidf"]))
        print(f"| {system} | {statistics.mean(values):.3f} | {wins} / {ties} / {len(values) - wins - ties} |")


if __name__ == "__main__":
    main()
