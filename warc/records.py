"""Frame a WARC file into records, stepping over damaged ones.

``iter_records`` yields each record (its WARC headers and a stream over its
block) or a ``Fault`` saying where a record was truncated or corrupt, then
resynchronises on the next good record. Blocks are streamed, never held for
records the caller does not read.
"""

from __future__ import annotations

import io
import logging
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol, TypeVar

from warcio.limitreader import LimitReader
from warcio.recordloader import ArcWarcRecordLoader
from warcio.statusandheaders import (
    StatusAndHeaders,
    StatusAndHeadersParser,
    StatusAndHeadersParserException,
)

from warc import members
from warc.blocks import BlockDamaged, BlockStream, LineGuard

logger = logging.getLogger(__name__)

TRUNCATED = "truncated"
CORRUPT = "corrupt"
WARC_PARSER = StatusAndHeadersParser(ArcWarcRecordLoader.WARC_TYPES)
MAX_BLANK_LINES = 64
_NO_HEADERS = StatusAndHeaders("", [], "WARC/1.0")
T = TypeVar("T")


@dataclass(frozen=True)
class Fault:
    """A record that could not be read whole: ``kind`` is truncated or corrupt."""

    kind: str
    offset: int
    detail: str


class Framer(Protocol):
    def skip_block(self, record: "RawRecord") -> None: ...

    def read_end(self, record: "RawRecord") -> None: ...


class RawRecord:
    """One WARC record: parsed WARC headers and a stream over its block.

    The stream is valid until the iterator moves on. ``read_rest`` returns
    the unread block only if the whole record, up to its end, is intact, so
    a caller never passes on a record that later turns out damaged.
    """

    def __init__(self, offset: int, headers: StatusAndHeaders, block: BlockStream,
                 framer: Framer, seekable: bool = True) -> None:
        self.offset = offset
        self.headers = headers
        self.block = block
        self.seekable = seekable
        self.fault: Fault | None = None
        self.next_line = b""
        self.next_offset: int | None = None
        self._framer = framer
        self._finished = False

    @property
    def rec_type(self) -> str:
        return (self.headers.get_header("WARC-Type") or "unknown").strip().lower()

    def header(self, name: str) -> str | None:
        value = self.headers.get_header(name)
        return value.strip() if value else None

    def read_rest(self) -> bytes | None:
        data = self._guarded(self.block.read_all)
        self.finish()
        return None if self.fault else data

    def finish(self) -> None:
        """Step over the unread block and check what follows the record."""
        if self._finished:
            return
        self._finished = True
        self._guarded(lambda: self._framer.skip_block(self))
        if self.fault:
            return
        if not self.block.complete:
            self.fail(TRUNCATED if self.block.at_file_end() else CORRUPT,
                      "record ends before its Content-Length")
            return
        self._guarded(lambda: self._framer.read_end(self))

    def fail(self, kind: str, detail: str) -> None:
        if self.fault is None:
            self.fault = Fault(kind, self.offset, detail)

    def _guarded(self, step: Callable[[], T]) -> T | None:
        try:
            return step()
        except BlockDamaged as exc:
            self.fail(exc.kind, str(exc))
        except (zlib.error, OSError, EOFError) as exc:
            self.fail(CORRUPT, f"read error: {exc}")
        return None


class HeldRecord(RawRecord):
    """A record another reader (fastwarc, ``warc.scan``) read whole and found
    to end where it should: its block in memory, its WARC headers looked up
    through ``header``. The same record to every caller as one read here."""

    def __init__(self, offset: int, rec_type: str, header: Callable[[str], str | None],
                 block: bytes) -> None:
        stream = BlockStream(LimitReader(io.BytesIO(block), len(block)), lambda: False)
        super().__init__(offset, _NO_HEADERS, stream, _HeldEnd())
        self._rec_type = rec_type
        self._header = header

    @property
    def rec_type(self) -> str:
        return self._rec_type

    def header(self, name: str) -> str | None:
        return self._header(name)


class _HeldEnd:
    """What follows a held block was checked by the reader that held it."""

    def skip_block(self, record: RawRecord) -> None:
        record.block.drain()

    def read_end(self, record: RawRecord) -> None:
        return None


def iter_records(fh: BinaryIO) -> Iterator[RawRecord | Fault]:
    """Yield the records of an open WARC file (gzip per record, or plain).

    Never raises for bad content: damage becomes a ``Fault`` and reading
    resumes at the next record that can be found.
    """
    fh.seek(0)
    framer = GzipFramer(fh) if members.is_gzip(fh) else PlainFramer(fh)
    return framer.records()


def read_record_at(fh: BinaryIO, offset: int) -> RawRecord | Fault:
    """The record starting at ``offset`` (a gzip member or a plain record)."""
    framer = GzipFramer(fh) if members.is_gzip(fh, offset) else PlainFramer(fh)
    for item in framer.records(offset):
        return item
    return Fault(CORRUPT, offset, "no record at this offset")


def parse_head(stream: LineGuard, first_line: bytes) -> tuple[StatusAndHeaders, int]:
    """WARC headers and block length; raises ValueError when unusable."""
    try:
        headers = WARC_PARSER.parse(stream, first_line)
    except StatusAndHeadersParserException as exc:
        raise ValueError(str(exc)) from exc
    length = (headers.get_header("Content-Length") or "").strip()
    if not length.isdigit():
        raise ValueError(f"bad Content-Length {length!r}")
    return headers, int(length)


def skip_blank_lines(stream: LineGuard) -> bytes:
    """The first non-blank line, or b'' at the end of the stream."""
    return read_block_end(stream)[1]


def read_block_end(stream: LineGuard) -> tuple[bool, bytes]:
    """Read the blank lines after a block: (looks intact, next non-blank line).

    Writers end a record with CRLF CRLF; a block followed at once by other
    text means its Content-Length was wrong. Running straight into the next
    ``WARC/`` line or the end of the input is forgiven.
    """
    blanks, line = 0, stream.readline()
    while line and not line.strip(b"\r\n") and blanks < MAX_BLANK_LINES:
        blanks, line = blanks + 1, stream.readline()
    intact = blanks >= 2 or not line or line.startswith(members.WARC_MARKER)
    return intact, line


class PlainFramer:
    """Records of an uncompressed ``.warc``, one after the other in the file."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.size = _file_size(fh)

    def records(self, start: int = 0) -> Iterator[RawRecord | Fault]:
        pos: int | None = start
        while pos is not None:
            item = self._record_at(pos)
            if item is None:
                return
            fault = item if isinstance(item, Fault) else None
            if isinstance(item, RawRecord):
                yield item
                item.finish()
                pos, fault = item.next_offset, item.fault
            if fault:
                yield fault
                pos = members.next_plain_record(self.fh, fault.offset + 1)

    def _record_at(self, pos: int) -> RawRecord | Fault | None:
        self.fh.seek(pos)
        stream = LineGuard(self.fh)
        line = skip_blank_lines(stream)
        if not line:
            return None
        offset = self.fh.tell() - len(line)
        try:
            headers, length = parse_head(stream, line)
        except (ValueError, EOFError) as exc:
            return Fault(self._kind_at_end(), offset, f"bad WARC header: {exc}")
        block = BlockStream(LimitReader(stream, length), self._at_end)
        return RawRecord(offset, headers, block, self)

    def skip_block(self, record: RawRecord) -> None:
        # Unread blocks are stepped over by seeking: replay reads few of them.
        record.block.skip_by_seek(self.fh)
        if self.fh.tell() > self.size:
            record.fail(TRUNCATED, "record runs past the end of the file")

    def read_end(self, record: RawRecord) -> None:
        # Junk after an intact record is the next record's fault, found there.
        intact, line = read_block_end(LineGuard(self.fh))
        if not intact:
            record.fail(CORRUPT, "record is not followed by a blank line")
        record.next_offset = self.fh.tell() - len(line) if line else None

    def _at_end(self) -> bool:
        return self.fh.tell() >= self.size

    def _kind_at_end(self) -> str:
        return TRUNCATED if self._at_end() else CORRUPT


class GzipFramer:
    """Records of a ``.warc.gz``: normally one gzip member per record."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.size = _file_size(fh)

    def records(self, start: int = 0) -> Iterator[RawRecord | Fault]:
        pos: int | None = start
        while pos is not None and pos < self.size:
            pos = yield from self._member_at(pos)

    def _member_at(self, pos: int) -> Generator[RawRecord | Fault, None, int | None]:
        raw, reader = members.open_member(self.fh, pos)
        try:
            return (yield from self._records_in_member(pos, raw, LineGuard(reader)))
        except (zlib.error, EOFError, ValueError, OSError) as exc:
            kind = TRUNCATED if raw.cut_by_file_end() else CORRUPT
            yield Fault(kind, pos, f"damaged gzip member: {exc}")
            return members.next_gzip_member(self.fh, pos + 1)

    def _records_in_member(self, pos: int, raw: members.GzipMemberRaw,
                           stream: LineGuard) -> Generator[RawRecord | Fault, None, int | None]:
        # Some tools gzip a whole .warc as one member: read on, but only the
        # member's first record can be found again from its offset.
        line, first = skip_blank_lines(stream), True
        while line:
            headers, length = parse_head(stream, line)
            block = BlockStream(LimitReader(stream, length), raw.cut_by_file_end)
            record = RawRecord(pos, headers, block, _MemberEnd(stream), seekable=first)
            yield record
            record.finish()
            if record.fault:
                yield record.fault
                return self._after_fault(raw, record.fault)
            line, first, stream = record.next_line, False, stream.new_head()
        return raw.end_offset if raw.ended else None

    def _after_fault(self, raw: members.GzipMemberRaw, fault: Fault) -> int | None:
        # A wrong length inside an intact member: the next member is known.
        if raw.ended and fault.kind == CORRUPT:
            return raw.end_offset
        return members.next_gzip_member(self.fh, fault.offset + 1)


class _MemberEnd:
    """What may follow a record inside its gzip member: blank lines, or (in a
    whole-file gzip) the next record."""

    def __init__(self, stream: LineGuard) -> None:
        self.stream = stream

    def skip_block(self, record: RawRecord) -> None:
        record.block.drain()

    def read_end(self, record: RawRecord) -> None:
        intact, line = read_block_end(self.stream)
        if not intact or (line and not line.startswith(members.WARC_MARKER)):
            record.fail(CORRUPT, "record is not followed by the end of its gzip member")
        record.next_line = line


def _file_size(fh: BinaryIO) -> int:
    return fh.seek(0, io.SEEK_END)
