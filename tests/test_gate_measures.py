"""The built-in chat's measures the GPL gate scores: the simulated listener and the Reddit artist requests.

Both run on the built-in catalogue with the packaged MiniLM; the Reddit requests here are a tiny
MusicRecoNER-shaped folder written by the test (benchmarks/artist_requests.py runs the real ones).
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from tunetalk.artist_requests import catalogue_artist_requests, catalogue_share, read_requests
from tunetalk.chat_gate import ChatTurnScorer, artist_request_share, chat_turn_scorer, simulated_listener_success
from tunetalk.simulated_listener import (
    LIKE_TEMPLATES,
    Episode,
    at_turn_success,
    rules_out,
    simulate_listener,
)


def test_the_simulated_listener_asks_for_its_target_and_says_when_it_sees_it(builtin_recommender) -> None:  # noqa: ANN001
    tracks = sorted(builtin_recommender.tracks.values(), key=lambda t: t.id)
    targets = random.Random(3).sample(tracks, 12)
    episodes = [simulate_listener(builtin_recommender, t, random.Random(f"3-{i}")) for i, t in enumerate(targets)]
    like_starts = tuple(template.split("{")[0] for template in LIKE_TEMPLATES)
    for episode in episodes:
        assert len(episode.messages) == len(episode.holds_target) == 4
        assert episode.violations == 0, episode.messages  # the chat honours every exclusion
        for turn, message in enumerate(episode.messages[1:], 1):
            if episode.holds_target[turn - 1]:  # the target was on screen: the listener says so
                assert message.startswith(like_starts), message
        for excluded in episode.excluded[-1]:  # never a descriptor the target itself carries
            assert not any(rules_out(excluded, own) for own in episode.target.descriptors)
        if episode.success_turn is not None:
            assert episode.holds_target[episode.success_turn - 1] and not any(episode.holds_target[:episode.success_turn - 1])
    found = sum(e.success_turn is not None for e in episodes)
    assert found >= 6, [e.messages for e in episodes]  # 0.76 by turn 4 over 200 targets (README)
    # the same seeds give the same conversations
    again = simulate_listener(builtin_recommender, targets[0], random.Random("3-0"))
    assert again.messages == episodes[0].messages


def test_at_turn_success_counts_every_turn_of_every_episode() -> None:
    from retriever import Track

    target = Track(id="x", title="x", artist="", descriptors=("jazz",))
    one = Episode(target, holds_target=[False, True, True, True])
    two = Episode(target, holds_target=[False, False])
    assert at_turn_success([one, two]) == pytest.approx(3 / 6)
    assert at_turn_success([]) == 0.0


def _ner_folder(root: Path, requests: list[tuple[str, list[tuple[str, str]]]]) -> Path:
    """A MusicRecoNER-shaped folder: dataset1/queries.csv and ground-truth_linked.csv."""
    dataset = root / "music-reco-ner" / "dataset1"
    dataset.mkdir(parents=True)
    with (dataset / "queries.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["preprocessed", "original"])
        for number, (text, _) in enumerate(requests):
            writer.writerow([f"q{number}", text])
    with (dataset / "ground-truth_linked.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["query", "mention", "type", "wiki_name"])
        for number, (_, names) in enumerate(requests):
            for mention, wiki in names:
                writer.writerow([f"q{number}", mention, "Artist", wiki])
            writer.writerow([f"q{number}", "rock", "Genre", ""])  # not an Artist: never a name
    return root / "music-reco-ner"


def test_reddit_artist_requests_are_judged_by_the_named_artists_genres(builtin_recommender, tmp_path) -> None:  # noqa: ANN001
    folder = _ner_folder(tmp_path, [
        ("Looking for songs like Bob Marley, any ideas?", [("bob marley", "Bob_Marley")]),
        ("Looking for songs like Bob Marley, any ideas?", [("bob marley", "Bob_Marley")]),  # the same text again
        ("anything that sounds like Zqxwv Orchestra", [("zqxwv orchestra", "")]),  # an artist nobody knows
        ("bands like nirvana please", [("nirvana", "Nirvana_(band)")]),
    ])
    requests = read_requests(folder)
    assert [r.text for r in requests] == ["Looking for songs like Bob Marley, any ideas?",
                                          "anything that sounds like Zqxwv Orchestra", "bands like nirvana please"]
    judged = catalogue_artist_requests(builtin_recommender, requests)
    assert [request.text for request, _ in judged] == [requests[0].text, requests[2].text]
    assert judged[0][1][0].name == "Bob Marley & The Wailers"
    marley = catalogue_share(builtin_recommender, requests[0].text, judged[0][1])
    assert marley >= 0.8  # reggae, mostly by others
    # judged against another artist's genres, the same list scores far lower: the measure can fail
    assert catalogue_share(builtin_recommender, requests[0].text, judged[1][1]) <= marley - 0.5
    with pytest.raises(FileNotFoundError, match="no MusicRecoNER"):
        read_requests(tmp_path / "empty")


def test_the_gate_scores_the_builtin_chat_with_its_own_measures(builtin_recommender, tmp_path) -> None:  # noqa: ANN001
    folder = _ner_folder(tmp_path, [("songs like Bob Marley", [("bob marley", "Bob_Marley")])])
    scorer = ChatTurnScorer(builtin=True, k=10, artist_requests=folder, listener_targets=8)
    scores = scorer.builtin_scores(builtin_recommender)
    assert set(scores) == {"chat/listener-requests", "chat/simulated-listener", "chat/reddit-artist-requests"}
    assert all(0.0 <= value <= 1.0 for value in scores.values())
    assert scores["chat/reddit-artist-requests"] >= 0.8
    assert scores["chat/simulated-listener"] == simulated_listener_success(builtin_recommender, 8)  # paired: fixed
    assert "simulated-listener8 reddit-artist-requests" in scorer.name
    # a sample of the Reddit requests: a fixed one of them, the same on every call
    two = _ner_folder(tmp_path / "two", [("songs like Bob Marley", [("bob marley", "Bob_Marley")]),
                                         ("bands like nirvana please", [("nirvana", "Nirvana_(band)")])])
    alone = [artist_request_share(builtin_recommender, _ner_folder(tmp_path / name, [request]), 10)
             for name, request in (("marley", ("songs like Bob Marley", [("bob marley", "Bob_Marley")])),
                                   ("nirvana", ("bands like nirvana please", [("nirvana", "Nirvana_(band)")])))]
    sampled = artist_request_share(builtin_recommender, two, 10, sample=1)
    assert sampled in alone and sampled == artist_request_share(builtin_recommender, two, 10, sample=1)
    assert artist_request_share(builtin_recommender, two, 10) == pytest.approx(sum(alone) / 2)

    from types import SimpleNamespace

    from gpl.config import GateConfig

    run = SimpleNamespace(gate=GateConfig())  # what chat_turn_scorer reads of a GPLConfig
    assert chat_turn_scorer(run, True, data_dir=tmp_path).artist_requests == folder
    assert chat_turn_scorer(run, True, data_dir=tmp_path / "nothing").artist_requests is None
    assert "reddit" not in chat_turn_scorer(run, True).name
    # `train --gate-chat-sample 5`: every sampled measure draws at most 5 conversations, and says so
    quick = chat_turn_scorer(SimpleNamespace(gate=GateConfig(chat_sample=5)), True, data_dir=tmp_path)
    assert (quick.listener_targets, quick.cpcd_sample, quick.reddit_sample) == (5, 5, 5)
    assert "simulated-listener5 reddit-artist-requests5" in quick.name
    assert chat_turn_scorer(run, True).listener_targets == 100


def test_the_listener_judges_no_rap_as_no_rap_and_no_vocals_as_no_vocal() -> None:
    assert rules_out("vocals", "male vocals") and rules_out("singing", "rap")
    assert rules_out("rap", "rap") and not rules_out("rap", "male vocals")  # what the chat turn excludes
    assert not rules_out("choir", "female vocals") and not rules_out("vocals", "instrumental")
