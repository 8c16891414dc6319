"""Stage ``teacher``: our own music cross-encoder, the source of GPL's margins.

No pretrained cross-encoder can be downloaded here, so we train one: the packaged MiniLM's
transformer body with a fresh one-logit head, on (request, descriptor set) pairs from the
training catalogue. Positives are views of the request's own track; negatives are other
tracks, both hard ones (the bi-encoder's and lexical search's candidates) and random ones.
Binary cross-entropy on the raw logit, through sentence-transformers' ``CrossEncoderTrainer``.

Example:
    >>> pairs = teacher_pairs(queries, candidates, tracks, TeacherConfig())
    >>> train_teacher(pairs, base_dir, Path("runs/demo/teacher"), TeacherConfig())
    >>> CrossEncoderTeacher.load(Path("runs/demo/teacher")).score("calm piano", ["piano, calm", "metal"])
"""

from __future__ import annotations

import logging
import random
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gpl.config import TeacherConfig
from gpl.mining import (
    DESCRIPTOR_SEPARATOR,
    document_text,
    interleave,
    is_near_duplicate,
    mentioned,
    sibling_view,
)
from gpl.records import Candidates, TrainingQuery
from gpl.train import require_training_libraries, resolve_device
from retriever import Track

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TeacherPair:
    """One teacher training example: 1.0 for a view of the request's own track, else 0.0."""

    query: str
    document: str
    label: float


def teacher_pairs(
    queries: Sequence[TrainingQuery],
    candidates: Sequence[Candidates],
    tracks: Sequence[Track],
    config: TeacherConfig,
    *,
    sampled_view_fraction: float = 0.5,
    near_duplicate_jaccard: float = 0.8,
) -> list[TeacherPair]:
    """Labelled pairs for the teacher from requests whose positive track is known.

    Args:
        queries: training requests; only those with a positive are used, at most ``config.max_queries``.
        candidates: their mined candidates (hard negatives).
        tracks: the catalogue (random negatives).
        config: counts and seed.
        sampled_view_fraction: share of documents shown as sampled views.
        near_duplicate_jaccard: candidates this close to the positive are never negatives.

    Returns:
        Shuffled pairs: one positive and up to ``hard_negatives + random_negatives +
        sibling_negatives`` negatives per request (a sibling is another view of the request's own
        track, mostly of what the request does not name; see ``gpl.mining.sibling_view``).
    """
    rng = random.Random(config.seed)
    by_id = {track.id: track for track in tracks}
    candidates_by_query = {c.query_id: c for c in candidates}
    # Only requests that name some of their positive's descriptors: a caption sentence such as
    # "the recording quality is poor" says nothing a descriptor set can be judged against.
    usable = [
        q
        for q in queries
        if any(p in by_id and mentioned(q.text, by_id[p].descriptors) for p in q.positive_ids)
    ][: config.max_queries]
    pairs: list[TeacherPair] = []
    for query in usable:
        positive = next(
            by_id[p] for p in query.positive_ids if p in by_id and mentioned(query.text, by_id[p].descriptors)
        )
        found = candidates_by_query.get(query.query_id)
        hard = (
            []
            if found is None
            else [
                track_id
                for track_id in interleave(found.dense, found.lexical)
                if track_id in by_id
                and track_id not in query.positive_ids
                and not is_near_duplicate(by_id[track_id], positive, near_duplicate_jaccard)
            ]
        )
        negatives = rng.sample(hard, min(config.hard_negatives, len(hard)))
        wanted = len(negatives) + config.random_negatives
        for _ in range(10 * config.random_negatives):  # bounded: a tiny catalogue may have no valid one
            if len(negatives) >= wanted:
                break
            track = rng.choice(tracks)
            if track.id not in query.positive_ids and not is_near_duplicate(
                track, positive, near_duplicate_jaccard
            ):
                negatives.append(track.id)
        positive_text = document_text(
            query.text, positive, rng, rng.random() < sampled_view_fraction, is_positive=True
        )
        pairs.append(TeacherPair(query.text, positive_text, 1.0))
        wanted = {d.lower() for d in mentioned(query.text, positive_text.split(DESCRIPTOR_SEPARATOR))}
        for negative_id in negatives:
            negative_text = document_text(
                query.text, by_id[negative_id], rng, rng.random() < sampled_view_fraction
            )
            covered = {d.lower() for d in mentioned(query.text, negative_text.split(DESCRIPTOR_SEPARATOR))}
            if wanted and wanted <= covered:
                continue  # it names everything the positive names: not a trustworthy negative
            pairs.append(TeacherPair(query.text, negative_text, 0.0))
        for _ in range(config.sibling_negatives):
            sibling = sibling_view(query.text, positive.descriptors, rng)
            if sibling is not None:
                pairs.append(TeacherPair(query.text, DESCRIPTOR_SEPARATOR.join(sibling), 0.0))
    rng.shuffle(pairs)
    logger.info(
        "%d teacher pairs (%d positive) from %d requests",
        len(pairs),
        sum(p.label == 1.0 for p in pairs),
        len(usable),
    )
    if pairs:
        logger.info("example teacher pair: %s", pairs[0])
    return pairs


def train_teacher(
    pairs: Sequence[TeacherPair],
    base_dir: Path,
    output_dir: Path,
    config: TeacherConfig,
    *,
    device: str = "cpu",
    show_progress_bar: bool | None = None,
) -> Path:
    """Train the cross-encoder teacher and save it (safetensors) to ``output_dir``.

    Args:
        pairs: labelled (request, document) pairs.
        base_dir: a local transformer directory to start from (the packaged MiniLM).
        output_dir: where the trained teacher is written; replaced only once training finished.
        config: epochs, batch size, learning rate, max length, seed.
        device: "cpu", "cuda"...
        show_progress_bar: None shows the trainer's bar when logging is at INFO or lower.

    Returns:
        ``output_dir``.

    Raises:
        ValueError: no pairs, or only one class.
        ModuleNotFoundError: the training extras are not installed.
    """
    if not pairs or len({p.label for p in pairs}) < 2:
        raise ValueError(
            f"the teacher needs positive and negative pairs, got {len(pairs)} pairs; the catalogue needs tracks "
            "with descriptors (and captions or templates enabled)"
        )
    require_training_libraries()
    import torch
    from datasets import Dataset
    from sentence_transformers.cross_encoder import (
        CrossEncoder,
        CrossEncoderTrainer,
        CrossEncoderTrainingArguments,
    )
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss

    device = resolve_device(device)
    if show_progress_bar is None:
        show_progress_bar = logger.getEffectiveLevel() <= logging.INFO
    torch.manual_seed(config.seed)
    model = CrossEncoder(
        str(base_dir),
        num_labels=1,
        max_length=config.max_length,
        device=device,
        activation_fn=torch.nn.Identity(),
    )
    dataset = Dataset.from_dict(
        {
            "query": [p.query for p in pairs],
            "document": [p.document for p in pairs],
            "label": [p.label for p in pairs],
        }
    )
    work_dir = output_dir.with_name(output_dir.name + "-work")
    args = CrossEncoderTrainingArguments(
        output_dir=str(work_dir),
        num_train_epochs=config.epochs,
        per_device_train_batch_size=config.batch_size,
        learning_rate=config.learning_rate,
        warmup_steps=int(config.warmup_ratio * config.epochs * -(-len(pairs) // config.batch_size)),
        seed=config.seed,
        use_cpu=device == "cpu",
        save_strategy="no",
        logging_steps=max(1, len(pairs) // config.batch_size // 10),
        report_to="none",
        disable_tqdm=not show_progress_bar,
    )
    num_positive = sum(p.label > 0.5 for p in pairs)
    # Balanced classes: a request has one positive and several negatives, and an unweighted loss is
    # mostly satisfied by predicting the base rate.
    pos_weight = torch.tensor((len(pairs) - num_positive) / max(num_positive, 1))
    trainer = CrossEncoderTrainer(
        model=model,
        args=args,
        train_dataset=dataset,
        loss=BinaryCrossEntropyLoss(model, pos_weight=pos_weight),
    )
    trainer.train()
    temporary = output_dir.with_name(output_dir.name + ".tmp")
    shutil.rmtree(temporary, ignore_errors=True)
    model.save_pretrained(str(temporary), safe_serialization=True)
    shutil.rmtree(output_dir, ignore_errors=True)
    temporary.rename(output_dir)
    shutil.rmtree(work_dir, ignore_errors=True)
    logger.info("teacher saved to %s", output_dir)
    return output_dir


class CrossEncoderTeacher:
    """A trained cross-encoder that returns raw logits (no sigmoid)."""

    def __init__(self, model: object) -> None:
        self.model = model

    @classmethod
    def load(cls, path: Path, *, device: str = "cpu", max_length: int = 128) -> CrossEncoderTeacher:
        """Load a teacher saved by :func:`train_teacher`.

        Raises:
            FileNotFoundError: ``path`` is not a model directory.
        """
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"{path}: not a cross-encoder directory (no config.json)")
        import torch
        from sentence_transformers.cross_encoder import CrossEncoder

        model = CrossEncoder(
            str(path),
            device=resolve_device(device),
            max_length=max_length,
            activation_fn=torch.nn.Identity(),
            model_kwargs={"use_safetensors": True},
        )
        return cls(model)

    def score_pairs(
        self, pairs: Sequence[tuple[str, str]], *, batch_size: int = 64, show_progress_bar: bool | None = None
    ) -> np.ndarray:
        """Raw logits for (request, document) pairs, shape (len(pairs),)."""
        if not pairs:
            return np.zeros(0, dtype=np.float32)
        if show_progress_bar is None:
            show_progress_bar = len(pairs) > 256 and logger.getEffectiveLevel() <= logging.INFO
        scores = self.model.predict(  # type: ignore[attr-defined]
            [list(pair) for pair in pairs],
            batch_size=batch_size,
            show_progress_bar=show_progress_bar,
            convert_to_numpy=True,
        )
        return np.asarray(scores, dtype=np.float32).reshape(len(pairs))

    def score(self, query: str, documents: Sequence[str]) -> list[float]:
        """Raw logits of each document for one request."""
        return self.score_pairs([(query, document) for document in documents]).tolist()
