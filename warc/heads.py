"""One HTTP exchange as handed to the writer, and the HTTP heads it stores.

Headers are kept as sent and received, in order, repeats included. Only the
two that would make the record untrue are changed: the payload is stored
de-chunked, so ``Transfer-Encoding`` goes and ``Content-Length`` is set to
the stored length. ``Content-Encoding`` stays, as does the encoded payload.

Header strings follow the reader's convention (``warc.http``): each
character is one byte of the wire value (latin-1), so bytes round-trip.
"""

from __future__ import annotations

import http
import logging
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

from warcio.statusandheaders import StatusAndHeaders

logger = logging.getLogger(__name__)

Headers = list[tuple[str, str]]
DEFAULT_PROTOCOL = "HTTP/1.1"
_FRAMING = {"transfer-encoding", "content-length"}


@dataclass(frozen=True)
class HttpExchange:
    url: str
    method: str
    request_headers: Headers
    request_body: bytes
    status: int
    reason: str
    protocol: str
    response_headers: Headers
    body: bytes
    date: datetime
    ip_address: str | None = None


class WireHead(StatusAndHeaders):
    """warcio's head, serialised byte for byte instead of %-encoded ASCII.

    warcio would %-encode non-ASCII header values, storing something the
    server never sent. Characters past latin-1 cannot be wire bytes, so
    such (already decoded) text is stored as UTF-8.
    """

    def compute_headers_buffer(self, header_filter: object = None) -> None:
        text = self.to_str(header_filter)
        try:
            self.headers_buff = text.encode("latin-1") + b"\r\n"
        except UnicodeEncodeError:
            self.headers_buff = text.encode("utf-8") + b"\r\n"


@lru_cache(maxsize=64)  # an exchange's records each ask for the same URL in a row
def target_uri(url: str) -> str:
    """The URI as requested: no fragment (never sent), no userinfo (a secret)."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def request_target(url: str) -> str:
    """Path and query as on the request line."""
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query or url.split("#", 1)[0].endswith("?") else ""
    return (parts.path or "/") + query


def reason_phrase(status: int, reason: str) -> str:
    if reason:
        return reason
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def response_head(exchange: HttpExchange) -> WireHead:
    headers = stored_response_headers(exchange.response_headers, len(exchange.body))
    statusline = f"{exchange.status} {reason_phrase(exchange.status, exchange.reason)}"
    return WireHead(statusline, headers, protocol=exchange.protocol or DEFAULT_PROTOCOL)


def request_head(exchange: HttpExchange) -> WireHead:
    protocol = exchange.protocol or DEFAULT_PROTOCOL
    line = f"{exchange.method.upper()} {request_target(exchange.url)} {protocol}"
    headers = _single_line(exchange.request_headers)
    if not any(name.lower() == "host" for name, _ in headers):
        # The HTTP client adds Host itself; the request really carried it.
        headers.insert(0, ("Host", urlsplit(target_uri(exchange.url)).netloc))
    return WireHead(line, headers, protocol="", is_http_request=True)


def stored_response_headers(headers: Headers, length: int) -> Headers:
    """Received headers with framing that matches the stored payload.

    Content-Length takes the place of the first framing header, so header
    order otherwise stays as received.
    """
    stored: Headers = []
    placed = False
    for name, value in _single_line(headers):
        if name.lower() not in _FRAMING:
            stored.append((name, value))
        elif not placed:
            stored.append(("Content-Length", str(length)))
            placed = True
    if not placed:
        stored.append(("Content-Length", str(length)))
    return stored


def _single_line(headers: Headers) -> Headers:
    """Headers with CR/LF folded to spaces.

    A line break inside a value would end the head early and corrupt the
    record; no real header can contain one after parsing anyway.
    """
    if not any("\r" in name or "\n" in name or "\r" in value or "\n" in value
               for name, value in headers):
        return [(name, value) for name, value in headers]  # the usual case, in one pass
    cleaned = []
    for name, value in headers:
        safe = (_unbreak(name), _unbreak(value))
        if safe != (name, value):
            logger.warning("Folded a line break in HTTP header %r", safe[0])
        cleaned.append(safe)
    return cleaned


def _unbreak(text: str) -> str:
    return text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
