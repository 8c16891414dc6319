"""Bad catalogue files: every bad row is reported with its line number and reason, the valid
rows are kept and indexed, the run ends with a summary, and nothing already indexed is lost."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from retriever import CatalogError, CsvColumns, SkippedRow, load_catalog
from tests.reliability.conftest import song, write_jsonl

TEN_MB = 10 * 1024 * 1024

# (case, the bad line: a row dict merged into a valid song, or raw text/bytes, reason it must give)
BAD_JSONL_ROWS = [
    ("missing id", {"id": None}, "missing id"),
    ("no id key", '{"title": "x", "descriptors": ["jazz"]}', "missing id"),
    ("empty id", {"id": ""}, "empty id"),
    ("whitespace id", {"id": " \t\u3000 "}, "empty id"),
    ("control-character id", {"id": "\x00\x07\x1b"}, "empty id"),
    ("id not text", {"id": ["a"]}, "id not text"),
    ("id too long", {"id": "x" * 300}, "id too long"),
    ("descriptors missing", '{"id": "b", "title": "x"}', "no descriptors"),
    ("descriptors empty", {"descriptors": []}, "no descriptors"),
    ("descriptors blank", {"descriptors": ["", "  ", "\x00"]}, "no descriptors"),
    ("descriptors numbers", {"descriptors": [1, 2]}, "descriptors must be strings"),
    ("descriptors nested", {"descriptors": [["jazz"]]}, "descriptors must be strings"),
    ("descriptors with null", {"descriptors": ["jazz", None]}, "descriptors must be strings"),
    ("descriptors a dict", {"descriptors": {"jazz": 1}}, "descriptors not a list"),
    ("descriptors a string", {"descriptors": "jazz, piano"}, "descriptors not a list"),
    ("descriptors a bool", {"descriptors": True}, "descriptors not a list"),
    ("too many descriptors", {"descriptors": [f"d{i}" for i in range(65)]}, "too many descriptors"),
    ("title not text", {"title": {"a": 1}}, "title not text"),
    ("year not a number", {"year": "soon"}, "year not a number"),
    ("year out of range", {"year": 3000}, "year out of range"),
    ("10 MB title", {"title": "x" * TEN_MB}, "title too long"),
    ("10 MB descriptor", {"descriptors": ["y" * TEN_MB]}, "descriptor too long"),
    ("truncated line", '{"id": "t", "descriptors": ["ja', "invalid JSON"),
    ("not an object", '["id", "descriptors"]', "invalid JSON: expected an object"),
    ("nested 100,000 deep", "[" * 100_000, "invalid JSON: nested too deeply"),
    ("latin-1 bytes", b'{"id": "caf\xe9", "descriptors": ["jazz"]}', "not UTF-8"),
]


def write_lines(path: Path, lines: list[str | bytes | dict]) -> Path:
    with path.open("wb") as handle:
        for line in lines:
            if isinstance(line, dict):
                line = json.dumps(line)
            handle.write((line if isinstance(line, bytes) else line.encode("utf-8")) + b"\n")
    return path


@pytest.mark.parametrize(("case", "bad", "reason"), BAD_JSONL_ROWS, ids=[c[0] for c in BAD_JSONL_ROWS])
def test_each_bad_jsonl_row_is_reported_with_its_line_and_the_rest_kept(
    tmp_path: Path, case: str, bad: object, reason: str
) -> None:
    line = {**song("bad"), **bad} if isinstance(bad, dict) else bad
    path = write_lines(tmp_path / "c.jsonl", [song("g1"), line, song("g3")])
    result = load_catalog(path, "jsonl")
    assert [t.id for t in result.tracks] == ["g1", "g3"]
    assert result.track_lines == [1, 3]
    assert len(result.skipped) == 1 and result.skipped[0].line == 2, result.skipped
    assert reason in result.skipped[0].reason
    assert len(result.skipped[0].reason) < 300  # a reason is a line, not the bad value
    assert result.summary().startswith("kept 2, skipped 1 (1 ")


def test_duplicate_ids_are_reported_on_their_own_lines_and_the_first_kept(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "c.jsonl", [song("a", "jazz"), song("b"), song("a", "rock"), song("a", "folk")]
    )
    result = load_catalog(path, "jsonl")
    assert [(t.id, t.descriptors) for t in result.tracks] == [("a", ("jazz",)), ("b", ("jazz", "piano"))]
    assert [row.line for row in result.skipped] == [3, 4]
    assert all("duplicate id: 'a' (first seen on line 1" in row.reason for row in result.skipped)
    assert result.summary() == "kept 2, skipped 2 (2 duplicate id)"


def test_extra_fields_the_store_would_refuse_are_dropped_not_the_row(tmp_path: Path, hashing_encoder) -> None:  # noqa: ANN001
    from retriever import TrackStore, index_tracks

    odd = song(
        "odd",
        **{
            "": "empty key",
            "#x": "hash key",
            "chroma:document": "reserved",
            "nan": float("nan"),
            "huge": 10**30,
            "big": "z" * TEN_MB,
            "ok": "kept",
            "n": 3,
        },
    )
    path = write_lines(tmp_path / "c.jsonl", [odd])
    result = load_catalog(path, "jsonl")
    assert [t.id for t in result.tracks] == ["odd"] and not result.skipped
    assert dict(result.tracks[0].metadata) == {"ok": "kept", "n": 3}
    store = TrackStore.open(hashing_encoder.info, index_dir=tmp_path / "idx", create=True)
    index_tracks(result.tracks, store, hashing_encoder, show_progress_bar=False)
    assert store.count() == 1


# --- CSV, MusicCaps, Jamendo -----------------------------------------------------------------------

HEADER = "id,title,artist,descriptors"


def test_csv_bad_rows_keep_their_physical_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(
        b"\n".join(
            [
                HEADER.encode(),
                b"a,A,X,jazz;piano",  # 2 good
                b"b,B\xe9,X,rock",  # 3 not UTF-8
                b"c,C,X,",  # 4 no descriptors
                b'd,"multi\nline title",X,folk',  # 5-6 good, two physical lines
                b"e,E,X,jazz,extra",  # 7 more cells than columns
                b"f,F,X," + b"w" * TEN_MB,  # 8 a 10 MB cell
                b',G,X,"x"y',  # 9 text after a closing quote
                b"h,H,X,metal",  # 10 good
                b'i,I,X,"jazz;pi',  # 11 truncated last line: a quote still open
            ]
        )
    )
    result = load_catalog(path, "csv")
    assert [t.id for t in result.tracks] == ["a", "d", "h"]
    assert result.track_lines == [2, 6, 10]
    reasons = {row.line: row.reason for row in result.skipped}
    assert sorted(reasons) == [3, 4, 7, 8, 9, 11], reasons
    assert "not UTF-8" in reasons[3]
    assert "no descriptors" in reasons[4]
    assert "more cells" in reasons[7]
    assert "unreadable CSV row: field larger than field limit" in reasons[8]
    assert "unreadable CSV row" in reasons[9]
    assert "unexpected end of data" in reasons[11]


def test_musiccaps_truncated_aspect_list_is_skipped_not_split(tmp_path: Path) -> None:
    path = tmp_path / "mc.csv"
    path.write_text(
        "ytid,start_s,end_s,aspect_list,caption,is_audioset_eval\n"
        "abc,30,40,\"['steel drums', 'calypso']\",A caption,True\n"
        "def,0,10,\"['steel drums', 'caly\"\n",
        encoding="utf-8",
    )
    result = load_catalog(path, "musiccaps")
    assert [t.id for t in result.tracks] == ["abc"]
    assert result.skipped == [
        SkippedRow(3, "descriptors not a list: unterminated list literal (truncated line?)")
    ]


def test_jamendo_odd_numbers_are_rows_not_crashes(tmp_path: Path) -> None:
    tsv = (
        "TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS\n"
        "track_0000001\tartist_1\talbum_1\t1.mp3\t1²\tgenre---rock\n"
        "track_0000002\tartist_2\talbum_2\t2.mp3\tinf\tmood/theme---happy\n"
        "track_0000003\tshort\n"
    )
    titles = "TRACK_ID\tATTRIBUTION\tLICENSE\n²\tOdd by Someone\tCC\n1\tOne by Band\tCC\n"
    (tmp_path / "t.tsv").write_text(titles, encoding="utf-8")
    result = load_catalog(
        write_lines(tmp_path / "j.tsv", [tsv.rstrip("\n")]), "jamendo", titles_path=tmp_path / "t.tsv"
    )
    assert [(t.id, t.title, t.metadata["duration_s"]) for t in result.tracks] == [
        ("track_0000001", "One", 0.0),
        ("track_0000002", "Jamendo track_0000002", 0.0),
    ]
    assert [row.line for row in result.skipped] == [4]


# --- whole files that cannot be read: one CatalogError each ---------------------------------------


def test_unreadable_whole_files_raise_one_clear_error(tmp_path: Path) -> None:
    jsonl = write_jsonl(tmp_path / "songs.jsonl", [song("a")])
    csv_file = tmp_path / "songs.csv"
    csv_file.write_text(f"{HEADER}\na,A,X,jazz\n", encoding="utf-8")
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    utf16 = tmp_path / "utf16.jsonl"
    utf16.write_text(json.dumps(song("a")) + "\n", encoding="utf-16")
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    cases = [
        (empty, "jsonl", "the file is empty"),
        (tmp_path, "jsonl", "is a directory"),
        (fifo, "jsonl", "not a regular catalogue file"),
        (tmp_path / "missing.jsonl", "jsonl", "no such file"),
        (utf16, "jsonl", "UTF-16"),
        (jsonl, "csv", "CSV has no column 'id'"),
        (jsonl, "musiccaps", "not a MusicCaps CSV"),
        (jsonl, "jamendo", "not an MTG-Jamendo TSV"),
        (csv_file, "xml", "unknown catalogue format"),
    ]
    for path, fmt, message in cases:
        with pytest.raises(CatalogError, match=message):
            load_catalog(path, fmt)
    with pytest.raises(CatalogError, match="is a directory, expected a titles file"):
        load_catalog(jsonl, "jamendo", titles_path=tmp_path)
    with pytest.raises(CatalogError, match="no column 'song_id'"):
        load_catalog(csv_file, "csv", csv_columns=CsvColumns(id="song_id"))
    # The wrong format the other way round reads every line and keeps none (the CLI then says so).
    result = load_catalog(csv_file, "jsonl")
    assert not result.tracks and [row.line for row in result.skipped] == [1, 2]


# --- through the CLI: reported lines, summary, exit codes, nothing lost ------------------------------


def stored(index_dir: Path, encoder_dir: Path) -> dict[str, str]:
    """id -> stored document of the index's `tracks` collection."""
    from retriever import TrackStore, load_encoder

    store = TrackStore.open(load_encoder(str(encoder_dir), device="cpu").info, index_dir=index_dir)
    page = store.collection.get(include=["documents"])
    assert len(page["ids"]) == store.count() == len(set(page["ids"]))
    return dict(zip(page["ids"], page["documents"]))


def test_cli_indexes_valid_rows_reports_bad_ones_and_loses_nothing(
    cli, tmp_path: Path, tiny_encoder_dir: Path
) -> None:  # noqa: ANN001
    index_dir = tmp_path / "idx"
    good = write_jsonl(tmp_path / "good.jsonl", [song(f"old-{i}", "jazz", f"mood {i}") for i in range(5)])
    run = cli("index", good, "--format", "jsonl", "--index-dir", index_dir, "--encoder", tiny_encoder_dir)
    assert run.code == 0, run.err
    before = stored(index_dir, tiny_encoder_dir)
    assert len(before) == 5

    bad = write_lines(
        tmp_path / "bad.jsonl",
        [
            song("new-1", "rock"),  # 1
            {"id": "old-0", "descriptors": []},  # 2: a bad row for an indexed id must not touch it
            '{"id": "new-x", "descriptors": ["ja',  # 3
            song("new-2", "folk"),  # 4
            {**song("old-1"), "descriptors": [1, 2]},  # 5
            b'{"id": "caf\xe9", "descriptors": ["jazz"]}',  # 6
            song("new-1", "metal"),  # 7: duplicate in this file
            {**song("big"), "title": "t" * TEN_MB},  # 8
            song("new-3", "calm"),  # 9
        ],
    )
    run = cli("index", bad, "--format", "jsonl", "--index-dir", index_dir)
    assert run.code == 0, run.err
    reported = [line for line in run.err.splitlines() if ": skipped: " in line]
    assert [line.split(":")[1] for line in reported] == ["2", "3", "5", "6", "7", "8"]
    assert "indexed 3 tracks (0 already there" in run.out and "skipped 6 rows" in run.out
    assert f"{bad}: kept 3, skipped 6 (" in run.out
    after = stored(index_dir, tiny_encoder_dir)
    assert set(after) == set(before) | {"new-1", "new-2", "new-3"}
    assert {key: after[key] for key in before} == before  # nothing already indexed changed or went

    run = cli("index", bad, "--format", "jsonl", "--index-dir", index_dir, "--strict")
    assert run.code == 1 and "indexed 0 tracks (3 already there" in run.out
    assert stored(index_dir, tiny_encoder_dir) == after

    nothing_valid = write_lines(tmp_path / "none.jsonl", [{"id": "", "descriptors": ["x"]}, "{oops"])
    as_csv = tmp_path / "songs.csv"
    as_csv.write_text(f"{HEADER}\nc1,C,X,jazz\n", encoding="utf-8")
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    for args, message in [
        ((nothing_valid, "--format", "jsonl"), "no valid rows to index (kept 0, skipped 2"),
        ((as_csv, "--format", "jsonl"), "is --format jsonl right?"),
        ((empty, "--format", "jsonl"), "the file is empty"),
        ((good, "--format", "csv"), "CSV has no column 'id'"),
        ((good, "--format", "yaml"), "invalid choice: 'yaml'"),
    ]:
        run = cli("index", *args, "--index-dir", index_dir)
        assert run.code == 2, (args, run.err)
        assert message in run.err and len(run.error_lines) == 1, run.err
    assert stored(index_dir, tiny_encoder_dir) == after
