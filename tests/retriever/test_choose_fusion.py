"""Choosing the hybrid's dense weight: the scores it reports are the live ranking's, the best one wins."""

from __future__ import annotations

import pytest

from retriever import RetrievalConfig
from retriever.evaluate import Benchmark, score_run
from retriever.rankers import HybridRanker, choose_fusion

CORPUS = {
    "d0": "jazz, piano, calm",
    "d1": "jazz, guitar, upbeat",
    "d2": "rock, guitar, upbeat",
    "d3": "folk, violin, sad",
    "d4": "electronic, synth, happy",
    "d5": "jazz, piano, vocal",
    "d6": "reggae, guitar, happy",
    "d7": "metal, guitar, rock",
}
QUERIES = {
    "q0": "a calm jazz piano for studying",
    "q1": "an upbeat jazz guitar",
    "q2": "sad folk with violin",
    "q3": "happy electronic synth music",
    "q4": "jazz piano with a vocal",
    "q5": "happy reggae guitar",
    "q6": "rock guitar, heavy metal",
}
QRELS = {"q0": {"d0"}, "q1": {"d1"}, "q2": {"d3"}, "q3": {"d4"}, "q4": {"d5"}, "q5": {"d6"}, "q6": {"d7"}}


def test_each_weight_scores_what_the_live_hybrid_ranks(keyword_encoder) -> None:  # noqa: ANN001
    benchmark = Benchmark(queries=QUERIES, corpus=CORPUS, qrels=QRELS)
    weights = (0.05, 0.3, 0.9)
    choice = choose_fusion(keyword_encoder, [benchmark, benchmark], dense_weights=weights, k=1)
    assert set(choice.recall_by_weight) == set(weights)
    for weight in weights:
        run = HybridRanker(keyword_encoder, RetrievalConfig(dense_weight=weight)).rank(QUERIES, CORPUS, 1)
        assert choice.recall_by_weight[weight] == pytest.approx(score_run(QRELS, run, 1)["recall@1"])
    best = max(choice.recall_by_weight.values())
    assert choice.config.dense_weight == next(w for w in weights if choice.recall_by_weight[w] == best)
    assert 0.0 <= choice.dense_recall <= 1.0 and 0.0 <= choice.lexical_recall <= 1.0


def test_equal_recall_goes_to_the_smaller_weight(keyword_encoder) -> None:  # noqa: ANN001
    easy = Benchmark(queries={"q": "folk violin"}, corpus={"a": "folk, violin", "b": "rock, guitar"}, qrels={"q": {"a"}})
    choice = choose_fusion(keyword_encoder, [easy], dense_weights=(0.4, 0.1, 0.2))
    assert set(choice.recall_by_weight.values()) == {1.0}
    assert choice.config.dense_weight == 0.4  # the first listed of equals


@pytest.mark.parametrize(("weights", "message"), [((), "dense weights"), ((0.0, 0.3), "dense weights"), ((1.5,), "dense weights")])
def test_bad_weights_are_refused(keyword_encoder, weights, message) -> None:  # noqa: ANN001
    benchmark = Benchmark(queries=QUERIES, corpus=CORPUS, qrels=QRELS)
    with pytest.raises(ValueError, match=message):
        choose_fusion(keyword_encoder, [benchmark], dense_weights=weights)


def test_no_benchmark_is_refused(keyword_encoder) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="at least one benchmark"):
        choose_fusion(keyword_encoder, [])
