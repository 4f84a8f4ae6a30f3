"""Caps on what one archived response may cost to read, as live HTTP clients have.

A small file can claim a huge payload (1 GiB of spaces gzips to 1 MB) or a
huge head (one header repeated 40,000 times). Replay streams such records
through without holding them and skips them under a named reason, which the
caller counts as ``replay/skipped/<reason>``.
"""
from __future__ import annotations

from dataclasses import dataclass

from warc.blocks import Readable

TOO_LARGE = "too_large"
TOO_MANY_HEADERS = "too_many_headers"
HEADERS_TOO_LARGE = "headers_too_large"


@dataclass(frozen=True)
class ReplayLimits:
    """0 means no limit, as for Scrapy's DOWNLOAD_MAXSIZE."""

    max_payload: int = 0
    max_headers: int = 0
    max_head_bytes: int = 0

    def payload_too_large(self, size: int) -> bool:
        return bool(self.max_payload) and size > self.max_payload


NO_LIMITS = ReplayLimits()


class HeadTooLarge(Exception):
    """An HTTP head past a limit; ``reason`` is the stats key's last part."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


class HeadBudget:
    """Counts the lines and bytes an HTTP head parser reads, and stops it past a limit.

    The status line and the blank line that ends the head are not headers,
    so ``max_headers`` allows two lines more.
    """

    def __init__(self, stream: Readable, limits: ReplayLimits) -> None:
        self._stream = stream
        self._limits = limits
        self.lines = 0
        self.size = 0

    def readline(self, size: int | None = -1) -> bytes:
        # One byte past the budget is enough to know it is exceeded: a head
        # with no line break must not be read whole to find that out.
        caps = [n for n in (size, self._room()) if n is not None and n >= 0]
        line = self._stream.readline(min(caps) if caps else -1)
        self.lines += 1
        self.size += len(line)
        self._check()
        return line

    def read(self, size: int | None = -1) -> bytes:
        return self._stream.read(-1 if size is None else size)

    def _room(self) -> int | None:
        return self._limits.max_head_bytes - self.size + 1 if self._limits.max_head_bytes else None

    def _check(self) -> None:
        limits = self._limits
        if limits.max_headers and self.lines > limits.max_headers + 2:
            raise HeadTooLarge(TOO_MANY_HEADERS, f"more than {limits.max_headers} HTTP headers")
        if limits.max_head_bytes and self.size > limits.max_head_bytes:
            raise HeadTooLarge(HEADERS_TOO_LARGE,
                               f"HTTP head longer than {limits.max_head_bytes} bytes")
