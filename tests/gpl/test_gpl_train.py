"""MarginMSE: zero loss at the label, falling loss on a fixed batch, and a real trainer run."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gpl import LabeledTriplet, TrainConfig, Triplet, gpl_loss, margin_mse_loss, train_encoder, training_columns

QUERIES = ["calm jazz piano", "upbeat rock guitar", "sad folk song", "happy steel drums"]
POSITIVES = ["jazz, piano, calm", "rock, guitar, upbeat", "folk, sad, vocal", "steel, drums, happy"]
NEGATIVES = ["metal, guitar", "calm, piano", "happy, synth", "sad, folk"]
SCALE = 20.0


def _features(model, texts: list[str]):  # noqa: ANN001, ANN202
    return model.preprocess(texts)


def test_loss_is_zero_when_the_student_margin_equals_the_label(tiny_student) -> None:  # noqa: ANN001
    loss = margin_mse_loss(tiny_student, SCALE)
    with torch.no_grad():
        q, p, n = (
            tiny_student.encode(texts, convert_to_tensor=True) for texts in (QUERIES, POSITIVES, NEGATIVES)
        )
        labels = SCALE * (
            torch.nn.functional.cosine_similarity(q, p) - torch.nn.functional.cosine_similarity(q, n)
        )
        value = loss([_features(tiny_student, t) for t in (QUERIES, POSITIVES, NEGATIVES)], labels)
    assert float(value) == pytest.approx(0.0, abs=1e-6)
    with torch.no_grad():
        shifted = loss([_features(tiny_student, t) for t in (QUERIES, POSITIVES, NEGATIVES)], labels + 1.0)
    assert float(shifted) == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize("in_batch_weight", [None, 1.0], ids=["margin-mse", "with-in-batch-ranking"])
def test_loss_falls_over_twenty_steps_on_a_fixed_batch(tiny_student, in_batch_weight) -> None:  # noqa: ANN001
    torch.manual_seed(0)
    if in_batch_weight is None:
        loss = margin_mse_loss(tiny_student, SCALE)
    else:
        loss = gpl_loss(tiny_student, SCALE, in_batch_weight)
    optimizer = torch.optim.AdamW(tiny_student.parameters(), lr=1e-3)
    labels = torch.tensor([2.0, 1.0, 0.5, 1.5])
    features = [_features(tiny_student, t) for t in (QUERIES, POSITIVES, NEGATIVES)]
    tiny_student.eval()  # no dropout: the same batch gives the same loss, so the fall is the optimiser's doing
    values = []
    for _ in range(20):
        value = loss(features, labels)
        value.backward()
        optimizer.step()
        optimizer.zero_grad()
        values.append(float(value.detach()))
    assert values[-1] < 0.5 * values[0], values


def test_the_in_batch_term_adds_a_ranking_loss_to_margin_mse(tiny_student) -> None:  # noqa: ANN001
    features = [_features(tiny_student, t) for t in (QUERIES, POSITIVES, NEGATIVES)]
    labels = torch.tensor([2.0, 1.0, 0.5, 1.5])
    tiny_student.eval()
    with torch.no_grad():
        q, p, n = (tiny_student.encode(t, convert_to_tensor=True) for t in (QUERIES, POSITIVES, NEGATIVES))
        margin = float(margin_mse_loss(tiny_student, SCALE)(features, labels))
        combined = float(gpl_loss(tiny_student, SCALE, 0.5)(features, labels))
        plain = float(gpl_loss(tiny_student, SCALE, 0.0)(features, labels))
    # the ranking term by hand: each query against every positive and negative, cosine x 20, cross-entropy
    documents = torch.nn.functional.normalize(torch.cat([p, n]), dim=-1)
    logits = 20.0 * torch.nn.functional.normalize(q, dim=-1) @ documents.T  # (4, 8)
    ranking = float(torch.nn.functional.cross_entropy(logits, torch.arange(4)))
    assert plain == pytest.approx(margin)
    assert combined == pytest.approx(margin + 0.5 * ranking, rel=1e-4)


def test_a_negative_in_batch_weight_is_refused() -> None:
    with pytest.raises(ValueError, match="in_batch_weight must be >= 0"):
        TrainConfig(in_batch_weight=-1.0)


def _labeled() -> list[LabeledTriplet]:
    items = []
    for index, (query, positive) in enumerate(zip(QUERIES, POSITIVES, strict=True)):
        for number, negative in enumerate(NEGATIVES[:2]):
            items.append(
                LabeledTriplet(Triplet(f"q{index}", query, "p", positive, "n", negative), 3.0, float(number))
            )
    return items


def test_training_columns_group_a_query_with_all_its_negatives() -> None:
    columns = training_columns(_labeled())
    assert list(columns) == ["query", "positive", "negative_1", "negative_2", "label"]
    assert columns["query"] == QUERIES
    assert columns["label"][0] == [3.0, 2.0]
    with pytest.raises(ValueError, match="no labelled triplets"):
        training_columns([])


def test_views_that_drew_the_same_positive_become_one_row_each() -> None:
    def item(query_id: str, negative: str, margin: float) -> LabeledTriplet:
        return LabeledTriplet(Triplet(query_id, "calm jazz", "p", "jazz, calm", "n", negative), margin, 0.0)

    # q1: two views drew the same positive (2 triplets of 1 negative); q2: one view; q3: one view.
    labeled = [item("q1", "metal", 3.0), item("q1", "rock", 2.0), item("q2", "folk", 1.0), item("q3", "synth", 4.0)]
    columns = training_columns(labeled)
    assert columns["negative_1"] == ["metal", "rock", "folk", "synth"]
    assert columns["label"] == [[3.0], [2.0], [1.0], [4.0]]
    # a group that is not a multiple of the common count cannot be split into rows: left out
    odd = [*labeled[:2], item("q4", "folk", 1.0), item("q4", "pop", 1.0)]  # two groups of 2 negatives
    odd += [item("q2", "folk", 1.0), item("q2", "rock", 1.0), item("q2", "pop", 1.0)]  # and one of 3
    columns = training_columns(odd)
    assert columns["negative_1"] == ["metal", "folk"] and columns["negative_2"] == ["rock", "pop"]


def test_train_encoder_writes_safetensors_and_drops_checkpoints(
    tiny_encoder_dir: Path, tmp_path: Path
) -> None:
    output = train_encoder(
        _labeled(),
        tiny_encoder_dir,
        tmp_path / "encoder",
        tmp_path / "checkpoints",
        TrainConfig(max_steps=2, batch_size=2, save_steps=1),
        show_progress_bar=False,
    )
    assert (output / "model.safetensors").is_file() and (output / "modules.json").is_file()
    assert not (tmp_path / "checkpoints").exists()
    assert not (tmp_path / "encoder.tmp").exists()


def test_the_calibrated_scale_matches_the_teachers_spread(tiny_student) -> None:  # noqa: ANN001
    from gpl.train import calibrate_scale

    q, p, n = (tiny_student.encode(t, normalize_embeddings=True) for t in (QUERIES, POSITIVES, NEGATIVES))
    student = (q * p).sum(1) - (q * n).sum(1)
    labeled = [
        LabeledTriplet(
            Triplet(f"q{i}", QUERIES[i], "p", POSITIVES[i], "n", NEGATIVES[i]), 7.0 * float(m), 0.0
        )
        for i, m in enumerate(student)
    ]
    assert calibrate_scale(tiny_student, labeled) == pytest.approx(7.0, rel=1e-3)
    flat = [LabeledTriplet(item.triplet, 1.0, 0.0) for item in labeled]
    with pytest.raises(ValueError, match="same margin"):
        calibrate_scale(tiny_student, flat)


def test_min_margin_drops_triplets_the_teacher_ranks_the_wrong_way() -> None:
    from gpl.train import kept_triplets

    labeled = _labeled()  # margins 3.0 and 2.0 per query
    inverted = [LabeledTriplet(item.triplet, 0.5, 1.5) for item in labeled[:2]]  # margin -1.0
    mixed = labeled + inverted
    assert kept_triplets(mixed, None) == mixed
    assert kept_triplets(mixed, 0.0) == labeled
    assert kept_triplets(mixed, 2.5) == labeled[::2]  # only the margin-3.0 ones
    with pytest.raises(ValueError, match="lower --min-margin"):
        kept_triplets(inverted, 0.0)
