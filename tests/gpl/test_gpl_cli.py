"""`tunetalk train` arguments: --device cuda is accepted, bad values are clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpl.cli import build_parser, config_from_args, main
from gpl.config import GPLConfig, TrainConfig
from gpl.train import resolve_device


def _config(tiny_catalogue: Path, *extra: str) -> GPLConfig:
    args = build_parser().parse_args([str(tiny_catalogue), "--no-log", *extra])
    return config_from_args(args, default_log=Path("unused.jsonl"))


def test_device_cuda_is_accepted(tiny_catalogue: Path, tmp_path: Path) -> None:
    config = _config(
        tiny_catalogue,
        "--device",
        "cuda",
        "--runs-dir",
        str(tmp_path),
        "--run-name",
        "r1",
        "--max-steps",
        "7",
        "--gate-columns",
        "caption_writing,caption_summary",
        "--gate-seeds",
        "0,1",
        "--training-seeds",
        "2",
    )
    assert config.device == "cuda"
    assert config.run_dir == tmp_path / "r1"
    assert config.training.max_steps == 7
    assert config.gate.query_columns == ("caption_writing", "caption_summary") and config.gate.seeds == (0, 1)
    assert config.gate.training_seeds == 2 and _config(tiny_catalogue).gate.training_seeds == 1
    assert _config(tiny_catalogue, "--device", "cuda:1").device == "cuda:1"


def test_bad_values_are_reported(tiny_catalogue: Path) -> None:
    with pytest.raises(ValueError, match="device must be cpu, cuda, cuda:N or mps, got 'gpu'"):
        _config(tiny_catalogue, "--device", "gpu")
    with pytest.raises(ValueError, match="batch_size must be > 0, got 0"):
        _config(tiny_catalogue, "--batch-size", "0")
    with pytest.raises(ValueError, match="training_seeds must be > 0, got 0"):
        _config(tiny_catalogue, "--training-seeds", "0")
    with pytest.raises(FileNotFoundError, match="no such file"):
        _config(tiny_catalogue.with_name("missing.jsonl"))


def test_cuda_without_a_gpu_says_what_to_do() -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA; the error path is for CPU-only machines")
    with pytest.raises(ValueError, match="torch sees no CUDA device.*Use --device cpu"):
        resolve_device("cuda")


def test_main_reports_errors_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--", str(tmp_path / "missing.jsonl"), "--no-log", "--quiet"]
    assert main(argv, home=tmp_path, default_log=tmp_path / "log.jsonl", benchmark_path=None) == 2
    assert capsys.readouterr().err.strip().startswith("tunetalk train: error: catalogue")


def test_the_chat_turn_scorer_is_built_for_the_gate_unless_switched_off(tmp_path: Path) -> None:
    built: list[tuple[GPLConfig, bool]] = []

    def factory(config: GPLConfig, builtin: bool):  # noqa: ANN202 - what tunetalk/cli.py passes
        built.append((config, builtin))
        return None

    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    argv = [str(empty), "--format", "jsonl", "--no-log", "--quiet"]
    common = dict(home=tmp_path, default_log=tmp_path / "log.jsonl", benchmark_path=None, turn_scorer=factory)
    assert main(argv, **common) == 2  # the empty catalogue is found when the run opens, after the scorer is built
    assert len(built) == 1 and built[0][1] is False and built[0][0].catalogue == empty
    assert main([*argv, "--no-gate-chat"], **common) == 2
    assert len(built) == 1  # --no-gate-chat: no scorer


def test_tunetalk_train_help_lists_the_gpl_options(capsys: pytest.CaptureFixture[str]) -> None:
    from tunetalk.cli import main as tunetalk_main

    with pytest.raises(SystemExit) as raised:
        tunetalk_main(["-v", "train", "--help"])
    assert raised.value.code == 0
    shown = capsys.readouterr().out
    assert "usage: tunetalk train" in shown and "--in-batch-weight" in shown and "--teacher-queries" in shown


def test_a_message_that_says_train_is_still_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    from tunetalk.cli import main as tunetalk_main

    with pytest.raises(SystemExit):
        tunetalk_main(["ask", "train", "--help"])
    assert "usage: tunetalk ask" in capsys.readouterr().out


def test_in_batch_weight_reaches_the_training_config(tiny_catalogue: Path) -> None:
    assert _config(tiny_catalogue).training.in_batch_weight == TrainConfig().in_batch_weight == 8.0
    assert _config(tiny_catalogue, "--in-batch-weight", "0").training.in_batch_weight == 0.0


def test_the_denoising_options_reach_their_configs_and_can_be_switched_off(tiny_catalogue: Path) -> None:
    default = _config(tiny_catalogue)
    assert (default.training.min_margin, default.mining.negative_depth, default.queries.caption_needs_mention) == (
        0.0, 10, True,
    )
    off = _config(
        tiny_catalogue, "--min-margin", "none", "--negative-depth", "none", "--no-caption-needs-mention"
    )
    assert (off.training.min_margin, off.mining.negative_depth, off.queries.caption_needs_mention) == (
        None, None, False,
    )
    assert _config(tiny_catalogue, "--min-margin", "-1.5").training.min_margin == -1.5


def test_the_view_and_sibling_options_reach_their_configs(tiny_catalogue: Path) -> None:
    default = _config(tiny_catalogue)  # run 6's measured recipe (gpl/README.md)
    assert (default.mining.views_per_query, default.mining.sibling_fraction) == (2, 1.0)
    assert (default.queries.templates_per_track, default.teacher_training.sibling_negatives) == (2, 1)
    assert (default.training.batch_size, default.training.learning_rate) == (64, 1e-4)
    config = _config(
        tiny_catalogue, "--views-per-query", "3", "--sibling-fraction", "0.5", "--teacher-sibling-negatives", "2"
    )
    assert (config.mining.views_per_query, config.mining.sibling_fraction) == (3, 0.5)
    assert config.teacher_training.sibling_negatives == 2
    with pytest.raises(ValueError, match="sibling_fraction"):
        _config(tiny_catalogue, "--sibling-fraction", "2")


def test_the_default_log_and_benchmark_come_from_the_caller(tiny_catalogue: Path, tmp_path: Path) -> None:
    log, benchmark = tmp_path / "chat.jsonl", tmp_path / "test.csv"
    args = build_parser().parse_args([str(tiny_catalogue)])
    config = config_from_args(args, default_log=log, benchmark_path=benchmark)
    assert config.log == log
    assert config.gate.benchmark is None  # the default benchmark is used only when it exists
    benchmark.write_text("track_id\n")
    assert config_from_args(args, default_log=log, benchmark_path=benchmark).gate.benchmark == benchmark
    explicit = build_parser().parse_args([str(tiny_catalogue), "--log", "mine.jsonl", "--no-gate-benchmark"])
    config = config_from_args(explicit, default_log=log, benchmark_path=benchmark)
    assert (config.log, config.gate.benchmark) == (Path("mine.jsonl"), None)


def test_tunetalk_passes_the_environment_s_paths_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tunetalk.cli import main as tunetalk_main

    monkeypatch.setenv("COLUMNS", "1000")  # argparse would wrap the long paths
    monkeypatch.setenv("TUNETALK_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TUNETALK_LOG", raising=False)
    with pytest.raises(SystemExit):
        tunetalk_main(["train", "--help"])
    shown = capsys.readouterr().out
    assert f"the chat's log, {tmp_path / 'home' / 'interactions.jsonl'})" in shown
    assert f"The tunetalk home is {tmp_path / 'home'}." in shown
    monkeypatch.setenv("TUNETALK_LOG", str(tmp_path / "elsewhere.jsonl"))
    with pytest.raises(SystemExit):
        tunetalk_main(["train", "--help"])
    assert f"the chat's log, {tmp_path / 'elsewhere.jsonl'})" in capsys.readouterr().out


def test_no_gpl_module_reads_the_environment() -> None:
    import ast

    import gpl

    readers = []
    for path in sorted(Path(gpl.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv", "environb"}:
                readers.append(f"{path.name}:{node.lineno}")
            if isinstance(node, ast.ImportFrom) and node.module == "os":
                readers += [f"{path.name}:{node.lineno}" for a in node.names if "env" in a.name]
    assert readers == []


def test_status_names_the_base_encoder_then_the_switched_generation_with_its_gate(tmp_path: Path,
                                                                                 capsys: pytest.CaptureFixture) -> None:
    import json

    from retriever import builtin_trained_dir

    assert main(["--status"], home=tmp_path, default_log=tmp_path / "log.jsonl", benchmark_path=None) == 0
    assert "base encoder sentence-transformers/all-MiniLM-L6-v2" in capsys.readouterr().out
    generation = builtin_trained_dir(tmp_path) / "generations" / "builtin-abc"
    (generation / "index").mkdir(parents=True)
    (generation / "READY").write_text("done\n")
    (generation / "gate.json").write_text(json.dumps({"is_accepted": True, "reason": "accepted: better",
                                                      "current": {"heldout-log": 0.5}, "candidate": {"heldout-log": 0.6}}))
    (builtin_trained_dir(tmp_path) / "ACTIVE").write_text("generations/builtin-abc/index\n")
    assert main(["--status"], home=tmp_path, default_log=tmp_path / "log.jsonl", benchmark_path=None) == 0
    out = capsys.readouterr().out
    assert str(generation / "encoder") in out and "gate: accepted: better" in out
    assert "heldout-log" in out and "base  50.0  trained  60.0" in out
    # trained with two seeds: the other seed's scores and the rise the gate needed are shown too
    (generation / "gate.json").write_text(json.dumps({
        "is_accepted": True, "reason": "accepted: better", "current": {"heldout-log": 0.5},
        "candidate": {"heldout-log": 0.6}, "other_seeds": [{"heldout-log": 0.58}], "margins": {"all": 0.02}}))
    assert main(["--status"], home=tmp_path, default_log=tmp_path / "log.jsonl", benchmark_path=None) == 0
    out = capsys.readouterr().out
    assert "trained  60.0  seed+1  58.0" in out and "rise needed: all +2.00" in out


def test_builtin_refuses_a_catalogue_and_a_missing_catalogue_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(["--builtin", "songs.jsonl"], home=tmp_path, default_log=tmp_path / "log.jsonl", benchmark_path=None)
    with pytest.raises(SystemExit):
        main(["--no-log"], home=tmp_path, default_log=tmp_path / "log.jsonl", benchmark_path=None)
