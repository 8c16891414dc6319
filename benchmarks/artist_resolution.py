"""How well find_names reads the artists that real listeners name (MusicRecoNER, Reddit requests).

For every Wikipedia-linked Artist mention in the four MusicRecoNER datasets, the
request's original text goes through ``find_names``. An artist counts as resolved
when, in at least one of its requests, a returned artist mention's profile has the
linked name (normalised; the profile's name or one of its aliases, Wikipedia's
"(band)"-style suffix dropped). Reported for (a) catalogue profiles only and (b)
catalogue + artist knowledge (Spotify genres + Last.fm tags). Also reported:
precision (the share of returned artist mentions that overlap a ground-truth Artist
mention, linked or not) and find_names latency per request.

Run: PYTHONPATH=. .venv/bin/python benchmarks/artist_resolution.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's code, not another's install

from chatbot.names import find_names
from retriever.artists import (
    ArtistDirectory,
    load_artist_knowledge,
    load_genre_map,
    load_profiles,
    normalise_name,
    profiles_from_tracks,
)
from retriever import load_catalog

ROOT = Path(__file__).resolve().parent.parent


def wiki_key(wiki_name: str) -> str:
    return normalise_name(re.sub(r"_?\([^)]*\)$", "", wiki_name).replace("_", " ")).replace(" ", "")


def read_requests(ner_dir: Path) -> tuple[list[str], dict[str, list[dict]]]:
    """Original texts of all requests, and the ground-truth mentions by original text."""
    originals: list[str] = []
    mentions: dict[str, list[dict]] = defaultdict(list)
    for dataset in sorted(ner_dir.glob("dataset*")):
        by_preprocessed: dict[str, str] = {}
        with (dataset / "queries.csv").open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                by_preprocessed[row["preprocessed"]] = row["original"]
                originals.append(row["original"])
        with (dataset / "ground-truth_linked.csv").open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                original = by_preprocessed.get(row["query"])
                if original is not None:
                    mentions[original].append(row)
    return originals, mentions


def evaluate(directory: ArtistDirectory, tracks: dict, originals: list[str], mentions: dict[str, list[dict]]) -> dict:
    resolved: dict[str, bool] = {}
    returned = correct = 0
    timings: list[float] = []
    false_positives: list[tuple[str, str]] = []
    for text in originals:
        start = time.perf_counter()
        found = find_names(text, directory, tracks)
        timings.append((time.perf_counter() - start) * 1000)
        truth = mentions.get(text, [])
        artist_truth = [normalise_name(row["mention"]).replace(" ", "") for row in truth if row["type"] == "Artist"]
        predicted_keys = set()
        for mention in found:
            if mention.kind != "artist" or mention.profile is None:
                continue
            returned += 1
            phrase = normalise_name(mention.phrase).replace(" ", "")
            if any(phrase and (phrase in gold or gold in phrase) for gold in artist_truth if gold):
                correct += 1
            else:
                false_positives.append((mention.phrase, text[:80]))
            profile = mention.profile
            predicted_keys |= {normalise_name(n).replace(" ", "") for n in (profile.name, *profile.aliases)}
        for row in truth:
            if row["type"] != "Artist" or not row["wiki_name"]:
                continue
            key = wiki_key(row["wiki_name"])
            resolved[key] = resolved.get(key, False) or key in predicted_keys
    ordered = sorted(timings)
    in_directory = sum(1 for key in resolved if directory.exact(key) is not None)
    return {
        "in_directory": in_directory,
        "artists": len(resolved),
        "resolved": sum(resolved.values()),
        "returned": returned,
        "correct": correct,
        "p50_ms": statistics.median(ordered),
        "p95_ms": ordered[int(0.95 * (len(ordered) - 1))],
        "false_positives": false_positives,
    }


def report(label: str, result: dict, show: int) -> None:
    share = result["resolved"] / max(1, result["artists"])
    precision = result["correct"] / max(1, result["returned"])
    print(
        f"{label}: resolved {result['resolved']}/{result['artists']} distinct artists ({share:.1%}; "
        f"{result['in_directory']} have a profile at all); "
        f"precision {result['correct']}/{result['returned']} ({precision:.1%}); "
        f"find_names p50 {result['p50_ms']:.2f} ms, p95 {result['p95_ms']:.2f} ms"
    )
    for phrase, text in result["false_positives"][:show]:
        print(f"    not a ground-truth artist: {phrase!r} in {text!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--show-false-positives", type=int, default=0)
    args = parser.parse_args()
    ner_dir = args.data / "music-reco-ner"
    knowledge = args.data / "artist-knowledge"
    if not ner_dir.is_dir():
        print(f"no MusicRecoNER data under {ner_dir}; pass --data", file=sys.stderr)
        return 2
    tracks = {t.id: t for t in load_catalog(ROOT / "assets" / "catalogue.jsonl", "jsonl").tracks}
    originals, mentions = read_requests(ner_dir)
    catalogue_profiles = profiles_from_tracks(tracks.values())
    report("(a) catalogue only", evaluate(ArtistDirectory(catalogue_profiles), tracks, originals, mentions),
           args.show_false_positives)
    own_profiles = load_profiles()
    report("(b) catalogue + assets/artists.jsonl (ours, shipped)",
           evaluate(ArtistDirectory(catalogue_profiles + own_profiles), tracks, originals, mentions),
           args.show_false_positives)
    start = time.perf_counter()
    knowledge_profiles = load_artist_knowledge(
        knowledge / "spotify_artist_genres.csv", knowledge / "lastfm_artist_tags.csv", genre_map=load_genre_map()
    )
    directory = ArtistDirectory(catalogue_profiles + own_profiles + knowledge_profiles)
    print(f"full directory: {len(directory)} profiles, built in {time.perf_counter() - start:.1f} s")
    report("(c) catalogue + ours + Spotify/Last.fm knowledge (as the chat loads them)", evaluate(directory, tracks, originals, mentions), args.show_false_positives)
    return 0


if __name__ == "__main__":
    sys.exit(main())
