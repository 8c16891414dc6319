"""32 simulated listeners at once against the launched app over HTTP (gradio_client, loopback).

The app runs in its own process (as `tunetalk chat` does); the users are threads of this
one. Each user is one gradio_client.Client (its own Gradio session) holding a four-turn
conversation on /chat, sending the history it got back, as the browser does, and reading
the results for 2-6 s (uniform, seeded per user) before its next turn; `--think-time 0,0`
sends every turn the moment the last one is answered (a burst, not a listener). Reported per
store (embedded, Chroma server): turn latency p50/p95 as the client sees it (queueing
included), errors (an exception, a timeout or a reply without results), and leaks: every
turn's state and result ids are checked against the same conversation replayed alone in
process, and every session must keep its own session id. Any state or result bleeding
from one session into another shows up as a mismatch. Bounded: each turn has a timeout and
the whole run a deadline.

    .venv/bin/python benchmarks/concurrent_sessions.py                  # 55k tracks, embedded and server
    .venv/bin/python benchmarks/concurrent_sessions.py --size 5000 --users 8
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's code, not another's install
sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_common as common  # noqa: E402


@dataclass
class UserRun:
    user: int
    conversation: list[str]
    seconds: list[float] = field(default_factory=list)
    states: list[dict] = field(default_factory=list)
    sessions: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)


def expected_states(recommender, conversations: list[list[str]]) -> dict[str, list[dict]]:  # noqa: ANN001
    """Each distinct conversation replayed alone, in process: the state after every turn."""
    from chatbot import DialogueState, take_turn

    expected = {}
    for conversation in conversations:
        state = DialogueState()
        snapshots = []
        for message in conversation:
            state, _ = take_turn(recommender, state, message)
            snapshots.append({"wanted": dict(state.wanted), "last_results": list(state.last_results)})
        expected[json.dumps(conversation)] = snapshots
    return expected


def serve(args: argparse.Namespace) -> None:
    """The app process: open the store, replay the conversations alone, launch, report, wait for stdin to close."""
    import chatbot.app
    from chatbot import Recommender
    from chatbot.app import launch
    from retriever import HybridSearcher, load_vocabulary

    if args.concurrency:
        chatbot.app.QUEUE_CONCURRENCY = args.concurrency
    if args.status_rate:
        chatbot.app.STATUS_UPDATE_RATE = "auto" if args.status_rate == "auto" else float(args.status_rate)
    encoder = common.load_backend(args.backend)
    index_dir = common.ensure_index(args.size)
    with common.store_location(index_dir, args.mode) as location:
        store = common.open_store(encoder, location)
        recommender = Recommender(HybridSearcher(store, encoder), load_vocabulary())
        expected = expected_states(recommender, common.CONVERSATIONS)
        port = common.free_port()
        demo = launch(recommender, host="127.0.0.1", port=port, prevent_thread_lock=True)
        turn_seconds: list[float] = []
        take_turn = chatbot.app.take_turn

        def timed_take_turn(*call_args, **call_kwargs):  # noqa: ANN002, ANN003, ANN202
            begun = time.perf_counter()
            try:
                return take_turn(*call_args, **call_kwargs)
            finally:
                turn_seconds.append(time.perf_counter() - begun)

        chatbot.app.take_turn = timed_take_turn  # the page's handlers call it by this name
        cpu_before = os.times()
        Path(args.ready_file).write_text(json.dumps({
            "url": f"http://127.0.0.1:{port}/", "tracks": len(recommender.searcher.tracks), "expected": expected,
            "queue": f"{chatbot.app.QUEUE_CONCURRENCY} at once, status {chatbot.app.STATUS_UPDATE_RATE}",
        }))
        sys.stdin.read()  # the parent closes stdin when the users are done
        cpu_after = os.times()
        peak = common.peak_rss_mib()
        demo.close()
    cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    print(json.dumps({"peak_rss_mib": peak, "cpu_s": cpu, "respond_s": turn_seconds}), flush=True)


def run_user(url: str, run: UserRun, start: threading.Barrier, turn_timeout_s: float, deadline: float,
             think_s: tuple[float, float] = (0.0, 0.0), stagger: bool = False) -> UserRun:
    from gradio_client import Client

    pause = random.Random(run.user)  # each user reads its results for a while before the next turn

    try:
        client = Client(url, verbose=False)
    except Exception as error:  # noqa: BLE001 - every failure is counted, none stops the run
        run.errors.append(f"connect: {error!r}")
        start.abort()
        return run
    try:
        start.wait(timeout=120)
    except threading.BrokenBarrierError:
        pass
    if stagger:  # listeners arrive over the first think window rather than at one instant
        time.sleep(pause.uniform(0, think_s[1]))
    history: list = []
    for turn, message in enumerate(run.conversation):
        if turn and think_s[1] > 0:
            time.sleep(pause.uniform(*think_s))
        if time.monotonic() > deadline:
            run.errors.append("deadline passed before this turn")
            break
        begun = time.perf_counter()
        try:
            outputs = client.submit(message, history, api_name="/chat").result(timeout=turn_timeout_s)
        except Exception as error:  # noqa: BLE001
            run.errors.append(f"turn {message!r}: {error!r}")
            break
        run.seconds.append(time.perf_counter() - begun)
        history, stored = outputs[0], outputs[1]
        state = stored.get("state", {})
        if not state.get("last_results") and "start over" not in message:
            run.errors.append(f"turn {message!r}: no results")
        run.states.append({"wanted": dict(state.get("wanted", {})), "last_results": list(state.get("last_results", []))})
        run.sessions.add(stored.get("session", ""))
    return run


def measure(args: argparse.Namespace, mode: str) -> dict:
    """Start the app process for one store, run the users against it, stop it."""
    with tempfile.TemporaryDirectory(prefix="bench-sessions-") as tmp:
        ready = Path(tmp) / "ready.json"
        command = [sys.executable, __file__, "--serve", "--mode", mode, "--size", str(args.size),
                   "--backend", args.backend, "--ready-file", str(ready)]
        if args.concurrency:
            command += ["--concurrency", str(args.concurrency)]
        if args.status_rate:
            command += ["--status-rate", args.status_rate]
        app = subprocess.Popen(
            command,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        try:
            deadline = time.monotonic() + args.start_timeout
            while not ready.is_file():
                if app.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the app process for {mode} did not start (exit {app.poll()})")
                time.sleep(0.5)
            time.sleep(0.2)  # the file is written in one call; let it land
            served = json.loads(ready.read_text())
            load = common.load_average()
            result = run_users(served["url"], served["expected"], args.users, args.turn_timeout, args.total_timeout,
                               args.think_time, args.stagger)
        finally:
            output, _ = app.communicate(input="", timeout=120)
        lines = [line for line in output.splitlines() if line.startswith("{")]
        report = json.loads(lines[-1]) if lines else {"peak_rss_mib": float("nan"), "cpu_s": float("nan"),
                                                      "respond_s": []}
        result.update(tracks=served["tracks"], load=load, queue=served["queue"], app_peak_rss_mib=report["peak_rss_mib"],
                      app_cpu_ms_per_turn=1000 * report["cpu_s"] / max(result["turns"], 1),
                      respond_s=report["respond_s"])
        return result


def run_users(url: str, expected: dict[str, list[dict]], users: int, turn_timeout_s: float,
              total_timeout_s: float, think_s: tuple[float, float] = (0.0, 0.0), stagger: bool = False) -> dict:
    conversations = [common.CONVERSATIONS[u % len(common.CONVERSATIONS)] for u in range(users)]
    start = threading.Barrier(users)
    deadline = time.monotonic() + total_timeout_s
    begun = time.perf_counter()
    with ThreadPoolExecutor(max_workers=users) as pool:
        runs = list(pool.map(
            lambda u: run_user(url, UserRun(u, conversations[u]), start, turn_timeout_s, deadline, think_s, stagger),
            range(users)))
    wall = time.perf_counter() - begun
    seconds = [s for run in runs for s in run.seconds]
    errors = [f"user {run.user}: {e}" for run in runs for e in run.errors]
    leaks = []
    for run in runs:
        if run.states != expected[json.dumps(run.conversation)][: len(run.states)]:
            leaks.append(f"user {run.user}: states differ from the conversation replayed alone")
        if len(run.sessions) != 1:
            leaks.append(f"user {run.user}: {len(run.sessions)} session ids")
    all_sessions = [next(iter(run.sessions)) for run in runs if len(run.sessions) == 1]
    if len(set(all_sessions)) != len(all_sessions):
        leaks.append("two users share a session id")
    return {"turns": len(seconds), "expected_turns": sum(len(c) for c in conversations), "seconds": seconds,
            "errors": errors, "leaks": leaks, "wall": wall}


def think_range(value: str) -> tuple[float, float]:
    low, _, high = value.partition(",")
    try:
        bounds = (float(low), float(high or low))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected MIN,MAX seconds, got {value!r}") from None
    if not 0 <= bounds[0] <= bounds[1]:
        raise argparse.ArgumentTypeError(f"expected 0 <= MIN <= MAX, got {value!r}")
    return bounds


def cell_ms(values: list[float]) -> str:
    return f"{1000 * common.percentile(values, 50):.0f} / {1000 * common.percentile(values, 95):.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=55525, help="catalogue size (tracks of MTG-Jamendo)")
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--modes", default="embedded,snapshot,server")
    parser.add_argument("--backend", default="onnx", help="query encoder backend: onnx or torch")
    parser.add_argument("--think-time", type=think_range, default=(2.0, 6.0), metavar="MIN,MAX",
                        help="seconds a user reads the results before the next turn, uniform in [MIN, MAX] "
                             "(default 2,6; 0,0 sends every turn as soon as the last one is answered)")
    parser.add_argument("--stagger", action="store_true",
                        help="users start at a random moment within the first MAX seconds (default: all at once)")
    parser.add_argument("--turn-timeout", type=float, default=60.0)
    parser.add_argument("--total-timeout", type=float, default=300.0, help="deadline for one store's run")
    parser.add_argument("--start-timeout", type=float, default=900.0, help="seconds for the app process to start")
    parser.add_argument("--concurrency", type=int, default=None, help="override chatbot.app.QUEUE_CONCURRENCY")
    parser.add_argument("--status-rate", default=None, help="override chatbot.app.STATUS_UPDATE_RATE (auto or seconds)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="embedded", help=argparse.SUPPRESS)
    parser.add_argument("--ready-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args)
        return
    print(f"machine: {common.machine()}; load average at start {common.load_average()}", file=sys.stderr)
    rows = []
    problems = []
    for mode in (m for m in args.modes.split(",") if m):
        result = measure(args, mode)
        seconds = result["seconds"]
        rows.append([
            f"{result['tracks']:,}", mode, args.backend,
            "{:g}-{:g} s".format(*args.think_time) + (", staggered start" if args.stagger else ""), args.users,
            f"{result['turns']}/{result['expected_turns']}",
            f"{1000 * common.percentile(seconds, 50):.0f} / **{1000 * common.percentile(seconds, 95):.0f}**",
            f"{1000 * max(seconds, default=float('nan')):.0f}", f"{result['turns'] / result['wall']:.1f}",
            cell_ms(result["respond_s"]), f"{result['app_cpu_ms_per_turn']:.0f}",
            len(result["errors"]), len(result["leaks"]), f"{result['app_peak_rss_mib']:.0f}", result["load"],
        ])
        problems += [f"{mode}: {p}" for p in result["errors"] + result["leaks"]]
        print(rows[-1], file=sys.stderr)
    print(f"\n{args.users} concurrent users x 4 turns over HTTP (gradio_client, loopback) on {common.machine()}\n")
    print(common.table(
        ["tracks", "store", "encoder", "think time", "users", "turns done", "turn ms p50 / p95 (client)", "max ms",
         "turns/s", "take_turn() ms p50 / p95 (in app)", "app CPU ms / turn", "errors", "leaks", "app peak RSS MiB",
         "load avg"],
        rows,
    ))
    print("\nturn (client) = submit to result over HTTP, queueing included; take_turn() = the chat turn itself inside the"
          " app; app CPU / turn = the app process's CPU time over the run divided by the turns (Gradio included).")
    print("leaks: a session whose state or results differ from its conversation replayed alone, or that changed "
          "session id. Targets: p95 <= 1000 ms, 0 errors, 0 leaks.")
    for problem in problems[:20]:
        print(f"- {problem}")
    if problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
