"""Encoder backends for the packaged all-MiniLM-L6-v2: speed and Recall@10.

For torch (sentence-transformers), onnx (ONNX Runtime, fp32) and onnx-int8 (dynamic int8
weights, per channel): encoding throughput on distinct MTG-Jamendo documents (wall and per
CPU-second, the latter less sensitive to a busy machine), one-query latency, the cosine of
each backend's vectors to torch's, and dense Recall@10 on LP-MusicCaps-MC (the paper's
protocol, caption_writing requests). A backend is fit for indexing only if its Recall@10 is
within 0.5 point of torch's on the same sampled benchmark.

    .venv/bin/python benchmarks/encoder_backends.py                 # seed 0, about 5-10 min
    .venv/bin/python benchmarks/encoder_backends.py --seeds 0,1,2
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's code, not another's install
sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_common as common  # noqa: E402

MAX_RECALL_DROP = 0.005  # 0.5 point


def throughput(encoder, texts: list[str]) -> tuple[float, float, np.ndarray]:  # noqa: ANN001
    """(texts per wall second, texts per CPU second, vectors)."""
    cpu = os.times()
    begun = time.perf_counter()
    vectors = encoder.encode(texts, batch_size=128)
    wall = time.perf_counter() - begun
    after = os.times()
    cpu_seconds = (after.user - cpu.user) + (after.system - cpu.system)
    return len(texts) / wall, len(texts) / max(cpu_seconds, 1e-9), vectors


def recall_at_10(encoder, seeds: list[int]) -> float:  # noqa: ANN001
    from retriever import MemoEncoder, RetrievalConfig
    from retriever.evaluate import load_mc_rows, sample_paper_benchmark
    from tunetalk.evaluation import DEFAULT_DATA, evaluate_benchmark

    rows = load_mc_rows(DEFAULT_DATA, query_column="caption_writing")
    cached = MemoEncoder(encoder)
    scores = [evaluate_benchmark(sample_paper_benchmark(rows, seed), ["dense"], cached, RetrievalConfig())["dense"]
              for seed in seeds]
    return float(np.mean([s["recall@10"] for s in scores]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default=",".join(common.BACKENDS))
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--texts", type=int, default=1500, help="distinct Jamendo documents to time")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    print(f"machine: {common.machine()}; load average at start {common.load_average()}", file=sys.stderr)
    documents = sorted({t.document for t in common.load_jamendo()})
    random.Random(0).shuffle(documents)
    documents = documents[: args.texts]
    encoders = {backend: common.load_backend(backend) for backend in args.backends.split(",") if backend}
    speed: dict[str, list[tuple[float, float]]] = {b: [] for b in encoders}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(2):  # interleaved, so every backend sees the same neighbours on the machine
        for backend, encoder in encoders.items():
            wall_rate, cpu_rate, vectors[backend] = throughput(encoder, documents)
            speed[backend].append((wall_rate, cpu_rate))
    latency = {}
    for backend, encoder in encoders.items():
        times = []
        for _ in range(30):
            begun = time.perf_counter()
            encoder.encode(["upbeat electronic music with synthesizer, no vocals"])
            times.append(time.perf_counter() - begun)
        latency[backend] = times
    recalls = {backend: recall_at_10(encoder, seeds) for backend, encoder in encoders.items()}
    reference = "torch" if "torch" in encoders else next(iter(encoders))
    rows = []
    for backend in encoders:
        cosine = (vectors[backend] * vectors[reference]).sum(axis=1)
        drop = recalls[reference] - recalls[backend]
        rows.append([
            backend, f"{max(w for w, _ in speed[backend]):.0f}", f"**{max(c for _, c in speed[backend]):.0f}**",
            f"{1000 * common.percentile(latency[backend], 50):.1f} / {1000 * common.percentile(latency[backend], 95):.1f}",
            f"{cosine.min():.4f} / {cosine.mean():.4f}", f"**{100 * recalls[backend]:.2f}**", f"{100 * drop:+.2f}"
            if backend != reference else "—", "yes" if drop <= MAX_RECALL_DROP else "no",
        ])
    print(f"\nall-MiniLM-L6-v2 backends on {common.machine()}; {len(documents):,} distinct MTG-Jamendo documents, "
          f"LP-MusicCaps-MC dense Recall@10 (paper protocol, seeds {args.seeds})\n")
    print(common.table(
        ["backend", "texts/s (wall)", "texts per CPU-s", "1 query ms p50 / p95", f"cosine to {reference} min / mean",
         "Recall@10", f"drop vs {reference}", "within 0.5 pt"],
        rows,
    ))


if __name__ == "__main__":
    main()
