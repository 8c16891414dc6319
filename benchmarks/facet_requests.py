"""Era, place and language requests, phrased as a listener would: do the results honour them?

Each row of ``tests/data/facet_requests.tsv`` is one request (several turns joined by `` || ``)
and the facets a correct result must have: ``years`` (``1980-1989``), ``regions`` and
``languages`` (``;``-separated catalogue values). A value in parentheses is *soft*: the request
only implies it (a style such as "k-pop" implies east asia / korean, "brazilian" implies
Portuguese, "old school" implies before 1990), the chat only boosts it, and it is reported in a
column of its own, never in the pass rate. A result *satisfies* a request when it meets every
hard constraint (year in range, region in regions, language in languages).

Reported per system (the full chat on the last turn, and a naive TF-IDF over descriptors plus
"year region language" with the turns concatenated):

- the share of the top 10 satisfying each constraint type (era, place, language), over the
  requests that have one, and overall (every hard constraint at once);
- the soft share (each soft value met), over the requests that have one;
- the mean list length (a filter can leave fewer than 10) and how many lists came back empty.

The share is over the songs returned (a list of 6 good songs scores 1.0); an empty list scores 0.
Before measuring, every request is checked against the catalogue: the rows that fewer than 5 songs
can satisfy are listed.

Run: TUNETALK_HOME=/tmp/tt-home PYTHONPATH=$PWD .venv/bin/python benchmarks/facet_requests.py [--show-failures]
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
REQUESTS = REPO / "tests" / "data" / "facet_requests.tsv"
TURN_SEPARATOR = " || "
K = 10
MIN_SUPPORT = 5  # a request the catalogue cannot satisfy 5 times over is reported
KINDS = ("era", "place", "language")


@dataclass(frozen=True)
class Constraint:
    """One facet of a request: a year range or a set of catalogue values; soft ones are only implied."""

    kind: str  # one of KINDS
    years: tuple[int, int] | None = None
    values: frozenset[str] = frozenset()
    is_soft: bool = False

    def met_by(self, track) -> bool:  # noqa: ANN001 - a retriever Track
        if self.kind == "era":
            return track.year is not None and self.years[0] <= track.year <= self.years[1]
        key = "region" if self.kind == "place" else "language"
        value = track.metadata.get(key)
        return isinstance(value, str) and value.strip().lower() in self.values


@dataclass(frozen=True)
class FacetRequest:
    message: str
    turns: tuple[str, ...]
    constraints: tuple[Constraint, ...]

    @property
    def hard(self) -> tuple[Constraint, ...]:
        return tuple(c for c in self.constraints if not c.is_soft)

    @property
    def soft(self) -> tuple[Constraint, ...]:
        return tuple(c for c in self.constraints if c.is_soft)

    def satisfied_by(self, track) -> bool:  # noqa: ANN001
        return all(c.met_by(track) for c in self.hard)


def _soft(cell: str) -> tuple[str, bool]:
    cell = cell.strip()
    if cell.startswith("(") and cell.endswith(")"):
        return cell[1:-1].strip(), True
    return cell, False


def parse_row(message: str, years: str, regions: str, languages: str) -> FacetRequest:
    """One TSV row as a FacetRequest.

    Raises:
        ValueError: a malformed year range.
    """
    constraints: list[Constraint] = []
    text, is_soft = _soft(years)
    if text:
        start, _, end = text.partition("-")
        if not (start.strip().isdigit() and end.strip().isdigit()) or int(start) > int(end):
            raise ValueError(f"bad years {years!r} for {message!r}")
        constraints.append(Constraint("era", years=(int(start), int(end)), is_soft=is_soft))
    for kind, cell in (("place", regions), ("language", languages)):
        text, is_soft = _soft(cell)
        values = frozenset(v.strip().lower() for v in text.split(";") if v.strip())
        if values:
            constraints.append(Constraint(kind, values=values, is_soft=is_soft))
    turns = tuple(t.strip() for t in message.split(TURN_SEPARATOR.strip()) if t.strip())
    return FacetRequest(message, turns, tuple(constraints))


def load_requests(path: Path = REQUESTS) -> list[FacetRequest]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [parse_row(r["message"], r["years"] or "", r["regions"] or "", r["languages"] or "") for r in rows]


def catalogue_support(request: FacetRequest, tracks: Sequence) -> tuple[int, int]:
    """How many catalogue songs meet the hard constraints, and the hard and soft ones together."""
    hard = [t for t in tracks if request.satisfied_by(t)]
    return len(hard), sum(all(c.met_by(t) for c in request.soft) for t in hard)


@dataclass
class Scores:
    """Per-request shares for one system; None where the request has no such constraint."""

    by_kind: dict[str, list[float]]
    overall: list[float]
    soft: list[float]
    soft_by_kind: dict[str, list[float]]
    lengths: list[int]
    per_request: list[float | None]

    @classmethod
    def empty(cls) -> Scores:
        return cls({kind: [] for kind in KINDS}, [], [], {kind: [] for kind in KINDS}, [], [])

    def add(self, request: FacetRequest, results: Sequence) -> None:  # noqa: ANN001 - Tracks
        self.lengths.append(len(results))

        def share(check) -> float:  # noqa: ANN001
            return sum(map(check, results)) / len(results) if results else 0.0

        for constraint in request.hard:
            self.by_kind[constraint.kind].append(share(constraint.met_by))
        for constraint in request.soft:
            self.soft.append(share(constraint.met_by))
            self.soft_by_kind[constraint.kind].append(share(constraint.met_by))
        if request.hard:
            value = share(request.satisfied_by)
            self.overall.append(value)
            self.per_request.append(value)
        else:
            self.per_request.append(None)


def tfidf_system(tracks: Sequence):  # noqa: ANN201 - a function text -> top-k Tracks
    """Naive baseline: TF-IDF over each song's descriptors plus its year, region and language."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    documents = [
        f"{', '.join(t.descriptors)} {t.year or ''} {t.metadata.get('region', '')} {t.metadata.get('language', '')}"
        for t in tracks
    ]
    vectorizer = TfidfVectorizer()
    matrix = vectorizer.fit_transform(documents)

    def top(text: str) -> list:
        scores = (vectorizer.transform([text]) @ matrix.T).toarray()[0]
        return [tracks[i] for i in np.argsort(-scores, kind="stable")[:K] if scores[i] > 0]

    return top


def open_builtin_recommender():  # noqa: ANN201
    from tunetalk import paths

    paths.prepare_environment()
    from tunetalk.cli import build_parser, open_recommender

    args = build_parser().parse_args(["ask", "x"])
    args.artist_knowledge = ["none"]  # the built-in catalogue's artists only
    return open_recommender(args, log_disabled=True)


def chat_results(recommender, request: FacetRequest):  # noqa: ANN001, ANN201 - (tracks, last turn)
    from chatbot import Conversation

    conversation = Conversation(recommender)
    turn = None
    for message in request.turns:
        turn = conversation.say(message, k=K)
    return [view.track for view in turn.results], turn


def _mean(values: Sequence[float]) -> str:
    return f"{statistics.mean(values):.3f}" if values else "-"


def print_tables(requests: list[FacetRequest], scores: dict[str, Scores]) -> None:
    counts = {kind: sum(any(c.kind == kind for c in r.hard) for r in requests) for kind in KINDS}
    soft_count = sum(len(r.soft) for r in requests)
    with_hard = sum(bool(r.hard) for r in requests)
    print(f"| system | era (n={counts['era']}) | place (n={counts['place']}) | language (n={counts['language']}) "
          f"| overall (n={with_hard}) | requests ≥ 0.9 | soft hints (n={soft_count}) | mean list length | empty lists |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, s in scores.items():
        good = sum(v >= 0.9 for v in s.overall)
        print(f"| {name} | {_mean(s.by_kind['era'])} | {_mean(s.by_kind['place'])} | {_mean(s.by_kind['language'])} "
              f"| {_mean(s.overall)} | {good}/{len(s.overall)} | {_mean(s.soft)} | {statistics.mean(s.lengths):.1f} "
              f"| {sum(n == 0 for n in s.lengths)} |")
    soft_counts = {kind: sum(c.kind == kind for r in requests for c in r.soft) for kind in KINDS}
    print("\nSoft hints (implied by a style, a demonym or a vague era; boosted, not filtered):\n")
    print("| system | " + " | ".join(f"{kind} (n={soft_counts[kind]})" for kind in KINDS) + " |")
    print("|---|" + "---|" * len(KINDS))
    for name, s in scores.items():
        print(f"| {name} | " + " | ".join(_mean(s.soft_by_kind[kind]) for kind in KINDS) + " |")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=Path, default=REQUESTS)
    parser.add_argument("--show-failures", type=float, default=0.7, metavar="SHARE",
                        help="list the chat's requests whose overall share is below SHARE (default 0.7)")
    options = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    started = time.perf_counter()
    requests = load_requests(options.requests)
    recommender = open_builtin_recommender()
    loaded = time.perf_counter()
    tracks = list(recommender.tracks.values())

    support = [(r, *catalogue_support(r, tracks)) for r in requests]
    thin = [(r, hard) for r, hard, _ in support if hard < MIN_SUPPORT]
    thin_soft = [(r, hard, soft) for r, hard, soft in support if r.soft and hard >= MIN_SUPPORT and soft < MIN_SUPPORT]
    regions = {v for r in requests for c in r.constraints if c.kind == "place" for v in c.values}
    languages = {v for r in requests for c in r.constraints if c.kind == "language" for v in c.values}
    decades = sorted({c.years[0] // 10 * 10 for r in requests for c in r.hard
                      if c.kind == "era" and c.years[1] - c.years[0] <= 10})
    print(f"{len(requests)} requests ({sum(len(r.turns) > 1 for r in requests)} multi-turn), "
          f"{len(regions)} regions, {len(languages)} languages, decades {decades[0]}s-{decades[-1]}s; "
          f"built-in catalogue ({len(tracks)} songs), top {K} of the last turn\n")
    if thin:
        print(f"Requests fewer than {MIN_SUPPORT} catalogue songs can satisfy:")
        for request, hard in thin:
            print(f"- {request.message!r}: {hard}")
        print()
    if thin_soft:
        print(f"Requests whose soft hints fewer than {MIN_SUPPORT} of the satisfying songs meet (the soft column "
              "cannot reach 1.0 there):")
        print("; ".join(f"{request.message!r} {soft}/{hard}" for request, hard, soft in thin_soft) + "\n")

    tfidf = tfidf_system(tracks)
    scores = {"tunetalk chat": Scores.empty(), "TF-IDF (descriptors + year region language)": Scores.empty()}
    failures: list[tuple[FacetRequest, float, list, object]] = []
    weak_hints: list[str] = []
    for request in requests:
        results, turn = chat_results(recommender, request)
        scores["tunetalk chat"].add(request, results)
        value = scores["tunetalk chat"].per_request[-1]
        for constraint in request.soft:
            met = sum(map(constraint.met_by, results)) / len(results) if results else 0.0
            if met < 0.5:
                weak_hints.append(f"{request.message!r} {constraint.kind} {met:.1f}")
        if value is not None and value < options.show_failures:
            failures.append((request, value, results, turn))
        scores["TF-IDF (descriptors + year region language)"].add(request, tfidf(" ".join(request.turns)))
    measured = time.perf_counter()

    print_tables(requests, scores)
    if failures:
        print(f"\nChat requests with an overall share below {options.show_failures}:\n")
        print("| request | share | state (years / places / languages) | top 3 (year, region, language) |")
        print("|---|---|---|---|")
        for request, value, results, turn in failures:
            state = turn.state
            years = state["years"]
            era = f"{years['from']}-{years['to']}{'' if years['is_filter'] else ' (boost)'}" if years else "-"
            top = "; ".join(f"{t.year} {t.metadata.get('region')} {t.metadata.get('language')}" for t in results[:3])
            print(f"| {request.message} | {value:.1f} | {era} / {', '.join(state['places']) or '-'} / "
                  f"{', '.join(state['languages']) or '-'} | {top or '(empty)'} |")
    if weak_hints:
        print(f"\nChat soft hints met by under half of the list: {'; '.join(weak_hints)}")
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"\nCommand: TUNETALK_HOME=... PYTHONPATH=$PWD python benchmarks/facet_requests.py")
    print(f"Seconds: {loaded - started:.1f} loading, {measured - loaded:.1f} measuring "
          f"({(measured - loaded) / len(requests) * 1000:.0f} ms per request, both systems); load average {load}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
