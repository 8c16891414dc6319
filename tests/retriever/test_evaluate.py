from __future__ import annotations

import csv
import math
import random
from pathlib import Path

import pytest

from retriever.evaluate import (
    Benchmark,
    McRow,
    Ranker,
    TfidfRanker,
    build_track_benchmark,
    load_mc_rows,
    sample_paper_benchmark,
    score_run,
    summarize,
)

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
MC_TEST_CSV = SHARED_DATA / "lp-musiccaps-mc" / "test.csv"

JAZZ = McRow(
    track_id="jazz",
    aspects=("jazz", "piano", "slow tempo", "sad"),
    request="A slow jazz tune with piano. It feels sad. Nothing else to say",
)
# "Guitar" and "loud" are not in the text with that case: matching is case-sensitive, as in the
# paper's code, so only "rock" matches and at most one of the other two may be added.
ROCK = McRow(track_id="rock", aspects=("rock", "Guitar", "loud"), request="Loud rock with guitar")
AMBIENT_A = McRow(track_id="ambient_a", aspects=("ambient",), request="Calm ambient drone")
AMBIENT_B = McRow(track_id="ambient_b", aspects=("ambient",), request="More ambient textures")


def _many_rows() -> list[McRow]:
    words = [f"tag{i}" for i in range(12)]
    return [
        McRow(
            track_id=f"t{n}",
            aspects=tuple(words),
            request=" ".join(words[: 3 + n % 8]) + ". " + words[n % 12],
        )
        for n in range(20)
    ]


def _descriptors(document: str) -> list[str]:
    return document.split(", ")


class TestSamplePaperBenchmark:
    @pytest.mark.parametrize("seed", range(10))
    def test_documents_follow_the_protocol(self, seed: int) -> None:
        rows = [JAZZ, ROCK]
        bench = sample_paper_benchmark(rows, seed)

        # The third jazz sentence names no descriptor, so it is not a query.
        assert bench.queries == {
            "jazz_0": "A slow jazz tune with piano",
            "jazz_1": "It feels sad",
            "rock_0": "Loud rock with guitar",
        }
        aspects_by_query = {"jazz_0": JAZZ.aspects, "jazz_1": JAZZ.aspects, "rock_0": ROCK.aspects}
        for query_id, sentence in bench.queries.items():
            (doc_id,) = bench.qrels[query_id]
            descriptors = _descriptors(bench.corpus[doc_id])
            aspects = aspects_by_query[query_id]
            matching = [d for d in descriptors if d in sentence]
            others = [d for d in descriptors if d not in sentence]
            num_matching_aspects = sum(a in sentence for a in aspects)
            assert set(descriptors) <= set(aspects)
            assert len(descriptors) == len(set(descriptors))
            assert matching, f"{query_id}: no descriptor of {descriptors} occurs in {sentence!r}"
            assert len(others) <= min(num_matching_aspects, len(aspects) - num_matching_aspects)

        (rock_doc,) = bench.qrels["rock_0"]
        rock_descriptors = _descriptors(bench.corpus[rock_doc])
        assert "rock" in rock_descriptors
        assert len(set(rock_descriptors) & {"Guitar", "loud"}) <= 1
        (sad_doc,) = bench.qrels["jazz_1"]
        assert "sad" in _descriptors(bench.corpus[sad_doc])
        assert set(bench.corpus) == {doc for docs in bench.qrels.values() for doc in docs}

    def test_single_match_gives_exact_doc_and_identical_docs_share_an_id(self) -> None:
        bench = sample_paper_benchmark([AMBIENT_A, AMBIENT_B], seed=0)

        assert bench.corpus == {"doc0": "ambient"}
        assert bench.qrels == {"ambient_a_0": {"doc0"}, "ambient_b_0": {"doc0"}}

    def test_draws_follow_the_papers_random_stream(self) -> None:
        # The paper's code draws a size and a sample per group, then shuffles, from the
        # global random module; an unmatched sentence still draws once (size 0 of others).
        rows = [JAZZ, ROCK, *_many_rows()]
        random.seed(3)
        expected = []
        for row in rows:
            for sentence in row.request.split(". "):
                matching = [a for a in row.aspects if a in sentence]
                others = [a for a in row.aspects if a not in sentence]
                chosen = []
                if matching:
                    chosen += random.sample(matching, random.choice(range(1, len(matching) + 1)))
                if others:
                    max_others = min(len(matching), len(others))
                    chosen += random.sample(others, random.choice(range(0, max_others + 1)))
                random.shuffle(chosen)
                if matching:
                    expected.append(", ".join(chosen))

        bench = sample_paper_benchmark(rows, seed=3)

        sampled = [bench.corpus[next(iter(bench.qrels[query_id]))] for query_id in bench.queries]
        assert sampled == expected

    def test_same_seed_same_benchmark_different_seed_different(self) -> None:
        rows = _many_rows()

        first = sample_paper_benchmark(rows, seed=0)
        again = sample_paper_benchmark(rows, seed=0)
        other = sample_paper_benchmark(rows, seed=1)

        assert first == again
        assert first.queries == other.queries
        assert first.corpus != other.corpus

    def test_leaves_global_random_state_alone(self) -> None:
        random.seed(123)
        expected = random.random()
        random.seed(123)

        sample_paper_benchmark(_many_rows(), seed=0)

        assert random.random() == expected


def test_track_benchmark_one_query_and_doc_per_track() -> None:
    rows = [JAZZ, ROCK, McRow(track_id="dup", aspects=("a", "b", "a"), request="a b")]

    bench = build_track_benchmark(rows)

    assert bench.queries["rock"] == "Loud rock with guitar"
    assert bench.corpus["jazz"] == "jazz, piano, slow tempo, sad"
    assert bench.corpus["dup"] == "a, b"
    assert bench.qrels == {"jazz": {"jazz"}, "rock": {"rock"}, "dup": {"dup"}}


def test_track_benchmark_rejects_duplicate_track_ids() -> None:
    with pytest.raises(ValueError, match="'jazz' appears twice"):
        build_track_benchmark([JAZZ, JAZZ])


class TestScoreRun:
    QRELS = {"q1": {"d1"}, "q2": {"d2"}, "q3": {"d3", "d4"}, "q4": {"d5"}, "unjudged": set()}
    RUN = {
        "q1": ["d1", "x", "y"],  # rank 1
        "q2": ["x", "y", "d2"],  # rank 3
        "q3": ["d3", "x", "d4"],  # both relevant, ranks 1 and 3
        "q4": [f"x{i}" for i in range(10)] + ["d5"],  # rank 11: outside the top 10
        "extra": ["d1"],
    }

    def test_known_values(self) -> None:
        scores = score_run(self.QRELS, self.RUN)

        ndcg_q3 = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
        assert scores == pytest.approx(
            {
                "recall@1": (1 + 0 + 0.5 + 0) / 4,
                "recall@10": (1 + 1 + 1 + 0) / 4,
                "mrr@10": (1 + 1 / 3 + 1 + 0) / 4,
                "ndcg@10": (1 + 0.5 + ndcg_q3 + 0) / 4,
            }
        )

    def test_cutoff_names_the_keys(self) -> None:
        scores = score_run(self.QRELS, self.RUN, k=2)

        assert set(scores) == {"recall@1", "recall@2", "mrr@2", "ndcg@2"}
        assert scores["recall@2"] == pytest.approx((1 + 0 + 0.5 + 0) / 4)
        assert scores["mrr@2"] == pytest.approx(2 / 4)

    def test_cutoff_of_one_counts_recall_once(self) -> None:
        scores = score_run(self.QRELS, self.RUN, k=1)

        assert set(scores) == {"recall@1", "mrr@1", "ndcg@1"}
        assert scores["recall@1"] == pytest.approx((1 + 0 + 0.5 + 0) / 4)
        assert scores["mrr@1"] == pytest.approx(2 / 4)

    def test_missing_query_is_an_error(self) -> None:
        with pytest.raises(ValueError, match="1 of 4 judged queries are missing from the run"):
            score_run(self.QRELS, {key: value for key, value in self.RUN.items() if key != "q2"})

    def test_rejects_bad_cutoff(self) -> None:
        with pytest.raises(ValueError, match="Expected k >= 1, got 0"):
            score_run(self.QRELS, self.RUN, k=0)


def test_summarize_reports_mean_and_population_std() -> None:
    summary = summarize([{"recall@10": 0.1, "mrr@10": 0.5}, {"recall@10": 0.3, "mrr@10": 0.5}])

    assert summary["recall@10"] == pytest.approx((0.2, 0.1))
    assert summary["mrr@10"] == pytest.approx((0.5, 0.0))


def test_summarize_rejects_mismatched_metrics() -> None:
    with pytest.raises(ValueError, match="Result 1 has metrics"):
        summarize([{"recall@10": 0.1}, {"mrr@10": 0.5}])


def test_tfidf_ranker_ranks_the_matching_document_first() -> None:
    ranker: Ranker = TfidfRanker()
    corpus = {"jazz": "jazz, piano", "rock": "rock, electric guitar", "ambient": "ambient, drone"}
    queries = {"q_jazz": "some jazz piano please", "q_rock": "loud rock guitar"}

    run = ranker.rank(queries, corpus, k=2)

    assert run["q_jazz"][0] == "jazz"
    assert run["q_rock"][0] == "rock"
    assert all(len(doc_ids) == 2 for doc_ids in run.values())


def _write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_load_mc_rows_filters_and_parses(tmp_path: Path) -> None:
    path = tmp_path / "test.csv"
    base = {"ytid": "a", "aspect_list": "['jazz', \"children's song\"]", "in_paper_eval": "True"}
    _write_csv(
        path,
        [
            {**base, "caption_writing": "Jazz\nfor kids"},
            {**base, "ytid": "b", "caption_writing": ""},
            {**base, "ytid": "c", "caption_writing": "Rock", "in_paper_eval": "False"},
        ],
    )

    expected = McRow(track_id="a", aspects=("jazz", "children's song"), request="Jazz for kids")
    assert load_mc_rows(path) == [expected]
    assert [row.track_id for row in load_mc_rows(path, paper_rows_only=False)] == ["a", "c"]


def test_load_mc_rows_names_available_columns(tmp_path: Path) -> None:
    path = tmp_path / "test.csv"
    row = {"ytid": "a", "aspect_list": "['jazz']", "in_paper_eval": "True", "caption_writing": "x"}
    _write_csv(path, [row])

    expected_message = "'caption_summary' not found .* Available columns: ytid, aspect_list,"
    with pytest.raises(ValueError, match=expected_message):
        load_mc_rows(path, query_column="caption_summary")


@pytest.mark.skipif(not MC_TEST_CSV.is_file(), reason=f"shared data not found at {MC_TEST_CSV}")
def test_paper_protocol_on_real_data_matches_the_paper() -> None:
    rows = load_mc_rows(MC_TEST_CSV)
    bench: Benchmark = sample_paper_benchmark(rows, seed=0)

    scores = score_run(bench.qrels, TfidfRanker().rank(bench.queries, bench.corpus, k=10))

    assert len(rows) == 2361
    assert len(bench.queries) == 2358
    # The paper reports TF-IDF Recall@10 = 89.4 +- 0.4 over seeds 0-2.
    assert 0.88 <= scores["recall@10"] <= 0.91
