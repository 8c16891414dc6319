"""Detection of exclusion / rejection turns on CPCD-intent user turns (precision and recall).

Gold: a user turn labelled `remove_filter` or `reject_response`. Predicted: the turn parser
finds an exclusion, a disliked result, or rejection wording (`ParsedTurn.is_negative`).

Run: .venv/bin/python benchmarks/intent_detection.py [--data ../shared/data/cpcd-intent/cpcd_intent.csv]
"""

from __future__ import annotations

import argparse
import ast
import csv
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's code, not another's install

from chatbot import TurnParser  # noqa: E402
from retriever import load_vocabulary  # noqa: E402

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "cpcd-intent" / "cpcd_intent.csv"
NEGATIVE = {"remove_filter", "reject_response"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT)
    args = parser.parse_args()
    turn_parser = TurnParser(load_vocabulary())
    counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    per_label = {label: [0, 0] for label in ("remove_filter", "reject_response")}
    mistakes: list[tuple[str, str]] = []
    with args.data.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["role"] != "user":
                continue
            intents = set(ast.literal_eval(row["intent"]))
            gold = bool(intents & NEGATIVE)
            predicted = turn_parser.parse(row["content"]).is_negative
            counts[("t" if predicted == gold else "f") + ("p" if predicted else "n")] += 1
            for label in per_label:
                if label in intents:
                    per_label[label][0] += 1
                    per_label[label][1] += predicted
            if predicted != gold:
                mistakes.append(("missed" if gold else "false alarm", row["content"][:100]))
    precision = counts["tp"] / max(counts["tp"] + counts["fp"], 1)
    recall = counts["tp"] / max(counts["tp"] + counts["fn"], 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    total = sum(counts.values())
    print(f"CPCD-intent user turns: {total}; exclusion/rejection turns: {counts['tp'] + counts['fn']}\n")
    print("| detector | precision | recall | F1 |")
    print("|---|---|---|---|")
    print(f"| turn parser (is_negative) | {precision:.3f} | {recall:.3f} | {f1:.3f} |")
    for label, (gold_count, hit) in per_label.items():
        print(f"| recall on `{label}` only ({gold_count} turns) | | {hit / max(gold_count, 1):.3f} | |")
    random.seed(0)
    print("\nSample of errors:")
    for kind, text in random.sample(mistakes, min(10, len(mistakes))):
        print(f"- {kind}: {text}")


if __name__ == "__main__":
    main()
