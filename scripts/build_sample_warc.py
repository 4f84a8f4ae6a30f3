#!/usr/bin/env python3
"""Builds the bundled sample archive from the sample pages in samples/pages/.

The archive looks like a small crawl of the edition: robots.txt, a section
page, every sample article (one gzip-encoded and chunked, as servers send
them), an image, a 404 and a revisit of an unchanged page. Each page is
captured at its canonical URL, except the AMP samples, captured at their AMP
address as web archives hold them (CAPTURED_AT); the English samples are
there for ``sputnik_en`` and count as other-host records for ``sputnik_fr``. Record ids and
dates are derived from the content, so the file is the same byte for byte on
every run: ``python scripts/build_sample_warc.py samples/sputnik-sample.warc.gz``.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import re
import sys
import uuid
from datetime import datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "samples" / "pages"
SITE = "https://fr.sputniknews.com"
CANONICAL = re.compile(rb'<link rel="canonical" href="([^"]+)"')
URL_DAY = re.compile(r"/(?:[A-Za-z_][\w-]*/)?(\d{8})")
# The capture sent gzip-encoded and chunked, and the one revisited a month later.
GZIPPED = "article-1033712345"
REVISITED = "article-1041472563"
# Pages captured somewhere other than their canonical URL: the AMP copies.
CAPTURED_AT = {
    "amp-1065524510": "https://fr.sputniknews.africa/amp/20240313/"
                      "le-niger-et-la-russie-signent-un-accord-sur-lenergie-solaire-1065524510.html",
    "amp-1080370875": "https://sputniknews.com/amp/radio_the_critical_hour/202009051080370875-"
                      "covid-19-model-predicts-us-death-toll-will-surpass-410000-by-january-1/"
                      "?__twitter_impression=true",
}


def capture_url(page: Path, body: bytes) -> str:
    return CAPTURED_AT.get(page.stem) or CANONICAL.search(body).group(1).decode()


def record_id(*parts: str) -> str:
    digest = hashlib.sha1("|".join(parts).encode()).hexdigest()
    return f"<urn:uuid:{uuid.UUID(digest[:32])}>"


def capture_time(url: str) -> datetime:
    match = URL_DAY.search(url)
    day = datetime.strptime(match.group(1), "%Y%m%d") if match else datetime(2021, 1, 1)
    return day.replace(tzinfo=timezone.utc) + timedelta(days=1, hours=6)


def warc_date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def chunked(body: bytes, size: int = 4096) -> bytes:
    out = BytesIO()
    for start in range(0, len(body), size):
        piece = body[start:start + size]
        out.write(b"%x\r\n%s\r\n" % (len(piece), piece))
    out.write(b"0\r\n\r\n")
    return out.getvalue()


class SampleArchive:
    def __init__(self, stream) -> None:
        self.writer = WARCWriter(stream, gzip=True, warc_version="WARC/1.1")

    def warcinfo(self) -> None:
        info = {"software": "sputnik-archive sample builder", "format": "WARC File Format 1.1",
                "description": "Reconstructed sample pages, not a real capture"}
        record = self.writer.create_warcinfo_record("sputnik-sample.warc.gz", info)
        record.rec_headers.replace_header("WARC-Record-ID", record_id("warcinfo"))
        record.rec_headers.replace_header("WARC-Date", "2022-03-01T00:00:00Z")
        self.writer.write_record(record)

    def exchange(self, url: str, status: str, headers: list[tuple[str, str]], payload: bytes,
                 moment: datetime) -> None:
        date = warc_date(moment)
        http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
        response = self.writer.create_warc_record(
            url, "response", payload=BytesIO(payload), http_headers=http,
            warc_headers_dict={"WARC-Record-ID": record_id("response", url, date),
                               "WARC-Date": date})
        request = self.writer.create_warc_record(
            url, "request", payload=BytesIO(b""),
            http_headers=StatusAndHeaders(f"GET {_path(url)} HTTP/1.1",
                                          [("Host", _host(url))], is_http_request=True),
            warc_headers_dict={"WARC-Record-ID": record_id("request", url, date),
                               "WARC-Date": date,
                               "WARC-Concurrent-To": record_id("response", url, date)})
        self.writer.write_record(response)
        self.writer.write_record(request)

    def revisit(self, url: str, original_date: datetime, payload: bytes, moment: datetime) -> None:
        date = warc_date(moment)
        digest = "sha1:" + _base32_sha1(payload)
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                protocol="HTTP/1.1")
        record = self.writer.create_revisit_record(
            url, digest, url, warc_date(original_date), http_headers=http)
        record.rec_headers.replace_header("WARC-Record-ID", record_id("revisit", url, date))
        record.rec_headers.replace_header("WARC-Date", date)
        self.writer.write_record(record)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _host(url: str) -> str:
    return urlsplit(url).netloc


def _base32_sha1(data: bytes) -> str:
    return base64.b32encode(hashlib.sha1(data).digest()).decode()


def html_headers(length: int, extra: list[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    return [("Content-Type", "text/html; charset=utf-8"), *extra,
            ("Content-Length", str(length))]


def build(target: Path) -> None:
    pages = sorted(PAGES.glob("*.html"))
    with target.open("wb") as stream:
        archive = SampleArchive(stream)
        archive.warcinfo()
        first = datetime(2022, 3, 1, tzinfo=timezone.utc)
        robots = b"User-agent: *\nDisallow: /services/\nSitemap: %s/sitemap_article_index.xml\n" % SITE.encode()
        archive.exchange(f"{SITE}/robots.txt", "200 OK",
                         [("Content-Type", "text/plain"), ("Content-Length", str(len(robots)))],
                         robots, first)
        section = b"<html><body><h1>International</h1><ul><li>listing</li></ul></body></html>"
        archive.exchange(f"{SITE}/international/", "200 OK", html_headers(len(section)), section, first)
        for page in pages:
            body = page.read_bytes()
            url = capture_url(page, body)
            moment = capture_time(url)
            if page.stem == GZIPPED:
                encoded = gzip.compress(body, mtime=0)
                archive.exchange(url, "200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                                 ("Content-Encoding", "gzip"),
                                                 ("Transfer-Encoding", "chunked")],
                                 chunked(encoded), moment)
            else:
                archive.exchange(url, "200 OK", html_headers(len(body)), body, moment)
            if page.stem == REVISITED:
                archive.revisit(url, moment, body, moment + timedelta(days=30))
        logo = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
        archive.exchange(f"{SITE}/i/logo/logo.png", "200 OK",
                         [("Content-Type", "image/png"), ("Content-Length", str(len(logo)))], logo, first)
        missing = b"<html><body>Page introuvable</body></html>"
        archive.exchange(f"{SITE}/20220301/page-disparue-1099999999.html", "404 Not Found",
                         html_headers(len(missing)), missing, first)


if __name__ == "__main__":
    build(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "samples" / "sputnik-sample.warc.gz"))
