"""index.cdxj: one sorted line per response and revisit, pointing at its record."""

from __future__ import annotations

import gzip
import json
import logging
import signal
import subprocess
import sys
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from tests.crawl import ROOT
from tests.warc_exchanges import archive, exchange, html_gz, warc_files
from warc import index

# Writes three captures, then dies without closing its file.
KILLED_WRITER = """
import os, signal, sys
from tests.warc_exchanges import archive, exchange
arc = archive(sys.argv[1], worker_id=(sys.argv[2:] or [None])[0])
for i in range(3):
    arc.write_exchange(exchange(f"https://sputniknews.com/k{i}", seconds=100 + i))
os.kill(os.getpid(), signal.SIGKILL)
"""


def write_captures(directory: Path, names: list[str], *, max_size: int = 10**9, start: int = 0) -> None:
    with archive(directory, max_size=max_size) as arc:
        for i, name in enumerate(names):
            captured = arc.write_exchange(exchange(f"https://sputniknews.com/{name}", seconds=start + i))
            arc.write_metadata(captured, b"{}")
        # same payload as the first page: a revisit, which is indexed too
        arc.write_exchange(exchange("https://sputniknews.com/copy", html_gz(f"https://sputniknews.com/{names[0]}"),
                                    seconds=start + 99))


def parsed(directory: Path) -> list[tuple[str, str, dict]]:
    result = []
    for line in index.read_index(directory):
        key, stamp, fields = line.rstrip("\n").split(" ", 2)
        result.append((key, stamp, json.loads(fields)))
    return result


def record_at(path: Path, offset: int):
    with open(path, "rb") as fh:
        fh.seek(offset)
        record = next(iter(ArchiveIterator(fh)))
        return record.rec_type, record.rec_headers["WARC-Target-URI"]


def test_one_sorted_line_per_capture_with_working_offsets(tmp_path):
    write_captures(tmp_path, ["b", "a?x=2", "c"], max_size=2000)
    lines = index.read_index(tmp_path)
    entries = parsed(tmp_path)
    assert lines == sorted(lines) and len(entries) == 4
    assert len(warc_files(tmp_path)) > 1  # offsets are per file, across rotations
    assert {e["url"] for _, _, e in entries} == {f"https://sputniknews.com/{n}" for n in ("b", "a?x=2", "c", "copy")}
    for key, stamp, entry in entries:
        path = tmp_path / entry["filename"]
        assert Path(entry["filename"]).name == entry["filename"] and path.exists()
        rec_type, uri = record_at(path, int(entry["offset"]))
        assert uri == entry["url"]
        assert rec_type == ("revisit" if entry["url"].endswith("/copy") else "response")
        assert key.startswith("com,sputniknews)/") and len(stamp) == 14 and stamp.startswith("20240301")
    copy = next(e for _, _, e in entries if e["url"].endswith("/copy"))
    first = next(e for _, _, e in entries if e["url"].endswith("/b"))
    assert (copy["mime"], copy["digest"]) == ("warc/revisit", first["digest"])
    assert (first["mime"], first["status"]) == ("text/html", "200")


def test_later_runs_merge_into_the_sorted_index(tmp_path):
    write_captures(tmp_path, ["m", "z"])
    write_captures(tmp_path, ["a", "n"], start=1000)
    lines = index.read_index(tmp_path)
    assert lines == sorted(lines)
    urls = [json.loads(line.split(" ", 2)[2])["url"] for line in lines]
    assert sorted(urls) == sorted(f"https://sputniknews.com/{n}" for n in ("m", "z", "copy", "a", "n", "copy"))
    assert len({index.line_filename(line) for line in lines}) == 2


def test_merging_a_file_twice_keeps_one_copy_of_its_lines(tmp_path):
    write_captures(tmp_path, ["a", "b"])
    before = index.read_index(tmp_path)
    (path,) = warc_files(tmp_path)
    assert index.merge_file(tmp_path, path) == 3
    assert index.read_index(tmp_path) == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_index_equals_a_fresh_rebuild(tmp_path):
    write_captures(tmp_path, ["q", "r"], max_size=1500)
    incremental = index.read_index(tmp_path)
    assert index.rebuild(tmp_path, warc_files(tmp_path)) == len(incremental) == 3
    assert index.read_index(tmp_path) == incremental


def test_request_metadata_and_warcinfo_are_not_indexed(tmp_path):
    write_captures(tmp_path, ["only"])
    (path,) = warc_files(tmp_path)
    types = [record_at(path, int(e["offset"]))[0] for _, _, e in parsed(tmp_path)]
    assert sorted(types) == ["response", "revisit"]


# --- a damaged index is derived data: skipped, counted, rebuilt ---------------------

GARBAGE = "this is not a cdxj line\n"


def spoil_index(directory: Path, at: int = 1) -> None:
    """Puts a garbage line at 1-based line ``at`` of the index."""
    lines = index.read_index(directory)
    lines.insert(at - 1, GARBAGE)
    (directory / index.INDEX_NAME).write_text("".join(lines), encoding="utf-8")


def test_a_garbage_line_is_skipped_with_one_warning_and_the_file_still_closes(tmp_path, caplog):
    write_captures(tmp_path, ["a", "b"])
    spoil_index(tmp_path, at=2)
    with caplog.at_level(logging.WARNING):
        arc = archive(tmp_path)
        arc.write_exchange(exchange("https://sputniknews.com/c", seconds=50))
        arc.close()
    assert not list(tmp_path.glob("*.open"))
    lines = index.read_index(tmp_path)
    assert GARBAGE not in lines and lines == sorted(lines)
    assert {e["url"].rsplit("/", 1)[1] for _, _, e in parsed(tmp_path)} == {"a", "b", "copy", "c"}
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1, warnings
    assert f"{tmp_path / index.INDEX_NAME}" in warnings[0] and "line 2" in warnings[0]
    assert arc.counts["index/bad_lines"] == 1


def test_start_up_with_a_garbage_line_recovers_and_indexes_the_orphan(tmp_path):
    write_captures(tmp_path, ["a"])
    done = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(tmp_path)], cwd=ROOT, timeout=60)
    assert done.returncode == -signal.SIGKILL
    spoil_index(tmp_path)
    with archive(tmp_path) as arc:
        assert len(arc.recovered) == 1
    assert not list(tmp_path.glob("*.open"))
    assert arc.recovered[0].name in {e["filename"] for _, _, e in parsed(tmp_path)}
    assert len(parsed(tmp_path)) == 2 + 3


def test_a_closed_file_missing_from_the_index_is_indexed_at_start(tmp_path, caplog):
    write_captures(tmp_path, ["a", "b"], max_size=1500)
    complete = index.read_index(tmp_path)
    (tmp_path / index.INDEX_NAME).write_text("".join(complete[1:]), encoding="utf-8")
    dropped = index.line_filename(complete[0])
    with caplog.at_level(logging.WARNING), archive(tmp_path) as arc:
        pass
    assert index.read_index(tmp_path) == complete
    assert arc.counts["index/files_reindexed"] >= 1
    assert f"{dropped} had no line in {tmp_path / index.INDEX_NAME}" in caplog.text


def test_a_closed_file_that_is_not_a_warc_does_not_stop_an_archive_opening(tmp_path, caplog):
    write_captures(tmp_path, ["a"])
    # A record without a target URI: cdxj-indexer raises on it.
    (tmp_path / "sputnik-junk.warc.gz").write_bytes(gzip.compress(
        b"WARC/1.1\r\nWARC-Type: response\r\nContent-Length: 99999\r\n\r\nabc"))
    before = index.read_index(tmp_path)
    with caplog.at_level(logging.WARNING), archive(tmp_path):
        pass
    assert index.read_index(tmp_path) == before
    assert "sputnik-junk.warc.gz cannot be indexed" in caplog.text


def test_rebuild_command_rebuilds_the_index_from_the_warc_files(tmp_path):
    write_captures(tmp_path, ["q", "r"], max_size=1500)
    complete = index.read_index(tmp_path)
    (tmp_path / index.INDEX_NAME).write_text(GARBAGE + "".join(complete[2:]), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "warc.index", "rebuild", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert index.read_index(tmp_path) == complete
    assert f"{len(complete)} lines" in done.stdout


# --- lines made from the heads the writer kept, not by reading the file ------------------

ODD_EXCHANGES = [
    exchange("https://sputniknews.com/plain"),
    exchange("https://sputniknews.com/missing", b"not here", status=404, reason="Not Found"),
    exchange("https://sputniknews.com/moved", b"", status=301, extra_headers=[("Location", "/plain")]),
    exchange("https://fr.sputniknews.com/actualité/été?q=ü#frag", b"<p>iri</p>", seconds=3),
    exchange("https://sputniknews.com/page?b=2&a=1", b"%PDF-1.4", seconds=4),
    exchange("https://sputniknews.com/plain", seconds=5),  # same payload: a revisit
    exchange("HTTPS://SPUTNIKNEWS.COM:443/Upper/Case", b"<p>case</p>", seconds=6),
]


def _without_content_type(e, value):
    headers = [(k, v) for k, v in e.response_headers if k.lower() != "content-type"]
    return type(e)(**{**e.__dict__, "response_headers": headers + ([("Content-Type", value)] if value is not None else [])})


def test_lines_from_the_kept_heads_are_cdxj_indexers_reading_of_the_file(tmp_path, monkeypatch):
    from tests.test_warc_writer import foreign_records
    odd = [*ODD_EXCHANGES,
           _without_content_type(exchange("https://sputniknews.com/untyped", b"x", seconds=7), None),
           _without_content_type(exchange("https://sputniknews.com/params", b"y", seconds=8), "TEXT/HTML;charset=UTF-8"),
           _without_content_type(exchange("https://sputniknews.com/spaced", b"z", seconds=9), "  text/plain ; q=1"),
           _without_content_type(exchange("https://sputniknews.com/empty", b"w", seconds=10), ""),
           _without_content_type(exchange("https://sputniknews.com/utf8", b"v", seconds=11), "text/html; name=日本")]
    foreign = foreign_records(tmp_path / "cc", exchange("https://sputniknews.com/cc1", seconds=20),
                              exchange("https://sputniknews.com/cc-moved", b"", status=302, seconds=21,
                                       extra_headers=[("Location", "/cc1")]))
    read_back = index.cdxj_lines

    def no_reading(*args, **kwargs):
        raise AssertionError("the writer read a file back to index it")

    monkeypatch.setattr(index, "cdxj_lines", no_reading)
    ours = tmp_path / "ours"
    with archive(ours, max_size=4000) as arc:  # rotations too
        for e in odd:
            captured = arc.write_exchange(e)
            arc.write_metadata(captured, b"{}")
        arc.write_exchange(exchange("https://web.archive.org/x", b"<p>wb</p>", seconds=30), with_request=False)
        for record in foreign:
            arc.append_record(record)
    monkeypatch.setattr(index, "cdxj_lines", read_back)
    files = warc_files(ours)
    assert len(files) > 2
    indexed = index.read_index(ours)
    for path in files:
        mine = [line for line in indexed if index.line_filename(line) == path.name]
        assert mine == read_back(path), path.name
    assert len(indexed) == len(odd) + 1 + len(foreign)


def test_a_file_with_a_record_of_unknown_head_is_read_back(tmp_path, monkeypatch):
    from tests.test_warc_writer import foreign_records
    (page,) = foreign_records(tmp_path / "cc", exchange("https://sputniknews.com/cc1"))
    calls = []
    read_back = index.cdxj_lines
    monkeypatch.setattr(index, "cdxj_lines", lambda *a, **k: calls.append(a) or read_back(*a, **k))
    monkeypatch.setattr("warc.members.HEAD_MAX", 16)  # too little to hold the heads
    with archive(tmp_path / "ours") as arc:
        arc.write_exchange(exchange("https://sputniknews.com/ours"))
        arc.append_record(page)
    assert len(calls) == 1
    assert len(index.read_index(tmp_path / "ours")) == 2


def test_lines_from_heads_gives_up_on_a_record_without_a_payload_digest():
    head = (b"WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: https://a/\r\n"
            b"WARC-Date: 2024-03-01T12:00:00Z\r\nContent-Type: application/http; msgtype=response\r\n"
            b"Content-Length: 100\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n")
    assert index.lines_from_heads([(0, 10, head)], "f.warc.gz") is None
    given_up = index.FileLines("f.warc.gz")
    given_up.add(0, 10, head)
    assert given_up.lines() is None
    digested = head.replace(b"Content-Length", b"WARC-Payload-Digest: sha1:AAAA\r\nContent-Length")
    (line,) = index.lines_from_heads([(5, 10, digested)], "f.warc.gz")
    assert line.startswith("a)/ 20240301120000 ") and '"offset": "5"' in line


def test_file_lines_turn_heads_into_lines_and_give_up_past_their_budget(tmp_path, monkeypatch):
    monkeypatch.setattr(index.FileLines, "HEADS_BUDGET", 1)  # a line made at every record
    with archive(tmp_path / "small") as arc:
        for i in range(5):
            arc.write_exchange(exchange(f"https://sputniknews.com/s{i}", b"<p>%d</p>" % i, seconds=i))
        assert len(arc._file.lines._lines) == 5 and arc._file.lines._heads == []
    (path,) = warc_files(tmp_path / "small")
    assert index.read_index(tmp_path / "small") == index.cdxj_lines(path)
    monkeypatch.setattr(index.FileLines, "LINES_BUDGET", 600)  # about two lines
    read = []
    real = index.cdxj_lines
    monkeypatch.setattr(index, "cdxj_lines", lambda *a, **k: read.append(a) or real(*a, **k))
    with archive(tmp_path / "big") as arc:
        for i in range(5):
            arc.write_exchange(exchange(f"https://sputniknews.com/b{i}", b"<p>%d</p>" % i, seconds=i))
        assert not arc._file.lines.known and arc._file.lines._lines == []
    assert len(read) == 1 and len(index.read_index(tmp_path / "big")) == 5
