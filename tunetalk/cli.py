"""`tunetalk` command line: index, ask, chat, evaluate, train.

This module is the composition root: it reads paths and environment variables, builds
the configs and calls the pipelines. Every expected failure ends in one clear line on
stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from tunetalk import paths
from tunetalk.artist_knowledge import chat_artist_profiles, knowledge_files
from tunetalk.paths import BACKEND_ENV, CHROMA_URL_ENV, LOG_ENV

logger = logging.getLogger("tunetalk")


class CliError(Exception):
    """A user-facing error: printed as one line."""


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("chromadb", "httpx", "urllib3", "sentence_transformers", "transformers", "gradio"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


_COLLECTION_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9._-]{1,510}[a-zA-Z0-9]")


def _collection_name(value: str) -> str:
    """Chroma's naming rule, checked here so a bad name is a usage error, not a store traceback."""
    if not _COLLECTION_NAME.fullmatch(value) or ".." in value:
        raise argparse.ArgumentTypeError(
            f"{value!r}: expected 3-512 characters from [a-zA-Z0-9._-], starting and ending with a letter or digit"
        )
    return value


def _add_knowledge_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--artist-knowledge", action="append", metavar="CSV",
                        help="artist facts for names the catalogue lacks: a Spotify artist-genres CSV (artists, genres) "
                             "or a Last.fm tags CSV (count, name, search); repeatable; 'none' for none "
                             "(default: the files in ../shared/data/artist-knowledge when present)")


def _knowledge_files(values: list[str] | None) -> list[Path]:
    if values and any(v.strip().lower() == "none" for v in values):
        return []
    if values:
        files = [Path(v) for v in values]
        for path in files:
            if not path.is_file():
                raise CliError(f"--artist-knowledge {path}: no such file")
        return files
    return knowledge_files(paths.data_dir())


def _add_store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index-dir", type=Path, help="embedded Chroma index directory (default: the built-in catalogue's)")
    parser.add_argument("--chroma-url", default=os.environ.get(CHROMA_URL_ENV),
                        help=f"use a Chroma server, e.g. http://127.0.0.1:8000 (env {CHROMA_URL_ENV})")
    parser.add_argument("--collection", default="tracks", type=_collection_name, help="collection name (default: tracks)")
    parser.add_argument("--encoder", help="sentence-transformers name or path (default: the one that built the index)")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    parser.add_argument("--encoder-backend", choices=["onnx", "torch"],
                        default=os.environ.get(BACKEND_ENV, "onnx"),
                        help="onnx: ONNX Runtime, the same vectors several times faster on a CPU (exported once, "
                             "offline); torch: sentence-transformers, used on a GPU (default onnx, env "
                             f"{BACKEND_ENV})")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the full usage is one `--help` away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tunetalk", description="Conversational music recommendation over descriptor sets.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-v info, -vv debug)")
    sub = parser.add_subparsers(dest="command", required=True)

    index = sub.add_parser("index", help="build an index from a catalogue file")
    index.add_argument("source", type=Path, help="catalogue file")
    index.add_argument("--format", required=True, choices=["jsonl", "csv", "musiccaps", "jamendo", "spotify"])
    index.add_argument("--titles", type=Path, help="MTG-Jamendo attribution TSV with titles (jamendo format)")
    index.add_argument("--id-column", default="id")
    index.add_argument("--title-column", default="title")
    index.add_argument("--artist-column", default="artist")
    index.add_argument("--descriptors-column", default="descriptors")
    index.add_argument("--separator", default=";", help="descriptor separator in a CSV cell (default ;)")
    index.add_argument("--strict", action="store_true", help="exit non-zero when any row was skipped")
    index.add_argument("--batch-size", type=int, default=128)
    _add_store_options(index)

    ask = sub.add_parser("ask", help="run one conversation (each MESSAGE is a user turn) or many with --conversations")
    ask.add_argument("messages", nargs="*", metavar="MESSAGE")
    ask.add_argument("--conversations", type=Path, help="JSONL file: each line a JSON list of user messages")
    ask.add_argument("--json", action="store_true", help="one JSON object per turn (per conversation with --conversations)")
    ask.add_argument("-k", type=int, default=10, help="results per turn (default 10)")
    ask.add_argument("--no-log", action="store_true", help="do not write the interaction log")
    _add_store_options(ask)
    _add_knowledge_option(ask)

    chat = sub.add_parser("chat", help="start the browser chat")
    chat.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1: this machine only)")
    chat.add_argument("--port", type=int, default=7860)
    chat.add_argument("--share", action="store_true", help="ask Gradio for a public share link")
    chat.add_argument("--auth", help="user:password required to open the page")
    chat.add_argument("--no-log", action="store_true", help="do not write the interaction log")
    _add_store_options(chat)
    _add_knowledge_option(chat)

    evaluate = sub.add_parser("evaluate", help="the paper's retrieval evaluation (LP-MusicCaps-MC)")
    evaluate.add_argument("--data", type=Path, default=None, help="LP-MusicCaps-MC test.csv (default ../shared/data/...)")
    evaluate.add_argument("--query-column", action="append", help="request column(s) (default caption_writing)")
    evaluate.add_argument("--systems", default="tfidf,bm25,dense,hybrid")
    evaluate.add_argument("--protocol", choices=["paper", "track"], default="paper")
    evaluate.add_argument("--seeds", default="0,1,2")
    evaluate.add_argument("--encoder", default=None)
    evaluate.add_argument("--encoder-backend", choices=["onnx", "torch"], default="onnx")
    evaluate.add_argument("--dense-weight", type=float, default=None,
                          help="hybrid fusion weight (default: the one stored with the encoder, else 0.05)")
    evaluate.add_argument("--json", action="store_true")

    # `tunetalk train ...` is handed whole to gpl.cli (its own options and --help); see main()
    train = sub.add_parser("train", help="GPL: retrain the encoder from logged conversations "
                                         "(`tunetalk train --help` lists its options)", add_help=False)
    train.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def _log_path(disabled: bool) -> Path | None:
    return None if disabled else paths.log_path()


def _check_index_dir(index_dir: Path | None, *, must_exist: bool) -> None:
    """Refuse a bad --index-dir before the encoder is loaded (that takes seconds; this takes none)."""
    if index_dir is None:
        return
    if index_dir.exists() and not index_dir.is_dir():
        raise CliError(f"--index-dir {index_dir} is a file, expected a directory")
    if must_exist and not (index_dir / "chroma.sqlite3").is_file():
        raise CliError(f"no index at {index_dir}: build one with `tunetalk index CATALOGUE --index-dir {index_dir}`")


def _load_encoder(name: str | None, index_dir: Path | None, chroma_url: str | None, collection: str,
                  device: str | None, backend: str = "torch"):
    from retriever import DEFAULT_ENCODER, TrackStore
    from retriever.encoder import load_encoder_backend

    if name is None and (index_dir is not None or chroma_url):
        name = TrackStore.built_with(index_dir=index_dir, chroma_url=chroma_url, collection=collection)
    return load_encoder_backend(name or DEFAULT_ENCODER, backend=backend, device=device, export_dir=paths.onnx_dir())


def ensure_builtin_index(encoder) -> Path:  # noqa: ANN001
    """The built-in catalogue's index directory, built on first use."""
    from retriever import BUILTIN_CATALOGUE, TrackStore, builtin_index_dir, index_tracks, load_catalog

    index_dir = builtin_index_dir(paths.home(), encoder.info.weights_sha256)
    if (index_dir / "READY").exists():
        return index_dir
    print(f"Building the built-in catalogue's index in {index_dir} (first use only)...", file=sys.stderr)
    result = load_catalog(BUILTIN_CATALOGUE, "jsonl")
    store = TrackStore.open(encoder.info, index_dir=index_dir, create=True)
    index_tracks(result.tracks, store, encoder, show_progress_bar=True)
    (index_dir / "READY").write_text(encoder.info.fingerprint + "\n")
    return index_dir


def open_recommender(args: argparse.Namespace, *, log_disabled: bool = True):  # noqa: ANN201
    """The chat's shared dependencies for the parsed command line (ask, chat)."""
    # Start-up makes ~10^6 long-lived objects (tracks, artist profiles, the lexical index): the cyclic
    # collector would scan them again and again while they are built (a fifth of `ask`'s wall time);
    # afterwards they are frozen out of its scans for the life of the process.
    gc.disable()
    try:
        return _open_recommender(args, log_disabled=log_disabled)
    finally:
        gc.freeze()
        gc.enable()


def _open_recommender(args: argparse.Namespace, *, log_disabled: bool):  # noqa: ANN202
    from chatbot import Recommender
    from retriever import HybridSearcher, InteractionLog, TrackStore, load_vocabulary, resolve_index_dir
    from retriever.encoder import VectorCache, resolve_encoder
    from retriever.snapshot import SNAPSHOT_FILE, read_current

    if args.encoder is not None:
        resolve_encoder(args.encoder)  # an unknown encoder name is reported first, before the index is looked at
    elif args.index_dir is None and not args.chroma_url:
        from retriever import builtin_trained_dir
        from retriever.deploy import active_generation

        trained = builtin_trained_dir(paths.home())
        if active_generation(trained) is not None:  # `tunetalk train --builtin` switched the built-in chat
            args.index_dir = trained
    if not args.chroma_url:
        if args.index_dir is not None and args.index_dir.is_dir():
            args.index_dir = resolve_index_dir(args.index_dir)  # follow a GPL switch (ACTIVE pointer)
        _check_index_dir(args.index_dir, must_exist=True)
    # A current snapshot beside a local index: a small one serves it without Chroma (read-only: ask, chat).
    current = None
    if args.index_dir is not None and not args.chroma_url:
        current = read_current(args.index_dir / SNAPSHOT_FILE, args.index_dir, args.collection)
    if not args.chroma_url and current is None:
        if args.index_dir is not None and args.encoder is None and TrackStore.built_with(
            index_dir=args.index_dir, collection=args.collection
        ) is None:
            raise CliError(f"the index at {args.index_dir} has no collection {args.collection!r}: "
                           f"build it with `tunetalk index CATALOGUE --index-dir {args.index_dir} --collection {args.collection}`")
    # The log is opened first: an unwritable log path fails at once, not after the model loads.
    path = _log_path(log_disabled)
    if path is not None and path.is_dir():
        raise CliError(f"the interaction log {path} is a directory; set {LOG_ENV} to a file path (or off)")
    log = InteractionLog(path) if path else None
    if path:
        print(f"Logging conversations to {path} (owner-only; disable with --no-log)", file=sys.stderr)
    encoder_name = args.encoder or (current.encoder.name if current is not None else None)
    encoder = _load_encoder(encoder_name, args.index_dir, args.chroma_url, args.collection, args.device,
                            args.encoder_backend)
    index_dir = args.index_dir
    if index_dir is None and not args.chroma_url:
        index_dir = ensure_builtin_index(encoder)
        current = read_current(index_dir / SNAPSHOT_FILE, index_dir, args.collection)
    if current is not None and current.encoder.fingerprint != encoder.info.fingerprint:
        current = None  # taken with another encoder (--encoder): Chroma says whether that fits
    if current is not None and current.fits_exact_search:
        store = current.store(encoder.info, str(index_dir))
    else:
        store = TrackStore.open(encoder.info, index_dir=index_dir, chroma_url=args.chroma_url,
                                collection=args.collection)
    if store.count() == 0:
        raise CliError(f"the index at {store.location} is empty: run `tunetalk index` first")
    snapshot = index_dir / SNAPSHOT_FILE if index_dir is not None and not args.chroma_url else None
    searcher = HybridSearcher(store, encoder, _retrieval_config(encoder.info.name), snapshot=snapshot,
                              current=current)
    knowledge = chat_artist_profiles(_knowledge_files(getattr(args, "artist_knowledge", None)))
    vectors = VectorCache(encoder, paths.home() / "parse-vectors" / f"{encoder.info.weights_sha256[:16]}.npz")
    recommender = Recommender(searcher, load_vocabulary(), log=log, artist_knowledge=knowledge, encoder=vectors)
    vectors.save()  # the parser embedded every descriptor name once: kept for the next start
    return recommender


def _retrieval_config(encoder_name: str):  # noqa: ANN202 - a RetrievalConfig
    """The fusion stored with the encoder (a GPL-tuned one carries its own weight), else the defaults."""
    from retriever import retrieval_config_for
    from retriever.encoder import resolve_encoder

    return retrieval_config_for(resolve_encoder(encoder_name)[1])


def cmd_index(args: argparse.Namespace) -> int:
    from retriever import CsvColumns, IndexConfig, TrackStore, index_tracks, load_catalog

    columns = CsvColumns(id=args.id_column, title=args.title_column, artist=args.artist_column,
                         descriptors=args.descriptors_column, separator=args.separator)
    result = load_catalog(args.source, args.format, csv_columns=columns, titles_path=args.titles)
    for row in result.skipped[:50]:
        print(f"{args.source}:{row.line}: skipped: {row.reason}", file=sys.stderr)
    if len(result.skipped) > 50:
        print(f"... and {len(result.skipped) - 50} more skipped rows", file=sys.stderr)
    if not result.tracks:
        hint = f"; is --format {args.format} right?" if result.skipped else ""
        raise CliError(f"{args.source}: no valid rows to index ({result.summary()}){hint}")
    if args.index_dir is None and not args.chroma_url:
        raise CliError("give --index-dir DIR (or --chroma-url) for the new index")
    if not args.chroma_url:
        _check_index_dir(args.index_dir, must_exist=False)
    encoder = _load_encoder(args.encoder, args.index_dir, args.chroma_url, args.collection, args.device,
                            args.encoder_backend)
    store = TrackStore.open(encoder.info, index_dir=args.index_dir, chroma_url=args.chroma_url,
                            collection=args.collection, create=True)
    report = index_tracks(result.tracks, store, encoder, IndexConfig(batch_size=args.batch_size), show_progress_bar=True)
    rate = report.written / report.seconds if report.seconds > 0 else 0.0
    print(
        f"indexed {report.written} tracks ({report.unchanged} already there, {rate:.0f} tracks/s); "
        f"skipped {len(result.skipped)} rows; {report.total_in_store} tracks in {store.location}"
    )
    print(f"{args.source}: {result.summary()}")
    return 1 if args.strict and result.skipped else 0


def _print_turn(turn, as_json: bool) -> None:  # noqa: ANN001
    if as_json:
        print(json.dumps(turn.to_json(), ensure_ascii=False))
    else:
        print(f"> {turn.message}\n{turn.reply}\n")


def cmd_ask(args: argparse.Namespace) -> int:
    from chatbot import Conversation

    if not args.messages and not args.conversations:
        raise CliError("give at least one MESSAGE, or --conversations FILE.jsonl")
    if args.k < 1 or args.k > 100:
        raise CliError(f"-k must be between 1 and 100, got {args.k}")
    conversations: list[list[str]] = []
    if args.conversations:
        if args.conversations.is_dir():
            raise CliError(f"{args.conversations}: is a directory, expected a JSONL file")
        if not args.conversations.is_file():
            raise CliError(f"{args.conversations}: no such file")
        for number, line in enumerate(args.conversations.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if not line.strip():
                continue
            try:
                messages = json.loads(line)
            except json.JSONDecodeError as error:
                raise CliError(f"{args.conversations}:{number}: not JSON ({error.msg}); expected a list of messages") from error
            except RecursionError as error:
                raise CliError(f"{args.conversations}:{number}: JSON nested too deeply; expected a list of messages") from error
            if not isinstance(messages, list) or not all(isinstance(m, str) for m in messages):
                raise CliError(f"{args.conversations}:{number}: expected a JSON list of strings")
            conversations.append(messages)
    recommender = open_recommender(args, log_disabled=args.no_log)
    if args.messages:
        conversation = Conversation(recommender)
        for message in args.messages:
            _print_turn(conversation.say(message, k=args.k), args.json)
    for messages in conversations:
        conversation = Conversation(recommender)
        turns = [conversation.say(message, k=args.k) for message in messages]
        if args.json:
            print(json.dumps([t.to_json() for t in turns], ensure_ascii=False))
        else:
            for turn in turns:
                _print_turn(turn, False)
            print("---")
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    if args.auth is not None and (":" not in args.auth or not args.auth.split(":", 1)[0] or not args.auth.split(":", 1)[1]):
        raise CliError("--auth must be user:password")
    # gradio takes seconds to import: only once the arguments are known to be good.
    from chatbot.app import launch

    recommender = open_recommender(args, log_disabled=args.no_log)
    launch(recommender, host=args.host, port=args.port, share=args.share,
           auth=tuple(args.auth.split(":", 1)) if args.auth else None)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from tunetalk.evaluation import run_evaluation

    return run_evaluation(args)


def cmd_train(args: argparse.Namespace) -> int:
    from gpl.cli import main as gpl_main

    home = paths.home()
    default_log = paths.log_path() or home / "interactions.jsonl"
    from tunetalk.chat_gate import chat_turn_scorer

    data_dir = paths.data_dir()
    return gpl_main(args.rest, home=home, default_log=default_log, benchmark_path=paths.mc_test_csv(),
                    turn_scorer=lambda config, builtin: chat_turn_scorer(config, builtin, data_dir=data_dir))


def main(argv: Sequence[str] | None = None) -> int:
    paths.prepare_environment()
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    command_at = next((i for i, word in enumerate(argv) if not word.startswith("-")), None)
    if command_at is not None and argv[command_at] == "train":  # REMAINDER drops leading options: split by hand
        at = command_at
        args = parser.parse_args([*argv[:at], "train"])
        args.rest = argv[at + 1 :]
    else:
        args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    from retriever import CatalogError, EncoderError, StoreError

    commands = {"index": cmd_index, "ask": cmd_ask, "chat": cmd_chat, "evaluate": cmd_evaluate, "train": cmd_train}
    started = time.perf_counter()
    try:
        status = commands[args.command](args)
    except (CliError, CatalogError, EncoderError, StoreError, OSError, ValueError) as error:
        # OSError: a path that is unreadable, a directory, on a full disk... ValueError: bad settings.
        message = " ".join(str(error).split()) or error.__class__.__name__
        print(f"tunetalk {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tunetalk {args.command}: interrupted; re-run to resume (finished work is kept)", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - the boundary: one line for the user, the traceback with -vv
        logger.debug("unexpected error", exc_info=True)
        message = " ".join(str(error).split())[:500]
        print(f"tunetalk {args.command}: error: {error.__class__.__name__}: {message} "
              "(unexpected; run with -vv for the traceback)", file=sys.stderr)
        return 2
    logger.info("%s took %.1fs", args.command, time.perf_counter() - started)
    return status


if __name__ == "__main__":
    sys.exit(main())
