"""The gate: a worse encoder is refused, a better one accepted, on logged and paper-protocol benchmarks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gpl import GateConfig, TrainingQuery, decide, gate_benchmarks, score_encoder


class BlindEncoder:
    """A worse encoder: the same vector for every text, so rankings carry no information."""

    def __init__(self, dimension: int) -> None:
        self.dimension = dimension

    def encode(self, texts, *, batch_size: int = 64, show_progress_bar=None) -> np.ndarray:  # noqa: ANN001
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        out[:, 0] = 1.0
        return out


def _heldout() -> list[TrainingQuery]:
    return [
        TrainingQuery("h1", "calm jazz piano for late night", "log-message", ("t-jazz-piano",)),
        TrainingQuery("h2", "metal with distorted guitar", "log-message", ("t-metal",)),
        TrainingQuery("h3", "reggae for summer", "log-message", ("t-reggae",)),
        TrainingQuery("h4", "a sad violin", "log-message", ("t-violin",)),
        TrainingQuery("h5", "no positive: never judged", "log-message", ()),
    ]


def _paper_csv(path: Path, tracks) -> Path:  # noqa: ANN001
    import csv

    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=["ytid", "aspect_list", "in_paper_eval", "caption_writing"]
        )
        writer.writeheader()
        for track in tracks:
            writer.writerow(
                {
                    "ytid": track.id,
                    "aspect_list": repr(list(track.descriptors)),
                    "in_paper_eval": "True",
                    "caption_writing": f"A track with {track.descriptors[0]} and {track.descriptors[1]}",
                }
            )
    return path


def test_a_worse_encoder_is_refused_and_a_better_one_accepted(keyword_encoder, tracks, tmp_path) -> None:  # noqa: ANN001
    config = GateConfig(benchmark=_paper_csv(tmp_path / "bench.csv", tracks), k=2, max_rows=None)
    benchmarks = gate_benchmarks(config, _heldout(), tracks)
    assert set(benchmarks) == {"paper/caption_writing/seed0", "heldout-log"}
    assert len(benchmarks["heldout-log"].queries) == 4
    good = score_encoder(keyword_encoder, benchmarks, k=2)
    blind = score_encoder(BlindEncoder(keyword_encoder.info.dimension), benchmarks, k=2)
    assert good["heldout-log"] == 1.0 and blind["heldout-log"] < 0.5
    refused = decide(current=good, candidate=blind, config=config)
    assert not refused.is_accepted
    assert refused.reason.startswith("refused: Recall@2 on ")
    accepted = decide(current=blind, candidate=good, config=config)
    assert accepted.is_accepted and accepted.reason.startswith("accepted")


def test_a_tie_is_refused_and_small_drops_are_bounded() -> None:
    config = GateConfig(min_improvement=0.01, max_drop=0.02)
    assert not decide({"a": 0.8, "b": 0.6}, {"a": 0.8, "b": 0.6}, config).is_accepted
    # Better on average but one benchmark falls by more than max_drop: refused.
    result = decide({"a": 0.8, "b": 0.6}, {"a": 0.95, "b": 0.55}, config)
    assert not result.is_accepted and "on b fell" in result.reason
    assert decide({"a": 0.8, "b": 0.6}, {"a": 0.95, "b": 0.59}, config).is_accepted


def test_the_gate_needs_something_to_measure(tracks) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="nothing to measure"):
        gate_benchmarks(GateConfig(), [], tracks)
    with pytest.raises(ValueError, match="same benchmarks"):
        decide({"a": 1.0}, {"b": 1.0}, GateConfig())


def test_with_chat_turn_scores_the_candidate_must_rise_on_both_sides() -> None:
    config = GateConfig(min_improvement=0.01, max_drop=0.2)
    current = {"paper/caption_writing/seed0": 0.80, "heldout-log": 0.50, "chat/listener-requests": 0.85}
    # retrieval rises a lot, the chat turn not at all: refused, though the overall mean rises
    candidate = {"paper/caption_writing/seed0": 0.90, "heldout-log": 0.60, "chat/listener-requests": 0.85}
    result = decide(current, candidate, config)
    assert not result.is_accepted and "chat turn" in result.reason
    # the chat turn rises, retrieval does not
    candidate = {"paper/caption_writing/seed0": 0.80, "heldout-log": 0.50, "chat/listener-requests": 0.95}
    result = decide(current, candidate, config)
    assert not result.is_accepted and "retrieval" in result.reason
    candidate = {"paper/caption_writing/seed0": 0.85, "heldout-log": 0.55, "chat/listener-requests": 0.90}
    assert decide(current, candidate, config).is_accepted
    # without chat scores the rule is the mean alone
    retrieval_only = {name: score for name, score in current.items() if not name.startswith("chat/")}
    better = {"paper/caption_writing/seed0": 0.90, "heldout-log": 0.50}
    assert decide(retrieval_only, better, config).is_accepted


def test_with_other_training_seeds_each_side_must_rise_by_more_than_their_spread() -> None:
    config = GateConfig(min_improvement=0.005, max_drop=0.2)
    current = {"paper/caption_writing/seed0": 0.80, "chat/listener-requests": 0.90}
    candidate = {"paper/caption_writing/seed0": 0.84, "chat/listener-requests": 0.93}
    assert decide(current, candidate, config).is_accepted  # one seed: +0.005 on each side is enough
    # a second seed lands 0.05 lower on retrieval: a rise of 0.04 is inside the training noise
    noisy = {"paper/caption_writing/seed0": 0.79, "chat/listener-requests": 0.93}
    result = decide(current, candidate, config, [noisy])
    assert not result.is_accepted and "retrieval" in result.reason and "spread of 2 training seeds" in result.reason
    assert result.margins == {"chat turn": 0.005, "retrieval": pytest.approx(0.05)}
    assert result.other_seeds == [noisy]
    # seeds that agree leave the margin at min_improvement
    steady = {"paper/caption_writing/seed0": 0.835, "chat/listener-requests": 0.93}
    assert decide(current, candidate, config, [steady]).is_accepted
    with pytest.raises(ValueError, match="same benchmarks"):
        decide(current, candidate, config, [{"heldout-log": 0.5}])
    # one seed and a negative min_improvement ("accept anything"): no spread raises the bar to 0
    anything = GateConfig(min_improvement=-1.0, max_drop=1.0)
    assert decide(candidate, current, anything).is_accepted


def test_the_chat_turn_scorer_runs_the_gate_benchmarks_through_the_turn(keyword_encoder, tracks, tmp_path) -> None:  # noqa: ANN001
    from tunetalk.chat_gate import ChatTurnScorer, chat_turn_scorer

    config = GateConfig(benchmark=_paper_csv(tmp_path / "bench.csv", tracks), k=2, max_rows=None)
    benchmarks = gate_benchmarks(config, _heldout(), tracks)
    scorer = ChatTurnScorer(builtin=False, k=2)
    good = scorer(keyword_encoder, benchmarks, tracks)
    assert set(good) == {"chat/paper/caption_writing/seed0", "chat/heldout-log"}
    assert good["chat/heldout-log"] == 1.0  # "calm jazz piano for late night" finds t-jazz-piano, and so on
    assert good["chat/paper/caption_writing/seed0"] > 0.5
    blind = scorer(BlindKeyedEncoder(keyword_encoder), benchmarks, tracks)
    assert all(blind[name] <= good[name] for name in good)
    assert "listener" not in scorer.name

    class Run:  # what chat_turn_scorer reads of a GPLConfig
        gate = GateConfig(k=5)

    assert chat_turn_scorer(Run(), builtin=True).name.endswith("k5 listener-requests simulated-listener100")


class BlindKeyedEncoder(BlindEncoder):
    """The blind encoder with an identity, so a store can be built with it."""

    def __init__(self, like) -> None:  # noqa: ANN001
        from retriever import EncoderInfo

        super().__init__(like.info.dimension)
        self.info = EncoderInfo(name="blind-test-encoder", weights_sha256="1" * 64, dimension=like.info.dimension)
