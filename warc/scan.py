"""The fast path of replay: WARC headers of intact records, read by fastwarc.

In the archives replay reads, records of other hosts are the great majority;
all replay needs of them is their WARC headers. fastwarc (Resiliparse's C++
reader) reads those without the payload ever reaching Python. It is trusted
only as far as it can be checked cheaply: each record must start where
fastwarc says (a gzip member, or a ``WARC/`` line), after the one before.
Anything else ends the scan, and the caller reads on with the project's own
reader (``warc.records``), which knows how to step over damage.

The few records the caller means to read whole (``hold``) are read here
too, while fastwarc still has them: their block is kept for the caller, who
uses it only once fastwarc has found the records after it where they should
be, and reads the record again from the file otherwise.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import BinaryIO

from fastwarc.warc import ArchiveIterator, HeaderMap, WarcRecord, WarcRecordType

from warc import members

# By value: fastwarc's record types are not hashable.
_TYPE_NAMES = {int(kind): str(kind) for kind in (
    WarcRecordType.warcinfo, WarcRecordType.response, WarcRecordType.resource,
    WarcRecordType.request, WarcRecordType.metadata, WarcRecordType.revisit,
    WarcRecordType.conversion, WarcRecordType.continuation)}


class ScannedRecord:
    """WARC headers and offset of a record fastwarc read; no payload.

    Offers what ``warc.fields`` and the revisit index read of a record.
    """

    __slots__ = ("offset", "headers", "rec_type", "content_length", "block", "_fields")
    seekable = True

    def __init__(self, offset: int, headers: HeaderMap, kind: WarcRecordType,
                 content_length: int = -1) -> None:
        self.offset = offset
        self.headers = headers
        self.content_length = content_length
        # The whole block, when the scan was asked to hold it and read all of it.
        self.block: bytes | None = None
        # The type fastwarc parsed costs nothing; a type it does not know is
        # named as the record spells it, as the own reader does.
        known = _TYPE_NAMES.get(int(kind))
        self.rec_type = known or (headers.get("WARC-Type") or "unknown").strip().lower()
        self._fields: dict[str, str] | None = None

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (any case), stripped, as HeaderMap.get gives it.

        The headers are copied into a dict at the first look: HeaderMap.get
        costs 1.8 µs a call, a dict of all of them 1.2 µs, and a skipped
        response is asked for three or four.
        """
        fields = self._fields
        if fields is None:
            fields = self._fields = {}
            for key, value in self.headers.items():
                fields.setdefault(key.lower(), value)
        value = fields.get(name.lower())
        return value.strip() if value else None

    def all_ascii(self) -> bool:
        """Whether every header is ASCII: fastwarc reads other bytes as
        warcio does not (bytes invalid in UTF-8 become U+FFFD)."""
        self.header("WARC-Type")
        return all(value.isascii() for value in (self._fields or {}).values())


def scan(fh: BinaryIO, start: int, gzipped: bool,
         hold: Callable[[ScannedRecord], bool] | None = None) -> Iterator[ScannedRecord]:
    """Records of ``fh`` from ``start`` on, while they can be trusted.

    Ends quietly at the end of the file, at the first error fastwarc
    raises, and at the first record that does not start where it should.
    The last record yielded is not known to be intact (fastwarc may have
    stopped inside it): the caller re-reads it. A record ``hold`` asks for
    gets its ``block`` if fastwarc read as many bytes as its Content-Length.
    """
    fh.seek(start)
    marker = members.GZIP_MAGIC if gzipped else members.WARC_MARKER
    previous = start - 1
    records = iter(ArchiveIterator(fh, parse_http=False, fsspec_args=False))
    while True:
        try:
            record = next(records)
        except (StopIteration, OSError):
            return
        offset = record.stream_pos
        if offset <= previous or not _starts_with(fh, offset, marker):
            return
        previous = offset
        scanned = ScannedRecord(offset, record.headers, record.record_type, record.content_length)
        if hold is not None and hold(scanned):
            scanned.block = _whole_block(record, scanned.content_length)
        yield scanned


def _whole_block(record: WarcRecord, length: int) -> bytes | None:
    # A block that errs or falls short is left to the own reader, which
    # names the damage; fastwarc then stops at the next record anyway.
    try:
        block = record.reader.read()
    except OSError:
        return None
    return block if len(block) == length else None


def _starts_with(fh: BinaryIO, offset: int, marker: bytes) -> bool:
    # pread leaves the file position, which fastwarc reads on from, alone.
    return os.pread(fh.fileno(), len(marker), offset) == marker
