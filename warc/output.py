"""The open WARC file of an archive: where bytes go, and how records are made.

``Sink`` writes straight to the descriptor and can cut a failed record back
off; ``RecordBuilder`` is warcio's writer with record ids and dates from the
archive's callables, so tests can fix both and compare bytes.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from warcio.statusandheaders import StatusAndHeadersParser
from warcio.warcwriter import WARCWriter

from warc.files import final_name


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


class RecordBuilder(WARCWriter):
    """warcio's writer with record ids and dates from the archive's callables.

    warcio reads both through these overridable methods; routing them lets
    tests fix them and compare written bytes exactly.
    """

    # A metadata block has no HTTP entity, so WARC 1.1 defines no payload
    # for it; fastwarc reports a payload digest there as a failure.
    NO_PAYLOAD_DIGEST_TYPES = ("warcinfo", "revisit", "metadata")

    def __init__(self, out: Sink, record_ids: Callable[[], str], clock: Callable[[], datetime]) -> None:
        super().__init__(out, gzip=True, warc_version="1.1")
        self._record_ids = record_ids
        self._clock = clock

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
