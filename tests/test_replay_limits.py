"""Replay denial of service from small files (issue 17, points 7-10).

Each file here is small on disk and costly to read naively: a payload of
spaces that inflates to 1 GiB, one header repeated 40,000 times, a file of
gzip magic bytes, hundreds of thousands of tiny records. Memory is measured
in a child process (``ru_maxrss`` of that child alone), time in-process.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap
import time
import zlib
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.test import get_crawler

from crawler.middlewares.replay import ReplayDownloaderMiddleware, build_response
from tests import warc_builders as wb
from tests.crawl import run_crawl
from tests.test_hostile_warc import page_record
from warc.limits import ReplayLimits
from warc.reader import ArchivedResponse, WarcReplayReader

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = "https://fr.sputniknews.com/20211227/x-1054083153.html"
MIB = 1024 * 1024


def replay(paths: list[Path], **kwargs: object) -> tuple[list[ArchivedResponse], dict[str, int]]:
    counts: dict[str, int] = {}
    reader = WarcReplayReader([str(p) for p in paths], **kwargs,  # type: ignore[arg-type]
                              count=lambda key, n: counts.__setitem__(key, counts.get(key, 0) + n))
    return list(reader.responses()), counts


def spaces_record(path: Path, url: str, size: int) -> None:
    """One response record whose payload is ``size`` spaces, gzip-compressed to ~1/1000.

    Each MiB is compressed after a full flush, so its deflate bytes are the
    same every time and are computed once.
    """
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    head = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: {wb.record_id(1)}\r\n"
            f"WARC-Date: 2021-12-27T09:30:00Z\r\nWARC-Target-URI: {url}\r\n"
            f"Content-Type: application/http; msgtype=response\r\n"
            f"Content-Length: {len(http) + size}\r\n\r\n").encode() + http
    chunk = b" " * MIB
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    start = deflate.compress(head) + deflate.flush(zlib.Z_FULL_FLUSH)
    middle = deflate.compress(chunk) + deflate.flush(zlib.Z_FULL_FLUSH)
    end = deflate.compress(b"\r\n\r\n") + deflate.flush()
    crc = zlib.crc32(head)
    for _ in range(size // MIB):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(b"\r\n\r\n", crc)
    total = len(head) + size + 4
    with path.open("wb") as out:
        out.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + start)
        for _ in range(size // MIB):
            out.write(middle)
        out.write(end + crc.to_bytes(4, "little") + (total & 0xFFFFFFFF).to_bytes(4, "little"))


def repeated_headers_record(url: str, count: int) -> wb.RecordSpec:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + b"X-A: b\r\n" * count + b"\r\n"
    return wb.http_response(url, b"<html></html>", raw_head=head)


def peak_rss_mb(script: str) -> float:
    """Peak RSS (VmHWM) of a child Python running ``script`` from the project root.

    Read by the child itself: ``ru_maxrss`` would include the RSS of the forked
    test process from before ``exec``.
    """
    report = "\nprint(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])\n"
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script) + report], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return int(done.stdout.split()[-1]) / 1024


# -- point 7: the page size limit -----------------------------------------------------


def test_gibibyte_of_spaces_is_skipped_in_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "spaces.warc.gz"
    spaces_record(path, ARTICLE, 1024 * MIB)
    assert path.stat().st_size < 2 * MIB

    rss = peak_rss_mb(f"""
        from warc.limits import ReplayLimits
        from warc.reader import WarcReplayReader
        counts = {{}}
        reader = WarcReplayReader([{str(path)!r}], limits=ReplayLimits(max_payload=8 * 2**20),
                                  count=lambda k, n: counts.__setitem__(k, counts.get(k, 0) + n))
        assert list(reader.responses()) == []
        assert counts["replay/skipped/too_large"] == 1, counts
    """)

    assert rss < 80, f"{rss:.0f} MB"


def test_payload_over_the_limit_is_counted_and_the_next_page_kept(tmp_path: Path) -> None:
    path = tmp_path / "big.warc.gz"
    wb.build_warc(path, [wb.html_response(ARTICLE, b"<p>" + b"x" * 5000 + b"</p>"),
                         wb.html_response(ARTICLE + "?2", b"<p>small</p>")])

    responses, counts = replay([path], limits=ReplayLimits(max_payload=4096))

    assert [r.body for r in responses] == [b"<p>small</p>"]
    assert counts["replay/skipped/too_large"] == 1


def test_download_maxsize_meta_applies_to_a_replayed_page() -> None:
    crawler = get_crawler(settings_dict={"REPLAY_OFFLINE": True})
    crawler.stats.open_spider()
    middleware = ReplayDownloaderMiddleware.from_crawler(crawler)
    archived = ArchivedResponse(ARTICLE, 200, "OK", "HTTP/1.1", [("Content-Type", "text/html")],
                                b"x" * 2000, "f.warc.gz", 0, "<urn:uuid:1>", "2021-12-27T09:30:00Z",
                                None, None, None)
    request = Request(ARTICLE, meta={"archived_response": archived, "download_maxsize": 1000})

    with pytest.raises(IgnoreRequest):
        middleware.process_request(request)
    assert crawler.stats.get_value("replay/skipped/too_large") == 1


# -- point 8: header count and size ---------------------------------------------------


def test_forty_thousand_repeated_headers_are_refused_fast(tmp_path: Path) -> None:
    path = tmp_path / "headers.warc.gz"
    wb.build_warc(path, [repeated_headers_record(ARTICLE, 40_000),
                         wb.html_response(ARTICLE + "?2", b"<p>fine</p>")])
    assert path.stat().st_size < 20_000

    started = time.perf_counter()
    responses, counts = replay([path], limits=ReplayLimits(max_headers=500))

    assert time.perf_counter() - started < 1.0
    assert [r.body for r in responses] == [b"<p>fine</p>"]
    assert counts["replay/skipped/too_many_headers"] == 1


def test_header_bytes_over_the_limit_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "long.warc.gz"
    head = wb.http_head(headers=[("Content-Type", "text/html"), ("X-Long", "v" * 20_000)])
    wb.build_warc(path, [wb.http_response(ARTICLE, b"<p></p>", raw_head=head)])

    responses, counts = replay([path], limits=ReplayLimits(max_head_bytes=16_384))

    assert responses == [] and counts["replay/skipped/headers_too_large"] == 1


def test_building_a_response_is_linear_in_its_headers() -> None:
    pairs = [("X-A", "b")] * 40_000 + [("Content-Type", "text/html")]

    started = time.perf_counter()
    response = build_response(ARTICLE, 200, pairs, b"<html></html>", Request(ARTICLE), ["replay"])

    assert time.perf_counter() - started < 1.0
    assert len(response.headers.getlist("X-A")) == 40_000


# -- point 9: gzip resync ---------------------------------------------------------------


def test_gzip_resync_over_magic_bytes_is_linear(tmp_path: Path) -> None:
    path = tmp_path / "magic.warc.gz"
    path.write_bytes(b"\x1f\x8b\x08\x08" * (MIB // 4))

    started = time.perf_counter()
    responses, counts = replay([path])

    assert time.perf_counter() - started < 2.0
    assert responses == [] and counts["replay/errors/not_warc"] == 1


def test_resync_after_a_corrupt_member_still_finds_the_next_record(tmp_path: Path) -> None:
    path = tmp_path / "junk.warc.gz"
    offsets = wb.build_warc(path, [wb.html_response(ARTICLE, b"<p>1</p>"),
                                   wb.html_response(ARTICLE + "?2", b"<p>2</p>")])
    data = path.read_bytes()
    # Candidate headers with FNAME set and no NUL after them, then the good member.
    path.write_bytes(data[:offsets[1]] + b"\x1f\x8b\x08\x08" * 50_000 + data[offsets[1]:])

    started = time.perf_counter()
    responses, counts = replay([path])

    assert time.perf_counter() - started < 2.0
    assert [r.body for r in responses] == [b"<p>1</p>", b"<p>2</p>"]
    assert counts["replay/errors/corrupt"] == 1


# -- point 10: the revisit index ----------------------------------------------------------


def tiny_records(path: Path, count: int) -> None:
    """``count`` tiny HTTP responses, each with its own payload digest (plain WARC)."""
    with path.open("wb") as out:
        for n in range(count):
            body = b"%d" % n
            block = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
            out.write(b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://h%d.test/\r\n"
                      b"WARC-Payload-Digest: %s\r\nContent-Type: application/http; msgtype=response\r\n"
                      b"Content-Length: %d\r\n\r\n%s\r\n\r\n"
                      % (n, wb.payload_digest(body).encode(), len(block), block))


def test_revisit_index_memory_is_flat_in_record_count(tmp_path: Path) -> None:
    rss = {}
    for count in (20_000, 200_000):
        path = tmp_path / f"tiny-{count}.warc"
        tiny_records(path, count)
        rss[count] = peak_rss_mb(f"""
            from warc.reader import WarcReplayReader
            counts = {{}}
            reader = WarcReplayReader([{str(path)!r}], url_filter=lambda url: "other_host",
                                      count=lambda k, n: counts.__setitem__(k, counts.get(k, 0) + n))
            assert list(reader.responses()) == []
            assert counts["replay/skipped/other_host"] == {count}, counts
        """)
        path.unlink()

    assert rss[200_000] - rss[20_000] < 8, rss


def test_revisit_found_among_many_skipped_records(tmp_path: Path) -> None:
    path = tmp_path / "many.warc"
    tiny_records(path, 5_000)
    original = wb.html_response(ARTICLE, b"<p>original</p>")
    later = tmp_path / "later.warc.gz"
    wb.build_warc(later, [original, wb.revisit(ARTICLE + "?again", original)])

    responses, counts = replay([path, later], url_filter=lambda url: None if "sputnik" in url else "x")

    assert [r.body for r in responses] == [b"<p>original</p>", b"<p>original</p>"]
    assert counts["replay/revisit/resolved"] == 1


# -- the settings, through a crawl ------------------------------------------------------------


def test_replay_crawl_applies_size_and_header_limits(tmp_path: Path) -> None:
    files = tmp_path / "warcs"
    files.mkdir()
    spaces_record(files / "a-spaces.warc.gz", ARTICLE, 20 * MIB)
    wb.build_warc(files / "b-headers.warc.gz", [repeated_headers_record(ARTICLE, 2_000)])
    wb.build_warc(files / "c-good.warc.gz", [page_record("1056789012")])

    result = run_crawl(tmp_path, args={"replay": str(files)},
                       settings={"DOWNLOAD_MAXSIZE": str(MIB), "REPLAY_MAX_HEADERS": "100"})

    assert result.returncode == 0, result.log[-2000:]
    assert [item["article_id"] for item in result.items] == ["1056789012"]
    assert result.stats["replay/skipped/too_large"] == 1
    assert result.stats["replay/skipped/too_many_headers"] == 1
