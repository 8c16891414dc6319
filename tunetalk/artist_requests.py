"""Real listeners who name an artist (MusicRecoNER: Reddit music requests), judged by descriptors.

Every request of the MusicRecoNER datasets (its ``original`` text) whose ground truth names an
Artist (``wiki_name``, else ``mention``) is resolved against the chat's artist directory. For a
request naming an artist the catalogue has, a result counts when it is by that artist or shares a
genre descriptor (the vocabulary's "genre" facet) with their catalogue songs: `catalogue_share`.

`benchmarks/artist_requests.py` reports this beside baselines (and the requests naming artists the
catalogue lacks); the GPL gate (`tunetalk/chat_gate.py`) scores an encoder by the mean share.

Example:
    >>> requests = read_requests(data_dir / "music-reco-ner")
    >>> judged = catalogue_artist_requests(recommender, requests)
    >>> mean(catalogue_share(recommender, text, profiles) for text, profiles in judged)
    0.83
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from retriever import ArtistDirectory, ArtistProfile, Track, Vocabulary


@dataclass
class Request:
    """One distinct request text and the Artist names its ground truth links in it."""

    text: str
    artists: list[tuple[str, str]] = field(default_factory=list)  # (mention, wiki name or "")


def read_requests(ner_dir: Path) -> list[Request]:
    """Distinct original texts that name at least one Artist, with those names (deduplicated).

    Raises:
        FileNotFoundError: `ner_dir` holds no ``dataset*/queries.csv``.
    """
    datasets = sorted(d for d in ner_dir.glob("dataset*") if (d / "queries.csv").is_file())
    if not datasets:
        raise FileNotFoundError(f"{ner_dir}: no MusicRecoNER dataset*/queries.csv (pass the music-reco-ner folder)")
    by_text: dict[str, Request] = {}
    for dataset in datasets:
        originals: dict[str, str] = {}
        with (dataset / "queries.csv").open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                originals[row["preprocessed"]] = row["original"]
        with (dataset / "ground-truth_linked.csv").open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                text = originals.get(row["query"])
                if text is None or row["type"] != "Artist":
                    continue
                request = by_text.setdefault(text, Request(text))
                name = (row["mention"], row.get("wiki_name") or "")
                if name not in request.artists:
                    request.artists.append(name)
    return list(by_text.values())


def wiki_title(wiki_name: str) -> str:
    """'Nirvana_(band)' -> 'Nirvana'."""
    return re.sub(r"\s*\([^)]*\)$", "", wiki_name.replace("_", " ")).strip()


def resolve(directory: ArtistDirectory, mention: str, wiki_name: str) -> ArtistProfile | None:
    """The profile of a ground-truth artist: by its Wikipedia title or the mention, one with catalogue songs first.

    The mentions are preprocessed text, so "radioheads" (from "Radiohead's") is also tried without its "s".
    """
    names = [wiki_title(wiki_name), mention.strip()]
    if mention.strip().endswith("s"):
        names.append(mention.strip()[:-1])
    profiles = [p for p in (directory.resolve(n) for n in names if n) if p is not None]
    return next((p for p in profiles if p.track_ids), profiles[0] if profiles else None)


def genres_of(descriptors: Iterable[str], vocabulary: Vocabulary) -> set[str]:
    """The descriptors of the vocabulary's genre facet among `descriptors`, lowercase."""
    keys = (" ".join(descriptor.lower().split()) for descriptor in descriptors)
    return {key for key in keys if vocabulary.facet_of(key) == "genre"}


def hits_target(track: Track, target_ids: set[str], genres: set[str], vocabulary: Vocabulary) -> bool:
    """Is the result by a named artist, or does it share a genre with them?"""
    return track.id in target_ids or bool(genres_of(track.descriptors, vocabulary) & genres)


def catalogue_artist_requests(recommender, requests: Sequence[Request],  # noqa: ANN001 - a chatbot.Recommender
                              ) -> list[tuple[Request, list[ArtistProfile]]]:
    """The requests naming at least one artist with songs in the recommender's catalogue, with those profiles."""
    judged = []
    for request in requests:
        resolved = [resolve(recommender.artists, *name) for name in request.artists]
        in_catalogue = list({p.name: p for p in resolved if p is not None and p.track_ids}.values())
        if in_catalogue:
            judged.append((request, in_catalogue))
    return judged


def target_genres(recommender, profiles: Sequence[ArtistProfile]) -> tuple[set[str], set[str]]:  # noqa: ANN001
    """(the named artists' catalogue track ids, the genres of those songs)."""
    target_ids = {i for p in profiles for i in p.track_ids}
    genres: set[str] = set()
    for track_id in target_ids:
        genres |= genres_of(recommender.tracks[track_id].descriptors, recommender.vocabulary)
    return target_ids, genres


def catalogue_share(recommender, text: str, profiles: Sequence[ArtistProfile], k: int = 10) -> float:  # noqa: ANN001
    """The share of the first chat turn's top k (a new conversation) by the named catalogue artists
    or sharing a genre with their songs; a shorter list counts its missing places as misses."""
    from chatbot import Conversation

    target_ids, genres = target_genres(recommender, profiles)
    results = Conversation(recommender).say(text, k=k).results[:k]
    return sum(hits_target(view.track, target_ids, genres, recommender.vocabulary) for view in results) / k


__all__ = ["Request", "catalogue_artist_requests", "catalogue_share", "genres_of", "hits_target",
           "read_requests", "resolve", "target_genres", "wiki_title"]
