"""`retriever.server`: a clear error when there is no `chroma` command (the e2e test runs a real server)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from retriever import StoreError
from retriever import server


def test_a_missing_chroma_command_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "bin" / "python"))
    monkeypatch.setattr(server.shutil, "which", lambda name: None)
    with pytest.raises(StoreError, match="pip install -e"), server.chroma_server(tmp_path / "data"):
        pass
    assert list(tmp_path.iterdir()) == []  # nothing started, nothing written


def test_free_ports_are_bindable() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind((server.LOOPBACK, server.free_port()))
