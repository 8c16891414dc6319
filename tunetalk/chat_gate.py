"""The GPL gate's chat-turn scores: what the chat serves with an encoder, beside retrieval alone.

`gpl` never imports the chat, so `tunetalk train` hands a `ChatTurnScorer` to `gpl.pipeline.run`;
the gate calls it once with the current encoder and once with the candidate, and accepts the
candidate only if the mean of these scores rises as well as the retrieval side's
(`gpl.gate.worse_side`). Every score is whole chat turns (`chatbot.take_turn`, as `tunetalk ask`
runs them) over an index built with that encoder, searched with the fusion the chat would serve it
with (the gate passes the weight the fusion stage chose for a new encoder):

- ``chat/<benchmark>``: each of the gate's own benchmarks through the turn, Recall@10: the
  held-out logged conversations' requests over the catalogue (``chat/heldout-log``: what the
  chat itself would show the users the training never saw) and the MC sample's sentences as
  one-turn conversations (``chat/paper/<column>/seed<s>``, as `tunetalk evaluate --systems chat`).
- with ``builtin`` (training the built-in catalogue, indexed once per encoder and shared by the
  scores below and by a gate benchmark over the same catalogue):

  - ``chat/listener-requests``: the listener-phrased requests of `assets/listener_requests.json`,
    precision@10 (a result is relevant when it carries a descriptor of every group of its request);
  - ``chat/simulated-listener``: multi-turn conversations of the simulated listener
    (`tunetalk.simulated_listener`) for a fixed sample of target songs, the share of turns whose
    list holds the target;
  - ``chat/reddit-artist-requests`` (when the MusicRecoNER folder is given): the real Reddit
    requests naming a catalogue artist, the mean share of the top 10 by that artist or sharing a
    genre with their songs (`tunetalk.artist_requests`);
  - ``chat/cpcd-dialogs`` (when the CPCD folder is given): real playlist conversations, the first
    `CPCD_TURNS` user messages of a fixed sample of `CPCD_DIALOGS` dialogs said in order, each list's
    share of the top 10 by a goal-playlist artist or carrying a genre most goal artists carry
    (`tunetalk.cpcd_dialogs`), a turn that shows no list counting 0.

  The sampled measures draw fewer conversations with `GateConfig.chat_sample` (`tunetalk train
  --gate-chat-sample N`): a quicker, noisier gate.

  The built-in chat is built as `tunetalk chat` builds it: the artist profiles of
  `assets/artists.jsonl` and the artist-knowledge files given (Spotify genres, Last.fm tags) let it
  read the artists listeners name, and resolve the artists the real requests are judged by.

Example:
    >>> scorer = ChatTurnScorer(builtin=True)
    >>> scorer(encoder, gate_benchmarks(config, heldout, tracks), tracks)
    {'chat/heldout-log': 0.62, 'chat/listener-requests': 0.9, 'chat/simulated-listener': 0.66, ...}
"""

from __future__ import annotations

import json
import logging
import random
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gpl.gate import CHAT_PREFIX
from retriever import BUILTIN_CATALOGUE, Encoder, RetrievalConfig, Track
from retriever.evaluate import Benchmark, score_run

logger = logging.getLogger(__name__)

LISTENER_REQUESTS = Path(__file__).resolve().parent.parent / "assets" / "listener_requests.json"
SCORER_VERSION = 5  # raise when what the scorer measures changes (it keys the gate's manifest entry)
LISTENER_TARGETS = 100  # target songs of the simulated listener, a fixed sample (about 20 s an encoder, 1 thread)
LISTENER_SEED = 0
CPCD_DIALOGS = 100  # CPCD dialogs of the fixed sample (about 20 s an encoder, 1 CPU thread)
CPCD_TURNS = 3  # user messages said per dialog


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

    builtin: bool  # the run trains the built-in catalogue: the built-in chat's own measures apply
    k: int = 10
    artist_requests: Path | None = None  # the MusicRecoNER folder (``music-reco-ner``), read with ``builtin``
    cpcd_dialogs: Path | None = None  # the CPCD folder (``cpcd``), read with ``builtin``
    artist_knowledge: tuple[Path, ...] = ()  # knowledge files the built-in chat loads, read with ``builtin``
    listener_targets: int = LISTENER_TARGETS
    cpcd_sample: int = CPCD_DIALOGS  # CPCD dialogs of the fixed sample
    reddit_sample: int | None = None  # at most this many of the Reddit requests (a fixed sample; None: all)

    @property
    def name(self) -> str:
        name = f"chat-turn v{SCORER_VERSION} k{self.k}"
        if self.builtin:
            name += f" listener-requests simulated-listener{self.listener_targets}"
            if self.artist_requests is not None:
                name += " reddit-artist-requests" + (f"{self.reddit_sample}" if self.reddit_sample else "")
            name += f" cpcd-dialogs{self.cpcd_sample}x{CPCD_TURNS}" if self.cpcd_dialogs is not None else ""
            name += "".join(f" {path.name}" for path in self.artist_knowledge)
        return name

    def __call__(self, encoder: Encoder, benchmarks: Mapping[str, Benchmark], tracks: Sequence[Track],
                 retrieval: RetrievalConfig | None = None) -> dict[str, float]:
        """The scores of `encoder`, its chat searching with `retrieval` (default: the base's fusion)."""
        retrieval = retrieval or RetrievalConfig()
        with tempfile.TemporaryDirectory(prefix="tunetalk-gate-chat-") as folder:
            builtin = self.builtin_recommender(encoder, retrieval, Path(folder)) if self.builtin else None
            scores = self.benchmark_recall(encoder, benchmarks, tracks, retrieval, builtin)
            if builtin is not None:
                scores.update(self.builtin_scores(builtin))
        logger.info("chat-turn scores of %s (dense weight %s): %s", encoder.info.fingerprint, retrieval.dense_weight,
                    scores)
        return scores

    def builtin_recommender(self, encoder: Encoder, retrieval: RetrievalConfig,
                            folder: Path):  # noqa: ANN201 - a chatbot.Recommender
        """A Recommender over the built-in catalogue, indexed with `encoder` under `folder`, with the
        artist profiles and knowledge `tunetalk chat` loads."""
        from retriever import load_catalog
        from tunetalk.artist_knowledge import chat_artist_profiles
        from tunetalk.evaluation import indexed_recommender

        catalogue = load_catalog(BUILTIN_CATALOGUE, "jsonl").tracks
        knowledge = chat_artist_profiles(list(self.artist_knowledge))
        return indexed_recommender(catalogue, encoder, retrieval, folder, self.k, artist_knowledge=knowledge)

    def benchmark_recall(self, encoder: Encoder, benchmarks: Mapping[str, Benchmark], tracks: Sequence[Track],
                         retrieval: RetrievalConfig, builtin=None) -> dict[str, float]:  # noqa: ANN001
        """Recall@k of each gate benchmark through the chat turn (its corpus indexed with `encoder`;
        the catalogue's own tracks, titles and artists included, where the corpus is theirs; the
        built-in recommender's index, `builtin`, where the corpus is that catalogue)."""
        from tunetalk.evaluation import chat_run, one_turn_run

        scores: dict[str, float] = {}
        for name, benchmark in benchmarks.items():
            queries = {q: benchmark.queries[q] for q in benchmark.queries if q in benchmark.qrels}
            if builtin is not None and set(benchmark.corpus) == set(builtin.tracks):
                run = one_turn_run(builtin, queries, self.k)
            else:
                run = chat_run(benchmark, queries, encoder, retrieval, self.k, tracks)
            qrels = {q: benchmark.qrels[q] for q in queries}
            scores[f"{CHAT_PREFIX}{name}"] = score_run(qrels, run, self.k)[f"recall@{self.k}"]
        return scores

    def builtin_scores(self, recommender) -> dict[str, float]:  # noqa: ANN001 - a chatbot.Recommender
        """The built-in chat's own measures (listener requests, simulated listener, Reddit artist requests)."""
        scores = {f"{CHAT_PREFIX}listener-requests": listener_precision(recommender, self.k),
                  f"{CHAT_PREFIX}simulated-listener": simulated_listener_success(recommender, self.listener_targets)}
        if self.artist_requests is not None:
            scores[f"{CHAT_PREFIX}reddit-artist-requests"] = artist_request_share(
                recommender, self.artist_requests, self.k, sample=self.reddit_sample)
        if self.cpcd_dialogs is not None:
            scores[f"{CHAT_PREFIX}cpcd-dialogs"] = cpcd_dialog_share(recommender, self.cpcd_dialogs, self.k,
                                                                     dialogs=self.cpcd_sample)
        return scores


def listener_precision(recommender, k: int) -> float:  # noqa: ANN001 - a chatbot.Recommender
    """Mean precision@k of the first chat turn for each listener request."""
    precision = [turn_precision(recommender, text, groups, k) for text, groups in load_listener_requests()]
    return sum(precision) / len(precision)


def simulated_listener_success(recommender, targets: int, seed: int = LISTENER_SEED) -> float:  # noqa: ANN001
    """The share of the simulated listener's turns whose list holds its target, over a fixed sample
    of `targets` catalogue songs (the same conversations for every encoder, as far as the lists agree)."""
    from tunetalk.simulated_listener import at_turn_success, simulate_listener

    catalogue = sorted(recommender.tracks.values(), key=lambda track: track.id)
    sample = random.Random(seed).sample(catalogue, min(targets, len(catalogue)))
    episodes = [simulate_listener(recommender, target, random.Random(f"{seed}-{index}"))
                for index, target in enumerate(sample)]
    return at_turn_success(episodes)


def artist_request_share(recommender, ner_dir: Path, k: int, *, sample: int | None = None,  # noqa: ANN001
                         seed: int = LISTENER_SEED) -> float:
    """Mean share@k of the MusicRecoNER requests that name a catalogue artist (0 when none does); of a
    fixed random `sample` of them when one is given."""
    from tunetalk.artist_requests import catalogue_artist_requests, catalogue_share, read_requests

    judged = catalogue_artist_requests(recommender, read_requests(ner_dir))
    logger.info("%d MusicRecoNER requests name a catalogue artist", len(judged))
    if sample is not None and sample < len(judged):
        judged = random.Random(seed).sample(judged, sample)
    shares = [catalogue_share(recommender, request.text, profiles, k) for request, profiles in judged]
    return sum(shares) / len(shares) if shares else 0.0


def cpcd_dialog_share(recommender, cpcd_dir: Path, k: int, dialogs: int = CPCD_DIALOGS,  # noqa: ANN001
                      turns: int = CPCD_TURNS, seed: int = LISTENER_SEED) -> float:
    """Mean share@k over a fixed sample of the judged CPCD dialogs, each the mean over its first
    `turns` user messages said in order (0 for a turn that shows no list; 0 when none is judged)."""
    from tunetalk.cpcd_dialogs import dialog_shares, judged_dialogs, read_dialogs

    judged = sorted(judged_dialogs(recommender, read_dialogs(cpcd_dir)), key=lambda pair: pair[0].id)
    sample = random.Random(seed).sample(judged, min(dialogs, len(judged)))
    logger.info("%d CPCD dialogs judged, %d sampled", len(judged), len(sample))
    means = []
    for dialog, goal in sample:
        shares = dialog_shares(recommender, dialog, goal, k=k, max_turns=turns)
        means.append(sum(share or 0.0 for share in shares) / len(shares))
    return sum(means) / len(means) if means else 0.0


def turn_precision(recommender, text: str, groups: list[set[str]], k: int) -> float:  # noqa: ANN001 - a Recommender
    """Precision@k of the first chat turn for one listener request (a new conversation)."""
    from chatbot import Conversation

    results = Conversation(recommender).say(text, k=k).results
    return sum(relevant(view.track.descriptors, groups) for view in results) / k


def chat_turn_scorer(config, builtin: bool, *, data_dir: Path | None = None) -> ChatTurnScorer:  # noqa: ANN001
    """The scorer `tunetalk train` gives the gate (a GPLConfig; `data_dir`: the public datasets, whose
    MusicRecoNER requests and CPCD dialogs are scored, and whose artist knowledge is loaded, when
    they are there)."""
    sample = config.gate.chat_sample
    sizes = ({} if sample is None else
             {"listener_targets": sample, "cpcd_sample": sample, "reddit_sample": sample})
    if data_dir is None:
        return ChatTurnScorer(builtin=builtin, k=config.gate.k, **sizes)
    ner_dir: Path | None = data_dir / "music-reco-ner"
    if not any(ner_dir.glob("dataset*/queries.csv")):
        logger.info("no MusicRecoNER requests under %s: the gate scores the chat without them", ner_dir)
        ner_dir = None
    cpcd_dir: Path | None = data_dir / "cpcd"
    if not any(cpcd_dir.rglob("cpcd_v1.dialogs.*.jsonl")):
        logger.info("no CPCD dialogs under %s: the gate scores the chat without them", cpcd_dir)
        cpcd_dir = None
    from tunetalk.artist_knowledge import knowledge_files

    return ChatTurnScorer(builtin=builtin, k=config.gate.k, artist_requests=ner_dir, cpcd_dialogs=cpcd_dir,
                          artist_knowledge=tuple(knowledge_files(data_dir)), **sizes)


__all__ = ["ChatTurnScorer", "artist_request_share", "chat_turn_scorer", "cpcd_dialog_share", "listener_precision",
           "load_listener_requests", "relevant", "simulated_listener_success", "turn_precision"]
