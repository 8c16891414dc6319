"""A small dialogue simulator: logged conversations for a cold start and for tests.

Each simulated user has a target track and asks for some of its descriptors, in the
chat's log format (:class:`retriever.Interaction`). The "chat" answering it is any ranking
function (by default the lexical index, which needs no model); when the target is shown,
the user likes it; otherwise they refine the request with more of its descriptors, and
on the last turn like the shown track closest to what they want, as users settle.

Example:
    >>> interactions = simulate_sessions(tracks, num_sessions=100, seed=0)
    >>> log = InteractionLog(Path("simulated.jsonl"))
    >>> for interaction in interactions: log.append(interaction)
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from gpl.queries import join_items
from retriever import FeedbackEvent, Interaction, LexicalIndex, Track, TrackId, TurnEvent

Ranker = Callable[[str], list[tuple[TrackId, float]]]  # request => (track id, score), best first

OPENINGS = (
    "hi! i'm looking for {items}",
    "got anything with {items}?",
    "I'd like to hear {items}",
    "recommend me some {items}",
    "something with {items} please",
    "music for tonight: {items}",
)
REFINEMENTS = ("more {one} please", "with {one} too", "make it {one}", "I want {one} as well")


def lexical_ranker(tracks: Sequence[Track], k: int = 10) -> Ranker:
    """The lexical index as the simulated chat's retriever (no model needed)."""
    index = LexicalIndex.build([t.id for t in tracks], [t.descriptors for t in tracks])

    def rank(text: str) -> list[tuple[TrackId, float]]:
        return [(tracks[i].id, score) for i, score in index.search(text, k=k)]

    return rank


def simulate_sessions(
    tracks: Sequence[Track],
    *,
    num_sessions: int,
    seed: int = 0,
    max_turns: int = 3,
    ranker: Ranker | None = None,
    start_time: float = 1_700_000_000.0,
) -> list[Interaction]:
    """Simulated conversations about random target tracks, as interaction-log records.

    Args:
        tracks: the catalogue the users want tracks from (each needs descriptors).
        num_sessions: how many conversations.
        seed: the random seed (session ids and choices follow from it).
        max_turns: most turns per conversation.
        ranker: the chat's retriever; None uses :func:`lexical_ranker`.
        start_time: the first record's timestamp (records are one second apart).

    Returns:
        Turn and feedback records in the order the chat would log them.

    Raises:
        ValueError: no track has descriptors, or ``num_sessions``/``max_turns`` < 1.
    """
    if num_sessions < 1 or max_turns < 1:
        raise ValueError(f"num_sessions and max_turns must be >= 1, got {num_sessions}, {max_turns}")
    candidates = [t for t in tracks if t.descriptors]
    if not candidates:
        raise ValueError("no track has descriptors; the simulated users have nothing to ask for")
    rng = random.Random(seed)
    rank = ranker or lexical_ranker(candidates)
    by_id = {t.id: t for t in candidates}
    records: list[Interaction] = []
    clock = start_time
    for session_number in range(num_sessions):
        target = rng.choice(candidates)
        session_id = f"sim-{seed}-{session_number:06d}"
        wanted = list(dict.fromkeys(target.descriptors))
        rng.shuffle(wanted)
        asked = wanted[: rng.randint(1, min(3, len(wanted)))]
        message = rng.choice(OPENINGS).replace("{items}", join_items(asked, rng))
        query_parts = list(asked)
        liked: list[TrackId] = []
        for turn in range(max_turns):
            shown = rank(", ".join(query_parts))
            clock += 1
            records.append(
                TurnEvent(
                    session_id=session_id,
                    message=message,
                    query_text=" ".join(query_parts),
                    shown=tuple(shown),
                    liked=tuple(liked),
                    time=clock,
                )
            )
            shown_ids = [track_id for track_id, _ in shown]
            choice: TrackId | None = target.id if target.id in shown_ids else None
            remaining = [d for d in wanted if d not in query_parts]
            if choice is None and (turn == max_turns - 1 or not remaining) and shown_ids:
                # The user settles for the shown track that shares most of what they want.
                choice = max(
                    shown_ids, key=lambda i: len(set(by_id[i].descriptors) & set(wanted)) if i in by_id else 0
                )
            if choice is not None:
                clock += 1
                liked.append(choice)
                records.append(
                    FeedbackEvent(session_id=session_id, track_id=choice, is_liked=True, time=clock)
                )
                break
            extra = remaining[0]
            query_parts.append(extra)
            message = rng.choice(REFINEMENTS).replace("{one}", extra)
    return records


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m gpl.simulate``: write simulated conversations to an interaction log."""
    import argparse
    import sys
    from pathlib import Path

    from retriever import InteractionLog, load_catalog

    parser = argparse.ArgumentParser(prog="python -m gpl.simulate", description=__doc__.splitlines()[0])
    parser.add_argument("--catalogue", type=Path, required=True)
    parser.add_argument("--format", default="jsonl", choices=["jsonl", "csv", "musiccaps", "jamendo"])
    parser.add_argument("--split", help="only tracks whose 'split' metadata is this (e.g. train)")
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True, help="interaction log to append to")
    args = parser.parse_args(argv)
    tracks = load_catalog(args.catalogue, args.format).tracks
    if args.split is not None:
        tracks = [t for t in tracks if t.metadata.get("split") == args.split]
    try:
        records = simulate_sessions(tracks, num_sessions=args.sessions, seed=args.seed)
    except ValueError as error:
        print(f"gpl.simulate: error: {error}", file=sys.stderr)
        return 2
    log = InteractionLog(args.out)
    for record in records:
        log.append(record)
    print(
        f"appended {len(records)} records ({args.sessions} sessions over {len(tracks)} tracks) to {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
