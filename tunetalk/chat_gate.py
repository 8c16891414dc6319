"""The GPL gate's chat-turn scores: what the chat serves with an encoder, beside retrieval alone.

`gpl` never imports the chat, so `tunetalk train` hands a `ChatTurnScorer` to `gpl.pipeline.run`;
the gate calls it once with the current encoder and once with the candidate, and accepts the
candidate only if the mean of these scores rises as well as the retrieval side's
(`gpl.gate.worse_side`). Every score is whole chat turns (`chatbot.take_turn`, as `tunetalk ask`
runs them) over an index built with that encoder:

- ``chat/<benchmark>``: each of the gate's own benchmarks through the turn, Recall@10: the
  held-out logged conversations' requests over the catalogue (``chat/heldout-log``: what the
  chat itself would show the users the training never saw) and the MC sample's sentences as
  one-turn conversations (``chat/paper/<column>/seed<s>``, as `tunetalk evaluate --systems chat`).
- ``chat/listener-requests`` (when training the built-in catalogue): the listener-phrased requests
  of `assets/listener_requests.json` on the built-in catalogue, precision@10 (a result is relevant
  when it carries a descriptor of every group of its request).

Example:
    >>> scorer = ChatTurnScorer(builtin=True)
    >>> scorer(encoder, gate_benchmarks(config, heldout, tracks), tracks)
    {'chat/heldout-log': 0.62, 'chat/listener-requests': 0.9}
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gpl.gate import CHAT_PREFIX
from retriever import BUILTIN_CATALOGUE, Encoder, RetrievalConfig, Track
from retriever.evaluate import Benchmark, score_run

logger = logging.getLogger(__name__)

LISTENER_REQUESTS = Path(__file__).resolve().parent.parent / "assets" / "listener_requests.json"
SCORER_VERSION = 2  # raise when what the scorer measures changes (it keys the gate's manifest entry)


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
    k: int = 10

    @property
    def name(self) -> str:
        return f"chat-turn v{SCORER_VERSION} k{self.k}" + (" listener-requests" if self.builtin else "")

    def __call__(self, encoder: Encoder, benchmarks: Mapping[str, Benchmark],
                 tracks: Sequence[Track]) -> dict[str, float]:
        scores = self.benchmark_recall(encoder, benchmarks, tracks)
        if self.builtin:
            scores[f"{CHAT_PREFIX}listener-requests"] = self.listener_precision(encoder)
        logger.info("chat-turn scores of %s: %s", encoder.info.fingerprint, scores)
        return scores

    def benchmark_recall(self, encoder: Encoder, benchmarks: Mapping[str, Benchmark],
                         tracks: Sequence[Track]) -> dict[str, float]:
        """Recall@k of each gate benchmark through the chat turn (its corpus indexed with `encoder`;
        the catalogue's own tracks, titles and artists included, where the corpus is theirs)."""
        from tunetalk.evaluation import chat_run

        scores: dict[str, float] = {}
        for name, benchmark in benchmarks.items():
            queries = {q: benchmark.queries[q] for q in benchmark.queries if q in benchmark.qrels}
            run = chat_run(benchmark, queries, encoder, RetrievalConfig(), self.k, tracks)
            qrels = {q: benchmark.qrels[q] for q in queries}
            scores[f"{CHAT_PREFIX}{name}"] = score_run(qrels, run, self.k)[f"recall@{self.k}"]
        return scores

    def listener_precision(self, encoder: Encoder) -> float:
        """Mean precision@k of the first chat turn on the built-in catalogue, indexed with `encoder`."""
        from retriever import load_catalog
        from tunetalk.evaluation import indexed_recommender

        tracks = load_catalog(BUILTIN_CATALOGUE, "jsonl").tracks
        with tempfile.TemporaryDirectory(prefix="tunetalk-gate-chat-") as folder:
            recommender = indexed_recommender(tracks, encoder, RetrievalConfig(), Path(folder), self.k)
            precision = [turn_precision(recommender, text, groups, self.k) for text, groups in load_listener_requests()]
        return sum(precision) / len(precision)


def turn_precision(recommender, text: str, groups: list[set[str]], k: int) -> float:  # noqa: ANN001 - a Recommender
    """Precision@k of the first chat turn for one listener request (a new conversation)."""
    from chatbot import Conversation

    results = Conversation(recommender).say(text, k=k).results
    return sum(relevant(view.track.descriptors, groups) for view in results) / k


def chat_turn_scorer(config, builtin: bool) -> ChatTurnScorer:  # noqa: ANN001 - a gpl GPLConfig
    """The scorer `tunetalk train` gives the gate."""
    return ChatTurnScorer(builtin=builtin, k=config.gate.k)


__all__ = ["ChatTurnScorer", "chat_turn_scorer", "load_listener_requests", "relevant", "turn_precision"]
