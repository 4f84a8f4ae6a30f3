"""Byte-level helpers for WARC files: gzip members, format sniffing, resync.

Each record of a ``.warc.gz`` is its own gzip member, so a record can be read
from its offset and a damaged member can be stepped over by scanning for the
next member. Nothing here parses WARC headers beyond the ``WARC/`` marker.
"""

from __future__ import annotations

import io
import os
import re
import zlib
from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b\x08"
WARC_MARKER = b"WARC/"
READ_SIZE = 64 * 1024
SNIFF_SIZE = 4 * 1024
# A plain record starts on its own line: "WARC/1.0" or "WARC/1.1" (and the
# pre-standard 0.17/0.18 that old Heritrix wrote).
PLAIN_START = re.compile(rb"\n(WARC/(?:1\.[01]|0\.1[78])\r?\n)")
OVERLAP = 16
# Gzip header flags (RFC 1952); names and comments longer than MAX_NAME are
# taken for junk, so checking a candidate header never reads far.
FLAG_EXTRA, FLAG_NAME, FLAG_COMMENT, FLAG_RESERVED = 0x04, 0x08, 0x10, 0xE0
MAX_NAME = 4096
# Compressed bytes inflated to sniff a member: plenty for a WARC head.
SNIFF_INPUT = 256 * 1024


class GzipMemberRaw(io.RawIOBase):
    """Raw stream of the decompressed bytes of ONE gzip member.

    Unlike a plain gzip reader it stops at the member's end and knows where
    that end is in the file (``end_offset``), which the next record needs.
    zlib errors propagate: the caller decides the member is corrupt.
    """

    def __init__(self, fh: BinaryIO, start: int, max_input: int | None = None) -> None:
        super().__init__()
        self._fh = fh
        self._start = start
        self._max_input = max_input
        self._fed = 0
        self._pending = b""
        self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self.hit_file_end = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._inflater.eof:
            data = self._pending or self._read_compressed()
            if not data:
                return 0
            out = self._inflater.decompress(data, len(buffer))
            self._pending = self._inflater.unconsumed_tail
            if out:
                buffer[: len(out)] = out
                return len(out)
        return 0

    def _read_compressed(self) -> bytes:
        size = READ_SIZE if self._max_input is None else min(READ_SIZE, self._max_input - self._fed)
        data = self._fh.read(size) if size > 0 else b""
        self._fed += len(data)
        self.hit_file_end = not data
        return data

    @property
    def ended(self) -> bool:
        """True once the member's gzip trailer has been read."""
        return self._inflater.eof

    def cut_by_file_end(self) -> bool:
        """True if the file ended before this member did (a killed writer)."""
        return self.hit_file_end and not self.ended

    @property
    def end_offset(self) -> int:
        """File offset just past this member (valid once ``ended``)."""
        return self._start + self._fed - len(self._inflater.unused_data)


# How much of a member ``plain_head`` inflates to find its WARC and HTTP heads.
HEAD_MAX = 64 * 1024


def plain_head(member: bytes) -> bytes | None:
    """The plain start of one record's gzip member, up to the end of its HTTP
    head (the blank line after the WARC headers, then the next one); None
    when that is not within HEAD_MAX bytes or the member does not inflate."""
    try:
        start = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(member, HEAD_MAX)
    except zlib.error:
        return None
    warc_end = start.find(b"\r\n\r\n")
    http_end = start.find(b"\r\n\r\n", warc_end + 4) if warc_end >= 0 else -1
    return start[:http_end + 4] if http_end >= 0 else None


def open_member(fh: BinaryIO, offset: int,
                max_input: int | None = None) -> tuple[GzipMemberRaw, io.BufferedReader]:
    """Position ``fh`` at ``offset`` and return the member and a line reader on it."""
    fh.seek(offset)
    raw = GzipMemberRaw(fh, offset, max_input)
    return raw, io.BufferedReader(raw, READ_SIZE)


def file_size(fh: BinaryIO) -> int:
    return os.fstat(fh.fileno()).st_size


def is_gzip(fh: BinaryIO, offset: int = 0) -> bool:
    fh.seek(offset)
    return fh.read(len(GZIP_MAGIC)) == GZIP_MAGIC


def member_starts_warc(fh: BinaryIO, offset: int) -> bool:
    """True if a gzip member starts at ``offset`` and its text starts ``WARC/``."""
    try:
        _raw, reader = open_member(fh, offset, SNIFF_INPUT)
        head = reader.read(SNIFF_SIZE)
    except (zlib.error, EOFError, OSError):
        return False
    return head.lstrip(b"\r\n").startswith(WARC_MARKER)


def plain_starts_warc(fh: BinaryIO, offset: int) -> bool:
    fh.seek(offset)
    return fh.read(SNIFF_SIZE).lstrip(b"\r\n").startswith(WARC_MARKER)


def next_gzip_member(fh: BinaryIO, start: int) -> int | None:
    """Offset of the first gzip member at or after ``start`` holding a WARC record.

    Linear in the bytes scanned: a candidate is first checked against the
    gzip header format in the block already read (a name or comment must end
    within ``MAX_NAME`` bytes), and only a plausible one is inflated, from a
    bounded window, to see whether a WARC record starts there.
    """
    for candidate in _NeedleScan(fh, start, GZIP_MAGIC):
        if member_starts_warc(fh, candidate):
            return candidate
    return None


def plausible_gzip_header(block: bytes, at: int) -> bool:
    """Whether ``block[at:]`` can be a gzip header (RFC 1952), as far as ``block`` goes.

    A header cut off by the end of ``block`` counts as plausible: the caller
    reads on and lets zlib decide.
    """
    flags = block[at + 3] if at + 3 < len(block) else 0
    if flags & FLAG_RESERVED:
        return False
    pos = at + 10
    if flags & FLAG_EXTRA:
        if pos + 2 > len(block):
            return True
        pos += 2 + int.from_bytes(block[pos:pos + 2], "little")
    for flag in (FLAG_NAME, FLAG_COMMENT):
        if flags & flag and pos < len(block):
            end = block.find(b"\0", pos, pos + MAX_NAME)
            if end < 0:
                return len(block) - pos < MAX_NAME
            pos = end + 1
    return True


def next_plain_record(fh: BinaryIO, start: int) -> int | None:
    """Offset of the first ``WARC/1.x`` line at or after ``start``."""
    fh.seek(start)
    if fh.read(len(WARC_MARKER)) == WARC_MARKER and _at_line_start(fh, start):
        return start
    pos = start
    while True:
        fh.seek(pos)
        # Blocks overlap so that a start line split between two is still seen.
        block = fh.read(READ_SIZE + OVERLAP)
        match = PLAIN_START.search(block)
        if match:
            return pos + match.start(1)
        if len(block) <= OVERLAP:
            return None
        pos += READ_SIZE


def _at_line_start(fh: BinaryIO, offset: int) -> bool:
    if offset == 0:
        return True
    fh.seek(offset - 1)
    return fh.read(1) == b"\n"


class _NeedleScan:
    """Lazily yields offsets of ``needle`` in ``fh`` from ``start`` on that
    start a plausible gzip header.

    The file is read in blocks, each with ``LOOKAHEAD`` bytes more than the
    step so a needle and its header split across blocks are still seen whole;
    callers may seek ``fh`` between steps.
    """

    LOOKAHEAD = 10 + 2 + 2 * MAX_NAME

    def __init__(self, fh: BinaryIO, start: int, needle: bytes) -> None:
        self._fh, self._pos, self._needle = fh, start, needle

    def __iter__(self) -> "_NeedleScan":
        return self

    def __next__(self) -> int:
        while True:
            self._fh.seek(self._pos)
            block = self._fh.read(READ_SIZE + self.LOOKAHEAD)
            if len(block) < len(self._needle):
                raise StopIteration
            step = len(block) if len(block) <= READ_SIZE else READ_SIZE
            hit = block.find(self._needle, 0, step + len(self._needle) - 1)
            while hit >= 0 and not plausible_gzip_header(block, hit):
                hit = block.find(self._needle, hit + 1, step + len(self._needle) - 1)
            if hit >= 0:
                self._pos += hit + 1
                return self._pos - 1
            self._pos += step
