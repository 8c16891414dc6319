"""Stage skipping: only when config, input hashes and the artifacts on disk all still match."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from gpl import RunManifest, fingerprint


@dataclass(frozen=True)
class StageSettings:
    num_negatives: int = 3


class CountingStage:
    """Writes its artifact from its input, counting how often it actually ran."""

    def __init__(self, source: Path, target: Path) -> None:
        self.source, self.target, self.runs = source, target, 0

    def __call__(self) -> None:
        self.runs += 1
        self.target.write_text(self.source.read_text().upper())


@pytest.fixture()
def stage(tmp_path: Path) -> CountingStage:
    source = tmp_path / "log.jsonl"
    source.write_text("a request\n")
    return CountingStage(source, tmp_path / "run" / "triplets.jsonl")


def _run(manifest: RunManifest, stage: CountingStage, settings: StageSettings = StageSettings()) -> bool:
    stage.target.parent.mkdir(parents=True, exist_ok=True)
    return manifest.run_stage(
        "triplets", settings, {"log": stage.source, "encoder": "minilm@abc"}, [stage.target], stage
    )


def test_a_rerun_with_the_same_manifest_is_skipped(tmp_path: Path, stage: CountingStage) -> None:
    manifest = RunManifest(tmp_path / "run")
    assert _run(manifest, stage) is True
    assert _run(RunManifest(tmp_path / "run"), stage) is False  # a fresh process reads the same manifest
    assert stage.runs == 1
    record = manifest.stages()["triplets"]
    assert record.config == {"num_negatives": 3}
    assert record.inputs == {"log": fingerprint(stage.source), "encoder": "minilm@abc"}
    assert record.outputs == {"triplets.jsonl": fingerprint(stage.target)}


def test_a_changed_config_redoes_the_stage(tmp_path: Path, stage: CountingStage) -> None:
    manifest = RunManifest(tmp_path / "run")
    _run(manifest, stage)
    assert _run(manifest, stage, StageSettings(num_negatives=5)) is True
    assert _run(manifest, stage, StageSettings(num_negatives=5)) is False
    assert stage.runs == 2


def test_a_changed_input_redoes_the_stage(tmp_path: Path, stage: CountingStage) -> None:
    manifest = RunManifest(tmp_path / "run")
    _run(manifest, stage)
    stage.source.write_text("a request\nanother request\n")
    assert _run(manifest, stage) is True
    assert stage.target.read_text() == "A REQUEST\nANOTHER REQUEST\n"


def test_a_stale_or_missing_artifact_redoes_the_stage(tmp_path: Path, stage: CountingStage) -> None:
    manifest = RunManifest(tmp_path / "run")
    _run(manifest, stage)
    stage.target.write_text("edited by hand\n")
    assert _run(manifest, stage) is True
    stage.target.unlink()
    assert _run(manifest, stage) is True
    assert stage.runs == 3


def test_a_stage_that_writes_nothing_is_an_error(tmp_path: Path) -> None:
    manifest = RunManifest(tmp_path / "run")
    with pytest.raises(RuntimeError, match="finished without writing"):
        manifest.run_stage("labels", {}, {}, [tmp_path / "run" / "labels.jsonl"], lambda: None)
    assert "labels" not in manifest.stages()


def test_a_directory_fingerprint_changes_with_any_file(tmp_path: Path) -> None:
    (tmp_path / "encoder" / "1_Pooling").mkdir(parents=True)
    (tmp_path / "encoder" / "1_Pooling" / "config.json").write_text("{}")
    before = fingerprint(tmp_path / "encoder")
    (tmp_path / "encoder" / "1_Pooling" / "config.json").write_text('{"mean": true}')
    assert fingerprint(tmp_path / "encoder") != before
