"""The built-in chat's gate measures for encoders side by side: would this encoder serve the built-in chat?

The GPL gate scores the built-in chat only when it trains the built-in catalogue
(`tunetalk train --builtin`). An encoder trained elsewhere (e.g. GPL on MusicCaps train) is
scored here on the same measures, each encoder served with the fusion stored beside it
(`tunetalk_retrieval.json`, else the base's default) as the chat would serve it:
`chat/listener-requests` (precision@10), `chat/simulated-listener` (100 fixed targets, the share
of turns whose list holds the target) and `chat/reddit-artist-requests` (MusicRecoNER requests
naming a catalogue artist, share@10) - see `tunetalk/chat_gate.py`.

Run (about 2 minutes an encoder on the 2-core machine):
    .venv/bin/python benchmarks/builtin_chat_scores.py [--encoder DIR ...] [--dense-weight W] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tunetalk import paths  # noqa: E402

paths.prepare_environment()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--encoder", action="append", default=[],
                        help="a sentence-transformers name or path, scored beside the base MiniLM (repeatable)")
    parser.add_argument("--data", type=Path, default=None, help="the public datasets (default ../shared/data)")
    parser.add_argument("--dense-weight", type=float, default=None,
                        help="serve the --encoder ones with this dense weight instead of their stored fusion "
                        "(e.g. a run directory's encoder/, whose weight the fusion stage has not chosen yet)")
    args = parser.parse_args()

    from retriever import DEFAULT_ENCODER, Fusion, RetrievalConfig, load_encoder, retrieval_config_for
    from retriever.encoder import resolve_encoder
    from tunetalk.chat_gate import chat_turn_scorer

    class Run:  # what chat_turn_scorer reads of a GPLConfig
        class gate:  # noqa: N801
            k = 10

    scorer = chat_turn_scorer(Run(), True, data_dir=args.data or paths.data_dir())
    rows: dict[str, dict[str, float]] = {}
    started = time.perf_counter()
    for name in [DEFAULT_ENCODER, *args.encoder]:
        encoder = load_encoder(name)
        retrieval = retrieval_config_for(resolve_encoder(name)[1])
        if args.dense_weight is not None and name != DEFAULT_ENCODER:
            retrieval = RetrievalConfig(fusion=Fusion.WEIGHTED, dense_weight=args.dense_weight)
        began = time.perf_counter()
        rows[f"{name} (dense weight {retrieval.dense_weight})"] = scorer(encoder, {}, [], retrieval)
        print(f"{name}: {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
    names = list(next(iter(rows.values())))
    load = os.getloadavg()
    print(f"\nBuilt-in chat measures of the GPL gate ({time.perf_counter() - started:.0f} s, "
          f"load {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f})\n")
    print("| encoder | " + " | ".join(names) + " | mean |\n|---|" + "---|" * (len(names) + 1))
    for label, scores in rows.items():
        mean = sum(scores.values()) / len(scores)
        print(f"| {label} | " + " | ".join(f"{100 * scores[n]:.1f}" for n in names) + f" | {100 * mean:.1f} |")


if __name__ == "__main__":
    main()
