from __future__ import annotations

import json
from pathlib import Path

import pytest

from retriever import CatalogError, CsvColumns, load_catalog


def write(path: Path, text: str | bytes) -> Path:
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def test_jsonl_keeps_valid_rows_and_reports_each_bad_one(tmp_path: Path) -> None:
    good = {"id": "a", "title": "A", "artist": "X", "descriptors": ["jazz", "piano"], "year": 1959}
    lines = [
        json.dumps(good),
        json.dumps({"id": "", "title": "no id", "descriptors": ["x"]}),
        json.dumps({"id": "b", "title": "B", "descriptors": []}),
        json.dumps({"id": "c", "title": "C", "descriptors": [1, 2]}),
        json.dumps({"id": "a", "title": "dup", "descriptors": ["rock"]}),
        json.dumps({"id": "d", "title": "D", "descriptors": ["x" * 20_000]}),
        '{"id": "e", "title": "trunc',
    ]
    result = load_catalog(write(tmp_path / "c.jsonl", "\n".join(lines)), "jsonl")
    assert [t.id for t in result.tracks] == ["a"]
    reasons = {row.line: row.reason for row in result.skipped}
    assert "empty id" in reasons[2]
    assert "no descriptors" in reasons[3]
    assert "must be strings" in reasons[4]
    assert "too long" in reasons[6]
    assert "invalid JSON" in reasons[7]
    assert any("duplicate id" in row.reason for row in result.skipped)
    assert result.tracks[0].year == 1959 and result.tracks[0].url.startswith("https://")


def test_jsonl_bad_encoding_is_one_skipped_line(tmp_path: Path) -> None:
    data = b'{"id": "a", "descriptors": ["x"]}\n{"id": "b", "descriptors": ["\xff\xfe"]}\n'
    result = load_catalog(write(tmp_path / "c.jsonl", data), "jsonl")
    assert [t.id for t in result.tracks] == ["a"]
    assert result.skipped[0].line == 2 and "UTF-8" in result.skipped[0].reason


def test_empty_missing_and_wrong_format_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="empty"):
        load_catalog(write(tmp_path / "e.jsonl", ""), "jsonl")
    with pytest.raises(CatalogError, match="no such file"):
        load_catalog(tmp_path / "missing.jsonl", "jsonl")
    with pytest.raises(CatalogError, match="unknown catalogue format"):
        load_catalog(write(tmp_path / "x.jsonl", "{}"), "xml")
    with pytest.raises(CatalogError, match="not a MusicCaps CSV"):
        load_catalog(write(tmp_path / "x.csv", "a,b\n1,2\n"), "musiccaps")


def test_csv_with_column_mapping_and_list_literals(tmp_path: Path) -> None:
    text = 'song_id,name,by,tags\n1,One,A,"jazz;piano"\n2,Two,B,"[\'rock\', \'guitar\']"\n3,Three,C,\n'
    result = load_catalog(
        write(tmp_path / "c.csv", text), "csv",
        csv_columns=CsvColumns(id="song_id", title="name", artist="by", descriptors="tags"),
    )
    assert [t.descriptors for t in result.tracks] == [("jazz", "piano"), ("rock", "guitar")]
    assert result.skipped[0].line == 4


def test_csv_missing_column_names_the_columns(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="no column 'descriptors'"):
        load_catalog(write(tmp_path / "c.csv", "id,tags\n1,x\n"), "csv")


def test_musiccaps_and_jamendo_formats(tmp_path: Path) -> None:
    mc = 'ytid,start_s,end_s,aspect_list,caption,is_audioset_eval\nabc,30,40,"[\'steel drums\', \'calypso\']",A cap,True\n'
    result = load_catalog(write(tmp_path / "mc.csv", mc), "musiccaps")
    track = result.tracks[0]
    assert track.descriptors == ("steel drums", "calypso")
    assert track.url == "https://www.youtube.com/watch?v=abc&t=30s" and track.metadata["split"] == "test"
    tsv = ("TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS\n"
           "track_0000214\tartist_000014\talbum_000031\t14/214.mp3\t124.6\tgenre---punkrock\tmood/theme---happy\n"
           "track_0000215\tbroken\n")
    titles = "TRACK_ID\tATTRIBUTION\tLICENSE\n214\tIntro by Cartel by Cartel \tCC\n"
    result = load_catalog(write(tmp_path / "j.tsv", tsv), "jamendo", titles_path=write(tmp_path / "t.tsv", titles))
    assert result.tracks[0].descriptors == ("punkrock", "happy")
    assert (result.tracks[0].title, result.tracks[0].artist) == ("Intro by Cartel", "Cartel")
    assert result.skipped[0].line == 3


def test_real_musiccaps_file_loads_all_clips(shared_data: Path) -> None:
    result = load_catalog(shared_data / "musiccaps" / "musiccaps-public.csv", "musiccaps")
    assert len(result.tracks) == 5521 and not result.skipped
    assert sum(t.metadata["split"] == "test" for t in result.tracks) == 2858
