"""Small stream wrappers for reading a record's head and block safely."""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from typing import BinaryIO, Protocol

from warcio.limitreader import LimitReader

CHUNK = 64 * 1024
# Header lines longer than this are split rather than buffered whole, so a
# file with no newlines cannot make one readline() hold it all in memory.
MAX_LINE = 64 * 1024
MAX_HEAD_BYTES = 1024 * 1024


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...

    def readline(self, size: int = -1, /) -> bytes: ...


class BlockDamaged(Exception):
    """The bytes under a record could not be read (bad gzip data, I/O error)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


class LineGuard:
    """Caps line reads so damaged input cannot make one header line huge.

    After ``MAX_HEAD_BYTES`` of lines it reports end of input: no real WARC
    or HTTP head is that long, and warcio's parser reads until a blank line.
    """

    def __init__(self, stream: Readable) -> None:
        self._stream = stream
        self._line_budget = MAX_HEAD_BYTES

    def readline(self, size: int | None = -1) -> bytes:
        cap = MAX_LINE if size is None or size < 0 else min(size, MAX_LINE)
        if self._line_budget <= 0:
            return b""
        line = self._stream.readline(cap)
        self._line_budget -= len(line)
        return line

    def read(self, size: int | None = -1) -> bytes:
        return self._stream.read(-1 if size is None else size)

    def new_head(self) -> "LineGuard":
        """The same stream with a fresh line budget, for the next record."""
        return LineGuard(self._stream)


class BlockStream:
    """A record block (length-limited by warcio's LimitReader).

    Read errors from the layers below become ``BlockDamaged`` so callers
    handle one exception type. ``at_file_end`` tells a short block cut by the
    end of the file (truncated) from one cut by a wrong length (corrupt).
    """

    def __init__(self, limited: LimitReader, at_file_end: Callable[[], bool]) -> None:
        self._limited = limited
        self.at_file_end = at_file_end
        self.length = limited.limit

    @property
    def remaining(self) -> int:
        """Bytes of the block not read yet (as its Content-Length says)."""
        return max(self._limited.limit, 0)

    @property
    def complete(self) -> bool:
        return self._limited.limit <= 0

    def read(self, size: int | None = -1) -> bytes:
        size = None if size is None or size < 0 else size
        return self._guard(lambda: self._limited.read(size))

    def readline(self, size: int | None = -1) -> bytes:
        size = None if size is None or size < 0 else size
        return self._guard(lambda: self._limited.readline(size))

    def tell(self) -> int:
        return self._limited.tell()

    def read_all(self) -> bytes:
        parts = []
        while part := self.read(CHUNK):
            parts.append(part)
        return b"".join(parts)

    def drain(self) -> None:
        while self.read(CHUNK):
            pass

    def skip_by_seek(self, fh: BinaryIO) -> None:
        """Step over the unread rest of a block in an uncompressed file."""
        fh.seek(self._limited.limit, io.SEEK_CUR)
        self._limited.limit = 0

    def _guard(self, read: Callable[[], bytes]) -> bytes:
        try:
            return read()
        except zlib.error as exc:
            raise BlockDamaged("corrupt", f"bad gzip data: {exc}") from exc
        except (OSError, EOFError) as exc:
            raise BlockDamaged("corrupt", f"read error: {exc}") from exc
