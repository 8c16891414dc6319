"""``tunetalk train``: parse arguments, build a :class:`GPLConfig`, call :func:`gpl.pipeline.run`.

``tunetalk/cli.py`` (the composition root) reads the environment and hands :func:`main` the
paths that depend on it (the tunetalk home, the chat's log, the default gate benchmark); this
module parses the arguments, sets up logging and torch threads, and nothing below it does.

Example:
    tunetalk train assets/catalogue.jsonl --index-dir my-index --run-name week-48
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gpl.config import (
    GateConfig,
    GPLConfig,
    LabelConfig,
    MiningConfig,
    QueryConfig,
    TeacherConfig,
    TrainConfig,
)
from retriever import CatalogError, EncoderError, StoreError

if TYPE_CHECKING:
    from gpl.gate import TurnScorer

logger = logging.getLogger(__name__)

def _int_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from error


def _optional(kind: type) -> Callable[[str], Any]:
    """An argparse type that also takes 'none' (the setting switched off)."""

    def parse(text: str) -> Any:
        return None if text.strip().lower() == "none" else kind(text)

    parse.__name__ = kind.__name__  # argparse names the type in its error message
    return parse


def _str_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def build_parser(
    *, home: Path | None = None, default_log: Path | None = None, benchmark_path: Path | None = None
) -> argparse.ArgumentParser:
    """The ``tunetalk train`` parser; the paths only fill in its help text."""
    defaults = (QueryConfig(), MiningConfig(), TeacherConfig(), TrainConfig(), GateConfig())
    queries, mining, teacher, training, gate = defaults
    parser = argparse.ArgumentParser(
        prog="tunetalk train",
        description="GPL: adapt the bi-encoder to logged conversations, gate it, re-index and switch."
        + (f" The tunetalk home is {home}." if home is not None else ""),
    )
    inputs = parser.add_argument_group("inputs")
    inputs.add_argument("catalogue", type=Path, nargs="?",
                        help="catalogue file (queries, negatives, new index); not with --builtin")
    inputs.add_argument(
        "--builtin", action="store_true",
        help="train the built-in chat: its catalogue, its interaction log, and on acceptance switch the "
        "chat (`tunetalk chat`/`ask` without --index-dir) to the new encoder",
    )
    inputs.add_argument("--status", action="store_true",
                        help="show the built-in chat's active encoder, its gate scores and when it was trained")
    inputs.add_argument("--format", default="jsonl", choices=["jsonl", "csv", "musiccaps", "jamendo"])
    inputs.add_argument(
        "--log",
        type=Path,
        default=None,
        help=f"interaction log (default: the chat's log, {default_log or 'in the tunetalk home'})",
    )
    inputs.add_argument("--no-log", action="store_true", help="ignore the interaction log (cold start)")
    inputs.add_argument(
        "--split",
        default=queries.split,
        help="train only on tracks whose 'split' metadata is this, e.g. train (MusicCaps)",
    )
    inputs.add_argument("--index-dir", type=Path, help="index to re-index and switch when the gate accepts")
    inputs.add_argument(
        "--encoder", help="current encoder (default: the one that built --index-dir, else MiniLM)"
    )
    inputs.add_argument("--teacher", type=Path, help="an already trained teacher dir (default: train one)")
    inputs.add_argument("--save-encoder", type=Path, help="also copy an accepted encoder here")
    run = parser.add_argument_group("run")
    run.add_argument("--run-name", default="gpl", help="artifacts go to RUNS_DIR/RUN_NAME (default gpl)")
    run.add_argument("--runs-dir", type=Path, default=Path("runs"))
    run.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or mps (default cpu)")
    run.add_argument("--num-threads", type=int, help="torch CPU threads (1 is fastest on a busy machine)")
    run.add_argument("--no-progress", action="store_true", help="no progress bars")
    run.add_argument("--quiet", action="store_true", help="warnings only")
    data = parser.add_argument_group("queries and mining")
    data.add_argument("--max-queries", type=int, default=queries.max_queries)
    data.add_argument("--templates-per-track", type=int, default=queries.templates_per_track)
    data.add_argument("--no-captions", action="store_true", help="do not use tracks' caption metadata")
    data.add_argument("--heldout-fraction", type=float, default=queries.heldout_fraction)
    data.add_argument(
        "--candidates",
        type=int,
        default=mining.candidates_per_retriever,
        help="candidates per retriever (bi-encoder, lexical)",
    )
    data.add_argument("--num-negatives", type=int, default=mining.num_negatives)
    data.add_argument("--sampled-view-fraction", type=float, default=mining.sampled_view_fraction)
    data.add_argument(
        "--negative-depth",
        type=_optional(int),
        default=mining.negative_depth,
        help=f"draw negatives from the first N candidates (dense and lexical interleaved; 'none': all; "
        f"default {mining.negative_depth})",
    )
    data.add_argument(
        "--views-per-query",
        type=int,
        default=mining.views_per_query,
        help="triplets per query and negative, each with a new sampled view of the positive",
    )
    data.add_argument(
        "--sibling-fraction",
        type=float,
        default=mining.sibling_fraction,
        help="share of negatives that are a sibling view of the positive's own track (mostly what the "
        f"request does not name) rather than a mined track (default {mining.sibling_fraction})",
    )
    data.add_argument(
        "--caption-needs-mention",
        action=argparse.BooleanOptionalAction,
        default=queries.caption_needs_mention,
        help="keep only caption sentences that name one of their track's descriptors",
    )
    data.add_argument("--seed", type=int, default=0)
    teach = parser.add_argument_group("teacher")
    teach.add_argument("--teacher-queries", type=int, default=teacher.max_queries)
    teach.add_argument(
        "--teacher-sibling-negatives",
        type=int,
        default=teacher.sibling_negatives,
        help="sibling views of the request's own track per request, as teacher negatives",
    )
    teach.add_argument("--teacher-epochs", type=float, default=teacher.epochs)
    teach.add_argument("--teacher-batch-size", type=int, default=teacher.batch_size)
    teach.add_argument("--teacher-learning-rate", type=float, default=teacher.learning_rate)
    fit = parser.add_argument_group("training")
    fit.add_argument("--epochs", type=float, default=training.epochs)
    fit.add_argument("--max-steps", type=int, default=training.max_steps)
    fit.add_argument("--batch-size", type=int, default=training.batch_size)
    fit.add_argument("--learning-rate", type=float, default=training.learning_rate)
    fit.add_argument(
        "--similarity-scale",
        type=float,
        default=training.similarity_scale,
        help="student score = scale * cosine (default: calibrated to the teacher's margins)",
    )
    fit.add_argument("--save-steps", type=int, default=training.save_steps)
    fit.add_argument(
        "--in-batch-weight",
        type=float,
        default=training.in_batch_weight,
        help="weight of the in-batch ranking term added to MarginMSE (0: MarginMSE only, as published)",
    )
    fit.add_argument(
        "--min-margin",
        type=_optional(float),
        default=training.min_margin,
        help="drop triplets whose teacher margin is below this: the teacher ranks the negative above the "
        f"positive (a false negative or a teacher error); 'none' keeps all (default {training.min_margin})",
    )
    check = parser.add_argument_group("gate")
    check.add_argument(
        "--gate-benchmark",
        type=Path,
        default=None,
        help=f"LP-MusicCaps-MC-style csv (default {benchmark_path or 'none'} when present)",
    )
    check.add_argument(
        "--no-gate-benchmark", action="store_true", help="gate on held-out logged queries only"
    )
    check.add_argument("--gate-columns", type=_str_list, default=gate.query_columns)
    check.add_argument("--gate-seeds", type=_int_list, default=gate.seeds)
    check.add_argument("--gate-rows", type=int, default=gate.max_rows, help="0 for all rows")
    check.add_argument("--min-improvement", type=float, default=gate.min_improvement)
    check.add_argument("--max-drop", type=float, default=gate.max_drop)
    check.add_argument("--training-seeds", type=int, default=gate.training_seeds,
                       help="train the student this many times (seeds --seed, +1, ...); with 2 or more the "
                       "gate needs each mean to rise by more than its spread over the seeds")
    check.add_argument(
        "--gate-chat-sample", type=int, default=gate.chat_sample, metavar="N",
        help="at most N conversations for each sampled chat-turn measure (simulated-listener targets, CPCD "
        "dialogs, Reddit requests; default: 100, 100 and all): a quicker, noisier gate",
    )
    check.add_argument(
        "--no-gate-chat",
        action="store_true",
        help="gate on retrieval alone, without the chat-turn scores (the gate's benchmarks through the "
        "chat turn, and with --builtin the listener requests on the built-in catalogue)",
    )
    return parser


def builtin_status(home: Path) -> str:
    """What the built-in chat runs: the base encoder, or the generation `train --builtin` switched it to,
    with that run's gate scores and when it was trained."""
    import datetime

    from retriever import DEFAULT_ENCODER, builtin_trained_dir
    from retriever.deploy import active_generation

    root = builtin_trained_dir(home)
    generation = active_generation(root)
    if generation is None:
        return (f"built-in chat: base encoder {DEFAULT_ENCODER} (packaged); not trained yet. "
                "Run `tunetalk train --builtin` once the chat has logged conversations.")
    trained = datetime.datetime.fromtimestamp((generation / "READY").stat().st_mtime).astimezone()
    lines = [f"built-in chat: encoder {generation / 'encoder'}",
             f"  trained {trained:%Y-%m-%d %H:%M %Z}; index {generation / 'index'}"]
    from gpl.pipeline import DEPLOYED_GATE, read_gate

    gate_file = generation / DEPLOYED_GATE
    if gate_file.is_file():
        gate = read_gate(gate_file)
        lines.append(f"  gate: {gate.reason}")
        lines += ["  " + line for line in gate_table(gate, "base", "trained")]
    return "\n".join(lines)


def gate_table(gate, current: str, new: str) -> list[str]:  # noqa: ANN001 - a gpl.gate.GateResult
    """One line per gate benchmark: the current and the new encoder's scores (and the new one's
    other training seeds), then the rise each side needed."""
    lines = []
    for name in gate.current:
        seeds = "".join(f"  seed+{i} {100 * scores[name]:5.1f}" for i, scores in enumerate(gate.other_seeds, 1))
        lines.append(f"  {name:<36} {current} {100 * gate.current[name]:5.1f}  {new} {100 * gate.candidate[name]:5.1f}"
                     + seeds)
    if gate.other_seeds:
        lines.append("  rise needed: " + ", ".join(f"{side} +{100 * m:.2f}" for side, m in gate.margins.items()))
    return lines


def current_encoder(explicit: str | None, index_dir: Path | None) -> str:
    """The encoder to adapt: --encoder, else the one that built the live index, else the default."""
    from retriever import DEFAULT_ENCODER, TrackStore, resolve_index_dir

    if explicit:
        return explicit
    if index_dir is not None:
        built_with = TrackStore.built_with(index_dir=resolve_index_dir(index_dir))
        if built_with:
            return built_with
    return DEFAULT_ENCODER


def config_from_args(
    args: argparse.Namespace, *, default_log: Path, benchmark_path: Path | None = None
) -> GPLConfig:
    """Build the pipeline config from parsed arguments (validation happens in the dataclasses).

    Args:
        args: from :func:`build_parser`.
        default_log: the interaction log when neither ``--log`` nor ``--no-log`` is given.
        benchmark_path: the gate benchmark when ``--gate-benchmark`` is not given, used only if the
            file exists (None: gate on held-out logged queries unless one is given).
    """
    benchmark = None
    if not args.no_gate_benchmark:
        if args.gate_benchmark is not None:
            benchmark = args.gate_benchmark
        elif benchmark_path is not None and benchmark_path.is_file():
            benchmark = benchmark_path
    return GPLConfig(
        catalogue=args.catalogue,
        catalogue_format=args.format,
        run_dir=args.runs_dir / args.run_name,
        log=None if args.no_log else (args.log or default_log),
        encoder=current_encoder(args.encoder, args.index_dir),
        teacher=args.teacher,
        index_dir=args.index_dir,
        save_encoder=args.save_encoder,
        device=args.device,
        show_progress_bar=not args.no_progress,
        queries=QueryConfig(
            use_log=not args.no_log,
            use_captions=not args.no_captions,
            caption_needs_mention=args.caption_needs_mention,
            templates_per_track=args.templates_per_track,
            split=args.split,
            heldout_fraction=args.heldout_fraction,
            max_queries=args.max_queries,
            seed=args.seed,
        ),
        mining=MiningConfig(
            candidates_per_retriever=args.candidates,
            num_negatives=args.num_negatives,
            sampled_view_fraction=args.sampled_view_fraction,
            negative_depth=args.negative_depth,
            views_per_query=args.views_per_query,
            sibling_fraction=args.sibling_fraction,
            seed=args.seed,
        ),
        teacher_training=TeacherConfig(
            max_queries=args.teacher_queries,
            sibling_negatives=args.teacher_sibling_negatives,
            epochs=args.teacher_epochs,
            batch_size=args.teacher_batch_size,
            learning_rate=args.teacher_learning_rate,
            seed=args.seed,
        ),
        labels=LabelConfig(),
        training=TrainConfig(
            epochs=args.epochs,
            max_steps=args.max_steps,
            batch_size=args.batch_size,
            learning_rate=args.learning_rate,
            similarity_scale=args.similarity_scale,
            save_steps=args.save_steps,
            in_batch_weight=args.in_batch_weight,
            min_margin=args.min_margin,
            seed=args.seed,
        ),
        gate=GateConfig(
            benchmark=benchmark,
            query_columns=args.gate_columns,
            seeds=args.gate_seeds,
            max_rows=args.gate_rows or None,
            min_improvement=args.min_improvement,
            max_drop=args.max_drop,
            training_seeds=args.training_seeds,
            chat_sample=args.gate_chat_sample,
        ),
    )


def main(
    argv: Sequence[str] | None = None,
    *,
    home: Path,
    default_log: Path,
    benchmark_path: Path | None,
    turn_scorer: Callable[[GPLConfig, bool], TurnScorer | None] | None = None,
) -> int:
    """Run ``tunetalk train``; ``tunetalk/cli.py`` calls it with the paths it read from the environment.

    Args:
        argv: the arguments after ``train`` (default ``sys.argv[1:]``).
        home: the tunetalk home (``$TUNETALK_HOME``); only shown in ``--help``, GPL writes nothing there.
        default_log: the chat's interaction log, read unless ``--log`` or ``--no-log`` is given.
        benchmark_path: the default ``--gate-benchmark`` (used when the file exists), or None.
        turn_scorer: builds the gate's chat-turn scorer from the run's config and whether it trains
            the built-in catalogue (``tunetalk/cli.py`` gives it; ``gpl`` never imports the chat).

    Returns:
        The exit status: 0 done, 1 refused by the gate, 2 error, 130 interrupted.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--"]:  # `tunetalk train -- --log ...`: the separator reaches us
        argv = argv[1:]
    parser = build_parser(home=home, default_log=default_log, benchmark_path=benchmark_path)
    args = parser.parse_args(argv)
    if args.status:
        print(builtin_status(home))
        return 0
    if args.builtin:
        from retriever import BUILTIN_CATALOGUE, builtin_trained_dir

        if args.catalogue is not None or args.index_dir is not None:
            parser.error("--builtin trains the built-in catalogue and chat: give no CATALOGUE or --index-dir")
        args.catalogue, args.format = BUILTIN_CATALOGUE, "jsonl"
        args.index_dir = builtin_trained_dir(home)
        if args.runs_dir == Path("runs"):
            args.runs_dir = home / "gpl-runs"
        if args.run_name == "gpl":
            args.run_name = "builtin"
    elif args.catalogue is None:
        parser.error("give a CATALOGUE file, or --builtin to train the built-in chat")
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
        )
    logging.getLogger("gpl").setLevel(logging.WARNING if args.quiet else logging.INFO)
    if args.num_threads is not None:
        if args.num_threads < 1:
            print(
                f"tunetalk train: error: --num-threads must be >= 1, got {args.num_threads}", file=sys.stderr
            )
            return 2
        import torch

        torch.set_num_threads(args.num_threads)
    from gpl.pipeline import run

    try:
        config = config_from_args(args, default_log=default_log, benchmark_path=benchmark_path)
        scorer = turn_scorer(config, args.builtin) if turn_scorer is not None and not args.no_gate_chat else None
        report = run(config, turn_scorer=scorer)
    except (
        ValueError,
        FileNotFoundError,
        ModuleNotFoundError,
        CatalogError,
        EncoderError,
        StoreError,
    ) as error:
        print(f"tunetalk train: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tunetalk train: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    print(f"run {report.run_dir}")
    for stage in report.stages:
        status = "ran" if stage.did_run else "skipped (manifest matches)"
        print(f"  {stage.name:<10} {status:<28} {stage.seconds:8.1f}s wall {stage.cpu_seconds:8.1f}s CPU")
    print("gate: " + report.gate.reason)
    for line in gate_table(report.gate, "current", "new"):
        print(line)
    if report.fusion is not None and report.fusion.dense_weight is not None:
        weight = report.fusion.dense_weight
        print(
            f"fusion: dense_weight {weight} (hybrid Recall@10 {100 * report.fusion.recall_by_weight[str(weight)]:.1f} "
            f"on {report.fusion.num_queries} {report.fusion.benchmark})"
        )
    if report.generation is not None:
        print(f"live index: {report.generation / 'index'} (tunetalk ask --index-dir {args.index_dir} ...)")
    return 0 if report.gate.is_accepted else 1
