"""Build small WARC files for tests, byte for byte predictable.

Describe records with the helpers (``http_response``, ``revisit``,
``http_request``, ``warcinfo``, ``resource``), then write them with
``build_warc(path, records, gzip=True)``, which returns each record's offset.
Record IDs and dates are fixed unless given, so files are reproducible.
HTTP heads are written exactly as given (warcio's writer would otherwise
re-encode non-ASCII header bytes), and ``damage``/``truncate`` break files
on purpose.
"""

from __future__ import annotations

import gzip as gzip_module
import hashlib
import io
from base64 import b32encode
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

DEFAULT_DATE = "2021-12-27T09:30:00Z"
PROFILE_1_0 = "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest"
PROFILE_1_1 = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
HTTP_CONTENT_TYPES = {
    "response": "application/http; msgtype=response",
    "revisit": "application/http; msgtype=response",
    "request": "application/http; msgtype=request",
}

_ids = iter(range(1, 10**9))


def record_id(n: int) -> str:
    """A fixed, readable WARC-Record-ID."""
    return f"<urn:uuid:00000000-0000-4000-8000-{n:012d}>"


@dataclass(frozen=True)
class RecordSpec:
    """One record to write: WARC type, target URI, optional exact HTTP head, block."""

    rec_type: str
    url: str | None
    payload: bytes = b""
    http_head: bytes | None = None
    content_type: str | None = None
    record_id: str = field(default_factory=lambda: record_id(next(_ids)))
    date: str = DEFAULT_DATE
    extra_headers: tuple[tuple[str, str], ...] = ()

    @property
    def payload_digest(self) -> str:
        return payload_digest(self.payload)


def payload_digest(payload: bytes) -> str:
    """The sha1 base32 digest WARC writers put in WARC-Payload-Digest."""
    return "sha1:" + b32encode(hashlib.sha1(payload).digest()).decode("ascii")


def http_head(status: int = 200, reason: str = "OK",
              headers: Sequence[tuple[str, str]] = (), protocol: str = "HTTP/1.1") -> bytes:
    """An HTTP response head; header values are written as latin-1 bytes."""
    lines = [f"{protocol} {status} {reason}".rstrip()]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def chunked(body: bytes, size: int = 10) -> bytes:
    """``body`` in HTTP/1.1 chunked transfer coding, ``size`` bytes a chunk."""
    parts = [b"%x\r\n%s\r\n" % (len(body[i:i + size]), body[i:i + size])
             for i in range(0, len(body), size)]
    return b"".join(parts) + b"0\r\n\r\n"


def gzipped(body: bytes) -> bytes:
    return gzip_module.compress(body, mtime=0)


def http_response(url: str, body: bytes = b"", *, status: int = 200, reason: str = "OK",
                  headers: Sequence[tuple[str, str]] = (), raw_head: bytes | None = None,
                  ip: str | None = None, **spec: object) -> RecordSpec:
    """A ``response`` record; ``body`` is stored exactly (chunk or gzip it first)."""
    head = raw_head if raw_head is not None else http_head(status, reason, headers)
    extra = (("WARC-IP-Address", ip),) if ip else ()
    return RecordSpec("response", url, body, head, extra_headers=extra, **spec)  # type: ignore[arg-type]


def html_response(url: str, html: bytes, *, chunk: bool = False, gzip: bool = False,
                  charset: str = "utf-8", chunk_size: int = 10, **spec: object) -> RecordSpec:
    """A 200 text/html response, optionally gzip-encoded and/or chunked.

    Chunks are tiny by default so that tests cross many chunk boundaries.
    """
    body = gzipped(html) if gzip else html
    headers = [("Content-Type", f"text/html; charset={charset}")]
    if gzip:
        headers.append(("Content-Encoding", "gzip"))
    if chunk:
        headers.append(("Transfer-Encoding", "chunked"))
        body = chunked(body, chunk_size)
    else:
        headers.append(("Content-Length", str(len(body))))
    return http_response(url, body, headers=headers, **spec)  # type: ignore[arg-type]


def revisit(url: str, original: RecordSpec, *, head: bytes | None = b"", profile: str = PROFILE_1_0,
            refers_to: bool = True, digest: str | None = None, **spec: object) -> RecordSpec:
    """An identical-payload-digest revisit of ``original``.

    ``head=b""`` copies the original's HTTP head, ``None`` stores no HTTP head.
    """
    extra = [("WARC-Payload-Digest", digest or original.payload_digest),
             ("WARC-Profile", profile)]
    if refers_to:
        extra += [("WARC-Refers-To", original.record_id),
                  ("WARC-Refers-To-Target-URI", original.url or ""),
                  ("WARC-Refers-To-Date", original.date)]
    http = original.http_head if head == b"" else head
    return RecordSpec("revisit", url, b"", http, extra_headers=tuple(extra), **spec)  # type: ignore[arg-type]


def http_request(url: str, **spec: object) -> RecordSpec:
    host = url.split("/")[2] if "//" in url else ""
    head = f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode("ascii")
    return RecordSpec("request", url, b"", head, **spec)  # type: ignore[arg-type]


def warcinfo(fields: dict[str, str] | None = None, **spec: object) -> RecordSpec:
    info = fields or {"software": "tests/warc_builders.py", "format": "WARC File Format 1.0"}
    body = "".join(f"{k}: {v}\r\n" for k, v in info.items()).encode("utf-8")
    return RecordSpec("warcinfo", None, body, content_type="application/warc-fields", **spec)  # type: ignore[arg-type]


def resource(url: str, body: bytes, content_type: str = "text/plain", **spec: object) -> RecordSpec:
    return RecordSpec("resource", url, body, content_type=content_type, **spec)  # type: ignore[arg-type]


class _ExactHead(StatusAndHeaders):
    """An HTTP head that warcio writes back byte for byte."""

    def __init__(self, raw: bytes) -> None:
        super().__init__(raw.split(b"\r\n", 1)[0].decode("latin-1"), [], protocol="")
        self._raw = raw

    def compute_headers_buffer(self, header_filter: object = None) -> None:
        self.headers_buff = self._raw


def build_warc(path: str | Path, records: Sequence[RecordSpec], *, gzip: bool = True,
               warc_version: str = "1.0") -> list[int]:
    """Write ``records`` to ``path`` (one gzip member each if ``gzip``); return offsets."""
    offsets = []
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=gzip, warc_version=warc_version)
        for spec in records:
            offsets.append(out.tell())
            writer.write_record(_to_warcio(writer, spec))
    return offsets


def _to_warcio(writer: WARCWriter, spec: RecordSpec) -> object:
    headers = {"WARC-Record-ID": spec.record_id, "WARC-Date": spec.date, **dict(spec.extra_headers)}
    content_type = spec.content_type or HTTP_CONTENT_TYPES.get(spec.rec_type, "")
    return writer.create_warc_record(
        spec.url or "", spec.rec_type,
        payload=io.BytesIO(spec.payload), length=len(spec.payload),
        warc_content_type=content_type, warc_headers_dict=headers,
        http_headers=_ExactHead(spec.http_head) if spec.http_head else None,
    )


def damage(path: str | Path, offset: int, data: bytes = b"\xde\xad\xbe\xef" * 4) -> None:
    """Overwrite bytes at ``offset`` in place (the file keeps its size)."""
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.write(data)


def truncate(path: str | Path, remove: int) -> int:
    """Cut ``remove`` bytes off the end, as a crawl killed mid-write would; new size."""
    size = Path(path).stat().st_size - remove
    with open(path, "r+b") as fh:
        fh.truncate(size)
    return size
