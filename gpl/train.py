"""Stage ``train``: fit the bi-encoder to the teacher's margins with MarginMSE.

sentence-transformers' ``SentenceTransformerTrainer`` with ``MarginMSELoss``. One example is a
query, its positive and all its negatives; the label is the list of teacher margins, one per
negative. The encoder normalises its embeddings, so the student's score is a scaled cosine
(``similarity_scale * cos``) to put its margins on the scale of the teacher's raw logits.
Checkpoints are written every ``save_steps``; a killed run resumes from the last one.

Example:
    >>> train_encoder(labeled, base_dir, Path("runs/demo/encoder"), Path("runs/demo/checkpoints"), TrainConfig())
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gpl.config import TrainConfig
from gpl.records import LabeledTriplet

logger = logging.getLogger(__name__)

TRAINING_EXTRAS = "pip install 'datasets>=2.19' 'accelerate>=0.26'"


def require_training_libraries() -> None:
    """Check the training-only dependencies before any work starts.

    Raises:
        ModuleNotFoundError: ``datasets`` or ``accelerate`` is missing, with the pip command.
    """
    missing = [name for name in ("datasets", "accelerate") if importlib.util.find_spec(name) is None]
    if missing:
        raise ModuleNotFoundError(
            f"GPL training needs {' and '.join(missing)}, which is not installed. Install it with: {TRAINING_EXTRAS}"
        )


def resolve_device(device: str) -> str:
    """Check that the asked-for device exists.

    Raises:
        ValueError: CUDA (or MPS) was asked for but torch cannot see one.
    """
    import torch

    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(
            f"--device {device}: torch sees no CUDA device (torch {torch.__version__}, "
            "torch.cuda.is_available() is False). Use --device cpu, or install a CUDA build of torch."
        )
    if device == "mps" and not torch.backends.mps.is_available():
        raise ValueError("--device mps: torch sees no MPS device. Use --device cpu.")
    return device


def scaled_cos_sim(first: Any, second: Any, *, scale: float) -> Any:
    """``scale * cos(first[i], second[i])`` for each row, shape (batch,)."""
    from sentence_transformers.util import pairwise_cos_sim

    return scale * pairwise_cos_sim(first, second)


def margin_mse_loss(model: Any, similarity_scale: float) -> Any:
    """sentence-transformers' ``MarginMSELoss`` with the scaled-cosine student score."""
    from sentence_transformers.sentence_transformer.losses import MarginMSELoss

    return MarginMSELoss(model, similarity_fct=functools.partial(scaled_cos_sim, scale=similarity_scale))


def gpl_loss(model: Any, similarity_scale: float, in_batch_weight: float) -> Any:
    """MarginMSE on the teacher's margins, plus ``in_batch_weight`` x an in-batch ranking term.

    The second term is sentence-transformers' ``MultipleNegativesRankingLoss`` on the same rows:
    each query must rank its positive above its own mined negatives and every other row's
    positive and negatives in the batch. MarginMSE alone learns only what the teacher's margins
    say about each query's few negatives; the ranking term adds the whole batch as negatives,
    which is what moved dense retrieval most on this CPU budget (gpl/README.md). Both terms are
    computed from one forward pass. A weight of 0 is plain MarginMSE (GPL as published).
    """
    if in_batch_weight == 0:
        return margin_mse_loss(model, similarity_scale)
    import torch
    from sentence_transformers.base.losses.merged_forward import embed_columns
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    margin = margin_mse_loss(model, similarity_scale)
    ranking = MultipleNegativesRankingLoss(model)

    class MarginMSEWithInBatchRanking(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model
            self.margin = margin
            self.ranking = ranking

        def forward(self, sentence_features: Any, labels: Any) -> Any:
            embeddings = embed_columns(self.model, sentence_features)  # [queries, positives, negatives...]
            return self.margin.compute_loss_from_embeddings(embeddings, labels) + (
                in_batch_weight * self.ranking.compute_loss_from_embeddings(embeddings, labels)
            )

    return MarginMSEWithInBatchRanking()


def calibrate_scale(
    model: Any, labeled: Sequence[LabeledTriplet], *, sample: int = 256, seed: int = 0
) -> float:
    """The similarity scale that puts the student's cosine margins on the teacher's logit scale.

    MarginMSE regresses the student's margin onto the teacher's; with normalised embeddings
    the student's margins live in [-2, 2] while the teacher's raw logits have their own
    spread. The ratio of the two standard deviations, on a sample of triplets, matches them
    before training starts (a mismatch would teach the student to shrink or blow up its margins).

    Raises:
        ValueError: the teacher's margins are all equal (it has nothing to teach).
    """
    import random

    import numpy as np

    chosen = random.Random(seed).sample(list(labeled), min(sample, len(labeled)))
    teacher = np.array([item.margin for item in chosen])
    if float(teacher.std()) <= 1e-9:
        raise ValueError(
            "the teacher gives every triplet the same margin: retrain it (more queries or epochs)"
        )
    encode = lambda texts: model.encode(texts, batch_size=64, normalize_embeddings=True)  # noqa: E731
    queries = encode([item.triplet.query for item in chosen])  # (n, dim)
    positives = encode([item.triplet.positive for item in chosen])
    negatives = encode([item.triplet.negative for item in chosen])
    student = (queries * positives).sum(1) - (queries * negatives).sum(1)  # (n,)
    scale = float(teacher.std() / max(float(student.std()), 1e-6))
    logger.info(
        "similarity scale %.2f (teacher margin std %.3f, student cosine margin std %.4f)",
        scale,
        teacher.std(),
        student.std(),
    )
    return scale


def training_columns(labeled: Sequence[LabeledTriplet]) -> dict[str, list[Any]]:
    """Group triplets by (query, positive) into MarginMSE columns.

    Returns:
        ``query``, ``positive``, ``negative_1`` ... ``negative_n`` and ``label`` (n margins per row).
        A group holding a multiple of the most common negative count (several views of a
        query that drew the same positive document) gives one row per view; other groups are
        left out (the trainer needs one shape per batch).

    Raises:
        ValueError: no triplets.
    """
    if not labeled:
        raise ValueError(
            "no labelled triplets to train on; check the triplets stage's log for skipped queries"
        )
    groups: dict[tuple[str, str, str], list[LabeledTriplet]] = {}
    for item in labeled:
        key = (item.triplet.query_id, item.triplet.query, item.triplet.positive)
        groups.setdefault(key, []).append(item)
    sizes = [len(group) for group in groups.values()]
    num_negatives = max(set(sizes), key=sizes.count)
    columns: dict[str, list[Any]] = {"query": [], "positive": []}
    for index in range(1, num_negatives + 1):
        columns[f"negative_{index}"] = []
    columns["label"] = []
    dropped = 0
    for (_, query, positive), group in groups.items():
        if len(group) % num_negatives:
            dropped += 1
            continue
        # Several views of one query can draw the same positive document: one row per view.
        for start in range(0, len(group), num_negatives):
            row = group[start : start + num_negatives]
            columns["query"].append(query)
            columns["positive"].append(positive)
            for index, item in enumerate(row, 1):
                columns[f"negative_{index}"].append(item.triplet.negative)
            columns["label"].append([item.margin for item in row])
    if dropped:
        logger.warning("%d queries left out: their negative count is not a multiple of %d", dropped, num_negatives)
    return columns


def kept_triplets(labeled: Sequence[LabeledTriplet], min_margin: float | None) -> list[LabeledTriplet]:
    """The triplets whose teacher margin is at least ``min_margin`` (all of them when None).

    Raises:
        ValueError: the filter leaves nothing to train on.
    """
    if min_margin is None:
        return list(labeled)
    kept = [item for item in labeled if item.margin >= min_margin]
    logger.info(
        "kept %d of %d triplets with a teacher margin >= %s (dropped: the teacher ranks the negative "
        "too close to or above the positive)",
        len(kept),
        len(labeled),
        min_margin,
    )
    if labeled and not kept:
        raise ValueError(
            f"no triplet has a teacher margin >= {min_margin}: lower --min-margin or retrain the teacher"
        )
    return kept


def last_checkpoint(checkpoint_dir: Path) -> Path | None:
    """The newest ``checkpoint-<step>`` directory, if any."""
    found = [p for p in checkpoint_dir.glob("checkpoint-*") if p.is_dir() and p.name.split("-")[-1].isdigit()]
    return max(found, key=lambda p: int(p.name.split("-")[-1]), default=None)


def train_encoder(
    labeled: Sequence[LabeledTriplet],
    base_dir: Path,
    output_dir: Path,
    checkpoint_dir: Path,
    config: TrainConfig,
    *,
    device: str = "cpu",
    show_progress_bar: bool | None = None,
) -> Path:
    """Fine-tune the bi-encoder at ``base_dir`` on labelled triplets and save it to ``output_dir``.

    Args:
        labeled: triplets with teacher margins.
        base_dir: the current encoder's directory (the student starts from it).
        output_dir: where the new encoder is written (safetensors); replaced only at the end.
        checkpoint_dir: the trainer's checkpoints; training resumes from the newest one.
        config: steps, batch size, learning rate, similarity scale...
        device: "cpu", "cuda"...
        show_progress_bar: None shows the trainer's bar when logging is at INFO or lower.

    Returns:
        ``output_dir``.

    Raises:
        ValueError: no labelled triplets, or the device is unavailable.
        ModuleNotFoundError: the training extras are not installed.
    """
    require_training_libraries()
    device = resolve_device(device)
    import torch
    from datasets import Dataset
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )

    labeled = kept_triplets(labeled, config.min_margin)
    columns = training_columns(labeled)
    if show_progress_bar is None:
        show_progress_bar = logger.getEffectiveLevel() <= logging.INFO
    torch.manual_seed(config.seed)
    model = SentenceTransformer(str(base_dir), device=device, model_kwargs={"use_safetensors": True})
    model.max_seq_length = config.max_seq_length
    dataset = Dataset.from_dict(columns)
    logger.info(
        "training on %d examples (%d negatives each), example: %s",
        len(dataset),
        len(columns) - 3,
        {name: values[0] for name, values in columns.items()},
    )
    steps_per_epoch = max(1, -(-len(dataset) // config.batch_size))
    total_steps = config.max_steps or int(round(steps_per_epoch * config.epochs))
    args = SentenceTransformerTrainingArguments(
        output_dir=str(checkpoint_dir),
        num_train_epochs=config.epochs,
        max_steps=config.max_steps or -1,
        per_device_train_batch_size=config.batch_size,
        learning_rate=config.learning_rate,
        warmup_steps=int(config.warmup_ratio * total_steps),
        weight_decay=config.weight_decay,
        seed=config.seed,
        use_cpu=device == "cpu",
        fp16=device.startswith("cuda"),
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=1,
        logging_steps=max(1, total_steps // 20),
        report_to="none",
        disable_tqdm=not show_progress_bar,
    )
    scale = config.similarity_scale or calibrate_scale(model, labeled, seed=config.seed)
    trainer = SentenceTransformerTrainer(
        model=model, args=args, train_dataset=dataset, loss=gpl_loss(model, scale, config.in_batch_weight)
    )
    resume = last_checkpoint(checkpoint_dir)
    if resume is not None:
        logger.info("resuming training from %s", resume)
    trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    temporary = output_dir.with_name(output_dir.name + ".tmp")
    shutil.rmtree(temporary, ignore_errors=True)
    model.save(str(temporary), safe_serialization=True)
    shutil.rmtree(output_dir, ignore_errors=True)
    temporary.rename(output_dir)
    shutil.rmtree(checkpoint_dir, ignore_errors=True)
    logger.info("new encoder saved to %s after %d steps", output_dir, trainer.state.global_step)
    return output_dir
