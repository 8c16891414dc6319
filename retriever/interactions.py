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

import enum
import fcntl
import json
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

TrackId = str  # retriever.catalog.TrackId; not imported, so the log has no dependency on the catalogue

logger = logging.getLogger(__name__)

MAX_LOGGED_CHARS = 2000




class EventKind(str, enum.Enum):
    TURN = "turn"
    FEEDBACK = "feedback"


@dataclass(frozen=True)
class TurnEvent:
    """One chat turn: the message, the search the dialogue state made of it, and what was shown.

    `query_text` is the state's recent free text and `query_phrases` the wanted descriptors
    added to it; `search_text` joins them as the searcher embeds them.
    """

    session_id: str
    message: str = ""
    query_text: str = ""
    query_phrases: tuple[str, ...] = ()
    shown: tuple[tuple[TrackId, float], ...] = ()  # (track id, score), in list order
    excluded: tuple[str, ...] = ()
    liked: tuple[TrackId, ...] = ()  # the state's liked tracks after the turn
    time: float = 0.0
    kind: ClassVar[EventKind] = EventKind.TURN

    @property
    def search_text(self) -> str:
        return ". ".join(part for part in (self.query_text.strip(), ", ".join(self.query_phrases)) if part)

    def to_record(self) -> dict[str, object]:
        return {
            "session_id": _logged(self.session_id),
            "kind": self.kind.value,
            "time": self.time,
            "message": _logged(self.message),
            "query_text": _logged(self.query_text),
            "query_phrases": [_logged(p) for p in self.query_phrases],
            "shown": [[track_id, round(score, 5)] for track_id, score in self.shown],
            "excluded": [_logged(d) for d in self.excluded],
            "liked": list(self.liked),
        }


@dataclass(frozen=True)
class FeedbackEvent:
    """A thumbs up (`is_liked`) or down on a shown track."""

    session_id: str
    track_id: TrackId
    is_liked: bool
    time: float = 0.0
    kind: ClassVar[EventKind] = EventKind.FEEDBACK

    def to_record(self) -> dict[str, object]:
        return {"session_id": _logged(self.session_id), "kind": self.kind.value, "time": self.time,
                "track_id": _logged(self.track_id), "is_liked": self.is_liked}


Interaction = TurnEvent | FeedbackEvent


def _logged(text: str) -> str:
    return _valid_text(text[:MAX_LOGGED_CHARS])


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
            interaction = replace(interaction, time=time.time())
        text = json.dumps(interaction.to_record(), ensure_ascii=False, separators=(",", ":"))
        line = text.encode("utf-8", "replace")  # a lone surrogate anywhere becomes "?"
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


def _text(record: dict, key: str) -> str:
    value = record.get(key, "")
    if not isinstance(value, str):
        raise TypeError(f"{key} must be text")
    return value


def _texts(values: object) -> tuple[str, ...]:
    if not isinstance(values, list | tuple):
        raise TypeError("expected a list")
    return tuple(str(value) for value in values)


def _parse_record(raw: bytes) -> Interaction | None:
    """One log line as an event; None for a line that is not a complete record.

    Reads the current fields and those of logs written before the typed events (a turn's
    query as "text | phrase, phrase", feedback in a "feedback" object).
    """
    try:
        record = json.loads(raw.decode("utf-8"))
        if not isinstance(record, dict):
            return None
        moment = record.get("time", 0.0)
        if isinstance(moment, bool) or not isinstance(moment, int | float):
            return None
        session_id = _text(record, "session_id")
        kind = _text(record, "kind")
        legacy = record.get("feedback", {})
        if not isinstance(legacy, dict):
            return None
        if kind == EventKind.FEEDBACK.value:
            track_id = record["track_id"] if "track_id" in record else legacy.get("track_id")
            is_liked = record["is_liked"] if "is_liked" in record else legacy.get("liked")
            if not isinstance(track_id, str) or not isinstance(is_liked, bool):
                return None
            return FeedbackEvent(session_id, track_id, is_liked, float(moment))
        if kind != EventKind.TURN.value:
            return None
        if "query_text" in record:
            query_text, phrases = _text(record, "query_text"), _texts(record.get("query_phrases", []))
        else:
            text, _, joined = _text(record, "query").partition(" | ")
            query_text, phrases = text, tuple(p.strip() for p in joined.split(", ") if p.strip())
        return TurnEvent(
            session_id=session_id,
            message=_text(record, "message"),
            query_text=query_text,
            query_phrases=phrases,
            shown=tuple((str(i), float(s)) for i, s in record.get("shown", ())),
            excluded=_texts(record.get("excluded", legacy.get("excluded", []))),
            liked=_texts(record.get("liked", legacy.get("liked", [])) or []),
            time=float(moment),
        )
    # UnicodeDecodeError is a ValueError; RecursionError comes from JSON nested thousands deep.
    except (json.JSONDecodeError, TypeError, ValueError, RecursionError, KeyError):
        return None
