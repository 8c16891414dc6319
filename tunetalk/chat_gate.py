"""The GPL gate's chat-turn scores: what the chat serves with an encoder, beside retrieval alone.

`gpl` never imports the chat, so `tunetalk train` hands a `ChatTurnScorer` to `gpl.pipeline.run`;
the gate calls it once with the current encoder and once with the candidate, and accepts the
candidate only if the mean of these scores rises as well as the retrieval side's
(`gpl.gate.worse_side`). Every score is a whole chat turn (`chatbot.take_turn`, as `tunetalk ask`
runs it) over an index built with that encoder:

- ``chat/listener-requests`` (when training the built-in catalogue): the listener-phrased requests
  of `assets/listener_requests.json` on the built-in catalogue, precision@10 (a result is relevant
  when it carries a descriptor of every group of its request).
- ``chat/paper/<column>/seed<s>`` (when the gate has a benchmark): the benchmark's sentences (the
  same rows the retrieval side samples) as one-turn conversations over the sampled descriptor
  sets, Recall@10, as `tunetalk evaluate --systems chat` measures it.

Example:
    >>> scorer = ChatTurnScorer(builtin=True, gate=GateConfig(benchmark=Path("test.csv")))
    >>> scorer(encoder)
    {'chat/listener-requests': 0.9, 'chat/paper/caption_writing/seed0': 0.91}
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gpl.config import GateConfig
from gpl.gate import CHAT_PREFIX, paper_benchmarks
from retriever import BUILTIN_CATALOGUE, Encoder, RetrievalConfig
from retriever.evaluate import score_run

logger = logging.getLogger(__name__)

LISTENER_REQUESTS = Path(__file__).resolve().parent.parent / "assets" / "listener_requests.json"
SCORER_VERSION = 1  # raise when what the scorer measures changes (it keys the gate's manifest entry)


def load_listener_requests(path: Path = LISTENER_REQUESTS) -> list[tuple[str, list[set[str]]]]:
    """(request, descriptor groups) pairs: a result is relevant when it carries one descriptor of each group."""
    rows = json.loads(path.read_text(encoding="utf-8"))["requests"]
    return [(row["request"], [set(group) for group in row["groups"]]) for row in rows]


def relevant(descriptors: tuple[str, ...], groups: list[set[str]]) -> bool:
    carried = set(descriptors)
    return all(carried & group for group in groups)


@dataclass(frozen=True)
class ChatTurnScorer:
    """Chat-turn scores of one encoder for the gate (see the module docstring)."""

    builtin: bool  # the run trains the built-in catalogue: the listener requests apply
    gate: GateConfig  # the benchmark, columns, seeds and row sample the retrieval side uses
    k: int = 10

    @property
    def name(self) -> str:
        parts = [f"chat-turn v{SCORER_VERSION}", f"k{self.k}"]
        if self.builtin:
            parts.append("listener-requests")
        if self.gate.benchmark is not None:
            parts.append(f"paper {','.join(self.gate.query_columns)} seeds {self.gate.seeds} rows {self.gate.max_rows}")
        return " ".join(parts)

    def __call__(self, encoder: Encoder) -> dict[str, float]:
        scores: dict[str, float] = {}
        if self.builtin:
            scores[f"{CHAT_PREFIX}listener-requests"] = self.listener_precision(encoder)
        if self.gate.benchmark is not None:
            scores |= self.paper_recall(encoder)
        logger.info("chat-turn scores of %s: %s", encoder.info.fingerprint, scores)
        return scores

    def listener_precision(self, encoder: Encoder) -> float:
        """Mean precision@k of the first chat turn on the built-in catalogue, indexed with `encoder`."""
        from chatbot import Conversation, Recommender
        from retriever import HybridSearcher, TrackStore, index_tracks, load_catalog, load_vocabulary

        tracks = load_catalog(BUILTIN_CATALOGUE, "jsonl").tracks
        with tempfile.TemporaryDirectory(prefix="tunetalk-gate-chat-") as folder:
            store = TrackStore.open(encoder.info, index_dir=Path(folder), create=True)
            index_tracks(tracks, store, encoder, show_progress_bar=False)
            recommender = Recommender(HybridSearcher(store, encoder, RetrievalConfig()), load_vocabulary(), k=self.k)
            precision = []
            for text, groups in load_listener_requests():
                results = Conversation(recommender).say(text, k=self.k).results
                precision.append(sum(relevant(view.track.descriptors, groups) for view in results) / self.k)
        return sum(precision) / len(precision)

    def paper_recall(self, encoder: Encoder) -> dict[str, float]:
        """Recall@k through the chat turn on the gate benchmark's samples (the retrieval side's own)."""
        from tunetalk.evaluation import chat_run

        scores: dict[str, float] = {}
        for name, benchmark in paper_benchmarks(self.gate).items():
            queries = {q: benchmark.queries[q] for q in benchmark.queries if q in benchmark.qrels}
            run = chat_run(benchmark, queries, encoder, RetrievalConfig(), self.k)
            qrels = {q: benchmark.qrels[q] for q in queries}
            scores[f"{CHAT_PREFIX}{name}"] = score_run(qrels, run, self.k)[f"recall@{self.k}"]
        return scores


def chat_turn_scorer(config, builtin: bool) -> ChatTurnScorer | None:  # noqa: ANN001 - a gpl GPLConfig
    """The scorer `tunetalk train` gives the gate: None when there is nothing for it to measure."""
    if not builtin and config.gate.benchmark is None:
        return None
    return ChatTurnScorer(builtin=builtin, gate=config.gate, k=config.gate.k)


__all__ = ["ChatTurnScorer", "chat_turn_scorer", "load_listener_requests", "relevant"]
