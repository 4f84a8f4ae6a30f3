"""A capture fetched from a web archive: how to ask for it, how to read the
answer, and how it goes into our own WARC archive.

A request for a capture carries a ``CommonCrawlFetch`` or ``WaybackFetch``
in ``meta[FETCH_KEY]``; the web-archive middleware turns the answer into the
original HTTP response and leaves a ``CommonCrawlCapture`` or
``WaybackCapture`` for the WARC archive middleware to store.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from warc.foreign import ForeignRecord
from warc.heads import HttpExchange
from warc.writer import WarcArchive, WrittenRecord

FETCH_KEY = "web_archive_fetch"
Headers = list[tuple[str, str]]

ORIG_PREFIX = "x-archive-orig-"
# What the original server sent to frame and encode ITS bytes; the bytes we
# hold are framed and encoded as the archive sent them.
WIRE_HEADERS = frozenset({"content-length", "transfer-encoding", "content-encoding"})
# The archive's own headers that describe the bytes it sends us.
REPRESENTATION = frozenset({"content-type", "content-encoding"})
# .../web/20211228060000id_/https://fr.sputniknews.com/...
CAPTURE_URL = re.compile(r"/(?P<timestamp>\d{14})id_/(?P<original>.+)$")


@dataclass(frozen=True)
class CommonCrawlFetch:
    crawl: str
    filename: str
    offset: int
    length: int

    @property
    def range(self) -> str:
        return f"bytes={self.offset}-{self.offset + self.length - 1}"


@dataclass(frozen=True)
class WaybackFetch:
    timestamp: str
    original: str


def requested_bytes(status: int, body: bytes, offset: int, length: int) -> tuple[bytes | None, str]:
    """The record's bytes from a Range answer, and how they were had.

    A server may ignore Range and answer 200 with the whole file: the
    record is then cut out of it when the file is all there.
    """
    if status == 206:
        return body, "range"
    if status == 200 and len(body) > length and len(body) >= offset + length:
        return body[offset:offset + length], "sliced"
    if status == 200 and len(body) == length:
        return body, "range"
    return None, "range_ignored"


def capture_of(url: str) -> tuple[str, str] | None:
    """(timestamp, original URL) of a Wayback ``id_`` URL."""
    match = CAPTURE_URL.search(url)
    return (match.group("timestamp"), match.group("original")) if match else None


def restore_original_headers(headers: Headers) -> tuple[Headers, Headers]:
    """(headers of the original response, headers the archive added).

    The Wayback Machine sends the original headers as ``X-Archive-Orig-*``;
    they get their names back. Their framing and encoding headers described
    bytes we do not have, so the archive's Content-Type and Content-Encoding
    stand in for them; they and every other archive header are returned
    apart, for the metadata record.
    """
    original: Headers = []
    added: Headers = []
    for name, value in headers:
        real = name[len(ORIG_PREFIX):] if name.lower().startswith(ORIG_PREFIX) else None
        if real and real.lower() not in WIRE_HEADERS:
            original.append((real, value))
        elif name.lower() not in REPRESENTATION:
            added.append((name, value))
    present = {name.lower() for name, _ in original}
    original += [(n, v) for n, v in headers if n.lower() in REPRESENTATION and n.lower() not in present]
    return original, added


def wayback_exchange(original: str, timestamp: str, status: int, headers: Headers,
                     body: bytes) -> HttpExchange:
    """The capture as the archive took it: the original URL, at its timestamp."""
    when = datetime.strptime(timestamp, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    return HttpExchange(url=original, method="GET", request_headers=[], request_body=b"",
                        status=status, reason="", protocol="HTTP/1.1",
                        response_headers=headers, body=body, date=when)


def _json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class CommonCrawlCapture:
    record: ForeignRecord
    fetch: CommonCrawlFetch

    def write(self, archive: WarcArchive) -> list[WrittenRecord]:
        """The record as Common Crawl wrote it, then where it came from."""
        written = archive.append_record(self.record)
        origin = {"via": "commoncrawl", "crawl": self.fetch.crawl, "filename": self.fetch.filename,
                  "offset": self.fetch.offset, "length": self.fetch.length}
        return [written, archive.write_metadata(written, _json(origin))]


@dataclass(frozen=True)
class WaybackCapture:
    exchange: HttpExchange
    capture_url: str
    timestamp: str
    archive_headers: Headers

    def write(self, archive: WarcArchive) -> list[WrittenRecord]:
        """A response record for the original URL (we never saw the request),
        then the capture it came from and the headers the archive added."""
        written = archive.write_exchange(self.exchange, with_request=False)
        origin = {"via": "wayback", "capture_url": self.capture_url, "timestamp": self.timestamp,
                  "archive_headers": [list(pair) for pair in self.archive_headers]}
        return [written, archive.write_metadata(written, _json(origin))]
