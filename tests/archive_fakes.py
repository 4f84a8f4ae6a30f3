"""Local stand-ins for the public web archives, on 127.0.0.1, for offline tests.

One stdlib HTTP server answers as four services, each under its own path:

- ``/cc-index/<crawl>-index``: Common Crawl's pywb CDX server (JSON lines,
  ``showNumPages`` and ``page``, 404 for an unknown crawl);
- ``/cc-data/<filename>``: WARC files served by byte range (206), except files
  named in ``whole_files`` (200 with the whole file, as a server ignoring Range);
- ``/cdx``: the Wayback Machine's CDX server (a JSON array, resume keys);
- ``/web/<timestamp>id_/<url>``: Wayback captures, original headers prefixed
  ``X-Archive-Orig-``.

- ``/cc-index/collinfo.json``: the crawl list (``collinfo``);
- any other path in ``site``: the live edition's robots.txt and sitemaps.

``throttle_once`` lists (path, Range) pairs answered 429 with Retry-After: 1
the first time (a Wayback capture's target with Range ""); paths starting
with one of ``down`` are answered 503 every time. ``hold`` (a predicate over
the request log and the new request's target) keeps a request unanswered
until ``release()``: a test kills the crawl while it waits, and the request
stays logged with no status. Every request is logged (tests.site.requestlog).
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from collections.abc import Callable
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from tests.site.requestlog import LoggedRequest, RequestLog

CC_PAGE_SIZE = 2
CDX_PAGE_SIZE = 3
RANGE = re.compile(r"^bytes=(\d+)-(\d+)$")
CAPTURE = re.compile(r"^/web/(\d{14})id_/(.+)$")
Answer = tuple[int, dict[str, str], bytes]


@dataclass
class WaybackPage:
    body: bytes
    headers: dict[str, str]


@dataclass
class Archives:
    """What the fake archives hold; tests fill it before starting the server."""

    cc_index: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    cc_files: dict[str, bytes] = field(default_factory=dict)
    whole_files: set[str] = field(default_factory=set)
    throttle_once: set[tuple[str, str]] = field(default_factory=set)
    cdx_rows: list[list[str]] = field(default_factory=list)
    pages: dict[tuple[str, str], WaybackPage] = field(default_factory=dict)
    collinfo: list[dict[str, str]] = field(default_factory=list)
    site: dict[str, bytes] = field(default_factory=dict)
    down: tuple[str, ...] = ()


def sha1_base32(payload: bytes) -> str:
    """A payload digest as both archives' indexes give it: base32 sha1, no prefix."""
    return base64.b32encode(hashlib.sha1(payload).digest()).decode("ascii")


def _host_matches(url: str, query: str) -> bool:
    host = query.removesuffix("/*")
    return (urlsplit(url).hostname or "") == host


class ArchiveHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ArchiveServer

    def do_GET(self) -> None:
        hold = self.server.hold is not None and self.server.hold(self.server.log.entries(), self.path)
        entry = self.server.log.record(LoggedRequest(
            "GET", self.path, self.headers.get("Host", ""), dict(self.headers.items())))
        if hold:
            self.server.released.wait(60)
            self.close_connection = True
            return
        status, headers, body = self.server.answer(self.path, self.headers.get("Range", ""))
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.server.log.answered(entry, status)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the request log is what tests read."""


class ArchiveServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, archives: Archives) -> None:
        super().__init__(("127.0.0.1", 0), ArchiveHandler)
        self.archives = archives
        self.log = RequestLog()
        self._throttled: set[tuple[str, str]] = set()
        self._thread: threading.Thread | None = None
        self.hold: Callable[[list[LoggedRequest], str], bool] | None = None
        self.released = threading.Event()

    def release(self) -> None:
        """Lets held requests go, unanswered, and holds no more."""
        self.hold = None
        self.released.set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def settings(self) -> dict[str, str]:
        """The endpoint settings that point a crawl here."""
        return {"COMMONCRAWL_INDEX_URL": f"{self.url}/cc-index",
                "COMMONCRAWL_DATA_URL": f"{self.url}/cc-data",
                "WAYBACK_CDX_URL": f"{self.url}/cdx", "WAYBACK_URL": f"{self.url}/web"}

    def answer(self, target: str, byte_range: str) -> Answer:
        path, _, query = target.partition("?")
        params = {key: values for key, values in parse_qs(query).items()}
        if self.archives.down and path.startswith(self.archives.down):
            return 503, {"Content-Type": "text/plain"}, b"unavailable"
        if path == "/cc-index/collinfo.json":
            return 200, {"Content-Type": "application/json"}, json.dumps(self.archives.collinfo).encode()
        if path.startswith("/cc-index/"):
            return self.cc_index(path.removeprefix("/cc-index/").removesuffix("-index"), params)
        if path.startswith("/cc-data/"):
            return self.cc_data(path, path.removeprefix("/cc-data/"), byte_range)
        if path == "/cdx":
            return self.cdx(params)
        if path in self.archives.site:
            return 200, {"Content-Type": "application/xml"}, self.archives.site[path]
        match = CAPTURE.match(target)
        if (target, "") in self.archives.throttle_once and (target, "") not in self._throttled:
            self._throttled.add((target, ""))
            return 429, {"Retry-After": "1"}, b"slow down"
        if match and (match.group(1), match.group(2)) in self.archives.pages:
            page = self.archives.pages[(match.group(1), match.group(2))]
            return 200, page.headers, page.body
        return 404, {"Content-Type": "text/plain"}, b"not found"

    def cc_index(self, crawl: str, params: dict[str, list[str]]) -> Answer:
        if crawl not in self.archives.cc_index:
            return 404, {"Content-Type": "text/html"}, b"<h1>Not Found</h1>"
        lines = [line for line in self.archives.cc_index[crawl]
                 if _host_matches(line["url"], params["url"][0])]
        if params.get("showNumPages") == ["true"]:
            pages = -(-len(lines) // CC_PAGE_SIZE)
            return 200, {"Content-Type": "application/json"}, json.dumps({"pages": pages}).encode()
        page = int(params.get("page", ["0"])[0])
        chosen = lines[page * CC_PAGE_SIZE:(page + 1) * CC_PAGE_SIZE]
        body = "".join(json.dumps(line) + "\n" for line in chosen).encode()
        return 200, {"Content-Type": "text/x-ndjson"}, body

    def cc_data(self, path: str, name: str, byte_range: str) -> Answer:
        data = self.archives.cc_files.get(name)
        match = RANGE.match(byte_range)
        if data is None or match is None:
            return 404, {}, b""
        if (path, byte_range) in self.archives.throttle_once and (path, byte_range) not in self._throttled:
            self._throttled.add((path, byte_range))
            return 429, {"Retry-After": "1"}, b"slow down"
        if name in self.archives.whole_files:
            return 200, {"Content-Type": "application/octet-stream"}, data
        first, last = int(match.group(1)), int(match.group(2))
        return 206, {"Content-Type": "application/octet-stream",
                     "Content-Range": f"bytes {first}-{last}/{len(data)}"}, data[first:last + 1]

    def cdx(self, params: dict[str, list[str]]) -> Answer:
        since = params.get("from", [""])[0]
        header, *rows = self.archives.cdx_rows
        rows = [row for row in rows if _host_matches(row[2], params["url"][0]) and row[1] >= since]
        start = int(params.get("resumeKey", ["0"])[0])
        answer: list[list[str]] = [header, *rows[start:start + CDX_PAGE_SIZE]]
        if start + CDX_PAGE_SIZE < len(rows):
            answer += [[], [str(start + CDX_PAGE_SIZE)]]
        return 200, {"Content-Type": "application/json"}, json.dumps(answer).encode()

    def __enter__(self) -> ArchiveServer:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.shutdown()
        self.server_close()
