"""CPCD playlist conversations judged by their goal playlist's genres (tunetalk/cpcd_dialogs.py) and in the gate.

The dialogs here are a tiny CPCD-shaped folder written by the test, on the built-in catalogue with
the packaged MiniLM (benchmarks/cpcd_dialogs.py runs the real ones; the last test reads them).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA
from tunetalk.chat_gate import ChatTurnScorer, chat_turn_scorer, cpcd_dialog_share
from tunetalk.cpcd_dialogs import (
    Dialog,
    chance_share,
    dialog_shares,
    goal_target,
    judged_dialogs,
    list_share,
    read_dialogs,
)


def _dialog(dialog_id: str, messages: list[str], artists: list[str]) -> dict:
    goal = [f"{dialog_id}-{n}" for n in range(len(artists))]
    return {"id": dialog_id, "turns": [{"user_query": m, "system_response": "ok"} for m in messages],
            "tracks": {track: {"track_ids": track, "track_titles": "a song", "track_artists": [artist]}
                       for track, artist in zip(goal, artists)},
            "goal_playlist": goal}


def _cpcd_folder(root: Path, dialogs: list[dict]) -> Path:
    folder = root / "cpcd" / "v1"
    folder.mkdir(parents=True)
    lines = [json.dumps(d) for d in dialogs]
    (folder / "cpcd_v1.dialogs.dev.train.jsonl").write_text("\n".join([lines[0], "{not json", *lines[1:]]) + "\n")
    (folder / "cpcd_v1.dialogs.dev.val.jsonl").write_text(lines[0] + "\n" + json.dumps({"id": "x", "turns": []}) + "\n")
    return root / "cpcd"


REGGAE = _dialog("reggae", ["I want to create a reggae playlist for the beach", "more like #1"],
                 ["Bob Marley", "Bob Marley", "Zqxwv Orchestra"])
CHORAL = _dialog("choral", ["I want to create a reggae playlist for the beach"], ["The Tallis Scholars"])


def test_dialogs_are_read_once_and_bad_lines_skipped(tmp_path: Path, caplog) -> None:  # noqa: ANN001
    dialogs = read_dialogs(_cpcd_folder(tmp_path, [REGGAE, CHORAL]))
    assert [d.id for d in dialogs] == ["reggae", "choral"]  # the val copy of "reggae" once; no empty dialog
    assert dialogs[0].user_turns == ("I want to create a reggae playlist for the beach", "more like #1")
    assert dialogs[0].goal_artists == ("Bob Marley", "Zqxwv Orchestra")
    assert "skipped 2 lines" in caplog.text
    with pytest.raises(FileNotFoundError, match="no cpcd_v1.dialogs"):
        read_dialogs(tmp_path / "empty")


def test_a_list_is_judged_by_the_goal_artists_genres(builtin_recommender, tmp_path: Path) -> None:  # noqa: ANN001
    reggae, choral = read_dialogs(_cpcd_folder(tmp_path, [REGGAE, CHORAL]))
    goal = goal_target(builtin_recommender, reggae)
    assert goal is not None and "reggae" in goal.genres and goal.track_ids  # the unknown artist does not vote
    assert goal_target(builtin_recommender, Dialog("none", ("hi",), ("Zqxwv Orchestra",))) is None
    vocabulary = builtin_recommender.vocabulary
    tracks = list(builtin_recommender.tracks.values())
    chance = chance_share(tracks, goal, vocabulary)
    assert 0.0 < chance < 0.3
    assert list_share([t for t in tracks if "reggae" in t.descriptors][:10], goal, vocabulary) == 1.0
    assert list_share([t for t in tracks if "reggae" in t.descriptors][:4], goal, vocabulary) == 0.4  # short: misses
    shares = dialog_shares(builtin_recommender, reggae, goal)
    assert len(shares) == 2 and shares[0] >= 0.8 and shares[1] is not None  # "more like #1" shows a list too
    # the same conversation judged against a choral goal scores far lower: the measure can fail
    other = goal_target(builtin_recommender, choral)
    assert other is not None and dialog_shares(builtin_recommender, choral, other)[0] <= shares[0] - 0.5
    assert [d.id for d, _ in judged_dialogs(builtin_recommender, [reggae, choral])] == ["reggae", "choral"]


def test_the_gate_scores_cpcd_dialogs_and_loads_the_chats_artist_knowledge(builtin_recommender,  # noqa: ANN001
                                                                           tmp_path: Path) -> None:
    folder = _cpcd_folder(tmp_path, [REGGAE, CHORAL])
    share = cpcd_dialog_share(builtin_recommender, folder, 10, dialogs=5, turns=1)
    reggae = goal_target(builtin_recommender, read_dialogs(folder)[0])
    choral = goal_target(builtin_recommender, read_dialogs(folder)[1])
    expected = [dialog_shares(builtin_recommender, d, g, max_turns=1)[0]
                for d, g in zip(read_dialogs(folder), (reggae, choral))]
    assert share == pytest.approx(sum(expected) / 2)
    scorer = ChatTurnScorer(builtin=True, k=10, cpcd_dialogs=folder, listener_targets=4)
    assert "chat/cpcd-dialogs" in scorer.builtin_scores(builtin_recommender)
    assert "cpcd-dialogs" in scorer.name

    from types import SimpleNamespace

    from gpl.config import GateConfig

    run = SimpleNamespace(gate=GateConfig())  # what chat_turn_scorer reads of a GPLConfig
    knowledge = tmp_path / "artist-knowledge"
    knowledge.mkdir()
    (knowledge / "spotify_artist_genres.csv").write_text("artist,genres\n")
    picked = chat_turn_scorer(run, True, data_dir=tmp_path)
    assert picked.cpcd_dialogs == folder and picked.artist_knowledge == (knowledge / "spotify_artist_genres.csv",)
    assert chat_turn_scorer(run, True, data_dir=tmp_path / "nothing").cpcd_dialogs is None


def test_the_chat_serves_real_cpcd_openings_better_than_tfidf_and_chance(builtin_recommender) -> None:  # noqa: ANN001
    """The first messages of 120 real CPCD dialogs (dev), on the built-in catalogue."""
    if not (SHARED_DATA / "cpcd").is_dir():
        pytest.skip(f"CPCD dialogs not found under {SHARED_DATA} (CI always has ../shared/data)")
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from artist_requests import TfidfBaseline

    judged = judged_dialogs(builtin_recommender, read_dialogs(SHARED_DATA / "cpcd"))[:120]
    assert len(judged) >= 100
    vocabulary = builtin_recommender.vocabulary
    tracks = list(builtin_recommender.tracks.values())
    tfidf = TfidfBaseline(tracks)
    chat = [dialog_shares(builtin_recommender, d, g, max_turns=1)[0] or 0.0 for d, g in judged]
    lexical = [list_share(tfidf.top(d.user_turns[0]), g, vocabulary) for d, g in judged]
    chance = [chance_share(tracks, g, vocabulary) for _, g in judged]
    mean = lambda values: sum(values) / len(values)  # noqa: E731
    assert mean(chat) >= mean(lexical) + 0.1 and mean(chat) >= mean(chance) + 0.15, (mean(chat), mean(lexical))
