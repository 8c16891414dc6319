"""Resumable stages: ``runs/<run_name>/manifest.json`` records, per stage, its config, the
hashes of its inputs and of the artifacts it wrote.

A stage is skipped only when all three still match: same config, same input hashes, and
its artifacts on disk hash to what it recorded. A file that merely exists can be stale
(UKPLab gpl skips on presence alone); a changed log, catalogue, teacher or setting redoes
the stage, and because each stage's inputs include the previous stage's artifact hash, the
change flows downstream.

Example:
    >>> manifest = RunManifest(Path("runs/demo"))
    >>> manifest.run_stage("queries", {"seed": 0}, {"log": log_path}, [queries_path], build_queries)
    True
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1


def fingerprint(path: Path) -> str:
    """sha256 of a file, or of a directory's (relative path, file hash) pairs in sorted order.

    Raises:
        FileNotFoundError: the path does not exist.
    """
    if path.is_file():
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()
    if path.is_dir():
        digest = hashlib.sha256()
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(str(child.relative_to(path)).encode("utf-8") + b"\0")
            digest.update(fingerprint(child).encode("ascii"))
        return digest.hexdigest()
    raise FileNotFoundError(f"{path}: cannot fingerprint a path that does not exist")


def plain(value: Any) -> Any:
    """A JSON-comparable form of a config: dataclasses, paths, enums and tuples made plain."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: plain(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


@dataclasses.dataclass(frozen=True)
class StageRecord:
    """What one finished stage wrote into the manifest."""

    config: dict[str, Any]
    inputs: dict[str, str]  # input name => sha256 (files, dirs) or a literal identity string
    outputs: dict[str, str]  # artifact path relative to the run dir => sha256
    seconds: float  # wall clock
    finished_at: float
    cpu_seconds: float = (
        0.0  # CPU time of this process, all threads (wall clock overstates it on a busy machine)
    )


class RunManifest:
    """The manifest of one run directory; read and written atomically."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.path = run_dir / MANIFEST_NAME

    def stages(self) -> dict[str, StageRecord]:
        """Every stage recorded so far (an unreadable manifest counts as empty, with a warning)."""
        if not self.path.is_file():
            return {}
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return {name: StageRecord(**record) for name, record in raw.get("stages", {}).items()}
        except (json.JSONDecodeError, TypeError) as error:
            logger.warning("%s is not a valid manifest (%s): every stage will run again", self.path, error)
            return {}

    def _write(self, stages: Mapping[str, StageRecord]) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        payload = {
            "version": MANIFEST_VERSION,
            "stages": {name: dataclasses.asdict(record) for name, record in stages.items()},
        }
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(temporary, self.path)

    def hash_inputs(self, inputs: Mapping[str, Path | str]) -> dict[str, str]:
        return {
            name: fingerprint(value) if isinstance(value, Path) else value for name, value in inputs.items()
        }

    def is_current(self, stage: str, config: Any, inputs: Mapping[str, Path | str]) -> bool:
        """Whether ``stage`` already ran with this config and these inputs and its artifacts are intact."""
        record = self.stages().get(stage)
        if record is None:
            return False
        if record.config != plain(config):
            logger.info("stage %s: config changed, running it again", stage)
            return False
        if record.inputs != self.hash_inputs(inputs):
            logger.info("stage %s: an input changed, running it again", stage)
            return False
        for relative, expected in record.outputs.items():
            artifact = self.run_dir / relative
            if not artifact.exists() or fingerprint(artifact) != expected:
                logger.info(
                    "stage %s: artifact %s is missing or was modified, running it again", stage, relative
                )
                return False
        return True

    def record(
        self,
        stage: str,
        config: Any,
        inputs: Mapping[str, Path | str],
        outputs: Sequence[Path],
        seconds: float,
        cpu_seconds: float = 0.0,
    ) -> StageRecord:
        """Record a finished stage (its artifacts must exist)."""
        record = StageRecord(
            config=plain(config),
            inputs=self.hash_inputs(inputs),
            outputs={str(path.relative_to(self.run_dir)): fingerprint(path) for path in outputs},
            seconds=round(seconds, 2),
            finished_at=time.time(),
            cpu_seconds=round(cpu_seconds, 2),
        )
        stages = self.stages()
        stages[stage] = record
        self._write(stages)
        return record

    def run_stage(
        self,
        stage: str,
        config: Any,
        inputs: Mapping[str, Path | str],
        outputs: Sequence[Path],
        build: Callable[[], object],
    ) -> bool:
        """Run ``build`` unless the stage is current; record it afterwards.

        Args:
            stage: the stage name, e.g. "queries".
            config: the stage's config (a dataclass or plain data); part of the match.
            inputs: name => file/dir path (hashed) or identity string.
            outputs: the artifacts ``build`` writes, under the run dir.
            build: does the work.

        Returns:
            True if the stage ran, False if it was skipped.

        Raises:
            RuntimeError: ``build`` returned without writing one of its artifacts.
        """
        if self.is_current(stage, config, inputs):
            logger.info("stage %s: up to date (manifest matches), skipped", stage)
            return False
        started, cpu_started = time.perf_counter(), time.process_time()
        build()
        missing = [str(path) for path in outputs if not path.exists()]
        if missing:
            raise RuntimeError(f"stage {stage} finished without writing {missing}")
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
        self.record(stage, config, inputs, outputs, seconds, cpu_seconds)
        logger.info("stage %s: done in %.1fs (%.1fs CPU)", stage, seconds, cpu_seconds)
        return True
