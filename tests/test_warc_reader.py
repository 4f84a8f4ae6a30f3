"""Tests for warc.reader: replaying WARC files into ArchivedResponse items."""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.warc_builders import (
    PROFILE_1_1,
    RecordSpec,
    build_warc,
    damage,
    html_response,
    http_head,
    http_request,
    http_response,
    resource,
    revisit,
    truncate,
    warcinfo,
)
from warc import reader as reader_module
from warc import scan as scan_module
from warc.fields import normalise_date
from warc.limits import ReplayLimits
from warc.reader import ArchivedResponse, ReplayPathError, WarcReplayReader, expand_paths

SAMPLES = Path("/work/shared/samples/warc")
PAGE = b"<html><head><title>Sputnik</title></head><body><p>Article</p></body></html>"


class Counts(dict[str, int]):
    """Stands in for crawler.stats.inc_value."""

    def __call__(self, key: str, n: int) -> None:
        self[key] = self.get(key, 0) + n


def replay(paths: list[str | Path], **kwargs: object) -> tuple[list[ArchivedResponse], Counts]:
    counts = Counts()
    reader = WarcReplayReader([str(p) for p in paths], count=counts, **kwargs)  # type: ignore[arg-type]
    return list(reader.responses()), counts


def three_pages() -> list[RecordSpec]:
    return [html_response(f"https://sputniknews.test/{n}/", PAGE + str(n).encode()) for n in (1, 2, 3)]


def warnings_of(caplog: pytest.LogCaptureFixture, level: int = logging.WARNING) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == level]


# -- reading good files -----------------------------------------------------------


@pytest.mark.parametrize("use_gzip", [True, False], ids=["warc.gz", "warc"])
def test_reads_gzip_and_plain_files(tmp_path: Path, use_gzip: bool) -> None:
    path = tmp_path / ("a.warc.gz" if use_gzip else "a.warc")
    page = html_response("https://sputniknews.test/a/", PAGE, ip="192.0.2.7",
                         record_id="<urn:uuid:a>", date="2021-12-27T09:30:00Z")
    offsets = build_warc(path, [warcinfo(), http_request(page.url or ""), page], gzip=use_gzip)

    responses, counts = replay([path])

    assert responses == [ArchivedResponse(
        url="https://sputniknews.test/a/", status=200, reason="OK", protocol="HTTP/1.1",
        headers=[("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(PAGE)))],
        body=PAGE, warc_file=str(path), warc_offset=offsets[2], warc_record_id="<urn:uuid:a>",
        warc_date="2021-12-27T09:30:00Z", ip_address="192.0.2.7",
        payload_digest=page.payload_digest, revisit_of=None,
    )]
    assert counts == {"replay/files": 1, "replay/records/warcinfo": 1,
                      "replay/records/request": 1, "replay/records/response": 1}


def test_warc_1_1_dates_and_bracketed_uri(tmp_path: Path) -> None:
    path = tmp_path / "v11.warc.gz"
    page = html_response("<https://sputniknews.test/b/>", PAGE, date="2021-12-27T10:30:00.123456+01:00")
    build_warc(path, [page], warc_version="1.1")

    responses, _ = replay([path])

    assert [(r.url, r.warc_date) for r in responses] == [("https://sputniknews.test/b/", "2021-12-27T09:30:00Z")]


def test_chunked_gzip_payload_is_dechunked_but_still_encoded(tmp_path: Path) -> None:
    path = tmp_path / "chunked.warc.gz"
    build_warc(path, [html_response("https://sputniknews.test/c/", PAGE, chunk=True, gzip=True)])

    (response,), counts = replay([path])

    assert response.body[:2] == b"\x1f\x8b"
    assert gzip.decompress(response.body) == PAGE
    assert response.headers == [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")]
    assert not any(key.startswith("replay/repaired") for key in counts)


def test_windows_1252_page_bytes_kept_exactly(tmp_path: Path) -> None:
    path = tmp_path / "cp1252.warc"
    html = "<html><body><p>Élysée « déclaration » – l’été</p></body></html>".encode("cp1252")
    build_warc(path, [html_response("https://sputniknews.test/fr/", html, charset="windows-1252")], gzip=False)

    (response,), _ = replay([path])

    assert response.body == html
    assert ("Content-Type", "text/html; charset=windows-1252") in response.headers


def test_non_utf8_header_bytes_decode_as_latin1(tmp_path: Path) -> None:
    path = tmp_path / "latin1.warc.gz"
    head = b"HTTP/1.1 200 D\xe9j\xe0 vu\r\nX-Title: caf\xe9 \xff\r\nContent-Length: 2\r\n\r\n"
    build_warc(path, [http_response("https://sputniknews.test/h/", b"ok", raw_head=head)])

    (response,), _ = replay([path])

    assert response.reason == "Déjà vu"
    assert response.headers[0] == ("X-Title", "café ÿ")
    assert response.headers[0][1].encode("latin-1") == b"caf\xe9 \xff"


def test_non_http_records_are_counted_not_yielded(tmp_path: Path) -> None:
    path = tmp_path / "mixed.warc.gz"
    dns = RecordSpec("response", "dns:sputniknews.test", b"20211227 sputniknews.test. 300 IN A 192.0.2.1",
                     content_type="text/dns")
    build_warc(path, [warcinfo(), dns, resource("https://sputniknews.test/x.txt", b"plain"),
                      RecordSpec("metadata", "https://sputniknews.test/", b"k: v\r\n",
                                 content_type="application/warc-fields")])

    responses, counts = replay([path])

    assert responses == []
    assert counts == {"replay/files": 1, "replay/records/warcinfo": 1, "replay/records/response": 1,
                      "replay/skipped/not_http": 1, "replay/records/resource": 1,
                      "replay/records/metadata": 1}


def test_any_status_is_yielded(tmp_path: Path) -> None:
    path = tmp_path / "status.warc.gz"
    build_warc(path, [http_response("https://sputniknews.test/gone/", status=404, reason="Not Found"),
                      http_response("https://sputniknews.test/moved/", status=301, reason="",
                                    headers=[("Location", "/new/")])])

    responses, _ = replay([path])

    assert [(r.status, r.reason, r.body) for r in responses] == [(404, "Not Found", b""), (301, "", b"")]


# -- payload repairs -------------------------------------------------------------------


def test_decoded_payload_with_gzip_header_loses_the_header(tmp_path: Path) -> None:
    path = tmp_path / "decoded.warc.gz"
    headers = [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]
    build_warc(path, [http_response("https://sputniknews.test/d/", PAGE, headers=headers),
                      http_response("https://sputniknews.test/e/", gzip.compress(PAGE), headers=headers)])

    first, second = replay([path])[0]
    _, counts = replay([path])

    assert first.headers == [("Content-Type", "text/html")] and first.body == PAGE
    assert second.headers == headers
    assert counts["replay/repaired/content_encoding"] == 1


@pytest.mark.parametrize("coding", ["br", "deflate"])
def test_decoded_payload_with_br_or_deflate_header(tmp_path: Path, coding: str) -> None:
    path = tmp_path / "decoded.warc.gz"
    build_warc(path, [http_response("https://sputniknews.test/d/", PAGE,
                                    headers=[("Content-Encoding", coding)])])

    (response,), counts = replay([path])

    assert response.headers == []
    assert counts["replay/repaired/content_encoding"] == 1


def test_wrong_content_length_is_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "cl.warc.gz"
    build_warc(path, [http_response("https://sputniknews.test/f/", PAGE, headers=[("Content-Length", "99999")])])

    (response,), counts = replay([path])

    assert response.headers == [("Content-Length", str(len(PAGE)))]
    assert counts["replay/repaired/content_length"] == 1


def test_bad_chunking_falls_back_to_raw_bytes(tmp_path: Path) -> None:
    path = tmp_path / "badchunk.warc.gz"
    build_warc(path, [http_response("https://sputniknews.test/g/", PAGE,
                                    headers=[("Transfer-Encoding", "chunked")])])

    (response,), counts = replay([path])

    assert response.body == PAGE
    assert response.headers == [("Transfer-Encoding", "chunked")]
    assert counts["replay/repaired/bad_chunking"] == 1


# -- revisits ----------------------------------------------------------------------------


def test_revisit_resolved_to_earlier_original(tmp_path: Path) -> None:
    path = tmp_path / "revisit.warc.gz"
    original = html_response("https://sputniknews.test/r/", PAGE, chunk=True, gzip=True, ip="192.0.2.1")
    later = revisit("https://sputniknews.test/r/?utm=x", original, record_id="<urn:uuid:rv>",
                    date="2022-01-02T03:04:05Z")
    offsets = build_warc(path, [original, later])

    (first, second), counts = replay([path])

    assert second.url == "https://sputniknews.test/r/?utm=x"
    assert (second.warc_record_id, second.warc_offset, second.warc_date) == (
        "<urn:uuid:rv>", offsets[1], "2022-01-02T03:04:05Z")
    assert second.revisit_of == original.record_id and first.revisit_of is None
    assert second.body == first.body and gzip.decompress(second.body) == PAGE
    assert second.headers == first.headers
    assert second.payload_digest == original.payload_digest
    assert counts["replay/revisit/resolved"] == 1 and counts["replay/records/revisit"] == 1


def test_revisit_without_http_head_takes_original_head(tmp_path: Path) -> None:
    path = tmp_path / "revisit11.warc"
    original = http_response("https://sputniknews.test/s/", PAGE, status=203, reason="Cached",
                             headers=[("Content-Type", "text/html")])
    build_warc(path, [original, revisit("https://sputniknews.test/s/", original, head=None,
                                        profile=PROFILE_1_1, refers_to=False)],
               gzip=False, warc_version="1.1")

    (_, resolved), counts = replay([path])

    assert (resolved.status, resolved.reason, resolved.headers, resolved.body) == (
        203, "Cached", [("Content-Type", "text/html")], PAGE)
    assert counts["replay/revisit/resolved"] == 1


def test_revisit_keeps_its_own_status_line_and_headers(tmp_path: Path) -> None:
    path = tmp_path / "revisit-head.warc.gz"
    original = html_response("https://sputniknews.test/t/", PAGE)
    head = http_head(200, "Fine", [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")])
    build_warc(path, [original, revisit("https://sputniknews.test/t/", original, head=head)])

    (_, resolved), _ = replay([path])

    assert (resolved.reason, resolved.headers, resolved.body) == ("Fine", [("Content-Type", "text/html")], PAGE)


def test_revisit_with_missing_original_is_unresolved(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "orphan.warc.gz"
    absent = html_response("https://sputniknews.test/u/", PAGE)
    offsets = build_warc(path, [html_response("https://sputniknews.test/v/", b"other"),
                                revisit("https://sputniknews.test/u/", absent)])

    responses, counts = replay([path])

    assert [r.url for r in responses] == ["https://sputniknews.test/v/"]
    assert counts["replay/revisit/unresolved"] == 1 and "replay/revisit/resolved" not in counts
    assert warnings_of(caplog) == [
        f"Unresolved revisit in {path} at offset {offsets[1]}: no response with its payload digest"]


def test_revisit_before_its_original_is_resolved_at_the_end(tmp_path: Path) -> None:
    first_file, second_file = tmp_path / "1.warc.gz", tmp_path / "2.warc"
    original = html_response("https://sputniknews.test/w/", PAGE)
    build_warc(first_file, [revisit("https://sputniknews.test/w/", original),
                            html_response("https://sputniknews.test/x/", b"x")])
    build_warc(second_file, [original], gzip=False)

    responses, counts = replay([first_file, second_file])

    assert [(r.url, r.warc_file, r.revisit_of) for r in responses] == [
        ("https://sputniknews.test/x/", str(first_file), None),
        ("https://sputniknews.test/w/", str(second_file), None),
        ("https://sputniknews.test/w/", str(first_file), original.record_id)]
    assert responses[2].body == PAGE
    assert counts["replay/revisit/resolved"] == 1 and "replay/revisit/unresolved" not in counts


def test_revisit_digest_in_hex_matches_base32_original(tmp_path: Path) -> None:
    path = tmp_path / "hex.warc.gz"
    original = html_response("https://sputniknews.test/z/", PAGE)
    hex_digest = "sha1:" + hashlib.sha1(original.payload).hexdigest()
    build_warc(path, [original, revisit("https://sputniknews.test/z/", original, digest=hex_digest)])

    (_, resolved), counts = replay([path])

    assert resolved.body == PAGE and resolved.payload_digest == hex_digest
    assert counts["replay/revisit/resolved"] == 1


def test_server_not_modified_revisit_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "notmod.warc.gz"
    original = html_response("https://sputniknews.test/y/", PAGE)
    build_warc(path, [original, revisit("https://sputniknews.test/y/", original,
                                        profile="http://netpreserve.org/warc/1.1/revisit/server-not-modified")])

    responses, counts = replay([path])

    assert len(responses) == 1
    assert counts["replay/skipped/revisit_profile"] == 1


# -- damaged input -----------------------------------------------------------------------


@pytest.mark.parametrize("use_gzip", [True, False], ids=["warc.gz", "warc"])
def test_truncated_last_record(tmp_path: Path, use_gzip: bool, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / ("killed.warc.gz" if use_gzip else "killed.warc")
    offsets = build_warc(path, three_pages(), gzip=use_gzip)
    truncate(path, 40)

    responses, counts = replay([path])

    assert [r.url for r in responses] == ["https://sputniknews.test/1/", "https://sputniknews.test/2/"]
    assert counts["replay/errors/truncated"] == 1 and "replay/errors/corrupt" not in counts
    (message,) = warnings_of(caplog)
    assert message.startswith(f"Skipped truncated WARC record in {path} at offset {offsets[2]}:")


def test_content_length_past_end_of_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "longcl.warc"
    offsets = build_warc(path, three_pages(), gzip=False)
    data = path.read_bytes()
    cl_at = data.index(b"Content-Length: ", offsets[2])
    path.write_bytes(data[:cl_at] + b"Content-Length: 99999999" + data[data.index(b"\r\n", cl_at):])

    responses, counts = replay([path])

    assert len(responses) == 2 and counts["replay/errors/truncated"] == 1
    assert [f"offset {offsets[2]}:" in m for m in warnings_of(caplog)] == [True]


def test_corrupt_gzip_member_in_the_middle(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "bitrot.warc.gz"
    offsets = build_warc(path, three_pages())
    damage(path, offsets[1] + 40)

    responses, counts = replay([path])

    assert [r.url for r in responses] == ["https://sputniknews.test/1/", "https://sputniknews.test/3/"]
    assert responses[1].body == PAGE + b"3" and responses[1].warc_offset == offsets[2]
    assert counts["replay/errors/corrupt"] == 1 and "replay/errors/truncated" not in counts
    (message,) = warnings_of(caplog)
    assert message.startswith(f"Skipped corrupt WARC record in {path} at offset {offsets[1]}:")


def test_gzip_member_cut_short_in_the_middle(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "cut.warc.gz"
    offsets = build_warc(path, three_pages())
    data = path.read_bytes()
    path.write_bytes(data[:offsets[1] + 60] + data[offsets[2]:])

    responses, counts = replay([path])

    assert [r.url for r in responses] == ["https://sputniknews.test/1/", "https://sputniknews.test/3/"]
    assert counts["replay/errors/corrupt"] == 1
    assert len(warnings_of(caplog)) == 1


def test_corrupt_plain_record_in_the_middle(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "bitrot.warc"
    offsets = build_warc(path, three_pages(), gzip=False)
    damage(path, offsets[1], b"XXXX")

    responses, counts = replay([path])

    assert [r.url for r in responses] == ["https://sputniknews.test/1/", "https://sputniknews.test/3/"]
    assert responses[1].warc_offset == offsets[2]
    assert counts["replay/errors/corrupt"] == 1
    (message,) = warnings_of(caplog)
    assert message.startswith(f"Skipped corrupt WARC record in {path} at offset {offsets[1]}:")


def test_plain_record_with_too_short_content_length(tmp_path: Path) -> None:
    path = tmp_path / "shortcl.warc"
    offsets = build_warc(path, three_pages(), gzip=False)
    data = path.read_bytes()
    cl_at = data.index(b"Content-Length: ", offsets[1])
    path.write_bytes(data[:cl_at] + b"Content-Length: 40" + data[data.index(b"\r\n", cl_at):])

    responses, counts = replay([path])

    assert [r.url for r in responses] == ["https://sputniknews.test/1/", "https://sputniknews.test/3/"]
    assert counts["replay/errors/corrupt"] == 1


def test_gzip_member_with_wrong_content_length(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "badcl.warc.gz"
    offsets = build_warc(path, three_pages())
    data = path.read_bytes()
    member = gzip.decompress(data[offsets[1]:offsets[2]])
    cl_at = member.index(b"Content-Length: ")
    member = member[:cl_at] + b"Content-Length: 50000" + member[member.index(b"\r\n", cl_at):]
    path.write_bytes(data[:offsets[1]] + gzip.compress(member) + data[offsets[2]:])

    responses, counts = replay([path])

    assert [r.url for r in responses] == ["https://sputniknews.test/1/", "https://sputniknews.test/3/"]
    assert counts["replay/errors/corrupt"] == 1
    assert [m.split(":")[0] for m in warnings_of(caplog)] == [
        f"Skipped corrupt WARC record in {path} at offset {offsets[1]}"]


def test_not_a_warc_among_good_files(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    good_a, good_b = tmp_path / "a.warc.gz", tmp_path / "b.warc"
    build_warc(good_a, three_pages()[:1])
    build_warc(good_b, three_pages()[1:], gzip=False)
    html = tmp_path / "page.warc.gz"
    html.write_bytes(b"<!DOCTYPE html><html><body>not an archive</body></html>\n" * 50)

    responses, counts = replay([good_a, html, good_b])

    assert len(responses) == 3
    assert counts["replay/errors/not_warc"] == 1 and counts["replay/files"] == 3
    assert warnings_of(caplog, logging.ERROR) == [
        f"Not a WARC file: {html} (no WARC record found in it), skipped"]
    assert warnings_of(caplog) == []


def test_gzip_file_that_is_not_a_warc(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "data.warc.gz"
    path.write_bytes(gzip.compress(b"id,name\n1,sputnik\n" * 100))

    responses, counts = replay([path])

    assert responses == [] and counts == {"replay/files": 1, "replay/errors/not_warc": 1}
    assert len(warnings_of(caplog, logging.ERROR)) == 1


def test_whole_file_gzip_is_read_as_a_stream(tmp_path: Path) -> None:
    plain = tmp_path / "p.warc"
    build_warc(plain, three_pages(), gzip=False)
    single = tmp_path / "single.warc.gz"
    single.write_bytes(gzip.compress(plain.read_bytes()))

    responses, counts = replay([single])

    assert [r.body for r in responses] == [PAGE + b"1", PAGE + b"2", PAGE + b"3"]
    assert [r.warc_offset for r in responses] == [0, 0, 0]
    assert not any(key.startswith("replay/errors") for key in counts)


# -- filtering and streaming ----------------------------------------------------------------


def test_url_filter_skips_before_reading_payload(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "filter.warc.gz"
    build_warc(path, three_pages())
    seen: list[str] = []
    built: list[bytes] = []
    real_build = reader_module.http.build_payload
    monkeypatch.setattr(reader_module.http, "build_payload",
                        lambda headers, raw, framing=None: built.append(raw) or real_build(headers, raw, framing))

    def only_two(url: str) -> str | None:
        seen.append(url)
        return None if url.endswith("/2/") else "offsite"

    responses, counts = replay([path], url_filter=only_two)

    assert [r.url for r in responses] == ["https://sputniknews.test/2/"]
    assert seen == [f"https://sputniknews.test/{n}/" for n in (1, 2, 3)]
    assert built == [PAGE + b"2"]
    assert counts["replay/skipped/offsite"] == 2


def test_abandoned_iteration_closes_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "many.warc.gz"
    build_warc(path, three_pages())
    opened: list[object] = []
    monkeypatch.setattr(reader_module, "open", _recording_open(opened), raising=False)

    responses = WarcReplayReader([str(path)]).responses()
    first = next(responses)
    responses.close()

    assert first.url == "https://sputniknews.test/1/"
    assert len(opened) == 1 and all(f.closed for f in opened)  # type: ignore[attr-defined]


def _recording_open(opened: list[object]) -> Callable[..., object]:
    def recording_open(*args: object, **kwargs: object) -> object:
        handle = open(*args, **kwargs)  # type: ignore[call-overload]
        opened.append(handle)
        return handle
    return recording_open


# -- real files from other writers ------------------------------------------------------------


@pytest.mark.parametrize(("name", "responses", "records"), [
    ("whirlwind.warc", 1, {"warcinfo": 1, "request": 1, "response": 1, "metadata": 1}),
    ("whirlwind.warc.gz", 1, {"warcinfo": 1, "request": 1, "response": 1, "metadata": 1}),
    ("resiliparse_warcfile.warc.gz", 16, {"warcinfo": 1, "request": 17, "response": 16, "metadata": 16}),
    ("warcio_example.warc.gz", 2, {"warcinfo": 2, "request": 2, "response": 1, "revisit": 1}),
])
def test_real_sample_files(name: str, responses: int, records: dict[str, int]) -> None:
    path = SAMPLES / name

    found, counts = replay([path])

    assert len(found) == responses
    assert {k.split("/")[-1]: v for k, v in counts.items() if k.startswith("replay/records/")} == records
    assert not any(key.startswith(("replay/errors", "replay/skipped")) for key in counts)
    assert all(r.status == 200 and r.body and r.url.startswith("http") for r in found)


def test_real_sample_whirlwind_response_values() -> None:
    (response,), _ = replay([SAMPLES / "whirlwind.warc.gz"])

    assert (response.url, response.warc_offset, response.warc_date) == (
        "https://an.wikipedia.org/wiki/Escopete", 1023, "2024-05-18T01:58:10Z")
    assert len(response.body) == 72848 and b"Escopete" in response.body


def test_real_sample_revisit_is_resolved() -> None:
    (original, resolved), counts = replay([SAMPLES / "warcio_example.warc.gz"])

    assert resolved.revisit_of == "<urn:uuid:a9c51e3e-0221-11e7-bf66-0242ac120005>"
    assert resolved.body == original.body and gzip.decompress(resolved.body).startswith(b"<!doctype html>")
    assert counts["replay/revisit/resolved"] == 1


# -- anything at all --------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(
    st.binary(max_size=2048),
    st.binary(max_size=512).map(lambda b: b"WARC/1.0\r\n" + b),
    st.binary(max_size=512).map(lambda b: b"\x1f\x8b\x08" + b),
    st.binary(max_size=512).map(lambda b: gzip.compress(b"WARC/1.1\r\nContent-Length: 5\r\n" + b)),
))
def test_random_bytes_never_raise(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "random.warc.gz"
    path.write_bytes(data)

    responses, counts = replay([path])

    assert all(isinstance(r, ArchivedResponse) and isinstance(r.body, bytes) for r in responses)
    assert counts["replay/files"] == 1


# -- paths ---------------------------------------------------------------------------------------


def test_expand_paths(tmp_path: Path) -> None:
    for name in ("b.warc.gz", "a.warc", "sub/c.warc.gz", "sub/deeper/d.warc", "notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    t = str(tmp_path)

    assert expand_paths(f"{t}/b.warc.gz") == [f"{t}/b.warc.gz"]
    assert expand_paths(t) == [f"{t}/a.warc", f"{t}/b.warc.gz", f"{t}/sub/c.warc.gz", f"{t}/sub/deeper/d.warc"]
    assert expand_paths(f"{t}/*.warc*") == [f"{t}/a.warc", f"{t}/b.warc.gz"]
    assert expand_paths(f"{t}/sub/deeper, {t}/a.warc,{t}/a.warc") == [f"{t}/sub/deeper/d.warc", f"{t}/a.warc"]
    assert expand_paths([f"{t}/b.warc.gz", f"{t}/sub/*.gz"]) == [f"{t}/b.warc.gz", f"{t}/sub/c.warc.gz"]


@pytest.mark.parametrize("spec", ["missing.warc.gz", "*.nothing", "emptydir", ""])
def test_expand_paths_rejects_what_matches_nothing(tmp_path: Path, spec: str) -> None:
    (tmp_path / "emptydir").mkdir()
    (tmp_path / "a.warc").write_bytes(b"")
    full = os.path.join(str(tmp_path), spec) if spec else ""

    with pytest.raises(ReplayPathError, match="WARC" if not spec else spec.replace("*", r"\*")) as info:
        expand_paths(f"{tmp_path}/a.warc,{full}" if spec else " , ")

    assert isinstance(info.value, ValueError)


# -- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ("2021-12-27T09:30:00Z", "2021-12-27T09:30:00Z"),
    ("2021-12-27T09:30:00.123456789Z", "2021-12-27T09:30:00Z"),
    ("2021-12-27T12:30:00+03:00", "2021-12-27T09:30:00Z"),
    ("2021-12-27T09:30:00", "2021-12-27T09:30:00Z"),
    ("20211227093000", "2021-12-27T09:30:00Z"),
    ("yesterday", "yesterday"),
])
def test_normalise_date(raw: str, expected: str) -> None:
    assert normalise_date(raw) == expected


# -- the fast path: fastwarc for headers, the own reader for damage ---------------------------


def haystack(count: int) -> list[RecordSpec]:
    return [html_response(f"https://other{n}.test/page", PAGE + b"%d" % n) for n in range(count)]


def counting_framers(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Offsets of the records the own reader's framers yield, from now on."""
    seen: list[int] = []
    for name in ("GzipFramer", "PlainFramer"):
        real = getattr(reader_module, name)

        class Counting(real):  # type: ignore[misc, valid-type]
            def records(self, start: int = 0):  # type: ignore[no-untyped-def]
                for item in super().records(start):
                    seen.append(item.offset)
                    yield item
        monkeypatch.setattr(reader_module, name, Counting)
    return seen


def only_edition(url: str) -> str | None:
    return None if "sputniknews" in url else "other_host"


@pytest.mark.parametrize("use_gzip", [True, False], ids=["warc.gz", "warc"])
def test_other_hosts_are_stepped_over_by_fastwarc(tmp_path: Path, use_gzip: bool,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / ("hay.warc.gz" if use_gzip else "hay.warc")
    offsets = build_warc(path, haystack(50) + three_pages()[:1] + haystack(50), gzip=use_gzip)
    careful = counting_framers(monkeypatch)

    responses, counts = replay([path], url_filter=only_edition)

    assert [(r.url, r.warc_offset) for r in responses] == [("https://sputniknews.test/1/", offsets[50])]
    assert counts["replay/records/response"] == 101 and counts["replay/skipped/other_host"] == 100
    # The own reader saw only the edition record and the last two (how the file ends).
    assert careful == offsets[-2:]


def test_fast_path_hands_damage_to_the_own_reader_and_comes_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "damaged-hay.warc.gz"
    offsets = build_warc(path, haystack(40) + three_pages() + haystack(40))
    damage(path, offsets[20] + 40)
    careful = counting_framers(monkeypatch)

    responses, counts = replay([path], url_filter=only_edition)

    assert [r.warc_offset for r in responses] == offsets[40:43]
    assert counts["replay/errors/corrupt"] == 1 and counts["replay/records/response"] == 82
    assert [m.split(":")[0] for m in warnings_of(caplog)] == [
        f"Skipped corrupt WARC record in {path} at offset {offsets[20]}"]
    # From the two records before the damage to the first good one after it, then fast again.
    assert careful[:4] == offsets[18:22]
    assert len(careful) < 10


def test_whole_file_gzip_is_left_to_the_own_reader(tmp_path: Path) -> None:
    plain = tmp_path / "p.warc"
    build_warc(plain, haystack(3) + three_pages(), gzip=False)
    single = tmp_path / "single.warc.gz"
    single.write_bytes(gzip.compress(plain.read_bytes()))

    responses, counts = replay([single], url_filter=only_edition)

    assert [r.body for r in responses] == [PAGE + b"1", PAGE + b"2", PAGE + b"3"]
    assert counts["replay/skipped/other_host"] == 3


def test_gzip_member_of_two_records_among_single_ones(tmp_path: Path) -> None:
    # fastwarc gives the second record of a member the offset of the next member.
    plain = tmp_path / "four.warc"
    offsets = build_warc(plain, haystack(2) + three_pages()[:2], gzip=False)
    data = plain.read_bytes()
    path = tmp_path / "mixed.warc.gz"
    path.write_bytes(b"".join(gzip.compress(part) for part in (
        data[offsets[0]:offsets[2]], data[offsets[2]:offsets[3]], data[offsets[3]:])))

    responses, counts = replay([path])

    assert [r.url for r in responses] == ["https://other0.test/page", "https://other1.test/page",
                                          "https://sputniknews.test/1/", "https://sputniknews.test/2/"]
    assert counts["replay/records/response"] == 4


# -- records fastwarc holds: read once, the same responses -----------------------------------


def read_again(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Offsets the reader reads a record again from, from now on."""
    offsets: list[int] = []
    real = reader_module.read_record_at

    def counting(fh, offset):  # type: ignore[no-untyped-def]
        offsets.append(offset)
        return real(fh, offset)
    monkeypatch.setattr(reader_module, "read_record_at", counting)
    return offsets


def never_holding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(WarcReplayReader, "_worth_holding", lambda self, record: False)


class HostFilter:
    """only_edition, with the quick host test the reader asks before holding."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def may_take(self, url: str) -> bool:
        self.asked.append(url)
        return "sputniknews" in url

    def __call__(self, url: str) -> str | None:
        return only_edition(url)


@pytest.mark.parametrize("use_gzip", [True, False], ids=["warc.gz", "warc"])
def test_records_the_filter_takes_are_not_read_twice(tmp_path: Path, use_gzip: bool,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / ("hay.warc.gz" if use_gzip else "hay.warc")
    offsets = build_warc(path, haystack(10) + three_pages() + haystack(10), gzip=use_gzip)
    again = read_again(monkeypatch)

    held, counts = replay([path], url_filter=HostFilter())
    assert [r.warc_offset for r in held] == offsets[10:13]
    assert again == []

    never_holding(monkeypatch)
    reread, counts_reread = replay([path], url_filter=HostFilter())
    assert again == offsets[10:13]
    assert held == reread and counts == counts_reread


def test_only_records_the_filter_may_take_are_held(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "hay.warc.gz"
    build_warc(path, [warcinfo(), *haystack(5), *three_pages(), http_request("https://sputniknews.test/1/")])
    held: list[str] = []
    real_block = scan_module._whole_block

    def recording(record, length):  # type: ignore[no-untyped-def]
        held.append(record.headers.get("WARC-Target-URI"))
        return real_block(record, length)
    monkeypatch.setattr(scan_module, "_whole_block", recording)
    urls = HostFilter()

    replay([path], url_filter=urls)

    assert held == [f"https://sputniknews.test/{n}/" for n in (1, 2, 3)]
    assert len(urls.asked) == 8  # every response, never the warcinfo or the request


def test_records_over_the_payload_limit_are_not_held(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.warc.gz"
    big = PAGE + b" " * 3_000_000
    offsets = build_warc(path, [html_response("https://sputniknews.test/big/", big), *three_pages()])
    again = read_again(monkeypatch)

    responses, counts = replay([path], limits=ReplayLimits(max_payload=1_000_000))

    assert [r.url for r in responses] == [f"https://sputniknews.test/{n}/" for n in (1, 2, 3)]
    assert counts["replay/skipped/too_large"] == 1
    assert again == offsets[:1]


def damaged_files(tmp_path: Path) -> list[Path]:
    """Intact, damaged and odd files, real and built, to replay both ways."""
    built = tmp_path / "built.warc.gz"
    offsets = build_warc(built, [warcinfo(), *three_pages(), *haystack(4),
                                 revisit("https://sputniknews.test/1/again/", three_pages()[0])])
    rotten = tmp_path / "rotten.warc.gz"
    offsets = build_warc(rotten, haystack(6) + three_pages() + haystack(6))
    damage(rotten, offsets[4] + 40)
    cut = tmp_path / "cut.warc.gz"
    build_warc(cut, three_pages() + three_pages())
    truncate(cut, 300)
    plain = tmp_path / "plain.warc"
    offsets = build_warc(plain, three_pages() + haystack(3), gzip=False)
    damage(plain, offsets[1] + 30)
    real = sorted(SAMPLES.glob("*.warc*")) + sorted(Path("samples").glob("*.warc.gz"))
    return [built, rotten, cut, plain, *real]


def test_holding_blocks_changes_no_response_count_or_log_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    files = damaged_files(tmp_path)
    with caplog.at_level(logging.WARNING):
        held, counts = replay(files)
    lines, caplog.records[:] = warnings_of(caplog), []
    never_holding(monkeypatch)
    with caplog.at_level(logging.WARNING):
        reread, counts_reread = replay(files)

    assert len(held) > 10
    assert counts["replay/errors/corrupt"] == counts["replay/errors/truncated"] == 1
    assert held == reread
    assert counts == counts_reread
    assert lines == warnings_of(caplog)
