"""The interaction log survives a writer killed with SIGKILL in the middle of appending."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from retriever import FeedbackEvent, InteractionLog, read_interactions

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from retriever import InteractionLog, TurnEvent

    log = InteractionLog(Path(sys.argv[1]))
    number = 0
    while True:  # until killed
        log.append(TurnEvent(session_id="writer", message=f"request {number} " + "x" * 1900,
                             query_text="calm piano", shown=(("t-1", 0.5), ("t-2", 0.25))))
        number += 1
    """
)


def _line_count(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def test_the_log_survives_a_writer_killed_mid_append(tmp_path: Path) -> None:
    path = tmp_path / "interactions.jsonl"
    repo = Path(__file__).resolve().parents[2]
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], cwd=repo, env={**os.environ, "PYTHONPATH": str(repo)}
    )
    try:
        deadline = time.monotonic() + 60
        while _line_count(path) < 30 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    records = list(read_interactions(path))
    assert len(records) >= 30
    assert [int(r.message.split()[1]) for r in records] == list(range(len(records)))  # none lost in between
    assert all(r.shown == (("t-1", 0.5), ("t-2", 0.25)) for r in records)

    # A torn last line, as a kill inside write() leaves it: skipped, and the next append starts a new line.
    with path.open("ab") as handle:
        handle.write(b'{"session_id":"writer","kind":"turn","message":"cut off mid-rec')
    InteractionLog(path).append(FeedbackEvent(session_id="after", track_id="t-1", is_liked=True))
    after = list(read_interactions(path))
    assert len(after) == len(records) + 1
    assert isinstance(after[-1], FeedbackEvent)
    assert (after[-1].session_id, after[-1].track_id, after[-1].is_liked) == ("after", "t-1", True)
