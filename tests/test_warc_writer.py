"""WarcArchive: records, revisits, rotation, naming, secrets, crashes, write errors."""

from __future__ import annotations

import errno
import gzip
import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import zlib
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.warc_exchanges import (archive, exchange, fixed_clock, fixed_ids, html_gz,
                                  records, run_checkers, sha1_b32, warc_files)
from warc import index
from warc.digests import DigestIndex
from warc.files import sanitise
from warc.foreign import ForeignRecord, parse_member
from warc.heads import request_head, response_head
from warc.writer import WarcWriteError
from warc.output import Sink as _Sink

NAME = re.compile(r"^sputnik-(\d{14})-(\d{5})-crawler1\.warc\.gz$")
REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"


def write_sample(directory: Path, **kwargs: object) -> list:
    with archive(directory, **kwargs) as arc:
        first = arc.write_exchange(exchange("https://sputniknews.com/a?page=1"))
        second = arc.write_exchange(exchange("https://sputniknews.com/b", seconds=1))
        again = arc.write_exchange(exchange("https://sputniknews.com/c", html_gz("https://sputniknews.com/a?page=1"), seconds=2))
        redirect = arc.write_exchange(exchange("https://sputniknews.com/d", b"", status=301, seconds=3,
                                               extra_headers=[("Location", "/a")]))
        meta = arc.write_metadata(first, b'{"title": "A"}')
    return [first, second, again, redirect, meta]


def all_records(directory: Path) -> list:
    return [item for path in warc_files(directory) for item in records(path)]


def of_type(directory: Path, rec_type: str) -> list:
    return [(o, r, b) for o, r, b in all_records(directory) if r.rec_type == rec_type]


def head_and_body(block: bytes) -> tuple[str, bytes]:
    head, _, body = block.partition(b"\r\n\r\n")
    return head.decode("latin-1"), body


def test_every_file_passes_warcio_gzip_and_fastwarc(tmp_path):
    write_sample(tmp_path)
    files = warc_files(tmp_path)
    assert len(files) == 1 and NAME.match(files[0].name)
    for path in files:
        run_checkers(path)
    assert not list(tmp_path.glob("*.open"))


def test_each_response_has_a_concurrent_request_with_the_same_date(tmp_path):
    write_sample(tmp_path)
    requests = {r.rec_headers["WARC-Concurrent-To"]: r for _, r, _ in of_type(tmp_path, "request")}
    captures = of_type(tmp_path, "response") + of_type(tmp_path, "revisit")
    assert len(captures) == len(requests) == 4
    for _, capture, _ in captures:
        request = requests[capture.rec_headers["WARC-Record-ID"]]
        assert request.rec_headers["WARC-Date"] == capture.rec_headers["WARC-Date"]
        assert request.rec_headers["WARC-Target-URI"] == capture.rec_headers["WARC-Target-URI"]
    assert captures[0][1].rec_headers["WARC-Date"] == "2024-03-01T12:00:00.000000Z"


def test_response_keeps_encoded_payload_cookies_and_true_framing(tmp_path):
    write_sample(tmp_path)
    _, record, block = of_type(tmp_path, "response")[0]
    head, body = head_and_body(block)
    lines = head.split("\r\n")
    assert lines[0] == "HTTP/1.1 200 OK"
    assert body == html_gz("https://sputniknews.com/a?page=1")
    assert gzip.decompress(body).startswith(b"<html>")
    assert "Content-Encoding: gzip" in lines
    assert f"Content-Length: {len(body)}" in lines
    assert [line for line in lines if line.startswith("Set-Cookie")] == ["Set-Cookie: a=1; Path=/",
                                                                         "Set-Cookie: b=2; Path=/"]
    assert not any(line.lower().startswith("transfer-encoding") for line in lines)
    assert record.rec_headers["WARC-IP-Address"] == "192.0.2.7"
    assert record.rec_headers["Content-Type"] == "application/http; msgtype=response"


def test_request_line_has_path_and_query(tmp_path):
    write_sample(tmp_path)
    head, _ = head_and_body(of_type(tmp_path, "request")[0][2])
    assert head.split("\r\n")[:2] == ["GET /a?page=1 HTTP/1.1", "Host: sputniknews.com"]


def test_digests_match_independent_sha1(tmp_path):
    write_sample(tmp_path)
    checked = 0
    for _, record, block in all_records(tmp_path):
        assert record.rec_headers["WARC-Block-Digest"] == sha1_b32(block)
        if record.rec_type in ("response", "request"):
            assert record.rec_headers["WARC-Payload-Digest"] == sha1_b32(head_and_body(block)[1])
            checked += 1
    assert checked == 7  # 3 responses (the 4th capture is a revisit) + 4 requests


def test_identical_payload_becomes_revisit_of_the_first(tmp_path):
    first, _, again, redirect, _ = write_sample(tmp_path)
    assert (again.record_type, again.payload_digest) == ("revisit", first.payload_digest)
    assert redirect.record_type == "response"  # empty payloads are never revisits
    _, record, block = of_type(tmp_path, "revisit")[0]
    get = record.rec_headers.get_header
    assert get("WARC-Profile") == REVISIT_PROFILE
    assert get("WARC-Refers-To") == first.record_id
    assert get("WARC-Refers-To-Target-URI") == "https://sputniknews.com/a?page=1"
    assert get("WARC-Refers-To-Date") == first.warc_date
    head, body = head_and_body(block)
    assert body == b"" and head.startswith("HTTP/1.1 200 OK\r\n") and "Set-Cookie: b=2; Path=/" in head


def test_revisits_survive_a_new_archive_on_the_same_directory(tmp_path):
    first = write_sample(tmp_path)[0]
    with archive(tmp_path) as arc:
        later = arc.write_exchange(exchange("https://sputniknews.com/z", html_gz("https://sputniknews.com/a?page=1"), seconds=60))
    assert later.record_type == "revisit"
    _, record, _ = [item for item in of_type(tmp_path, "revisit") if item[1].rec_headers["WARC-Target-URI"].endswith("/z")][0]
    assert record.rec_headers["WARC-Refers-To"] == first.record_id
    with DigestIndex(tmp_path) as digests:
        assert len(digests) == 2  # a and b; the redirect's empty payload is not stored
    assert [int(NAME.match(p.name).group(2)) for p in warc_files(tmp_path)] == [0, 1]


def test_metadata_refers_to_its_response(tmp_path):
    first, *_, meta = write_sample(tmp_path)
    _, record, block = of_type(tmp_path, "metadata")[0]
    get = record.rec_headers.get_header
    assert (meta.record_type, get("WARC-Refers-To"), get("WARC-Target-URI")) == \
        ("metadata", first.record_id, first.target_uri)
    assert get("Content-Type") == "application/json" and block == b'{"title": "A"}'
    assert get("WARC-Concurrent-To") is None and meta.payload_digest is None


def test_rotation_gives_consecutive_serials_each_opening_with_warcinfo(tmp_path):
    with archive(tmp_path, max_size=1500) as arc:
        written = [arc.write_exchange(exchange(f"https://sputniknews.com/n{i}", seconds=i)) for i in range(5)]
    files = warc_files(tmp_path)
    assert [int(NAME.match(p.name).group(2)) for p in files] == list(range(len(files)))
    assert len(files) >= 3
    for path in files:
        run_checkers(path)
        assert next(records(path))[1].rec_type == "warcinfo"
        assert next(records(path))[1].rec_headers["WARC-Filename"] == path.name
    assert sorted({w.warc_file for w in written}) == [p.name for p in files]


def test_written_record_locates_the_record(tmp_path):
    written = write_sample(tmp_path)
    by_offset = {(f.name, o): r for f in warc_files(tmp_path) for o, r, _ in records(f)}
    for item in written:
        record = by_offset[(item.warc_file, item.offset)]
        assert record.rec_headers["WARC-Record-ID"] == item.record_id
        assert record.rec_type == item.record_type


def test_names_are_sanitised(tmp_path):
    with archive(tmp_path, prefix="../evil pre", host="my/host..name", worker_id="w 1/..") as arc:
        arc.write_exchange(exchange("https://sputniknews.com/"))
    (path,) = warc_files(tmp_path)
    assert re.fullmatch(r"_evil_pre-\d{14}-00000-my_host.name-w_1_\.warc\.gz", path.name), path.name
    assert ".." not in path.name and path.parent == tmp_path
    assert sanitise("..") == "unknown"


def test_warcinfo_records_settings_but_no_secrets(tmp_path):
    info = {"isPartOf": "sputnik-fr", "DOWNLOAD_DELAY": "1.5", "HTTP_PASSWORD": "hunter2",
            "api_key": "k", "AuthToken": "t", "proxy": "http://bob:s3cret@proxy:8080/",
            "STATE_URI": "postgres://u:pw@db/state"}
    with archive(tmp_path, warcinfo=info, operator="Archive team <a@example.org>") as arc:
        arc.write_exchange(exchange("https://sputniknews.com/"))
    _, record, block = next(records(warc_files(tmp_path)[0]))
    text = block.decode("utf-8")
    fields = dict(line.split(": ", 1) for line in text.strip().split("\r\n"))
    assert fields["format"] == "WARC File Format 1.1" and fields["software"].startswith("sputnik-archive/")
    assert fields["operator"] == "Archive team <a@example.org>" and fields["DOWNLOAD_DELAY"] == "1.5"
    assert fields["proxy"] == "http://proxy:8080/" and fields["STATE_URI"] == "postgres://db/state"
    for leaked in ("hunter2", "s3cret", "pw@", "HTTP_PASSWORD", "api_key", "AuthToken"):
        assert leaked not in text


def test_fixed_ids_and_clock_give_identical_bytes(tmp_path):
    for run in ("one", "two"):
        write_sample(tmp_path / run, record_ids=fixed_ids(), clock=fixed_clock())
    (one,), (two,) = warc_files(tmp_path / "one"), warc_files(tmp_path / "two")
    assert one.name == two.name == "sputnik-20240301120000-00000-crawler1.warc.gz"
    assert one.read_bytes() == two.read_bytes()
    assert (tmp_path / "one" / "index.cdxj").read_bytes() == (tmp_path / "two" / "index.cdxj").read_bytes()


def test_reason_phrase_is_derived_and_protocol_defaulted(tmp_path):
    gone = replace(exchange("https://sputniknews.com/gone", b"x", status=404), protocol="")
    with archive(tmp_path) as arc:
        arc.write_exchange(gone)
    head, body = head_and_body(of_type(tmp_path, "response")[0][2])
    assert head.startswith("HTTP/1.1 404 Not Found\r\n") and body == b"x"


def test_write_error_raises_and_keeps_earlier_records(tmp_path, monkeypatch):
    arc = archive(tmp_path)
    arc.write_exchange(exchange("https://sputniknews.com/ok"))
    (open_file,) = tmp_path.glob("*.open")
    size_before = open_file.stat().st_size
    real_write = _Sink.write_some
    budget = [5000]  # the disk fills up part way through the next response

    def disk_fills(self, data):
        if budget[0] <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        written = real_write(self, data[:budget[0]])
        budget[0] -= written
        return written

    monkeypatch.setattr(_Sink, "write_some", disk_fills)
    with pytest.raises(WarcWriteError, match="intact up to offset") as failure:
        arc.write_exchange(exchange("https://sputniknews.com/lost", os.urandom(20000)))
    assert failure.value.errno == errno.ENOSPC and budget[0] == 0
    assert open_file.stat().st_size == size_before  # the torn record was rolled back
    monkeypatch.setattr(_Sink, "write_some", real_write)
    arc.write_exchange(exchange("https://sputniknews.com/after", seconds=5))
    arc.close()
    (path,) = warc_files(tmp_path)
    run_checkers(path)
    uris = [r.rec_headers["WARC-Target-URI"] for _, r, _ in records(path) if r.rec_type == "response"]
    assert uris == ["https://sputniknews.com/ok", "https://sputniknews.com/after"]
    with DigestIndex(tmp_path) as digests:
        assert len(digests) == 2


def foreign_records(directory: Path, *exchanges: object) -> list[ForeignRecord]:
    """Response records another archive wrote, as Common Crawl range answers give them."""
    with archive(directory) as other:
        written = [other.write_exchange(e) for e in exchanges]  # type: ignore[arg-type]
    data = (directory / written[0].warc_file).read_bytes()
    return [parse_member(data[w.offset:w.offset + w.length], w.warc_file, w.offset).record
            for w in written]


def test_digest_index_failure_in_append_record_is_a_write_error(tmp_path, monkeypatch):
    first, second = foreign_records(tmp_path / "cc", exchange("https://sputniknews.com/cc1"),
                                    exchange("https://sputniknews.com/cc2", seconds=1))
    ours = tmp_path / "ours"
    arc = archive(ours)
    arc.append_record(first)

    def disk_full(self, digest, original):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(DigestIndex, "add", disk_full)
    with pytest.raises(WarcWriteError, match="payload digest index") as failure:
        arc.append_record(second)
    assert failure.value.errno == errno.EIO
    assert isinstance(failure.value.__cause__, sqlite3.OperationalError)
    monkeypatch.undo()
    arc.close()
    (path,) = warc_files(ours)
    run_checkers(path)
    # The record was whole on disk before the index failed; nothing torn follows it.
    assert path.read_bytes().endswith(second.member)
    responses = [(r.rec_headers["WARC-Record-ID"], r.rec_headers["WARC-Target-URI"])
                 for _, r, _ in records(path) if r.rec_type == "response"]
    assert responses == [(first.record_id, "https://sputniknews.com/cc1"),
                         (second.record_id, "https://sputniknews.com/cc2")]
    with DigestIndex(ours) as digests:
        assert len(digests) == 1 and digests.lookup(first.payload_digest).record_id == first.record_id
        assert digests.lookup(second.payload_digest) is None


def test_append_record_remembers_no_empty_or_missing_payload_digest(tmp_path):
    (redirect, page) = foreign_records(
        tmp_path / "cc", exchange("https://sputniknews.com/moved", b"", status=301,
                                  extra_headers=[("Location", "/a")]),
        exchange("https://sputniknews.com/page", seconds=1))
    undigested = replace(page, payload_digest=None)  # type: ignore[arg-type]
    ours = tmp_path / "ours"
    with archive(ours) as arc:
        assert arc.append_record(redirect).record_type == "response"
        assert arc.append_record(undigested).payload_digest is None
        with DigestIndex(ours) as digests:
            assert len(digests) == 0
        # A later empty body is stored in full, not as a revisit of the redirect.
        again = arc.write_exchange(exchange("https://sputniknews.com/moved2", b"", status=301, seconds=2))
    assert again.record_type == "response"


WRITER_SCRIPT = textwrap.dedent("""
    import sys, time
    from tests.warc_exchanges import archive, exchange
    arc = archive(sys.argv[1])
    for i in range(int(sys.argv[2])):
        arc.write_exchange(exchange(f"https://sputniknews.com/k{i}", seconds=i))
    print("written", flush=True)
    time.sleep(60)
""")


def test_killed_writer_is_recovered_on_next_start(tmp_path, caplog):
    with archive(tmp_path) as arc:  # an earlier, cleanly closed file
        arc.write_exchange(exchange("https://sputniknews.com/closed"))
    child = subprocess.Popen([sys.executable, "-c", WRITER_SCRIPT, str(tmp_path), "4"],
                             stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent)
    assert child.stdout.readline().strip() == "written"
    child.send_signal(signal.SIGKILL)
    child.wait()
    (orphan,) = tmp_path.glob("*.warc.gz.open")
    complete = orphan.read_bytes()
    # As if the kill had landed in the middle of a fifth record.
    orphan.write_bytes(complete + gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n" + os.urandom(4000))[:900])
    with caplog.at_level(logging.WARNING), archive(tmp_path) as arc:
        assert [p.name for p in arc.recovered] == [orphan.name.removesuffix(".open")]
    assert "cut 900 bytes" in caplog.text
    recovered = tmp_path / orphan.name.removesuffix(".open")
    assert recovered.read_bytes() == complete
    for path in warc_files(tmp_path):
        run_checkers(path)
    uris = [r.rec_headers["WARC-Target-URI"] for _, r, _ in records(recovered) if r.rec_type == "response"]
    assert uris == [f"https://sputniknews.com/k{i}" for i in range(4)]
    indexed = {index.line_filename(line) for line in index.read_index(tmp_path)}
    assert recovered.name in indexed and len(index.read_index(tmp_path)) == 5


def test_live_file_of_another_writer_is_left_alone(tmp_path):
    live = archive(tmp_path)
    live.write_exchange(exchange("https://sputniknews.com/live"))
    (open_file,) = tmp_path.glob("*.open")
    with archive(tmp_path) as other:
        assert other.recovered == []
    assert open_file.exists()
    live.close()
    assert not open_file.exists() and len(warc_files(tmp_path)) == 1


def test_orphan_without_a_complete_record_is_removed(tmp_path, caplog):
    orphan = tmp_path / "sputnik-20240101000000-00003-crawler1.warc.gz.open"
    orphan.write_bytes(gzip.compress(b"WARC/1.1\r\n" * 100)[:30])
    with caplog.at_level(logging.WARNING), archive(tmp_path) as arc:
        first = arc.write_exchange(exchange("https://sputniknews.com/"))
    assert not orphan.exists() and "no complete record" in caplog.text
    assert "-00004-" in first.warc_file  # the serial never goes back


def test_workers_share_a_directory_and_its_revisits(tmp_path):
    page = html_gz("shared")
    with archive(tmp_path, worker_id="w1") as one, archive(tmp_path, worker_id="w2") as two:
        first = one.write_exchange(exchange("https://sputniknews.com/one", page))
        second = two.write_exchange(exchange("https://sputniknews.com/two", page, seconds=1))
    assert first.warc_file.endswith("-crawler1-w1.warc.gz") and second.warc_file.endswith("-crawler1-w2.warc.gz")
    assert second.record_type == "revisit"
    (revisit,) = of_type(tmp_path, "revisit")
    assert revisit[1].rec_headers["WARC-Refers-To"] == first.record_id
    assert len(index.read_index(tmp_path)) == 2


def test_header_bytes_and_dates_are_stored_as_given(tmp_path):
    paris = timezone(timedelta(hours=1))
    latin = replace(exchange("https://sputniknews.com/x", b"x", extra_headers=[("X-Title", "caf\xe9")]),
                    date=datetime(2024, 3, 1, 13, 0, 0, 250000, tzinfo=paris))
    with archive(tmp_path) as arc:
        written = arc.write_exchange(latin)
    assert written.warc_date == "2024-03-01T12:00:00.250000Z"
    _, _, block = of_type(tmp_path, "response")[0]
    assert b"\r\nX-Title: caf\xe9\r\n" in block


def test_an_orphan_of_another_writer_is_recovered_and_indexed(tmp_path):
    """A worker killed in a shared directory: whoever opens the archive next,
    under any worker id, recovers its file, so the digests pointing into it
    stay valid."""
    child = subprocess.Popen([sys.executable, "-c", WRITER_SCRIPT.replace(
        "archive(sys.argv[1])", "archive(sys.argv[1], worker_id='killed')"), str(tmp_path), "3"],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent)
    assert child.stdout.readline().strip() == "written"
    child.send_signal(signal.SIGKILL)
    child.wait()
    (orphan,) = tmp_path.glob("*-killed.warc.gz.open")
    with archive(tmp_path, worker_id="restarted") as arc:
        assert [p.name for p in arc.recovered] == [orphan.name.removesuffix(".open")]
        arc.write_exchange(exchange("https://sputniknews.com/k0", seconds=50))  # a revisit of k0
    assert not list(tmp_path.glob("*.open"))
    indexed = {index.line_filename(line) for line in index.read_index(tmp_path)}
    assert orphan.name.removesuffix(".open") in indexed
    stored_ids = {r.rec_headers["WARC-Record-ID"] for path in warc_files(tmp_path)
                  for _, r, _ in records(path)}
    with DigestIndex(tmp_path) as digests:
        rows = digests._db.execute("SELECT record_id FROM payload_digests").fetchall()
    assert rows and {row[0] for row in rows} <= stored_ids
    assert len(of_type(tmp_path, "revisit")) == 1


def test_the_live_file_of_another_worker_is_left_alone(tmp_path):
    live = archive(tmp_path, worker_id="w1")
    live.write_exchange(exchange("https://sputniknews.com/live"))
    (open_file,) = tmp_path.glob("*.open")
    with archive(tmp_path, worker_id="w2") as other:
        assert other.recovered == []
    assert open_file.exists()
    live.close()
    assert not open_file.exists()


def test_gzip_level_is_the_archives_and_each_record_stays_one_member(tmp_path):
    sizes = {}
    for level in (1, 9):
        directory = tmp_path / f"level-{level}"
        written = write_sample(directory, gzip_level=level)
        (path,) = warc_files(directory)
        data = path.read_bytes()
        sizes[level] = len(data)
        for record in written:
            # Each record can be inflated alone from its offset, to its length.
            member = data[record.offset:record.offset + record.length]
            assert gzip.decompress(member).startswith(b"WARC/1.1\r\n")
        run_checkers(path)
    assert sizes[1] > sizes[9]


def test_records_are_byte_for_byte_what_warcio_writes(tmp_path):
    """Response, request and metadata records are made without warcio's
    writer (``RecordBuilder.build``) and deflated by ISA-L: each member still
    inflates to exactly what warcio's writer makes of the same record, and no
    record id or clock tick is used up on the way."""
    from io import BytesIO

    from warcio.warcwriter import WARCWriter as PlainWriter

    from warc.output import RecordBuilder

    class WARCWriter(PlainWriter):
        NO_PAYLOAD_DIGEST_TYPES = RecordBuilder.NO_PAYLOAD_DIGEST_TYPES  # none on metadata

    sample = exchange("https://sputniknews.com/a?page=1", os.urandom(50_000))
    with archive(tmp_path, record_ids=fixed_ids(), clock=fixed_clock()) as arc:
        page = arc.write_exchange(sample)
        meta = arc.write_metadata(page, b'{"title": "A"}')
    data = (tmp_path / page.warc_file).read_bytes()
    ours = [zlib.decompress(data[w.offset:w.offset + w.length], zlib.MAX_WBITS + 16) for w in (page, meta)]
    assert b"WARC-Type: request\r\n" not in ours[0]

    ids = fixed_ids(2)  # the warcinfo record took the first id
    plain = BytesIO()
    reference = WARCWriter(plain, gzip=False, warc_version="1.1")
    response = reference.create_warc_record(
        sample.url, "response", payload=BytesIO(sample.body), length=len(sample.body),
        http_headers=response_head(sample),
        warc_headers_dict={"WARC-Record-ID": ids(), "WARC-Date": page.warc_date,
                           "WARC-IP-Address": sample.ip_address})
    reference.write_record(response)
    request = reference.create_warc_record(
        sample.url, "request", payload=BytesIO(b""), length=0, http_headers=request_head(sample),
        warc_headers_dict={"WARC-Record-ID": ids(), "WARC-Date": page.warc_date,
                           "WARC-Concurrent-To": page.record_id})
    reference.write_record(request)
    ours.insert(1, zlib.decompress(data[page.offset + page.length:meta.offset], zlib.MAX_WBITS + 16))
    assert b"".join(ours[:2]) == plain.getvalue()
    plain = BytesIO()
    metadata = WARCWriter(plain, gzip=False, warc_version="1.1").create_warc_record(
        sample.url, "metadata", payload=BytesIO(b'{"title": "A"}'), length=14,
        warc_content_type="application/json",
        warc_headers_dict={"WARC-Refers-To": page.record_id})
    metadata.rec_headers.replace_header("WARC-Record-ID", meta.record_id)
    metadata.rec_headers.replace_header("WARC-Date", meta.warc_date)
    WARCWriter(plain, gzip=False, warc_version="1.1").write_record(metadata)
    assert ours[2] == plain.getvalue()
    assert meta.record_id == fixed_ids(4)()


def test_without_isal_records_are_deflated_by_zlib(tmp_path, monkeypatch):
    """A platform with no isal wheel: the same levels go to zlib, and the
    files are as valid, one gzip member per record."""
    import warc.output

    with_isal = write_sample(tmp_path / "isal", record_ids=fixed_ids(), clock=fixed_clock())
    monkeypatch.setattr(warc.output, "isal_zlib", None)
    with_zlib = write_sample(tmp_path / "zlib", record_ids=fixed_ids(), clock=fixed_clock())
    (isal_file,) = warc_files(tmp_path / "isal")
    (zlib_file,) = warc_files(tmp_path / "zlib")
    run_checkers(zlib_file)
    isal_data, zlib_data = isal_file.read_bytes(), zlib_file.read_bytes()
    assert isal_data != zlib_data  # a different deflate was used ...
    for ours, theirs in zip(with_isal, with_zlib):
        # ... over the same records, byte for byte once inflated
        assert (gzip.decompress(isal_data[ours.offset:ours.offset + ours.length])
                == gzip.decompress(zlib_data[theirs.offset:theirs.offset + theirs.length]))
