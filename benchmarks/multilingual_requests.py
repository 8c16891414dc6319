"""Does a request in Spanish, French, Portuguese, German or Italian reach the same dialogue state as in English?

Each row of ``tests/data/multilingual_requests.tsv`` (language, message, english, key) is run in a
fresh conversation twice, once as written and once as its English equivalent, and the two states
(``turn.state``) are compared as sets: wanted descriptors, excluded descriptors, artists (like /
by / excluded), years (from, to, is it a filter), places and languages. A looser measure compares
the two top-3 lists (as sets of song ids).

Follow-ups: a row whose *English* message is a follow-up is run as the second turn after the same
English first turn (``FIRST_TURN``) in both languages. A message is a follow-up when its English
parse refers to the list ("more like #2", "the second one"), resets ("start over"), is marked a
refinement ("faster", "something calmer", "but ..."), or only boosts, lowers or excludes
descriptors without asking for anything new ("no vocals", "less electronic"). The rule reads
the English side only, so both languages always get the same treatment.

Run: TUNETALK_HOME=/tmp/tt-home PYTHONPATH=$PWD .venv/bin/python benchmarks/multilingual_requests.py
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
REQUESTS = REPO / "tests" / "data" / "multilingual_requests.tsv"
FIRST_TURN = "calm piano music"
K = 10
FIELDS = ("wanted", "excluded", "artists", "years", "places", "languages")


@dataclass(frozen=True)
class Row:
    language: str
    message: str
    english: str
    key: str


def load_rows(path: Path = REQUESTS) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [Row(r["language"], r["message"], r["english"], r["key"]) for r in csv.DictReader(handle, delimiter="\t")]


def is_follow_up(parsed) -> bool:  # noqa: ANN001 - a chatbot ParsedTurn
    """Does this (English) turn only make sense after a list: a reference, a reset or a relative change?"""
    if parsed.liked_ranks or parsed.disliked_ranks or parsed.more_like_ranks or parsed.is_reset:
        return True
    if parsed.is_refinement:
        return True
    asks_new = (parsed.wanted or parsed.artists_like or parsed.artists_by or parsed.seed_ids or parsed.era
                or parsed.regions or parsed.languages)
    return not asks_new and bool(parsed.boosted or parsed.lowered or parsed.excluded or parsed.artists_excluded)


def comparable(state: dict) -> dict[str, object]:
    """The state's fields as sets (order and weights ignored)."""
    artists = state["artists"]
    return {
        "wanted": frozenset(state["wanted"]),
        "excluded": frozenset(state["excluded"]),
        "artists": tuple(frozenset(artists[k]) for k in ("like", "by", "excluded")),
        "years": None if state["years"] is None else tuple(state["years"][k] for k in ("from", "to", "is_filter")),
        "places": frozenset(state["places"]),
        "languages": frozenset(state["languages"]),
    }


def run(recommender, turns: Sequence[str]):  # noqa: ANN001, ANN201 - the last TurnResult
    from chatbot import Conversation

    conversation = Conversation(recommender)
    turn = None
    for message in turns:
        turn = conversation.say(message, k=K)
    return turn


@dataclass
class Outcome:
    row: Row
    follow_up: bool
    same_fields: dict[str, bool]
    same_top3: bool
    state: dict[str, object]
    english_state: dict[str, object]

    @property
    def same_state(self) -> bool:
        return all(self.same_fields.values())


def measure(recommender, rows: Sequence[Row]) -> list[Outcome]:  # noqa: ANN001
    outcomes = []
    for row in rows:
        follow_up = is_follow_up(recommender.parser.parse(row.english, num_results=K))
        prefix = [FIRST_TURN] if follow_up else []
        theirs, ours = run(recommender, [*prefix, row.message]), run(recommender, [*prefix, row.english])
        state, english_state = comparable(theirs.state), comparable(ours.state)
        top3 = {v.track.id for v in theirs.results[:3]}, {v.track.id for v in ours.results[:3]}
        outcomes.append(Outcome(row, follow_up, {f: state[f] == english_state[f] for f in FIELDS},
                                top3[0] == top3[1], state, english_state))
    return outcomes


def _share(values: Sequence[bool]) -> str:
    return f"{sum(values) / len(values):.2f}" if values else "-"


def _show(value: object) -> str:
    if isinstance(value, frozenset):
        return "{" + ", ".join(sorted(value)) + "}"
    if isinstance(value, tuple) and value and isinstance(value[0], frozenset):
        return "/".join(_show(v) for v in value)
    return str(value)


def print_tables(outcomes: Sequence[Outcome], *, show: int) -> None:
    languages = sorted({o.row.language for o in outcomes})
    print("| language | rows (follow-ups) | same state | same top-3 | " + " | ".join(f"same {f}" for f in FIELDS) + " |")
    print("|---|---|---|---|" + "---|" * len(FIELDS))
    for language in [*languages, "all"]:
        group = [o for o in outcomes if language in ("all", o.row.language)]
        name = f"**{language}**" if language == "all" else language
        print(f"| {name} | {len(group)} ({sum(o.follow_up for o in group)}) | {_share([o.same_state for o in group])} "
              f"| {_share([o.same_top3 for o in group])} | "
              + " | ".join(_share([o.same_fields[f] for o in group]) for f in FIELDS) + " |")
    differing = [o for o in outcomes if not o.same_state]
    if differing and show:
        print(f"\nStates that differ ({len(differing)}; first {min(show, len(differing))}; "
              f"'+' only in the translated message, '-' only in the English one):\n")
        print("| lang | message | English | differences |")
        print("|---|---|---|---|")
        for o in differing[:show]:
            parts = []
            for field in FIELDS:
                if o.same_fields[field]:
                    continue
                mine, theirs = o.state[field], o.english_state[field]
                if isinstance(mine, frozenset):
                    plus, minus = mine - theirs, theirs - mine
                    parts.append(f"{field}: " + " ".join([*(f"+{v}" for v in sorted(plus)),
                                                          *(f"-{v}" for v in sorted(minus))]))
                else:
                    parts.append(f"{field}: {_show(mine)} vs {_show(theirs)}")
            first = f"{FIRST_TURN} → " if o.follow_up else ""
            print(f"| {o.row.language} | {first}{o.row.message} | {o.row.english} | {'; '.join(parts)} |")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=Path, default=REQUESTS)
    parser.add_argument("--show", type=int, default=40, help="list up to this many differing states (default 40)")
    options = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from benchmarks.facet_requests import open_builtin_recommender

    started = time.perf_counter()
    rows = load_rows(options.requests)
    recommender = open_builtin_recommender()
    loaded = time.perf_counter()
    outcomes = measure(recommender, rows)
    measured = time.perf_counter()
    print(f"{len(rows)} requests in {len({r.language for r in rows})} languages vs their English equivalents; "
          f"follow-ups run after {FIRST_TURN!r} in both; built-in catalogue\n")
    print_tables(outcomes, show=options.show)
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print("\nCommand: TUNETALK_HOME=... PYTHONPATH=$PWD python benchmarks/multilingual_requests.py")
    print(f"Seconds: {loaded - started:.1f} loading, {measured - loaded:.1f} measuring; load average {load}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
