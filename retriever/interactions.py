"""The interaction log: what the chat writes and GPL reads. Append-only JSONL, crash-safe.

Every record is one line written with a single ``write`` on an ``O_APPEND`` descriptor
under an exclusive ``flock``, then flushed and fsynced before the turn is acknowledged.
Two processes can append to the same file; a process killed mid-write leaves at most a
partial last line, which the reader skips (and the next append starts on a new line).
The file is created readable by its owner only and holds no more than retrieval needs:
session id, time, message, the query the state produced, shown track ids with scores,
and feedback.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

MAX_LOGGED_CHARS = 2000


@dataclass(frozen=True)
class Interaction:
    """One logged event: a chat turn (kind="turn") or feedback on a shown track (kind="feedback")."""

    session_id: str
    kind: str
    message: str = ""
    query: str = ""
    shown: tuple[tuple[str, float], ...] = ()
    feedback: dict[str, object] = field(default_factory=dict)
    time: float = 0.0

    def to_json(self) -> str:
        record = asdict(self)
        record["shown"] = [[track_id, round(score, 5)] for track_id, score in self.shown]
        record["message"] = self.message[:MAX_LOGGED_CHARS]
        record["query"] = self.query[:MAX_LOGGED_CHARS]
        return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


class InteractionLog:
    """Appends interactions to a JSONL file; `enabled=False` turns logging off."""

    def __init__(self, path: Path, *, enabled: bool = True) -> None:
        self.path = path
        self.enabled = enabled
        if enabled:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            os.close(fd)

    def append(self, interaction: Interaction) -> None:
        if not self.enabled:
            return
        if not interaction.time:
            interaction = Interaction(**{**asdict(interaction), "time": time.time(),
                                         "shown": interaction.shown})
        line = interaction.to_json().encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            # A writer killed mid-line leaves no newline at the end: start ours on a fresh line.
            size = os.fstat(fd).st_size
            prefix = b""
            if size:
                with open(self.path, "rb") as reader:
                    reader.seek(size - 1)
                    if reader.read(1) != b"\n":
                        prefix = b"\n"
            os.write(fd, prefix + line + b"\n")
            os.fsync(fd)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def read_interactions(path: Path) -> Iterator[Interaction]:
    """Stream the log; lines that are not complete JSON records (a crash mid-write) are skipped."""
    if not path.exists():
        return
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            try:
                record = json.loads(raw.decode("utf-8"))
                record["shown"] = tuple((str(i), float(s)) for i, s in record.get("shown", ()))
                yield Interaction(**record)
            except (UnicodeDecodeError, json.JSONDecodeError, TypeError, ValueError):
                logger.warning("%s line %d: not a complete record, skipped", path, number)


def shown_pairs(ids: Sequence[str], scores: Sequence[float]) -> tuple[tuple[str, float], ...]:
    return tuple(zip(ids, (float(s) for s in scores)))
