"""Requests phrased as a listener would ask, written for this project (not in any dataset's style),
each with a relevance rule over the built-in catalogue: a result is relevant when, for every group,
it carries at least one of the group's descriptors. Compares precision@10 of TF-IDF over descriptor
sets, the hybrid retriever alone, and the full first chat turn (dialogue state + rerank).

Run: .venv/bin/python benchmarks/listener_requests.py
"""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REQUESTS: list[tuple[str, list[set[str]]]] = [
    ("I'm looking for something to chill to on a rainy afternoon, mostly acoustic guitar",
     [{"acoustic guitar"}, {"calm", "mellow", "laid-back", "relaxation", "peaceful", "chill out", "rainy day"}]),
    ("recommend me some reggae for a sunny day at the beach", [{"reggae", "roots reggae", "dancehall", "rocksteady", "ska"}]),
    ("something with a saxophone, jazzy and smooth",
     [{"saxophone", "tenor saxophone", "alto saxophone"},
      {"jazz", "cool jazz", "hard bop", "modal jazz", "smooth jazz", "vocal jazz", "latin jazz", "jazz fusion", "swing",
       "big band", "bebop"}]),
    ("hype songs for the gym", [{"workout", "motivation"}]),
    ("some sad songs with a female singer", [{"sad", "melancholic", "heartbreak"}, {"female vocals"}]),
    ("old school hip hop with real boom bap beats", [{"hip hop", "boom bap"}]),
    ("classical music to help me focus at work",
     [{"classical", "baroque", "romantic era", "classical period", "minimalism", "contemporary classical", "opera"},
      {"focus", "study"}]),
    ("can you play me music from video games?", [{"video game music", "chiptune"}]),
    ("christmas songs for the whole family", [{"christmas", "christmas music"}]),
    ("I want to dance salsa tonight", [{"salsa", "son cubano", "merengue", "bachata", "cumbia"}]),
    ("give me heavy metal, the louder the better", [{"heavy metal", "thrash metal", "nu metal", "symphonic metal"}]),
    ("I'm into k-pop lately, what do you have?", [{"k-pop"}]),
    ("play a bollywood song", [{"bollywood"}]),
    ("any good songs sung in french?", [{"french lyrics"}]),
    ("songs in spanish please", [{"spanish lyrics"}]),
    ("relaxing ambient music to fall asleep to",
     [{"ambient", "new age", "minimalism", "downtempo electronica"}, {"sleep", "relaxation", "meditation", "calm", "peaceful"}]),
    ("songs my kids can sing along to", [{"children's music", "kids"}]),
    ("is there anything with steel pan in it?", [{"steel drums"}]),
    ("romantic songs for our wedding first dance", [{"romantic"}, {"wedding"}]),
    ("disco to get the party going", [{"disco"}]),
    ("folk tunes with a banjo or a fiddle", [{"banjo", "fiddle"}]),
    ("people singing with no instruments at all", [{"a cappella", "voices only"}]),
    ("electronic dance tracks for a club night",
     [{"house", "deep house", "techno", "trance", "edm", "eurodance", "drum and bass", "dubstep", "electro", "big beat"}]),
    ("sea shanties to sing with friends", [{"sea shanty"}]),
    ("I need a good piano ballad", [{"piano"}, {"ballad", "power ballad"}]),
    ("upbeat afrobeats to dance to", [{"afrobeats", "afrobeat", "highlife", "amapiano"}]),
    ("classic motown soul", [{"soul", "motown"}]),
    ("country music for a long road trip", [{"country", "country pop", "outlaw country", "americana", "bluegrass"}]),
    ("something dark and eerie for a halloween party", [{"halloween", "eerie", "dark"}]),
    ("epic film score with a big orchestra", [{"film score"}]),
    ("lo-fi beats to study", [{"lo-fi hip hop", "lo-fi"}]),
    ("rap with lots of autotune", [{"rap", "trap"}, {"auto-tuned vocals"}]),
    ("instrumental guitar music",
     [{"instrumental"}, {"acoustic guitar", "electric guitar", "classical guitar", "distorted guitar", "slide guitar"}]),
    ("80s synth pop", [{"synth-pop", "new wave", "80s synths"}]),
]


def relevant(descriptors: tuple[str, ...], groups: list[set[str]]) -> bool:
    carried = set(descriptors)
    return all(carried & group for group in groups)


def measure(recommender, k: int = 10) -> dict[str, list[float]]:  # noqa: ANN001
    """Precision@k per request for TF-IDF, hybrid retrieval alone, and the first chat turn."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    from chatbot import Conversation
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
        turn = Conversation(recommender).say(text, k=k)
        scores["tunetalk"].append(sum(relevant(v.track.descriptors, groups) for v in turn.results) / k)
    return scores


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
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
