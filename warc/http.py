"""HTTP heads and payloads as stored in WARC response records.

The body handed on is what the server sent minus the transfer framing:
de-chunked, but still content-encoded, because Scrapy decodes content
encodings itself. Known archiver defects are repaired and named so the
caller can count them.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass

import brotli
from warcio.bufferedreaders import ChunkedDataException, ChunkedDataReader
from warcio.recordloader import ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeadersParser

from warc.blocks import Readable
from warc.limits import NO_LIMITS, HeadBudget, ReplayLimits

Headers = list[tuple[str, str]]

SNIFF_SIZE = 1024
# Bytes that never occur in text but are near certain in any 1 KB of
# compressed data: their absence marks a body that was stored decoded.
CONTROL_BYTES = bytes(set(range(32)) - {9, 10, 12, 13, 27})


class _Latin1HeadParser(StatusAndHeadersParser):
    """warcio's parser, but every byte maps to one character.

    Latin-1 never fails and round-trips: ``value.encode('latin-1')`` gives
    back the bytes the server sent, whatever charset they were in.
    """

    @staticmethod
    def decode_header(line: bytes | str) -> str:
        return line.decode("latin-1") if isinstance(line, bytes) else line


HEAD_PARSER = _Latin1HeadParser(ArcWarcRecordLoader.HTTP_TYPES, verify=False)


@dataclass(frozen=True)
class HttpHead:
    protocol: str
    status: int
    reason: str
    headers: Headers


@dataclass(frozen=True)
class HttpPayload:
    headers: Headers
    body: bytes
    repairs: tuple[str, ...]


def parse_head(stream: Readable, limits: ReplayLimits = NO_LIMITS) -> HttpHead | None:
    """The status line and headers at the start of ``stream``; None if unusable.

    Raises ``HeadTooLarge`` past the header limits, having read little more.
    """
    if limits.max_headers or limits.max_head_bytes:
        stream = HeadBudget(stream, limits)
    try:
        parsed = HEAD_PARSER.parse(stream)
    except EOFError:
        return None
    code, _, reason = (parsed.statusline or "").partition(" ")
    if not parsed.protocol.upper().startswith("HTTP/") or not code.isdigit():
        return None
    return HttpHead(parsed.protocol, int(code), reason.strip(), list(parsed.headers))


def build_payload(headers: Headers, raw: bytes, framing: Headers | None = None) -> HttpPayload:
    """Body and headers to hand on for ``raw`` bytes sent with ``headers``.

    ``framing`` names the headers the raw bytes were really sent with when
    they differ (a revisit shows its own headers over the original's bytes).
    """
    repairs: list[str] = []
    body, headers = _unchunk(headers, raw, headers if framing is None else framing, repairs)
    headers = _check_content_encoding(headers, body, repairs)
    headers = _fix_content_length(headers, len(body), repairs)
    return HttpPayload(headers, body, tuple(repairs))


def header_value(headers: Headers, name: str) -> str | None:
    lname = name.lower()
    return next((v for k, v in headers if k.lower() == lname), None)


def _tokens(value: str | None) -> list[str]:
    return [t.strip().lower() for t in (value or "").split(",") if t.strip()]


def _unchunk(headers: Headers, raw: bytes, framing: Headers,
             repairs: list[str]) -> tuple[bytes, Headers]:
    if _is_chunked(framing) and raw:
        try:
            body = dechunk(raw)
        except ChunkedDataException:
            repairs.append("bad_chunking")
            return raw, headers
        return body, _without_chunked(headers)
    # A revisit's headers may say chunked over an original that was not.
    return raw, _without_chunked(headers) if framing is not headers else headers


def _is_chunked(headers: Headers) -> bool:
    return "chunked" in _tokens(header_value(headers, "Transfer-Encoding"))


def dechunk(raw: bytes) -> bytes:
    """Join the chunks of a chunked body; ChunkedDataException if it is not one."""
    reader = ChunkedDataReader(io.BytesIO(raw), raise_exceptions=True)
    return reader.read()


def _without_chunked(headers: Headers) -> Headers:
    out: Headers = []
    for name, value in headers:
        if name.lower() == "transfer-encoding":
            rest = [t for t in _tokens(value) if t != "chunked"]
            if not rest:
                continue
            value = ", ".join(rest)
        out.append((name, value))
    return out


def _check_content_encoding(headers: Headers, body: bytes, repairs: list[str]) -> Headers:
    coding = _tokens(header_value(headers, "Content-Encoding"))
    if len(coding) != 1 or not body or looks_encoded(coding[0], body):
        return headers
    repairs.append("content_encoding")
    return [(k, v) for k, v in headers if k.lower() != "content-encoding"]


def looks_encoded(coding: str, body: bytes) -> bool:
    """False only when ``body`` is plainly NOT in ``coding`` (gzip, deflate, br).

    Unknown codings are given the benefit of the doubt.
    """
    head = body[:SNIFF_SIZE]
    if coding in ("gzip", "x-gzip"):
        return head.startswith(b"\x1f\x8b")
    if coding == "deflate":
        return not _looks_like_text(head) or _inflates(head)
    if coding == "br":
        return not _looks_like_text(head) or _unbrotlis(head)
    return True


def _looks_like_text(head: bytes) -> bool:
    return len(head.translate(None, CONTROL_BYTES)) == len(head)


def _inflates(head: bytes) -> bool:
    for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):
        try:
            zlib.decompressobj(wbits).decompress(head)
            return True
        except zlib.error:
            continue
    return False


def _unbrotlis(head: bytes) -> bool:
    try:
        brotli.Decompressor().process(head)
    except brotli.error:
        return False
    return True


def _fix_content_length(headers: Headers, length: int, repairs: list[str]) -> Headers:
    wrong = [v for k, v in headers if k.lower() == "content-length" and v.strip() != str(length)]
    if not wrong:
        return headers
    repairs.append("content_length")
    return [(k, str(length) if k.lower() == "content-length" else v) for k, v in headers]
