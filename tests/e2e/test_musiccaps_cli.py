"""Index all 5,521 MusicCaps clips with the CLI, then ask two turns (the slice's acceptance check)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import tunetalk

pytestmark = pytest.mark.e2e


def test_index_musiccaps_and_ask(shared_data: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "mc"
    result = tunetalk("index", str(shared_data / "musiccaps" / "musiccaps-public.csv"), "--format", "musiccaps",
                      "--index-dir", str(index_dir), timeout=900)
    assert result.returncode == 0, result.stderr
    assert "indexed 5521 tracks" in result.stdout
    result = tunetalk("ask", "--index-dir", str(index_dir), "--json", "--no-log",
                      "steel drums, amateur recording", "more upbeat")
    assert result.returncode == 0, result.stderr
    turns = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(turns) == 2 and all(len(turn["results"]) == 10 for turn in turns)
    assert any("steel drum" in " ".join(r["descriptors"]) for r in turns[0]["results"][:3])
