"""How the chat serves real playlist conversations (CPCD dev dialogs), judged by the goal playlist's genres.

Each CPCD dialog's user messages are said in order to one conversation with the built-in chat
(the packaged MiniLM, artist profiles and knowledge loaded as `tunetalk chat` loads them), and
each list is judged against the dialog's goal playlist (`tunetalk/cpcd_dialogs.py`): the share of
the top 10 by a goal artist or carrying a genre most goal artists carry. Baselines in the same run:
chance (the share of catalogue songs that count) and TF-IDF over "title artist descriptors",
queried with the messages so far joined (turn 1: the first message as written).

Run (about 2-3 minutes on 2 CPU cores once the built-in index exists under $TUNETALK_HOME):

    .venv/bin/python benchmarks/cpcd_dialogs.py [--data ../shared/data] [--max-turns 0] [--show-failures 20]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from artist_requests import TfidfBaseline, mean, open_builtin_chat  # noqa: E402 - as the Reddit requests run

from tunetalk.cpcd_dialogs import (  # noqa: E402 - the judging the GPL gate uses too
    chance_share,
    dialog_shares,
    judged_dialogs,
    list_share,
    read_dialogs,
)

K = 10
BY_TURN = 5  # the per-turn table's columns


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data", help="the public datasets")
    parser.add_argument("--max-turns", type=int, default=0, help="user turns said per dialog (0: all)")
    parser.add_argument("--show-failures", type=int, default=0, help="print the N first turns that score lowest")
    args = parser.parse_args()
    cpcd_dir = args.data / "cpcd"
    if not cpcd_dir.is_dir():
        print(f"no CPCD dialogs under {cpcd_dir}; pass --data", file=sys.stderr)
        return 2
    started = time.perf_counter()
    recommender = open_builtin_chat(args.data)
    from chatbot import Conversation

    vocabulary = recommender.vocabulary
    dialogs = read_dialogs(cpcd_dir)
    judged = judged_dialogs(recommender, dialogs)
    tfidf = TfidfBaseline(list(recommender.tracks.values()))
    max_turns = args.max_turns or None

    chance, tfidf_first, tfidf_all, chat_first, chat_all, no_list = [], [], [], [], [], 0
    by_turn: dict[int, list[float]] = {}
    failures = []
    for dialog, goal in judged:
        chance.append(chance_share(recommender.tracks.values(), goal, vocabulary))
        shares = dialog_shares(recommender, dialog, goal, k=K, max_turns=max_turns)
        no_list += sum(share is None for share in shares)
        scored = [0.0 if share is None else share for share in shares]
        chat_first.append(scored[0])
        chat_all.append(mean(scored))
        for turn, share in enumerate(scored[:BY_TURN]):
            by_turn.setdefault(turn, []).append(share)
        lexical = [list_share(tfidf.top(" ".join(dialog.user_turns[: turn + 1]), K), goal, vocabulary, K)
                   for turn in range(len(shares))]
        tfidf_first.append(lexical[0])
        tfidf_all.append(mean(lexical))
        if args.show_failures:
            failures.append((scored[0], dialog, goal))
    turns = sum(len(dialog.user_turns[:max_turns]) for dialog, _ in judged)
    print(f"\nCPCD dev dialogs: {len(dialogs)} read, {len(judged)} judged (a goal artist with a genre resolves), "
          f"{turns} user turns said, {no_list} showed no list; {time.perf_counter() - started:.0f} s\n")
    print("| system | first turn | every turn (mean per dialog) |\n|---|---|---|")
    print(f"| chance (catalogue share that counts) | {mean(chance):.3f} | {mean(chance):.3f} |")
    print(f"| TF-IDF, the messages so far | {mean(tfidf_first):.3f} | {mean(tfidf_all):.3f} |")
    print(f"| **chat turn** | **{mean(chat_first):.3f}** | **{mean(chat_all):.3f}** |")
    print("\nThe chat turn by turn (share@10; dialogs that reach the turn):\n")
    print("| " + " | ".join(f"turn {t + 1}" for t in by_turn) + " |")
    print("|" + "---|" * len(by_turn))
    print("| " + " | ".join(f"{mean(v):.3f} ({len(v)})" for v in by_turn.values()) + " |")
    if failures:
        print(f"\nThe {args.show_failures} first turns that score lowest:\n")
        for share, dialog, goal in sorted(failures, key=lambda f: f[0])[: args.show_failures]:
            reply = Conversation(recommender).say(dialog.user_turns[0], k=K).reply.split("\n", 1)[0]
            print(f"- {share:.1f} {dialog.user_turns[0][:100]!r} -> {reply[:90]!r}; "
                  f"goal genres: {', '.join(sorted(goal.genres)[:6])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
