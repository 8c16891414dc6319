from __future__ import annotations

import numpy as np
import pytest

from retriever.evaluate import top_k_indices
from retriever.lexical import LexicalConfig, LexicalIndex, Scoring
from retriever.fusion import Fusion, RetrievalConfig, SearchMode, fuse, fuse_matrices, stable_top_k

DOCS = {
    "steel": ("calypso", "steel drums", "upbeat"),
    "steel-guitar": ("steel guitar", "drums", "country"),
    "folk": ("folk", "acoustic guitar", "sad", "female vocals"),
    "rock": ("rock", "electric guitar", "drums", "male vocals"),
    "jazz": ("jazz", "piano", "calm", "instrumental", "late night"),
    "study": ("piano",),
    "long-piano": ("solo piano", "classical", "romantic", "slow tempo", "sad", "strings"),
}


@pytest.fixture(params=[Scoring.COSINE, Scoring.BM25])
def index(request: pytest.FixtureRequest) -> LexicalIndex:
    return LexicalIndex.build(list(DOCS), list(DOCS.values()), LexicalConfig(scoring=request.param))


def top_id(index: LexicalIndex, text: str, weighted_phrases: dict[str, float] | None = None) -> str:
    hits = index.search(text, k=1, weighted_phrases=weighted_phrases)
    assert hits, f"no hit for {text!r}"
    return index.doc_ids[hits[0][0]]


def test_exact_phrase_ranks_its_descriptor_first(index: LexicalIndex) -> None:
    # "steel-guitar" has both words, "steel" has the phrase
    assert top_id(index, "steel drums") == "steel"
    assert top_id(index, "a sad acoustic guitar song") == "folk"
    assert top_id(index, "electric guitar and drums") == "rock"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("acoustic guitr", "folk"), ("steeldrum", "steel"), ("some steeldrums please", "steel"),
     ("acustic gitar", "folk"), ("a calypso with steel drumms", "steel")],
)
def test_misspellings_still_retrieve_their_track(index: LexicalIndex, text: str, expected: str) -> None:
    assert top_id(index, text) == expected


def test_suffix_variants_reach_index_words(index: LexicalIndex) -> None:
    assert top_id(index, "a guitarist playing folk") == "folk"
    assert index.query_terms("calmly") == index.query_terms("calm")


def test_common_words_are_not_fuzzy_matched() -> None:
    index = LexicalIndex.build(["a"], [("theme", "white noise")])
    assert index.query_terms("there while") == {}


def test_negative_and_fractional_weights_lower_a_doc(index: LexicalIndex) -> None:
    position = index.doc_ids.index("folk")
    plain = index.score_all("guitar")
    lowered = index.score_all("guitar", {"acoustic guitar": -1.0})
    slightly = index.score_all("guitar", {"acoustic guitar": -0.25})
    assert lowered[position] < slightly[position] < plain[position]
    assert top_id(index, "sad guitar") == "folk"
    assert top_id(index, "sad guitar", {"acoustic guitar": -1.0}) == "long-piano"
    assert index.score_all("guitar", {"sad": 0.5})[position] > plain[position]


def test_coverage_prefers_a_fully_mentioned_short_set() -> None:
    index = LexicalIndex.build(list(DOCS), list(DOCS.values()))
    # "study" is all piano; "long-piano" shares the word but covers little of itself
    assert top_id(index, "piano") == "study"
    scores = index.score_all("calm late night jazz piano, instrumental")
    assert index.doc_ids[int(np.argmax(scores))] == "jazz"


def test_score_many_matches_score_all(index: LexicalIndex) -> None:
    texts = ["steel drums", "acoustic guitr and sad female vocals", "nothing matches", ""]
    many = index.score_many(texts)
    assert many.shape == (len(texts), len(DOCS))
    np.testing.assert_allclose(many, np.stack([index.score_all(t) for t in texts]), rtol=1e-5, atol=1e-6)
    assert not many[2:].any()


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="phrase_coverage must be in"):
        LexicalConfig(phrase_coverage=1.5)
    with pytest.raises(ValueError, match="BM25 needs"):
        LexicalConfig(b=2.0)
    with pytest.raises(ValueError, match="is not a valid Scoring"):
        LexicalConfig(scoring="tfidf")
    with pytest.raises(ValueError, match="same length|descriptor sets"):
        LexicalIndex.build(["a"], [])


def test_fuse_weighted_and_rrf_on_a_tiny_example() -> None:
    dense = {"a": 0.9, "b": 0.5, "c": 0.1}
    lexical = {"a": 0.0, "b": 2.0, "c": 1.0}
    weighted = fuse(dense, lexical, RetrievalConfig(fusion=Fusion.WEIGHTED, dense_weight=0.3))
    # min-max: a = 0.3 * 1 + 0.7 * 0, b = 0.3 * 0.5 + 0.7 * 1, c = 0.3 * 0 + 0.7 * 0.5
    assert [key for key, _ in weighted] == ["b", "c", "a"]
    assert [score for _, score in weighted] == pytest.approx([0.85, 0.35, 0.3])
    rrf = fuse(dense, lexical, RetrievalConfig(fusion=Fusion.RRF, rrf_k=1))
    # ranks: dense a0 b1 c2, lexical b0 c1 a2 -> b = 1/3 + 1/2, a = 1/2 + 1/4, c = 1/4 + 1/3
    assert [key for key, _ in rrf] == ["b", "a", "c"]
    assert fuse(dense, lexical, RetrievalConfig(mode=SearchMode.DENSE))[0][0] == "a"
    # a candidate missing from one side counts as that side's lowest (0 after min-max)
    assert fuse(dense, {"d": 1.0}, RetrievalConfig(dense_weight=0.3))[:2] == [("d", 0.7), ("a", 0.3)]


def _fuse_each_query(dense: np.ndarray, lexical: np.ndarray, doc_ids: list[str], config: RetrievalConfig,
                     k: int) -> list[list[str]]:
    """The reference: candidates per query, both sides filled, one `fuse` call each."""
    dense_top = top_k_indices(dense, config.candidates)
    lexical_top = top_k_indices(lexical, config.candidates)
    rankings = []
    for row in range(dense.shape[0]):
        lexical_side = {int(i): float(lexical[row, i]) for i in lexical_top[row] if lexical[row, i] > 0}
        dense_side = {int(i): float(dense[row, i]) for i in dense_top[row]}
        for i in list(lexical_side):
            dense_side.setdefault(i, float(dense[row, i]))
        for i in list(dense_side):
            lexical_side.setdefault(i, float(lexical[row, i]))
        fused = fuse({doc_ids[i]: s for i, s in dense_side.items()},
                     {doc_ids[i]: s for i, s in lexical_side.items()}, config)
        rankings.append([doc_id for doc_id, _ in fused[:k]])
    return rankings


@pytest.mark.parametrize("fusion", [Fusion.WEIGHTED, Fusion.RRF])
def test_vectorised_fusion_equals_fuse_per_query(fusion: Fusion) -> None:
    rng = np.random.default_rng(0)
    for _ in range(25):
        num_docs, num_queries = int(rng.integers(1, 80)), int(rng.integers(1, 6))
        # coarse values: many ties, many zero lexical scores
        dense = (rng.integers(0, 5, size=(num_queries, num_docs)) / 4).astype(np.float32)
        lexical = (np.maximum(rng.integers(-2, 4, size=(num_queries, num_docs)), 0) / 3).astype(np.float32)
        doc_ids = [f"doc{i}" for i in rng.permutation(num_docs)]
        config = RetrievalConfig(fusion=fusion, dense_weight=float(rng.choice([0.0, 0.15, 0.5, 1.0])),
                                 rrf_k=int(rng.integers(0, 60)), candidates=int(rng.integers(1, 40)))
        expected = _fuse_each_query(dense, lexical, doc_ids, config, 10)
        assert fuse_matrices(dense, lexical, doc_ids, config, 10) == expected


def test_stable_top_k_keeps_column_order_on_ties() -> None:
    rng = np.random.default_rng(1)
    scores = (rng.integers(0, 4, size=(20, 50)) / 3).astype(np.float32)
    scores[:5] = 0.0
    for k in (1, 10, 50, 80):
        np.testing.assert_array_equal(stable_top_k(scores, k), top_k_indices(scores, k))
