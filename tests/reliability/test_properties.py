"""Property-based tests (hypothesis): the catalogue loaders and the turn parser take any input,
raise nothing but their documented errors, and keep their invariants."""

from __future__ import annotations

import csv
import io
import json
import math
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatbot import ALL_VOCALS, Conversation, TurnParser
from chatbot.parse import MAX_MESSAGE_CHARS
from retriever import CatalogError, LoadResult, load_catalog, load_vocabulary
from retriever.catalog import MAX_DESCRIPTORS, MAX_FIELD_CHARS, MAX_ID_CHARS, is_storable_metadata

FAST = settings(deadline=None, max_examples=120, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(deadline=None, max_examples=30, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)
descriptor_lists = st.lists(st.one_of(st.text(max_size=16), json_values), max_size=6)
rows = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.sampled_from(["a", "b", " a ", "A"]), st.text(max_size=10), json_values),
        "title": st.one_of(st.text(max_size=20), json_values),
        "artist": st.one_of(st.text(max_size=20), json_values),
        "descriptors": st.one_of(descriptor_lists, json_values),
        "url": st.one_of(st.text(max_size=20), json_values),
        "year": st.one_of(st.integers(-3000, 3000), st.text(max_size=6), json_values),
    },
).flatmap(
    lambda row: st.dictionaries(st.text(max_size=8), json_values, max_size=2).map(
        lambda extra: {**extra, **row}
    )
)
jsonl_lines = st.lists(
    st.one_of(
        rows.map(lambda row: json.dumps(row).encode()),
        st.text(max_size=30).map(str.encode),
        st.binary(max_size=30),
    ),
    max_size=10,
)


def load_bytes(data: bytes, fmt: str, suffix: str = ".txt") -> LoadResult | None:
    """Load `data` as a catalogue file; None when it raised the documented CatalogError."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"catalogue{suffix}"
        path.write_bytes(data)
        try:
            return load_catalog(path, fmt)
        except CatalogError:
            return None


def check_tracks(result: LoadResult) -> None:
    ids = [t.id for t in result.tracks]
    assert len(ids) == len(set(ids)) == len(result.track_lines)
    for track in result.tracks:
        assert track.id and track.id == track.id.strip() and len(track.id) <= MAX_ID_CHARS
        assert not any(ord(c) < 32 or ord(c) == 127 for c in track.id + track.title + track.artist)
        assert track.title and len(track.title) <= MAX_FIELD_CHARS
        assert 1 <= len(track.descriptors) <= MAX_DESCRIPTORS
        assert all(isinstance(d, str) and d and d == d.strip() for d in track.descriptors)
        assert len({d.lower() for d in track.descriptors}) == len(track.descriptors)
        assert track.year is None or 1000 <= track.year <= 2100
        assert track.url
        assert all(is_storable_metadata(key, value) for key, value in track.metadata.items())
    assert all(row.line >= 1 and row.reason for row in result.skipped)
    assert [row.line for row in result.skipped] == sorted(row.line for row in result.skipped)
    assert result.summary().startswith(f"kept {len(result.tracks)}, skipped {len(result.skipped)}")


@FAST
@given(jsonl_lines)
def test_jsonl_loader_accounts_for_every_line(lines: list[bytes]) -> None:
    data = b"\n".join(lines)
    result = load_bytes(data, "jsonl", ".jsonl")
    if result is None:  # only an empty file or a UTF-16 one may fail as a whole
        assert not data or data.startswith((b"\xff\xfe", b"\xfe\xff"))
        return
    check_tracks(result)
    expected = set()
    for number, raw in enumerate(io.BytesIO(data), 1):
        try:
            is_blank = not raw.decode("utf-8-sig" if number == 1 else "utf-8").strip()
        except UnicodeDecodeError:
            is_blank = False
        if not is_blank:
            expected.add(number)
    seen = result.track_lines + [row.line for row in result.skipped]
    assert sorted(seen) == sorted(expected)  # every line is either kept or reported, exactly once
    assert load_bytes(data, "jsonl", ".jsonl") == result  # deterministic


@FAST
@given(st.lists(st.lists(st.text(max_size=15), min_size=4, max_size=4), max_size=8))
def test_csv_loader_keeps_or_reports_every_written_row(cells: list[list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "title", "artist", "descriptors"])
    writer.writerows(cells)
    result = load_bytes(buffer.getvalue().encode("utf-8"), "csv", ".csv")
    assert result is not None
    check_tracks(result)
    assert len(result.tracks) + len(result.skipped) == len(cells)


@FAST
@given(st.binary(max_size=300), st.sampled_from(["jsonl", "csv", "musiccaps", "jamendo"]))
def test_any_bytes_in_any_format_raise_only_catalog_error(data: bytes, fmt: str) -> None:
    result = load_bytes(data, fmt)
    if result is not None:
        check_tracks(result)


@FAST
@given(
    st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=20), min_size=6, max_size=40),
    st.sampled_from(["csv", "musiccaps", "jamendo"]),
)
def test_tabular_text_with_any_characters_raises_only_catalog_error(cells: list[str], fmt: str) -> None:
    header = {
        "csv": "id,title,artist,descriptors",
        "musiccaps": "ytid,start_s,aspect_list,caption",
        "jamendo": "TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS",
    }[fmt]
    separator = "\t" if fmt == "jamendo" else ","
    lines = [separator.join(cells[i : i + 6]) for i in range(0, len(cells), 6)]
    result = load_bytes("\n".join([header, *lines]).encode("utf-8", "replace"), fmt)
    if result is not None:
        check_tracks(result)


def test_what_the_loaders_keep_the_store_accepts(hashing_encoder) -> None:  # noqa: ANN001
    """The loaders' invariants are the store's preconditions: a kept track never fails an upsert."""
    from retriever import TrackStore, index_tracks

    with tempfile.TemporaryDirectory() as folder:
        counter = iter(range(10_000))

        @SLOW
        @given(jsonl_lines)
        def index_all(lines: list[bytes]) -> None:
            result = load_bytes(b"\n".join(lines), "jsonl", ".jsonl")
            if result is None or not result.tracks:
                return
            store = TrackStore.open(
                hashing_encoder.info, index_dir=Path(folder), collection=f"collection-{next(counter)}", create=True
            )
            index_tracks(result.tracks, store, hashing_encoder, show_progress_bar=False)
            assert store.count() == len(result.tracks)

        index_all()


# --- the turn parser ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def parsers(hashing_encoder):  # noqa: ANN001, ANN201
    vocabulary = load_vocabulary()
    return vocabulary, [TurnParser(vocabulary), TurnParser(vocabulary, hashing_encoder.encode)]


words = st.sampled_from(
    [
        "jazz",
        "piano",
        "no",
        "not",
        "vocals",
        "more",
        "like",
        "#2",
        "#0",
        "#999",
        "the",
        "first",
        "one",
        "but",
        "without",
        "upbeat",
        "start over",
        ",",
        ".",
        "!",
        "?",
        "and",
        "3",
        "less",
        "steel drums",
        "anything",
        "except",
        "instead of",
        "number",
        "last",
    ]
)
messages = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(), max_size=50),  # surrogates and control characters included
    st.lists(words, max_size=15).map(" ".join),
    st.lists(st.one_of(words, st.text(max_size=8)), max_size=12).map(" ".join),
)


@FAST
@given(messages)
def test_parse_never_raises_and_keeps_its_invariants(parsers, message: str) -> None:  # noqa: ANN001
    vocabulary, parser_list = parsers
    for parser in parser_list:
        turn = parser.parse(message)
        for name in (*turn.wanted, *turn.boosted, *turn.lowered, *turn.excluded):
            assert name in vocabulary.descriptors or name == ALL_VOCALS
        assert not set(turn.wanted) & set(turn.excluded)
        for rank in (*turn.liked_ranks, *turn.disliked_ranks, *turn.more_like_ranks):
            assert isinstance(rank, int) and rank >= 0
        assert not any(ord(c) < 32 and c not in "\n\t" for c in turn.text)
        assert len(turn.text) <= MAX_MESSAGE_CHARS * 2
        assert all(isinstance(notice, str) and notice for notice in turn.notices)
        assert parser.parse(message) == turn  # deterministic
        assert parser.parse(f"  {message}\n\t") == turn  # surrounding whitespace changes nothing


@FAST
@given(
    st.one_of(
        st.none(),
        st.integers(),
        st.floats(),
        st.binary(max_size=20),
        st.lists(st.text(max_size=5), max_size=3),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    )
)
def test_parse_takes_any_object(parsers, message: object) -> None:  # noqa: ANN001
    for parser in parsers[1]:
        turn = parser.parse(message)
        assert isinstance(turn.text, str)
        if message is None or message == "":
            assert not turn.text and turn.notices  # asked to say something


@SLOW
@given(st.text(min_size=MAX_MESSAGE_CHARS + 1, max_size=MAX_MESSAGE_CHARS + 400, alphabet="ab cd"))
def test_overlong_messages_are_cut_with_a_notice(parsers, message: str) -> None:  # noqa: ANN001
    turn = parsers[1][0].parse(message)
    if len(" ".join(message.split())) > MAX_MESSAGE_CHARS:
        assert any(str(MAX_MESSAGE_CHARS) in notice for notice in turn.notices)


@SLOW
@given(st.lists(messages, min_size=1, max_size=6))
def test_any_conversation_is_answered_and_respects_exclusions(recommender, conversation: list[str]) -> None:  # noqa: ANN001
    session = Conversation(recommender)
    for message in conversation:
        turn = session.say(message)
        state = session.state
        assert isinstance(turn.reply, str) and turn.reply.strip()
        assert len(state.shown) == len(set(state.shown))
        excluded = {d.lower() for d in state.excluded}
        for view in turn.results:
            assert view.track.id in recommender.searcher.tracks
            assert not {d.lower() for d in view.track.descriptors} & excluded
            assert math.isfinite(view.score)
