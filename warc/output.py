"""The open WARC file of an archive: where bytes go, and how records are made.

``Sink`` writes straight to the descriptor and can cut a failed record back
off; ``RecordBuilder`` is warcio's writer with record ids and dates from the
archive's callables, so tests can fix both and compare bytes.

Compression is most of what archiving costs a crawl: levels 1-3 use ISA-L's
deflate (the ``isal`` package), which gives zlib's level-3 sizes for about a
third of its CPU; other levels, or a platform without ``isal``, use zlib.
"""
from __future__ import annotations

import os
import zlib
from io import BytesIO
from collections.abc import Callable
from dataclasses import dataclass
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


def format_warc_date(when: datetime) -> str:
    """WARC-Date with microseconds, always six digits, in UTC.

    WARC 1.1 allows fractional seconds; a fixed width keeps dates of one
    archive comparable as strings. Naive datetimes are taken as UTC.
    """
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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


def gzip_compressor(level: int) -> "zlib._Compress":
    """A gzip stream compressor: ISA-L's at levels 1-3 when installed, else zlib's.

    Both write standard gzip (RFC 1952), which every WARC reader inflates
    with zlib; only the CPU spent and the exact bytes differ.
    """
    if isal_zlib is not None and level in ISAL_LEVELS:
        return isal_zlib.compressobj(level, isal_zlib.DEFLATED, GZIP_WBITS)
    return zlib.compressobj(level, zlib.DEFLATED, GZIP_WBITS)


class GzipMember:
    """One record's gzip member, built in memory and handed on whole.

    warcio would compress at level 9 and write every piece of a record
    (head, payload chunks, trailer) to the file on its own; here the level
    is the archive's and the sink gets one write per record.
    """

    def __init__(self, level: int) -> None:
        self._compressor = gzip_compressor(level)
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(self._compressor.compress(data))
        return len(data)

    def flush(self) -> None:
        """warcio flushes after a record; the member ends in ``finish``."""

    def finish(self) -> bytes:
        self._parts.append(self._compressor.flush())
        return b"".join(self._parts)


class DigestedPayload(BytesIO):
    """A record's payload whose ``sha1:<base32>`` digest the archive already has.

    The archive digests every response body to look for an earlier copy;
    handing that digest on spares warcio a second pass over the body.
    """

    def __init__(self, data: bytes, digest: str) -> None:
        super().__init__(data)
        self.digest = digest


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
        member = GzipMember(self._gzip_level)
        self._write_warc_record(member, record)
        self.out.write(member.finish())

    def ensure_digest(self, record: ArcWarcRecord, block: bool = True, payload: bool = True) -> None:
        """warcio's, but a payload digest already computed is taken as it is.

        It is added where warcio adds the one it computes, so the header
        order, and the bytes, are the same.
        """
        known = getattr(record.raw_stream, "digest", None)
        if (payload and known and record.rec_type not in self.NO_PAYLOAD_DIGEST_TYPES
                and not record.rec_headers.get_header("WARC-Payload-Digest")):
            record.rec_headers.add_header("WARC-Payload-Digest", known)
        super().ensure_digest(record, block=block, payload=payload)

    def _make_warc_id(self) -> str:
        return self._record_ids()

    def curr_warc_date(self) -> str:
        return format_warc_date(self._clock())


@dataclass
class OpenFile:
    path: Path
    sink: Sink
    builder: RecordBuilder

    @property
    def name(self) -> str:
        return final_name(self.path).name
