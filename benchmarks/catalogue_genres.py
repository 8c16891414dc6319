"""Check the built-in catalogue against public song lists and artist genres (report, never copy).

Two checks, both read ../shared/data at run time (nothing from it is copied into the repository):

1. Verification: a built-in song is *verified* when its normalised title and artist match a row of
   spotify-songs/spotify_songs.csv (track_name, track_artist), billboard-hits/dataset-of-*.csv
   (track, artist) or billboard-hits/hot100_spotify_genres.csv (Song, Performer). Normalisation folds
   case, accents, punctuation, "&"/"and", a leading "the", "feat."/"ft."/"featuring" parts and
   bracketed or " - Remastered 2011"-style suffixes; the artist may match the dataset's main artist
   (before "featuring", "x", ",", "&", "with", ...).
2. Genre agreement: for songs whose artist is in artist-knowledge/spotify_artist_genres.csv, map the
   song's genre descriptors and the artist's Spotify micro-genres to coarse families and count the
   songs that share at least one family.

Run: .venv/bin/python benchmarks/catalogue_genres.py [--unverified] [--limit N]
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import re
import sys
import unicodedata
import urllib.parse
from collections import Counter
from functools import lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CATALOGUE = REPO / "assets" / "catalogue.jsonl"
UNVERIFIED = REPO / "assets" / "unverified.tsv"
SHARED_DATA = REPO.parent / "shared" / "data"

# ---------------------------------------------------------------------------------------------
# normalisation

_FEAT = re.compile(r"\s[\(\[]?\s*(feat\.?|ft\.?|featuring|with)\s.*$", re.IGNORECASE)
_BRACKETS = re.compile(r"\s*[\(\[][^\)\]]*[\)\]]")
_DASH_SUFFIX = re.compile(
    r"\s+-\s+.*\b(remaster(ed)?|version|mix|edit|live|mono|stereo|single|remix|from|acoustic|demo|radio|"
    r"recorded|original|instrumental|bonus|deluxe|anniversary|take|session|soundtrack|feat)\b.*$",
    re.IGNORECASE,
)
_MAIN_ARTIST_SPLIT = re.compile(
    r"\s+(featuring|feat\.?|ft\.?|with|x|vs\.?|duet with|and|&)\s+|\s*,\s*|\s*/\s*", re.IGNORECASE
)


def fold(text: str) -> str:
    """Lower-case ASCII letters/digits separated by single spaces; '&' read as 'and', leading 'the' dropped."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("&", " and ").replace("'", "").replace("\u2019", "").replace("$", "s")
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    text = re.sub(r"^the\s+", "", text)
    return text


def norm_title(title: str) -> str:
    title = _DASH_SUFFIX.sub("", title)
    title = _FEAT.sub("", title)
    stripped = _BRACKETS.sub("", title).strip()
    return fold(stripped or title)


def norm_artist(artist: str) -> str:
    return fold(artist)


def artist_keys(artist: str) -> set[str]:
    """The dataset artist folded, and its main artist(s) (the part before a featuring/with/x/comma)."""
    keys = {norm_artist(artist)}
    main = _MAIN_ARTIST_SPLIT.split(artist)[0]
    if main.strip():
        keys.add(norm_artist(main))
    without_feat = re.split(r"\s+(featuring|feat\.?|ft\.?)\s+", artist, flags=re.IGNORECASE)[0]
    keys.add(norm_artist(without_feat))
    keys.discard("")
    return keys


# ---------------------------------------------------------------------------------------------
# datasets


def _read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        return list(csv.DictReader(handle))


@lru_cache(maxsize=2)
def dataset_index(shared: Path = SHARED_DATA) -> dict[str, set[str]]:
    """normalised title -> set of normalised artist keys, over the three song lists."""
    pairs: list[tuple[str, str]] = []
    for row in _read_csv(shared / "spotify-songs" / "spotify_songs.csv"):
        pairs.append((row["track_name"] or "", row["track_artist"] or ""))
    for path in sorted((shared / "billboard-hits").glob("dataset-of-*.csv")):
        for row in _read_csv(path):
            pairs.append((row["track"] or "", row["artist"] or ""))
    for row in _read_csv(shared / "billboard-hits" / "hot100_spotify_genres.csv"):
        pairs.append((row["Song"] or "", row["Performer"] or ""))
    index: dict[str, set[str]] = {}
    for title, artist in pairs:
        keys = artist_keys(artist)
        for t in {norm_title(title), fold(title)}:
            if t:
                index.setdefault(t, set()).update(keys)
    return index


def catalogue_artist_keys(artist: str) -> set[str]:
    keys = {norm_artist(artist)}
    # "Bob Marley & The Wailers" also matches "Bob Marley"
    parts = re.split(r"\s+(?:&|and|featuring|feat\.?|ft\.?|with|x)\s+|\s*,\s*", artist, flags=re.IGNORECASE)
    keys.update(norm_artist(part) for part in parts if part)  # each credited partner of a duet
    keys.discard("")
    return keys


def is_verified(row: dict, index: dict[str, set[str]]) -> bool:
    titles = {norm_title(row["title"]), fold(row["title"])}
    wanted = catalogue_artist_keys(row["artist"])
    return any(wanted & index.get(t, set()) for t in titles)


def load_rows(path: Path = CATALOGUE) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_unverified(path: Path = UNVERIFIED) -> dict[str, str]:
    """id -> reason from assets/unverified.tsv (header line 'id<TAB>reason')."""
    allowed: dict[str, str] = {}
    if not path.exists():
        return allowed
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#") or (number == 0 and line.startswith("id\t")):
                continue
            song_id, _, reason = line.partition("\t")
            allowed[song_id.strip()] = reason.strip()
    return allowed


# ---------------------------------------------------------------------------------------------
# genre families

# our genre descriptors -> coarse families
DESCRIPTOR_FAMILIES: dict[str, set[str]] = {
    "rock": {"rock", "alternative rock", "art rock", "blues rock", "britpop", "classic rock", "folk rock", "glam rock",
             "grunge", "hard rock", "indie rock", "krautrock", "pop rock", "post-punk", "post-rock", "progressive rock",
             "psychedelic rock", "punk rock", "rock and roll", "shoegaze", "soft rock", "southern rock", "surf rock",
             "power ballad", "emo", "pop punk", "new wave", "dream pop", "heavy metal", "nu metal", "thrash metal",
             "symphonic metal"},
    "metal": {"heavy metal", "nu metal", "thrash metal", "symphonic metal", "hard rock"},
    "punk": {"punk rock", "pop punk", "post-punk", "emo"},
    "pop": {"pop", "dance pop", "teen pop", "synth-pop", "indie pop", "pop rock", "k-pop", "j-pop", "mandopop",
            "cantopop", "latin pop", "arabic pop", "turkish pop", "city pop", "eurodance", "eurodisco", "schlager",
            "ballad", "power ballad", "new wave", "soft rock", "country pop", "dream pop", "bollywood", "anime song",
            "canzone", "chanson", "britpop", "disco", "motown", "doo-wop", "novelty"},
    "hip hop": {"hip hop", "boom bap", "gangsta rap", "trap", "lo-fi hip hop", "grime", "latin trap"},
    "soul/r&b": {"soul", "r&b", "contemporary r&b", "neo soul", "motown", "funk", "gospel", "doo-wop", "disco"},
    "funk/disco": {"funk", "disco", "eurodisco", "afrobeat", "motown"},
    "jazz": {"jazz", "bebop", "cool jazz", "hard bop", "modal jazz", "smooth jazz", "vocal jazz", "latin jazz",
             "jazz fusion", "swing", "big band", "lounge", "exotica", "bossa nova"},
    "blues": {"blues", "delta blues", "electric blues", "blues rock", "desert blues"},
    "country": {"country", "country pop", "outlaw country", "bluegrass", "americana"},
    "folk": {"folk", "folk rock", "singer-songwriter", "celtic", "americana", "bluegrass", "sea shanty", "world music"},
    "reggae": {"reggae", "roots reggae", "dancehall", "dub", "ska", "rocksteady"},
    "latin": {"latin pop", "reggaeton", "latin trap", "salsa", "bachata", "cumbia", "merengue", "bolero", "tango",
              "son cubano", "mariachi", "samba", "bossa nova", "mpb", "latin jazz", "flamenco", "tropical"},
    "electronic": {"electronic", "edm", "house", "deep house", "techno", "trance", "drum and bass", "dubstep", "electro",
                   "big beat", "synthwave", "synth-pop", "downtempo electronica", "trip hop", "ambient", "eurodance",
                   "chiptune", "amapiano", "kwaito", "krautrock", "new age"},
    "classical": {"classical", "baroque", "romantic era", "classical period", "contemporary classical", "minimalism",
                  "opera", "solo piano", "film score", "musical theatre"},
    "indie": {"indie rock", "indie pop", "dream pop", "shoegaze", "post-punk", "post-rock", "emo"},
    "world": {"afrobeat", "afrobeats", "highlife", "soukous", "mbalax", "rai", "qawwali", "ghazal", "bhangra", "tarab",
              "fado", "kompa", "zouk", "calypso", "soca", "steelpan music", "world music", "desert blues", "amapiano",
              "kwaito"},
}

# Spotify micro-genre keywords -> families (a micro-genre gets every family whose keyword it contains)
SPOTIFY_KEYWORDS: dict[str, str] = {
    "rock": "rock", "grunge": "rock", "britpop": "rock", "shoegaze": "rock", "new wave": "rock", "post-punk": "rock",
    "mellow gold": "rock", "album rock": "rock", "dream pop": "rock", "madchester": "rock", "emo": "punk",
    "metal": "metal", "hardcore": "punk", "punk": "punk", "screamo": "punk", "djent": "metal", "sludge": "metal",
    "pop": "pop", "boy band": "pop", "girl group": "pop", "adult standards": "pop", "easy listening": "pop",
    "brill building": "pop", "idol": "pop", "bubblegum": "pop", "neo mellow": "pop", "chanson": "pop",
    "eurovision": "pop", "schlager": "pop", "cantautor": "folk", "singer-songwriter": "folk", "new romantic": "pop",
    "hip hop": "hip hop", "rap": "hip hop", "trap": "hip hop", "drill": "hip hop", "grime": "hip hop",
    "crunk": "hip hop", "g funk": "hip hop", "hyphy": "hip hop", "bounce": "hip hop", "turntablism": "hip hop",
    "soul": "soul/r&b", "r&b": "soul/r&b", "motown": "soul/r&b", "gospel": "soul/r&b", "funk": "funk/disco",
    "disco": "funk/disco", "doo-wop": "soul/r&b", "quiet storm": "soul/r&b", "new jack swing": "soul/r&b",
    "urban contemporary": "soul/r&b", "boogie": "funk/disco", "philly": "soul/r&b", "northern soul": "soul/r&b",
    "jazz": "jazz", "bebop": "jazz", "swing": "jazz", "big band": "jazz", "bossa nova": "jazz", "lounge": "jazz",
    "exotica": "jazz", "hard bop": "jazz", "blues": "blues", "country": "country", "bluegrass": "country",
    "americana": "country", "honky tonk": "country", "nashville": "country", "outlaw": "country",
    "red dirt": "country", "cowboy": "country", "folk": "folk", "celtic": "folk", "irish": "folk",
    "reggae": "reggae", "dancehall": "reggae", "ska": "reggae", "dub": "reggae", "rocksteady": "reggae",
    "lovers rock": "reggae", "ragga": "reggae", "latin": "latin", "reggaeton": "latin", "salsa": "latin",
    "bachata": "latin", "cumbia": "latin", "merengue": "latin", "bolero": "latin", "tango": "latin",
    "mariachi": "latin", "ranchera": "latin", "samba": "latin", "mpb": "latin", "tropical": "latin",
    "flamenco": "latin", "rumba": "latin", "banda": "latin", "norteno": "latin", "grupera": "latin",
    "mexican": "latin", "sertanejo": "latin", "forro": "latin", "axe": "latin", "bossa": "latin",
    "trova": "latin", "son cubano": "latin", "electro": "electronic", "edm": "electronic", "house": "electronic",
    "techno": "electronic", "trance": "electronic", "electronic": "electronic", "electronica": "electronic",
    "dubstep": "electronic", "drum and bass": "electronic", "big beat": "electronic", "trip hop": "electronic",
    "ambient": "electronic", "idm": "electronic", "downtempo": "electronic", "synthwave": "electronic",
    "eurodance": "electronic", "dance": "electronic", "garage": "electronic", "breakbeat": "electronic",
    "jungle": "electronic", "chillwave": "electronic", "synth": "electronic", "new age": "electronic",
    "chiptune": "electronic", "future bass": "electronic", "hi-nrg": "electronic", "italo": "electronic",
    "moombahton": "electronic", "amapiano": "electronic", "kwaito": "electronic", "industrial": "electronic",
    "krautrock": "electronic", "bass": "electronic", "step": "electronic", "classical": "classical",
    "baroque": "classical", "romantic era": "classical", "opera": "classical", "orchestra": "classical",
    "soundtrack": "classical", "compositional": "classical", "minimal": "classical", "choral": "classical",
    "early music": "classical", "show tunes": "classical", "broadway": "classical", "hollywood": "classical",
    "afrobeat": "world", "afropop": "world", "highlife": "world", "soukous": "world", "mbalax": "world",
    "rai": "world", "qawwali": "world", "ghazal": "world", "bhangra": "world", "filmi": "world", "fado": "world",
    "kompa": "world", "zouk": "world", "calypso": "world", "soca": "world", "steelpan": "world", "world": "world",
    "afro": "world", "desert blues": "world", "mande": "world", "african": "world", "sufi": "world",
    "bollywood": "pop", "k-pop": "pop", "j-pop": "pop", "mandopop": "pop", "cantopop": "pop", "c-pop": "pop",
    "anime": "pop", "city pop": "pop", "rockabilly": "rock", "surf": "rock", "indie": "rock", "garage rock": "rock",
    "british invasion": "rock", "merseybeat": "rock", "beatlesque": "rock", "psychedelic": "rock",
    "glam": "rock", "grindcore": "metal", "doom": "metal", "stoner": "metal", "post-hardcore": "punk",
    "comic": "pop", "parody": "pop", "novelty": "pop", "christmas": "pop", "children": "pop", "lilith": "folk",
    "permanent wave": "rock", "freestyle": "pop", "miami bass": "hip hop", "new jack swing": "soul/r&b",
    "deathcore": "metal", "metalcore": "metal", "trancecore": "metal", "nu jazz": "jazz", "alternative": "rock", "neo-psychedelic": "rock", "lo-fi": "rock",
}
# micro-genres that hold a keyword but belong elsewhere
_SPOTIFY_FALSE = {"rap": ("trap latino", "rap latina"), "dance": ("dance pop",)}


def descriptor_families(descriptors: list[str], genre_names: set[str]) -> set[str]:
    families: set[str] = set()
    for descriptor in descriptors:
        if descriptor not in genre_names:
            continue
        for family, members in DESCRIPTOR_FAMILIES.items():
            if descriptor in members:
                families.add(family)
    return families


def spotify_families(genres: list[str]) -> set[str]:
    families: set[str] = set()
    for genre in genres:
        g = genre.lower()
        for keyword, family in SPOTIFY_KEYWORDS.items():
            if re.search(rf"(^|[\s\-]){re.escape(keyword)}($|[\s\-])", g) or (len(keyword) > 5 and keyword in g):
                families.add(family)
        if "metal" in g:
            families.add("metal")
        if "indie" in g or "shoegaze" in g or "dream pop" in g:
            families.add("indie")
        if "latin" in g or "latino" in g or "latina" in g or "mexican" in g or "espanol" in g:
            families.add("latin")
        if g == "dance pop" or g.endswith(" pop"):
            families.add("pop")
    return families


@lru_cache(maxsize=2)
def artist_genres(shared: Path = SHARED_DATA) -> dict[str, list[str]]:
    """normalised artist -> Spotify micro-genres (non-empty lists only)."""
    out: dict[str, list[str]] = {}
    for row in _read_csv(shared / "artist-knowledge" / "spotify_artist_genres.csv"):
        try:
            genres = ast.literal_eval(row["genres"] or "[]")
        except (ValueError, SyntaxError):
            continue
        if genres:
            out.setdefault(norm_artist(row["artists"]), list(genres))
    return out


def genre_report(rows: list[dict], genre_names: set[str], shared: Path = SHARED_DATA):
    """(checked, agreeing, disagreements[(row, our families, spotify genres)])."""
    known = artist_genres(shared)
    checked = agreeing = 0
    disagreements = []
    for row in rows:
        genres = None
        keys = catalogue_artist_keys(row["artist"])
        for key in [norm_artist(row["artist"]), *sorted(keys - {norm_artist(row["artist"])})]:
            if key in known:
                genres = known[key]
                break
        if genres is None:
            continue
        ours = descriptor_families(row["descriptors"], genre_names)
        theirs = spotify_families(genres)
        if not theirs:
            continue
        checked += 1
        if ours & theirs:
            agreeing += 1
        else:
            disagreements.append((row, ours, genres))
    return checked, agreeing, disagreements


def genre_descriptor_names() -> set[str]:
    vocabulary = json.loads((REPO / "assets" / "vocabulary.json").read_text(encoding="utf-8"))
    return {d["name"] for d in vocabulary["descriptors"] if d["facet"] == "genre"}


# ---------------------------------------------------------------------------------------------
# allowlist reasons for songs the song lists lack (rule-based on the row and the datasets, so checkable)

_CLASSICAL = {"classical", "baroque", "romantic era", "classical period", "contemporary classical", "minimalism",
              "opera", "solo piano"}


@lru_cache(maxsize=2)
def ner_artists(shared: Path = SHARED_DATA) -> set[str]:
    """Normalised names of the artists that the MusicRecoNER requests name (Wikipedia-linked)."""
    names: set[str] = set()
    for path in sorted((shared / "music-reco-ner").glob("dataset*/ground-truth_linked.csv")):
        for row in _read_csv(path):
            if row.get("type") == "Artist" and row.get("wiki_name"):
                name = urllib.parse.unquote(row["wiki_name"]).replace("_", " ")
                names.add(norm_artist(re.sub(r"\s*\(.*?\)", "", name)))
    return names


_ARTISTS_CACHE: dict[int, set[str]] = {}


def _dataset_artists(key: int, index: dict[str, set[str]]) -> set[str]:
    if key not in _ARTISTS_CACHE:
        _ARTISTS_CACHE[key] = {k for ks in index.values() for k in ks}
    return _ARTISTS_CACHE[key]


def suggest_reason(row: dict, index: dict[str, set[str]], shared: Path = SHARED_DATA) -> str:
    """Why a song is not in the song lists, from facts a reader can check (year, region, language, genre)."""
    ds = set(row["descriptors"])
    lang, region, year = row["language"], row["region"], row["year"]
    keys = catalogue_artist_keys(row["artist"])
    present = bool(keys & _dataset_artists(id(index), index))
    tail = "artist is in the datasets but not this track" if present else "artist not in these datasets"
    if keys & ner_artists(shared):
        tail += "; artist named in MusicRecoNER requests"
    if "video game music" in ds:
        kind = "video game soundtrack piece, not a chart or playlist single"
    elif "film score" in ds and lang == "instrumental":
        kind = "film/TV score cue, not a chart or playlist single"
    elif ds & _CLASSICAL and lang in ("instrumental", "latin", "italian", "german", "french"):
        kind = "classical/contemporary-classical recording, not in these pop chart/playlist datasets"
    elif "children's music" in ds:
        kind = "children's song, not in these chart/playlist datasets"
    elif "musical theatre" in ds:
        kind = "musical theatre cast recording, not in these datasets"
    elif "christmas music" in ds or "christmas" in ds:
        kind = "Christmas recording absent from these playlist/chart datasets"
    elif "sea shanty" in ds or ("celtic" in ds and region == "uk and ireland"):
        kind = "traditional folk/shanty recording, not in these US chart/Spotify playlist datasets"
    elif year >= 2021:
        kind = f"{year} release; the Spotify songs file ends in 2020 and the Hot 100 file in 2021"
    elif lang not in ("english", "instrumental"):
        kind = f"{lang}-language release from {region}, not in these US chart/Spotify playlist datasets"
    elif region not in ("north america", "uk and ireland"):
        kind = f"{region} recording, not in these US chart/Spotify playlist datasets"
    elif ds & DESCRIPTOR_FAMILIES["jazz"]:
        kind = "jazz recording, not a row of these Hot 100/Spotify-playlist files under this title and artist"
    elif year < 1958:
        kind = "pre-1958 recording, before the Hot 100 and these datasets"
    elif ds & {"blues", "delta blues", "electric blues"}:
        kind = "blues recording, not in these chart/playlist datasets"
    elif lang == "instrumental" and ds & {"ambient", "downtempo electronica", "lo-fi hip hop", "new age", "trip hop",
                                          "electronic", "chiptune", "post-rock", "techno", "synthwave"}:
        kind = "instrumental electronic/ambient album track, not in these datasets"
    elif lang == "instrumental":
        kind = "instrumental recording, not in these chart/playlist datasets"
    elif region == "uk and ireland":
        kind = "UK release, not a row of these US Hot 100/Spotify-playlist files under this title and artist"
    elif ds & {"folk", "singer-songwriter", "americana", "bluegrass", "country", "outlaw country"}:
        kind = "folk/country recording, not a row of these Hot 100/Spotify-playlist files under this title and artist"
    else:
        kind = "not a row of these Hot 100/Spotify-playlist files under this title and artist"
    return f"{kind}; {tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--unverified", action="store_true", help="also list songs not found in the song lists")
    parser.add_argument("--suggest-allowlist", action="store_true",
                        help="print id<TAB>reason for unverified songs that assets/unverified.tsv does not list yet")
    parser.add_argument("--limit", type=int, default=0, help="print at most N disagreements (0 = all)")
    args = parser.parse_args(argv)
    if not SHARED_DATA.is_dir():
        print(f"public datasets not found at {SHARED_DATA}", file=sys.stderr)
        return 2
    rows = load_rows()
    index = dataset_index()
    verified = [r for r in rows if is_verified(r, index)]
    if not args.suggest_allowlist:
        print(f"verified: {len(verified)}/{len(rows)} ({100 * len(verified) / len(rows):.1f} %)")
    if args.unverified:
        allowed = load_unverified()
        for row in rows:
            if not is_verified(row, index):
                print(f"  unverified {row['id']}\t{allowed.get(row['id'], '(not allowlisted)')}")
    if args.suggest_allowlist:
        allowed = load_unverified()
        for row in rows:
            if row["id"] not in allowed and not is_verified(row, index):
                print(f"{row['id']}\t{suggest_reason(row, index)}")
        return 0
    checked, agreeing, disagreements = genre_report(rows, genre_descriptor_names())
    share = 100 * agreeing / checked if checked else 0.0
    print(f"genre agreement: {agreeing}/{checked} songs with Spotify artist genres ({share:.1f} %)")
    shown = disagreements if not args.limit else disagreements[: args.limit]
    for row, ours, genres in shown:
        ours_genres = [d for d in row["descriptors"] if d in genre_descriptor_names()]
        print(f"  {row['id']}: ours {ours_genres} -> {sorted(ours)}; spotify {genres[:6]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
