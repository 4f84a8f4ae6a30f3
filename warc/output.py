"""The open WARC file of an archive: where bytes go, and how records are made.

``Sink`` writes straight to the descriptor and can cut a failed record back
off; ``RecordBuilder`` is warcio's writer with record ids and dates from the
archive's callables, so tests can fix both and compare bytes.

Compression was most of what archiving cost a crawl: levels 1-3 use ISA-L's
deflate (the ``isal`` package), which gives zlib's level-3 sizes for about a
third of its CPU; other levels, or a platform without ``isal``, use zlib.
Response, request and metadata records are made as bytes (``RecordBuilder.build``),
warcinfo and revisit records by warcio.
"""
from __future__ import annotations

import hashlib
import os
import zlib
from collections.abc import Callable
from typing import Any
from dataclasses import dataclass
from functools import cached_property
from io import BytesIO
from datetime import datetime, timezone
from pathlib import Path

from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeadersParser
from warcio.warcwriter import WARCWriter

from warc.files import final_name

try:
    from isal import isal_zlib
except ImportError:  # no isal wheel for this platform: zlib at the same level
    isal_zlib = None

# Level of each record's gzip member. Measured on the 47 KB pages of the bench's
# live crawl (docs/benchmarks.md): ISA-L level 1 compresses a page in 0.07 ms to
# 14.1% of its size; zlib level 3 takes 0.22 ms (13.8%), 6 0.46 ms (12.7%).
DEFAULT_GZIP_LEVEL = 1
# The levels ISA-L has; zlib compresses at the others (0: stored, 4-9).
ISAL_LEVELS = range(1, 4)
GZIP_WBITS = zlib.MAX_WBITS + 16  # a gzip header and trailer around the deflate stream


_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_BASE32_PAIRS = [first + second for first in _BASE32 for second in _BASE32]  # 10 bits each
_SHA1_SHIFTS = range(150, -1, -10)  # a 160-bit digest is 32 base32 digits, no padding


def sha1_base32(*parts: bytes | memoryview) -> str:
    """``sha1:<base32>`` of ``parts`` in a row, the form warcio writes.

    The standard library's b32encode is pure Python in 3.11 and took as
    long as the hashing of a 6 KB record; 20 bytes are 32 digits of 5 bits.
    """
    digester = hashlib.sha1()
    for part in parts:
        digester.update(part)
    number = int.from_bytes(digester.digest(), "big")
    return "sha1:" + "".join([_BASE32_PAIRS[(number >> shift) & 1023] for shift in _SHA1_SHIFTS])


def format_warc_date(when: datetime) -> str:
    """WARC-Date with microseconds, always six digits, in UTC.

    WARC 1.1 allows fractional seconds; a fixed width keeps dates of one
    archive comparable as strings. Naive datetimes are taken as UTC.
    """
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc).replace(tzinfo=None)
    if when.year < 1000:  # isoformat pads the year, strftime does not
        return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return when.isoformat(timespec="microseconds") + "Z"  # a fifth of strftime's time


def default_record_id() -> str:
    return str(StatusAndHeadersParser.make_warc_id())


def bracketed(record_ids: Callable[[], str]) -> Callable[[], str]:
    """Accept bare ``urn:uuid:...`` ids too; WARC-Record-ID needs the brackets."""
    def next_id() -> str:
        value = record_ids()
        return value if value.startswith("<") else f"<{value}>"
    return next_id


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Sink:
    """File output that writes straight to the descriptor.

    No user-space buffer: after a failed write nothing stale is left to be
    flushed later over the rolled-back tail. ``os.write`` may write less
    than asked, so it loops.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.position = os.lseek(fd, 0, os.SEEK_END)

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            written = self.write_some(view)
            self.position += written
            view = view[written:]
        return len(data)

    def write_some(self, data: memoryview) -> int:
        return os.write(self.fd, data)

    def flush(self) -> None:
        """warcio flushes after each record; the bytes are already in the kernel."""

    def rollback(self, offset: int) -> None:
        os.ftruncate(self.fd, offset)
        self.position = os.lseek(self.fd, offset, os.SEEK_SET)


def gzip_member(data: bytes, level: int) -> bytes:
    """``data`` as one gzip member: ISA-L's deflate at levels 1-3 when
    installed, else zlib's.

    Both write standard gzip (RFC 1952), which every WARC reader inflates
    with zlib; only the CPU spent and the exact bytes differ.
    """
    if isal_zlib is not None and level in ISAL_LEVELS:
        return isal_zlib.compress(data, level, GZIP_WBITS)
    return zlib.compress(data, level, GZIP_WBITS)


class GzipMember:
    """One record's gzip member, built in memory and handed on whole.

    warcio would compress at level 9 and write every piece of a record
    (head, payload chunks, trailer) to the file on its own; here the level
    is the archive's, the record is deflated in one call (per-call overhead
    was a fifth of ISA-L's time over the 4-8 pieces of a record) and the
    sink gets one write per record.
    """

    def __init__(self, level: int) -> None:
        self._level = level
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(data)
        return len(data)

    def flush(self) -> None:
        """warcio flushes after a record; the member ends in ``finish``."""

    def plain(self) -> bytes:
        return b"".join(self._parts)

    def finish(self) -> bytes:
        return gzip_member(self.plain(), self._level)


@dataclass(frozen=True)
class BuiltRecord:
    """A record made by ``RecordBuilder.build``: its WARC headers, gzip member,
    and plain head (WARC headers and HTTP head, for the CDXJ index)."""

    rec_type: str
    headers: dict[str, str]
    member: bytes
    head: bytes = b""


class RecordBuilder(WARCWriter):
    """warcio's writer with record ids and dates from the archive's callables.

    warcio reads both through these overridable methods; routing them lets
    tests fix them and compare written bytes exactly. Each record is still
    one gzip member (``GzipMember``), at ``gzip_level``.
    """

    # A metadata block has no HTTP entity, so WARC 1.1 defines no payload
    # for it; fastwarc reports a payload digest there as a failure.
    NO_PAYLOAD_DIGEST_TYPES = ("warcinfo", "revisit", "metadata")

    def __init__(self, out: Sink, record_ids: Callable[[], str], clock: Callable[[], datetime],
                 gzip_level: int = DEFAULT_GZIP_LEVEL) -> None:
        # gzip=False: warcio hands the plain record to write_record's member.
        super().__init__(out, gzip=False, warc_version="1.1")
        self._record_ids = record_ids
        self._clock = clock
        self._gzip_level = gzip_level

    def write_record(self, record: ArcWarcRecord, params: object = None) -> None:
        self.out.write(self.member_of(record)[1])

    def member_of(self, record: ArcWarcRecord) -> tuple[bytes, bytes]:
        """A warcio record (warcinfo, revisit) as written: plain, and as its gzip member."""
        member = GzipMember(self._gzip_level)
        self._write_warc_record(member, record)
        plain = member.plain()
        return plain, gzip_member(plain, self._gzip_level)

    def build(self, record_type: str, uri: str, fields: dict[str, str], head: bytes,
              payload: bytes, payload_digest: str | None = None,
              content_type: str | None = None) -> BuiltRecord:
        """A response, request or metadata record, header for header as
        warcio's ``create_warc_record`` and ``write_record`` make it.

        Made directly: warcio's header objects scan their list on every
        lookup and replacement, about a third of the archive's CPU per page
        (docs/benchmarks.md). Warcinfo and revisit records are warcio's own.
        """
        headers = dict(fields)
        headers["WARC-Type"] = record_type
        if "WARC-Record-ID" not in headers:  # asked for only when needed: tests fix the ids
            headers["WARC-Record-ID"] = self._record_ids()
        if uri:
            headers["WARC-Target-URI"] = uri
        if "WARC-Date" not in headers:
            headers["WARC-Date"] = self.curr_warc_date()
        if record_type not in self.NO_PAYLOAD_DIGEST_TYPES:
            headers["WARC-Payload-Digest"] = payload_digest or sha1_base32(payload)
        headers["WARC-Block-Digest"] = sha1_base32(head, payload)
        headers["Content-Type"] = content_type or self.WARC_RECORDS[record_type]
        headers["Content-Length"] = str(len(head) + len(payload))
        text = "".join([self.warc_version, "\r\n", *[f"{name}: {value}\r\n" for name, value in headers.items()],
                        "\r\n"]).encode("utf-8")
        record = b"".join((text, head, payload, b"\r\n\r\n"))
        return BuiltRecord(record_type, headers, gzip_member(record, self._gzip_level), text + head)

    def ensure_digest(self, record: ArcWarcRecord, block: bool = True, payload: bool = True) -> None:
        """warcio's digests (of warcinfo and revisit records), hashed in one
        call over the in-memory payload. Each is added where warcio adds it,
        payload before block, so the header order and the bytes are warcio's.
        """
        stream = record.raw_stream
        if not isinstance(stream, BytesIO) or record.length is None:
            super().ensure_digest(record, block=block, payload=payload)
            return
        headers = record.rec_headers
        payload = (payload and record.rec_type not in self.NO_PAYLOAD_DIGEST_TYPES
                   and not headers.get_header("WARC-Payload-Digest"))
        block = block and not headers.get_header("WARC-Block-Digest")
        with stream.getbuffer() as buffer, buffer[stream.tell():] as body:
            if payload:
                headers.add_header("WARC-Payload-Digest", sha1_base32(body))
            if block:
                headers.add_header("WARC-Block-Digest", sha1_base32(self._http_head(record), body))

    def _http_head(self, record: ArcWarcRecord) -> bytes:
        if not record.http_headers:
            return b""
        if not record.http_headers.headers_buff:
            record.http_headers.compute_headers_buffer(self.header_filter)
        return record.http_headers.headers_buff

    def _make_warc_id(self) -> str:
        return self._record_ids()

    def curr_warc_date(self) -> str:
        return format_warc_date(self._clock())


@dataclass
class OpenFile:
    path: Path
    sink: Sink
    builder: RecordBuilder
    # The CDXJ lines of the responses and revisits appended (warc.index.FileLines).
    lines: Any = None

    @cached_property
    def name(self) -> str:
        """The final name, which every record written to the file reports."""
        return final_name(self.path).name
