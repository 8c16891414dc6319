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
        record["session_id"] = _valid_text(self.session_id)[:MAX_LOGGED_CHARS]
        record["message"] = _valid_text(self.message[:MAX_LOGGED_CHARS])
        record["query"] = _valid_text(self.query[:MAX_LOGGED_CHARS])
        return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def _valid_text(text: str) -> str:
    """Text that encodes as UTF-8: a lone surrogate (valid in JSON from a browser) becomes "?"."""
    return text.encode("utf-8", "replace").decode("utf-8")


class InteractionLog:
    """Appends interactions to a JSONL file; `enabled=False` turns logging off."""

    def __init__(self, path: Path, *, enabled: bool = True) -> None:
        self.path = path
        self.enabled = enabled
        if enabled:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                # O_CREAT's mode only applies to a new file: tighten one made earlier by other means.
                mode = os.fstat(fd).st_mode & 0o777
                if mode & 0o077:
                    logger.warning("%s was readable by others (mode %o); setting it to 600", path, mode)
                    os.fchmod(fd, 0o600)
            finally:
                os.close(fd)

    def append(self, interaction: Interaction) -> None:
        if not self.enabled:
            return
        if not interaction.time:
            interaction = Interaction(**{**asdict(interaction), "time": time.time(),
                                         "shown": interaction.shown})
        line = interaction.to_json().encode("utf-8", "replace")  # a lone surrogate anywhere becomes "?"
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
            data = memoryview(prefix + line + b"\n")
            while data:  # os.write may write less than asked (e.g. interrupted); never leave half a record
                data = data[os.write(fd, data) :]
            os.fsync(fd)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def read_interactions(path: Path) -> Iterator[Interaction]:
    """Stream the log; lines that are not complete records (a crash mid-write) are skipped."""
    if not path.exists():
        return
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            interaction = _parse_record(raw)
            if interaction is None:
                logger.warning("%s line %d: not a complete record, skipped", path, number)
                continue
            yield interaction


_TEXT_FIELDS = ("session_id", "kind", "message", "query")


def _parse_record(raw: bytes) -> Interaction | None:
    try:
        record = json.loads(raw.decode("utf-8"))
        if not isinstance(record, dict) or not all(isinstance(record.get(k, ""), str) for k in _TEXT_FIELDS):
            return None
        moment = record.get("time", 0.0)
        if isinstance(moment, bool) or not isinstance(moment, int | float):
            return None
        if not isinstance(record.get("feedback", {}), dict):
            return None
        record["shown"] = tuple((str(i), float(s)) for i, s in record.get("shown", ()))
        record["time"] = float(record.get("time", 0.0))
        return Interaction(**record)
    # UnicodeDecodeError is a ValueError; RecursionError comes from JSON nested thousands deep.
    except (json.JSONDecodeError, TypeError, ValueError, RecursionError):
        return None


def shown_pairs(ids: Sequence[str], scores: Sequence[float]) -> tuple[tuple[str, float], ...]:
    return tuple(zip(ids, (float(s) for s in scores)))
