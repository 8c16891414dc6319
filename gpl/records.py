"""The typed records that flow through the adapt pipeline, their JSONL files, and the scoring seams.

log -> TrainingQuery[] -> Candidates[] -> Triplet[] -> LabeledTriplet[] -> encoder dir.
The ``Reranker`` and ``PairScorer`` protocols live here, beside the records, because the
stages that consume a teacher (mining, labels, evaluation) must not import the module that
trains one (``gpl.teacher`` builds its documents with ``gpl.mining``).
Every artifact is written to a temporary file and moved into place with ``os.replace``,
so a stage killed mid-write never leaves a half file under the artifact's name.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np

from retriever import TrackId

QueryId = str


@dataclass(frozen=True)
class TrainingQuery:
    """One request to adapt on, with what is known about the tracks it wants.

    ``positive_ids`` are tracks the user liked or acted on (or, for a synthetic request, the
    track it was written from); when empty, the teacher picks the positive among the
    candidates. ``shown_ids`` are the tracks the chat showed for it, if it came from the log.
    """

    query_id: QueryId
    text: str
    source: str  # "log-message", "log-query", "caption", "template", "simulated"
    positive_ids: tuple[TrackId, ...] = ()
    shown_ids: tuple[TrackId, ...] = ()


@dataclass(frozen=True)
class Candidates:
    """The catalogue tracks one query retrieves with the current bi-encoder and lexical search."""

    query_id: QueryId
    dense: tuple[TrackId, ...]  # best first
    lexical: tuple[TrackId, ...]  # best first


@dataclass(frozen=True)
class Triplet:
    """(query, positive document, hard negative document), the unit GPL labels and trains on."""

    query_id: QueryId
    query: str
    positive_id: TrackId
    positive: str
    negative_id: TrackId
    negative: str


@dataclass(frozen=True)
class LabeledTriplet:
    """A triplet with the teacher's raw logits; ``margin = positive_score - negative_score``."""

    triplet: Triplet
    positive_score: float
    negative_score: float

    @property
    def margin(self) -> float:
        return self.positive_score - self.negative_score


class Reranker(Protocol):
    """Scores documents for one request (higher is better)."""

    def score(self, query: str, documents: Sequence[str]) -> list[float]: ...


class PairScorer(Protocol):
    """Scores many (request, document) pairs at once: raw logits, shape (len(pairs),)."""

    def score_pairs(
        self, pairs: Sequence[tuple[str, str]], *, batch_size: int = 64, show_progress_bar: bool | None = None
    ) -> np.ndarray: ...


RecordT = TypeVar("RecordT", TrainingQuery, Candidates, Triplet, LabeledTriplet)


def _to_json(record: TrainingQuery | Candidates | Triplet | LabeledTriplet) -> dict[str, Any]:
    data = asdict(record)
    if isinstance(record, LabeledTriplet):
        data["margin"] = record.margin
    return data


def _from_json(kind: type[RecordT], data: dict[str, Any]) -> RecordT:
    if kind is LabeledTriplet:
        return LabeledTriplet(  # type: ignore[return-value]
            Triplet(**data["triplet"]), float(data["positive_score"]), float(data["negative_score"])
        )
    if kind is TrainingQuery:
        return TrainingQuery(  # type: ignore[return-value]
            **{**data, "positive_ids": tuple(data["positive_ids"]), "shown_ids": tuple(data["shown_ids"])}
        )
    if kind is Candidates:
        return Candidates(  # type: ignore[return-value]
            data["query_id"], tuple(data["dense"]), tuple(data["lexical"])
        )
    return kind(**data)


def write_jsonl(path: Path, records: Iterable[TrainingQuery | Candidates | Triplet | LabeledTriplet]) -> int:
    """Write records atomically (temp file, fsync, ``os.replace``).

    Returns:
        How many records were written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    count = 0
    with temporary.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(_to_json(record), ensure_ascii=False) + "\n")
            count += 1
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return count


def read_jsonl(path: Path, kind: type[RecordT]) -> Iterator[RecordT]:
    """Stream records of one kind from a file written by :func:`write_jsonl`.

    Raises:
        FileNotFoundError: the artifact does not exist (run its stage first).
        ValueError: a line is not a record of that kind.
    """
    if not path.is_file():
        raise FileNotFoundError(f"{path}: artifact not found; run the stage that writes it first")
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            try:
                yield _from_json(kind, json.loads(line))
            except (json.JSONDecodeError, TypeError, KeyError) as error:
                raise ValueError(
                    f"{path}:{number}: expected a {kind.__name__} record, got {line[:80]!r} ({error}). "
                    "Delete the file to rebuild it."
                ) from error
