"""Artist profiles: who an artist is, what they sound like (in our descriptors), which songs are theirs.

Two kinds of profile meet in an :class:`ArtistDirectory`: catalogue profiles built
from the catalogue's own songs, and knowledge profiles read from artist-level
files (Spotify micro-genres, Last.fm tags) and mapped onto our descriptor
vocabulary through ``assets/genre_map.json``. The directory resolves a written
name to a profile and offers the lookups a name finder in free text needs: an
exact dictionary of compact normalised names and a fuzzy shortlist per bucket.

Example:
    >>> tracks = load_catalog(Path("assets/catalogue.jsonl"), "jsonl").tracks
    >>> directory = ArtistDirectory(profiles_from_tracks(tracks))
    >>> directory.resolve("bob marley").name
    'Bob Marley & The Wailers'
"""

from __future__ import annotations

import ast
import csv
import functools
import json
import logging
import math
import re
import unicodedata
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process

from retriever.catalog import Track, TrackId
from retriever.vocabulary import DEFAULT_VOCABULARY, Vocabulary, load_vocabulary

logger = logging.getLogger(__name__)

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
DEFAULT_GENRE_MAP = ASSETS_DIR / "genre_map.json"

SOURCES = ("catalogue", "spotify", "lastfm", "spotify+lastfm", "profiles")
SPOTIFY_COLUMNS = ("artists", "genres")
LASTFM_COLUMNS = ("count", "name", "search")
# Facet order of a profile's descriptors: what a listener asks about first.
FACET_ORDER = ("genre", "mood", "instrument", "vocals", "production", "energy", "context")
# How many descriptors of each facet a catalogue profile keeps.
FACET_LIMITS = {"genre": 3, "mood": 3, "instrument": 2, "vocals": 1, "production": 1}
MAX_KNOWLEDGE_DESCRIPTORS = 6
FUZZY_MIN_CHARS = 5
FUZZY_CUTOFF = 90.0

_PUNCT_JOIN = re.compile(r"['’`´.]")  # dropped inside a word: "radiohead's" -> "radioheads", "B.I.G." -> "big"
_NON_WORD = re.compile(r"[^a-z0-9]+")
_COMPANION = re.compile(r"^(?P<main>.+?)\s+(?:&|and|\+)\s+(?:the|his|her|their)\s+.+$", re.IGNORECASE)
_FEATURING = re.compile(r"^(?P<main>.+?)\s+(?:feat\.?|ft\.?|featuring|with|vs\.?|x)\s+.+$", re.IGNORECASE)
_PARENTHESIS = re.compile(r"\s*\([^)]*\)\s*$")


def strip_accents(text: str) -> str:
    """``"Beyoncé"`` -> ``"Beyonce"``: NFKD, combining marks dropped."""
    if text.isascii():  # most names: nothing to decompose (the directory normalises ~100k names at start)
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@functools.lru_cache(maxsize=1 << 18)  # the directory meets each of ~70k names two or three times at start
def normalise_name(text: str) -> str:
    """The form names are compared in: lowercase, no accents or punctuation, "&" as "and", no leading "the".

    Possessives are left to the matcher ("radiohead's" becomes "radioheads" here).

    Example:
        >>> normalise_name("The Mamas & the Papas")
        'mamas and the papas'
    """
    text = strip_accents(text).lower().replace("&", " and ").replace("+", " and ")
    text = _PUNCT_JOIN.sub("", text)
    text = _NON_WORD.sub(" ", text).strip()
    if text.startswith("the ") and len(text) > 4:
        text = text[4:]
    return text


def compact_key(normalised: str) -> str:
    """The lookup key: a normalised name without spaces, so "AC/DC", "ac dc" and "acdc" meet."""
    return normalised.replace(" ", "")


@dataclass(frozen=True)
class ArtistProfile:
    """One artist: the name as written, other names they go by, what they sound like, their catalogue songs."""

    name: str
    aliases: tuple[str, ...] = ()
    descriptors: tuple[str, ...] = ()
    track_ids: tuple[TrackId, ...] = ()
    source: str = "catalogue"

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("ArtistProfile: the name is empty; expected the artist's name as written")
        if self.source not in SOURCES:
            raise ValueError(f"ArtistProfile {self.name!r}: unknown source {self.source!r}; expected one of {SOURCES}")

    @property
    def key(self) -> str:
        """The normalised name."""
        return normalise_name(self.name)


def generate_aliases(name: str) -> tuple[str, ...]:
    """Other ways a listener writes an artist's name (the name itself excluded).

    "The Beatles" -> "Beatles"; "Simon & Garfunkel" -> "Simon and Garfunkel";
    "Bob Marley & The Wailers" -> "Bob Marley"; "Mark Ronson feat. Bruno Mars" ->
    "Mark Ronson"; "Beyoncé" -> "Beyonce"; "Morphine (band)" -> "Morphine".
    """
    candidates: list[str] = []
    base = _PARENTHESIS.sub("", name).strip() or name
    candidates.append(base)
    if base.lower().startswith("the "):
        candidates.append(base[4:])
    if "&" in base:
        candidates.append(base.replace("&", "and"))
    elif re.search(r"\band\b", base, re.IGNORECASE):
        candidates.append(re.sub(r"\band\b", "&", base, flags=re.IGNORECASE))
    for pattern in (_COMPANION, _FEATURING):
        match = pattern.match(base)
        if match:
            candidates.append(match.group("main").strip(" ,"))
    orchestra = re.match(r"^(?P<main>.+?)\s+(?:and|&)\s+(?:his|her)\s+orchestra$", base, re.IGNORECASE)
    if orchestra:
        candidates.append(orchestra.group("main"))
    candidates += [strip_accents(candidate) for candidate in candidates]
    aliases: list[str] = []
    for candidate in candidates:
        candidate = " ".join(candidate.split())
        if candidate and candidate != name and candidate not in aliases and normalise_name(candidate):
            aliases.append(candidate)
    return tuple(aliases)


def _facet_rank(facet: str | None) -> int:
    return FACET_ORDER.index(facet) if facet in FACET_ORDER else len(FACET_ORDER)


def profiles_from_tracks(tracks: Iterable[Track], vocabulary: Vocabulary | None = None) -> list[ArtistProfile]:
    """One profile per catalogue artist, described by the descriptors most of their songs share.

    A descriptor counts for an artist with n songs when at least ``max(1, ceil(0.4 n))``
    of them carry it, so one odd song does not define the artist. Descriptors come
    genres first, then moods, instruments, vocals and an era, the most common first.

    Args:
        tracks: the catalogue.
        vocabulary: gives each descriptor its facet; assets/vocabulary.json when None.
            Descriptors it does not know are kept after the known facets.

    Returns:
        Profiles in order of each artist's first song.
    """
    vocabulary = vocabulary if vocabulary is not None else load_vocabulary(DEFAULT_VOCABULARY)
    songs: dict[str, list[Track]] = defaultdict(list)
    for track in tracks:
        songs[track.artist].append(track)
    profiles: list[ArtistProfile] = []
    for artist, artist_tracks in songs.items():
        if not normalise_name(artist):
            if artist.strip():  # no artist at all is no mistake: the songs are simply nobody's to ask for
                logger.warning("catalogue artist %r has no letters or digits; it gets no profile", artist)
            continue
        counts = Counter(d for track in artist_tracks for d in dict.fromkeys(track.descriptors))
        first_seen = {d: i for i, d in reversed(list(enumerate(d for t in artist_tracks for d in t.descriptors)))}
        needed = max(1, math.ceil(0.4 * len(artist_tracks)))
        common = [d for d, count in counts.items() if count >= needed]
        common.sort(key=lambda d: (_facet_rank(vocabulary.facet_of(d)), -counts[d], first_seen[d]))
        kept: list[str] = []
        per_facet: Counter[str] = Counter()
        for descriptor in common:
            facet = vocabulary.facet_of(descriptor) or ""
            limit = FACET_LIMITS.get(facet, 0 if facet else 2)
            if per_facet[facet] < limit:
                kept.append(descriptor)
                per_facet[facet] += 1
        profiles.append(
            ArtistProfile(
                name=artist,
                aliases=generate_aliases(artist),
                descriptors=tuple(kept),
                track_ids=tuple(track.id for track in artist_tracks),
                source="catalogue",
            )
        )
    logger.info("catalogue artist profiles: %d", len(profiles))
    if profiles:
        logger.info("example profile: %s", profiles[0])
    return profiles


@dataclass(frozen=True)
class GenreMap:
    """Exact genre/tag -> descriptors, then ordered keyword rules (the first matching rule wins)."""

    exact: dict[str, tuple[str, ...]]
    contains: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]

    def descriptors_for(self, genre: str) -> tuple[str, ...]:
        """Our descriptors for one Spotify micro-genre or Last.fm tag; () when none applies."""
        key = " ".join(genre.lower().split())
        if key in self.exact:
            return self.exact[key]
        for pattern, descriptors in self.contains:
            if pattern.search(key):
                return descriptors
        return ()

    def all_descriptors(self) -> set[str]:
        return {d for ds in self.exact.values() for d in ds} | {d for _, ds in self.contains for d in ds}


def load_genre_map(path: Path = DEFAULT_GENRE_MAP) -> GenreMap:
    """Read the mapping table (assets/genre_map.json by default).

    Raises:
        ValueError: the file is not a JSON object with "exact" (object) and "contains" (list of pairs).
    """
    with path.open(encoding="utf-8") as handle:
        raw = json.load(handle)
    if not isinstance(raw, dict) or not isinstance(raw.get("exact"), dict) or not isinstance(raw.get("contains"), list):
        raise ValueError(f"{path}: expected an object with 'exact' (genre -> [descriptors]) and 'contains' ([[keyword, [descriptors]], ...])")
    exact = {" ".join(k.lower().split()): tuple(v) for k, v in raw["exact"].items()}
    contains = []
    for item in raw["contains"]:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str) and isinstance(item[1], list)):
            raise ValueError(f"{path}: bad 'contains' rule {item!r}; expected [keyword, [descriptors]]")
        pattern = re.compile(r"(?<![\w-])" + re.escape(item[0].lower()) + r"(?![\w-])")
        contains.append((pattern, tuple(item[1])))
    return GenreMap(exact=exact, contains=tuple(contains))


@dataclass(frozen=True)
class KnowledgeRead:
    """What one knowledge file gave: per artist (as written) weighted raw genres/tags, and the rows skipped."""

    genres: dict[str, list[tuple[str, float]]]
    skipped: int = 0
    skip_reasons: Counter[str] = field(default_factory=Counter)


def _check_columns(path: Path, fieldnames: Sequence[str] | None, expected: tuple[str, ...], what: str) -> None:
    found = [name.strip() for name in fieldnames or ()]
    missing = [column for column in expected if column not in found]
    if missing:
        raise ValueError(
            f"{path}: not a {what} file: expected the columns {', '.join(expected)}; "
            f"found {', '.join(found) or 'none'} (missing {', '.join(missing)})"
        )


def read_spotify_genres(path: Path) -> KnowledgeRead:
    """Read a Spotify artist file (``artists`` and ``genres``, a Python-list string of micro-genres).

    Bad rows (no name, a genres field that is not a list of strings) are skipped and counted.

    Raises:
        ValueError: the file lacks the ``artists`` or ``genres`` column.
    """
    genres: dict[str, list[tuple[str, float]]] = {}
    reasons: Counter[str] = Counter()
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        reader = csv.DictReader(handle)
        _check_columns(path, reader.fieldnames, SPOTIFY_COLUMNS, "Spotify artist-genres")
        for row in reader:
            name = " ".join((row.get("artists") or "").split())
            if not name or not normalise_name(name):
                reasons["no artist name"] += 1
                continue
            raw = (row.get("genres") or "").strip() or "[]"
            try:
                value = ast.literal_eval(raw)
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                reasons["genres not a list"] += 1
                continue
            if not isinstance(value, list) or not all(isinstance(g, str) for g in value):
                reasons["genres not a list"] += 1
                continue
            # Spotify lists genres alphabetically, so each one weighs the same.
            genres.setdefault(name, []).extend((g, 1.0) for g in value)
    skipped = sum(reasons.values())
    logger.info("spotify genres: %d artists from %s, %d rows skipped %s", len(genres), path, skipped, dict(reasons))
    return KnowledgeRead(genres=genres, skipped=skipped, skip_reasons=reasons)


def read_lastfm_tags(path: Path) -> KnowledgeRead:
    """Read a Last.fm tag file (``count``, ``name`` = the tag, ``search`` = URL-encoded artist name).

    Bad rows (no artist, no tag, a count that is not a number from 0 to 100) are skipped and counted.

    Raises:
        ValueError: the file lacks one of the columns ``count``, ``name``, ``search``.
    """
    genres: dict[str, list[tuple[str, float]]] = {}
    reasons: Counter[str] = Counter()
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        reader = csv.DictReader(handle)
        _check_columns(path, reader.fieldnames, LASTFM_COLUMNS, "Last.fm artist-tags")
        for row in reader:
            artist = " ".join(urllib.parse.unquote(row.get("search") or "").split())
            tag = " ".join((row.get("name") or "").split())
            if not artist or not normalise_name(artist):
                reasons["no artist name"] += 1
                continue
            if not tag:
                reasons["no tag"] += 1
                continue
            try:
                count = float(row.get("count") or "")
            except ValueError:
                reasons["count not a number"] += 1
                continue
            if not 0 <= count <= 100:
                reasons["count outside 0-100"] += 1
                continue
            genres.setdefault(artist, []).append((tag, count / 100))
    skipped = sum(reasons.values())
    logger.info("lastfm tags: %d artists from %s, %d rows skipped %s", len(genres), path, skipped, dict(reasons))
    return KnowledgeRead(genres=genres, skipped=skipped, skip_reasons=reasons)


def _weighted_descriptors(weighted: list[tuple[str, float]], genre_map: GenreMap) -> Counter[str]:
    scores: Counter[str] = Counter()
    for genre, weight in weighted:
        for descriptor in genre_map.descriptors_for(genre):
            scores[descriptor] += weight
    return scores


def _top_descriptors(scores: Counter[str], vocabulary: Vocabulary | None) -> tuple[str, ...]:
    if not scores:
        return ()
    best = max(scores.values())
    kept = [d for d, s in scores.most_common() if s >= 0.25 * best][:MAX_KNOWLEDGE_DESCRIPTORS]
    facet_of = vocabulary.facet_of if vocabulary is not None else (lambda _name: None)
    kept.sort(key=lambda d: (_facet_rank(facet_of(d)), -scores[d]))
    return tuple(kept)


def load_artist_knowledge(
    spotify_csv: Path | None,
    lastfm_csv: Path | None,
    *,
    genre_map: GenreMap,
    vocabulary: Vocabulary | None = None,
) -> list[ArtistProfile]:
    """Knowledge profiles from a Spotify artist-genres file and/or a Last.fm tag file, merged by normalised name.

    Spotify genres each weigh 1 / (the artist's number of genres); a Last.fm tag
    weighs its count / 100. A descriptor is kept when it scores at least a quarter
    of the artist's best one, at most six, genres first. An artist with no mapped
    genre still gets a profile (without descriptors) so that its name is known.

    Args:
        spotify_csv: ``spotify_artist_genres.csv`` or a file of the same shape; None to skip.
        lastfm_csv: ``lastfm_artist_tags.csv`` or a file of the same shape; None to skip.
        genre_map: from :func:`load_genre_map`.
        vocabulary: orders descriptors by facet; assets/vocabulary.json when None.

    Returns:
        One profile per distinct normalised name; source "spotify", "lastfm" or "spotify+lastfm".

    Raises:
        ValueError: a file does not have the expected columns.
        FileNotFoundError: a given path does not exist.
    """
    vocabulary = vocabulary if vocabulary is not None else load_vocabulary(DEFAULT_VOCABULARY)
    merged: dict[str, dict] = {}
    for path, reader, source in ((spotify_csv, read_spotify_genres, "spotify"), (lastfm_csv, read_lastfm_tags, "lastfm")):
        if path is None:
            continue
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such {source} file; pass None to go without it")
        read = reader(path)
        for name, weighted in read.genres.items():
            key = normalise_name(name)
            entry = merged.setdefault(key, {"names": [], "sources": [], "scores": Counter()})
            if name not in entry["names"]:
                entry["names"].append(name)
            if source not in entry["sources"]:
                entry["sources"].append(source)
            scores = _weighted_descriptors(weighted, genre_map)
            if source == "spotify" and weighted:
                total = len(weighted)
                scores = Counter({d: s / total for d, s in scores.items()})
            entry["scores"].update(scores)
    profiles = []
    for entry in merged.values():
        name = entry["names"][0]
        aliases = list(generate_aliases(name))
        for other in entry["names"][1:]:
            for alias in (other, *generate_aliases(other)):
                if alias != name and alias not in aliases:
                    aliases.append(alias)
        profiles.append(
            ArtistProfile(
                name=name,
                aliases=tuple(aliases),
                descriptors=_top_descriptors(entry["scores"], vocabulary),
                source="+".join(entry["sources"]),
            )
        )
    logger.info("artist knowledge profiles: %d", len(profiles))
    if profiles:
        logger.info("example knowledge profile: %s", profiles[0])
    return profiles


DEFAULT_PROFILES = ASSETS_DIR / "artists.jsonl"


def load_profiles(path: Path = DEFAULT_PROFILES, vocabulary: Vocabulary | None = None) -> list[ArtistProfile]:
    """The artist profiles written for this project (`assets/artists.jsonl`), or a file of that shape.

    One JSON object a line: `name`, optional `aliases` (list), `descriptors` (list, our vocabulary;
    unknown ones are dropped). A bad line is skipped with a warning naming its number.

    Raises:
        FileNotFoundError: no such file.
    """
    known = set((vocabulary if vocabulary is not None else load_vocabulary(DEFAULT_VOCABULARY)).descriptors)
    profiles: list[ArtistProfile] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise TypeError("not a JSON object")
            name = str(row["name"]).strip()
            aliases = tuple(str(a).strip() for a in row.get("aliases") or () if str(a).strip())
            descriptors = tuple(str(d) for d in row.get("descriptors") or () if str(d) in known)
            profiles.append(ArtistProfile(name, tuple(dict.fromkeys((*aliases, *generate_aliases(name)))),
                                          descriptors, source="profiles"))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            logger.warning("%s:%d: skipped: %s", path, number, error)
    logger.info("%d artist profiles from %s", len(profiles), path)
    return profiles


class ArtistDirectory:
    """Profiles by normalised name and alias; catalogue profiles win when two share a name.

    Lookups work on compact keys (:func:`compact_key` of :func:`normalise_name`):
    ``exact(key)`` for a dictionary hit and ``fuzzy(key)`` for a near miss, which
    runs rapidfuzz only on the names that share the key's first two characters.
    """

    def __init__(self, profiles: Iterable[ArtistProfile]) -> None:
        profiles = list(profiles)
        self._profiles: list[ArtistProfile] = []
        self._by_key: dict[str, ArtistProfile] = {}
        self._normalised: dict[str, str] = {}  # compact key -> spaced normalised form (word checks)
        # Keys are taken in this order, first come first kept: catalogue names, catalogue aliases
        # ("Bob Marley" reaches the catalogue's Bob Marley & The Wailers, not a knowledge profile
        # without songs), then knowledge names, then knowledge aliases.
        for is_catalogue in (True, False):
            group = [p for p in profiles if (p.source == "catalogue") == is_catalogue]
            for profile in group:
                if self._claim(profile.key, profile):
                    self._profiles.append(profile)
            for profile in group:
                if self._by_key.get(compact_key(profile.key)) is profile:
                    for alias in profile.aliases:
                        self._claim(normalise_name(alias), profile)
        self._buckets: dict[str, list[str]] = defaultdict(list)
        for key in self._by_key:
            if len(key) >= FUZZY_MIN_CHARS:
                self._buckets[key[:2]].append(key)
        self.max_tokens = max((len(n.split()) for n in self._normalised.values()), default=1)
        logger.info("artist directory: %d profiles, %d names and aliases", len(self._profiles), len(self._by_key))

    def _claim(self, normalised: str, profile: ArtistProfile) -> bool:
        key = compact_key(normalised)
        if not key or key in self._by_key:
            return False
        self._by_key[key] = profile
        self._normalised[key] = normalised
        return True

    def __len__(self) -> int:
        return len(self._profiles)

    @property
    def profiles(self) -> tuple[ArtistProfile, ...]:
        return tuple(self._profiles)

    def resolve(self, name: str) -> ArtistProfile | None:
        """The profile a written name (or alias) stands for, exact after normalisation; None when unknown.

        A possessive is read as the name: "Radiohead's" resolves to Radiohead.
        """
        key = compact_key(normalise_name(name))
        found = self._by_key.get(key)
        if found is None and re.search(r"['’]s$", name.strip()):
            found = self._by_key.get(key[:-1])
        return found

    def exact(self, key: str) -> ArtistProfile | None:
        """The profile under a compact key."""
        return self._by_key.get(key)

    def words_of(self, key: str) -> tuple[str, ...]:
        """The normalised words of the name or alias stored under a compact key."""
        return tuple(self._normalised.get(key, "").split())

    def fuzzy(self, key: str, cutoff: float = FUZZY_CUTOFF) -> tuple[str, float] | None:
        """The closest stored compact key by ``fuzz.ratio`` (>= cutoff) among those sharing the first two characters.

        Returns:
            (stored key, score) or None. Keys shorter than five characters are never fuzzy-matched.
        """
        if len(key) < FUZZY_MIN_CHARS:
            return None
        bucket = self._buckets.get(key[:2])
        if not bucket:
            return None
        found = process.extractOne(key, bucket, scorer=fuzz.ratio, score_cutoff=cutoff)
        if found is None:
            return None
        return found[0], float(found[1])
