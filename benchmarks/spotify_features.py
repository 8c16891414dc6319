"""Check the `--format spotify` audio-feature thresholds (retriever/spotify.py FEATURE_RULES) on real data.

Loads ../shared/data/spotify-songs/spotify_songs.csv (and the billboard-hits decade files when
present) with the loader, then prints Markdown tables: the threshold table, the share of tracks
per descriptor, descriptor shares by subgenre family (instrumental among EDM vs rap vs pop...),
descriptor shares among tracks whose *playlist name* says the same thing (an independent label:
"Lo-Fi Beats", "Sad Songs", "Acoustic..."), BPM per tempo descriptor, and what each descriptor's
tracks look like on the other features (sanity: sad tracks are in minor keys more often...).

    .venv/bin/python benchmarks/spotify_features.py > /tmp/spotify_features.md      # ~15 s
"""

from __future__ import annotations

import csv
import glob
import statistics
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's code, not another's install
sys.path.insert(0, str(REPO))

from retriever import FEATURE_RULES, load_catalog  # noqa: E402
from retriever.spotify import ERA_DESCRIPTORS  # noqa: E402

DATA = REPO.parent / "shared" / "data"
SONGS = DATA / "spotify-songs" / "spotify_songs.csv"
FEATURE_DESCRIPTORS = [rule.descriptor for rule in FEATURE_RULES]
FAMILIES = {  # subgenre families of spotify_songs.csv
    "EDM (big room, electro house, progressive electro house)": {"big room", "electro house", "progressive electro house"},
    "hip hop (its playlists include lo-fi beats)": {"hip hop"},
    "rap (gangster rap, southern hip hop, trap)": {"gangster rap", "southern hip hop", "trap"},
    "pop (dance pop, post-teen pop, electropop)": {"dance pop", "post-teen pop", "electropop"},
    "rock (album, classic, hard rock, permanent wave)": {"album rock", "classic rock", "hard rock", "permanent wave"},
    "r&b (neo soul, new jack swing, urban contemporary)": {"neo soul", "new jack swing", "urban contemporary"},
    "latin (latin pop, reggaeton, tropical, latin hip hop)": {"latin pop", "reggaeton", "tropical", "latin hip hop"},
}
# playlist-name words -> the descriptor they independently vouch for
PLAYLIST_WORDS = {
    "instrumental": ("lofi", "lo-fi", "lo fi", "instrumental", "beats", "jazz vibes", "chillhop"),
    "acoustic": ("acoustic", "unplugged"),
    "sad": ("sad", "heartbreak", "broken", "cry"),
    "happy": ("happy", "feel good", "good vibes", "sunny"),
    "danceable": ("dance", "party", "club"),
    "calm": ("chill", "relax", "calm", "sleep", "lofi", "lo-fi"),
    "high energy": ("workout", "gym", "power", "hard", "energy"),
}


def share(tracks: list, descriptor: str) -> str:
    if not tracks:
        return "-"
    return f"{100 * sum(descriptor in t.descriptors for t in tracks) / len(tracks):.1f} %"


def table(headers: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def threshold_table() -> str:
    rows = []
    for rule in FEATURE_RULES:
        upper = "" if rule.maximum == float("inf") else f" and < {rule.maximum:g}"
        also = "".join(f", {name} in [{low:g}, {high:g})" for name, low, high in rule.also)
        rows.append([rule.feature, f">= {rule.minimum:g}{upper}{also}", rule.descriptor])
    return table(["feature", "range", "descriptor"], rows)


def main() -> None:
    if not SONGS.is_file():
        raise SystemExit(f"{SONGS} not found (../shared/data beside the clone)")
    result = load_catalog(SONGS, "spotify")
    tracks = result.tracks
    by_id = {t.id: t for t in tracks}
    playlists: dict[str, set[str]] = defaultdict(set)
    with SONGS.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            playlists[row["track_id"]].add(row["playlist_name"].lower())
    print(f"# Spotify audio-feature descriptors on spotify_songs.csv\n\n{SONGS.name}: {result.summary()}; "
          f"{sum(t.metadata['source_rows'] for t in tracks):,} rows merged into {len(tracks):,} tracks\n")
    print("## Thresholds (FEATURE_RULES)\n\n" + threshold_table() + "\n")
    print("Era: " + ", ".join(f"{start}-{end - 1} -> {name}" for start, end, name in ERA_DESCRIPTORS) + "\n")

    billboard = []
    for name in sorted(glob.glob(str(DATA / "billboard-hits" / "dataset-of-*.csv"))):
        billboard += load_catalog(Path(name), "spotify").tracks
    print("## Share of tracks per descriptor\n")
    rows = [[d, share(tracks, d), share(billboard, d)] for d in FEATURE_DESCRIPTORS]
    rows += [[name, share(tracks, name), share(billboard, name)] for *_, name in ERA_DESCRIPTORS]
    none = lambda group: f"{100 * sum(not set(t.descriptors) & set(FEATURE_DESCRIPTORS) for t in group) / max(1, len(group)):.1f} %"  # noqa: E731
    rows.append(["(no feature descriptor at all)", none(tracks), none(billboard)])
    print(table(["descriptor", f"spotify-songs ({len(tracks):,})", f"billboard-hits ({len(billboard):,})"], rows) + "\n")

    print("## Descriptor share by subgenre family (spotify-songs; a track counts in each family it was listed in)\n")
    headers = ["family", "tracks", "instrumental", "rap", "spoken word", "acoustic", "danceable", "high energy", "calm", "happy", "sad"]
    rows = []
    for family, subgenres in FAMILIES.items():
        group = [t for t in tracks if set(str(t.metadata.get("subgenres", "")).split("; ")) & subgenres]
        rows.append([family, f"{len(group):,}", *(share(group, d) for d in headers[2:])])
    print(table(headers, rows) + "\n")

    print("## Against an independent label: the playlist's name (spotify-songs)\n")
    rows = []
    for descriptor, words in PLAYLIST_WORDS.items():
        named = [by_id[i] for i, names in playlists.items() if i in by_id and any(w in n for n in names for w in words)]
        other = [by_id[i] for i, names in playlists.items() if i in by_id and not any(w in n for n in names for w in words)]
        rows.append([descriptor, " / ".join(words), f"{len(named):,}", share(named, descriptor), share(other, descriptor)])
    print(table(["descriptor", "playlist name contains", "tracks", "share there", "share elsewhere"], rows) + "\n")

    print("## Tempo descriptors against BPM (spotify-songs)\n")
    rows = []
    for label, group in (("slow tempo", [t for t in tracks if "slow tempo" in t.descriptors]),
                         ("fast tempo", [t for t in tracks if "fast tempo" in t.descriptors]),
                         ("neither", [t for t in tracks if not {"slow tempo", "fast tempo"} & set(t.descriptors)])):
        bpm = sorted(float(t.metadata["tempo"]) for t in group if "tempo" in t.metadata)
        energy = [float(t.metadata["energy"]) for t in group]
        rows.append([label, f"{len(group):,}", f"{bpm[0]:.0f}", f"{statistics.median(bpm):.0f}", f"{bpm[-1]:.0f}",
                     f"{statistics.median(energy):.2f}"])
    zero = sum(float(t.metadata.get("tempo", 1)) == 0 for t in tracks)
    print(table(["descriptor", "tracks", "min BPM", "median BPM", "max BPM", "median energy"], rows))
    print(f"\n{zero} tracks have tempo 0 (none detected) and get no tempo descriptor.\n")

    print("## Sanity: what each descriptor's tracks look like (spotify-songs medians; minor = mode 0)\n")
    columns = ["valence", "energy", "danceability", "acousticness", "instrumentalness", "speechiness", "tempo"]
    rows = []
    for label, group in [("all tracks", tracks)] + [(d, [t for t in tracks if d in t.descriptors]) for d in FEATURE_DESCRIPTORS]:
        if not group:
            continue
        minor = 100 * sum(t.metadata.get("mode") == 0 for t in group) / len(group)
        rows.append([label, f"{len(group):,}", *(f"{statistics.median(float(t.metadata[c]) for t in group):.2f}"
                                                 for c in columns), f"{minor:.0f} %"])
    print(table(["tracks", "n", *columns, "minor key"], rows) + "\n")
    both = lambda a, b: sum(a in t.descriptors and b in t.descriptors for t in tracks)  # noqa: E731
    print(f"Co-occurrence: happy+sad {both('happy', 'sad')}, high energy+calm {both('high energy', 'calm')}, "
          f"instrumental+rap {both('instrumental', 'rap')}, acoustic+high energy {both('acoustic', 'high energy')}, "
          f"sad+danceable {both('sad', 'danceable')}, calm+danceable {both('calm', 'danceable')}.")


if __name__ == "__main__":
    main()
