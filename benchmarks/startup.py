"""Start-up of the command line: `tunetalk --help`, and `tunetalk ask "..."` on an existing index.

Each command runs as a fresh process (what a user waits for), several times; the first `ask`
builds the built-in index, the ONNX export and the searcher snapshot if they are missing and is
reported apart. A baseline in the same run: `python -c pass` (the interpreter alone).

    .venv/bin/python benchmarks/startup.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TUNETALK = [sys.executable, "-m", "tunetalk.cli"]


def wall(command: list[str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed: {result.stderr[-500:]}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    ask = [*TUNETALK, "ask", "--no-log", "calm piano music to study to"]
    first = wall(ask)  # builds what is missing
    rows = {
        "python -c pass (baseline)": [wall([sys.executable, "-c", "pass"]) for _ in range(args.repeats)],
        "tunetalk --help": [wall([*TUNETALK, "--help"]) for _ in range(args.repeats)],
        "tunetalk ask (built-in catalogue, artist knowledge)": [wall(ask) for _ in range(args.repeats)],
        "tunetalk ask --artist-knowledge none": [wall([*ask[:-1], "--artist-knowledge", "none", ask[-1]])
                                                 for _ in range(args.repeats)],
    }
    print(f"load average {os.getloadavg()[0]:.2f}; first ask (builds what is missing): {first:.2f} s\n")
    print("| command | wall s median | min | max |\n|---|---|---|---|")
    for name, values in rows.items():
        print(f"| {name} | {statistics.median(values):.2f} | {min(values):.2f} | {max(values):.2f} |")


if __name__ == "__main__":
    main()
