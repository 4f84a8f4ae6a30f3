"""Write HTTP exchanges to rotating, crash-safe WARC 1.1 files.

Plain data in, files out: ``WarcArchive.write_exchange`` takes one
``HttpExchange`` and appends a response (or, for a payload already archived,
an identical-payload-digest revisit) plus the request that fetched it. Each
record is one gzip member written with warcio and handed to the kernel
before the call returns. See ``warc.files`` for names and crash recovery,
``warc.index`` for the CDXJ index and ``warc.digests`` for revisits.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from warcio.recordloader import ArcWarcRecord

from warc import index, members
from warc.digests import DB_NAME, DigestIndex, Original
from warc.files import (OPEN_SUFFIX, FileNamer, final_name, find_orphans, fsync_directory,
                        lock_exclusive, recover_orphan)
from warc.heads import HttpExchange, WireHead, request_head, response_head, target_uri
from warc.output import (DEFAULT_GZIP_LEVEL, BuiltRecord, OpenFile, RecordBuilder, Sink,
                         bracketed, default_record_id, format_warc_date, sha1_base32, utc_now)
from warc.warcinfo import warcinfo_fields

# A record before it is written: made here, or by warcio (warcinfo, revisit).
Record = BuiltRecord | ArcWarcRecord

if TYPE_CHECKING:
    from warc.foreign import ForeignRecord

logger = logging.getLogger(__name__)

__all__ = ["HttpExchange", "WarcArchive", "WarcWriteError", "WrittenRecord", "format_warc_date"]

DEFAULT_MAX_SIZE = 10**9


class WarcWriteError(OSError):
    """A record could not be written (disk full, I/O error, ...).

    The file keeps every record written before the failed one.
    """


@contextmanager
def _digest_errors(path: Path) -> Iterator[None]:
    """The digest index shares the archive's disk: when it cannot be written
    (disk full), archiving has failed just as when a record cannot be."""
    try:
        yield
    except sqlite3.Error as e:
        raise WarcWriteError(errno.EIO, (
            f"could not use the payload digest index {path} ({e}); check it with "
            f"`python -m crawler.state check {path}`, free disk space if it is full, or rebuild it "
            f"from the WARC files with `python -m crawler.state rebuild {path} --warc {path.parent}`"
        )) from e


@dataclass(frozen=True)
class WrittenRecord:
    warc_file: str
    offset: int
    length: int
    record_id: str
    record_type: str
    warc_date: str
    target_uri: str
    payload_digest: str | None


def payload_digest(payload: bytes) -> str:
    """``sha1:<base32>``, the form warcio writes, to look up earlier copies."""
    return sha1_base32(payload)


_EMPTY_PAYLOAD_DIGEST = payload_digest(b"")


def _is_revisit_target(digest: str | None) -> bool:
    """Whether a later identical payload may become a revisit of this one.

    Not without a digest, nor for an empty payload (redirects, 304s): they
    all share one digest and a revisit of them would save nothing.
    """
    return bool(digest) and digest != _EMPTY_PAYLOAD_DIGEST


class WarcArchive:
    """Rotating WARC 1.1 files, their CDXJ index and revisit digests in one directory.

    Not thread-safe: one archive object per writer. Several processes may
    share a directory if each has its own ``worker_id``.
    """

    def __init__(self, directory: str | Path, *, prefix: str, host: str,
                 max_size: int = DEFAULT_MAX_SIZE, warcinfo: dict[str, str],
                 operator: str | None = None, worker_id: str | None = None,
                 record_ids: Callable[[], str] | None = None,
                 clock: Callable[[], datetime] | None = None,
                 gzip_level: int = DEFAULT_GZIP_LEVEL) -> None:
        self.directory = Path(directory)
        self.gzip_level = gzip_level
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_size = max_size
        self.namer = FileNamer(prefix, host, worker_id)
        self._info = warcinfo_fields(warcinfo, host=host, operator=operator)
        self._record_ids = bracketed(record_ids) if record_ids else default_record_id
        self._clock = clock or utc_now
        with _digest_errors(self.directory / DB_NAME):
            self._digests = DigestIndex(self.directory)
        self._file: OpenFile | None = None
        self._serial = self.namer.last_serial(self.directory)
        # Repairs made on the way (``index/bad_lines``, ...), for the crawl's stats.
        self.counts: Counter[str] = Counter()
        self.recovered = self._recover()
        index.reconcile(self.directory, self.counts)

    # -- public API ------------------------------------------------------

    def write_exchange(self, exchange: HttpExchange, with_request: bool = True) -> WrittenRecord:
        """Append the response (or revisit) and request records of one exchange.

        ``with_request=False`` stores the response alone: for a capture taken
        by another archive (the Wayback Machine), whose request we never saw.
        """
        current = self._current_file()
        date = format_warc_date(exchange.date)
        digest = payload_digest(exchange.body)
        original = self._original_of(digest, exchange)
        if original is None:
            response = self._response_record(current.builder, exchange, date, digest)
        else:
            response = self._revisit_record(current.builder, exchange, date, digest, original)
        records = [response]
        if with_request:
            records.append(self._request_record(current.builder, exchange, date, response))
        offset, length, head = self._append(current, records)
        current.lines.add(offset, length, head)
        written = self._written(current, response, offset, length)
        if original is None and exchange.body:
            # Only now: a digest must never point at a record not on disk.
            with _digest_errors(self._digests.path):
                self._digests.add(digest, Original(written.target_uri, written.warc_date,
                                                   written.record_id))
        self._rotate_if_full()
        return written

    def append_record(self, record: ForeignRecord) -> WrittenRecord:
        """Append a record another archive wrote, its gzip member byte for byte.

        It keeps its own WARC headers (WARC-Date of the capture, record id,
        digests). The CDXJ index picks it up when the file is closed, like
        any record; its payload digest is remembered so a later identical
        payload becomes a revisit of it.
        """
        current = self._current_file()
        offset, length, _ = self._append(current, [record.member])
        if record.record_type in ("response", "revisit"):
            current.lines.add(offset, length, members.plain_head(record.member))
        written = WrittenRecord(
            warc_file=current.name, offset=offset, length=length, record_id=record.record_id,
            record_type=record.record_type, warc_date=record.warc_date,
            target_uri=record.target_uri, payload_digest=record.payload_digest)
        if record.record_type == "response" and _is_revisit_target(record.payload_digest):
            # Only now, as in write_exchange: the record is on disk.
            with _digest_errors(self._digests.path):
                self._digests.add(record.payload_digest, Original(
                    record.target_uri, record.warc_date, record.record_id))
        self._rotate_if_full()
        return written

    def write_metadata(self, refers_to: WrittenRecord, payload: bytes,
                       content_type: str = "application/json") -> WrittenRecord:
        """Append a metadata record describing ``refers_to``.

        It carries WARC-Refers-To, not WARC-Concurrent-To: the payload is
        derived from the capture afterwards (it is not part of the HTTP
        exchange), and Refers-To is how WARC 1.1 ties a metadata record to
        the record it describes. Its WARC-Date is when it was made.
        """
        current = self._current_file()
        record = current.builder.build("metadata", refers_to.target_uri,
                                       {"WARC-Refers-To": refers_to.record_id}, b"", payload,
                                       content_type=content_type)
        offset, length, _ = self._append(current, [record])
        written = self._written(current, record, offset, length)
        self._rotate_if_full()
        return written

    def close(self) -> None:
        """Finish the open file (fsync, index, rename) and release the digests."""
        try:
            self._close_file()
        finally:
            self._digests.close()

    def __enter__(self) -> WarcArchive:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- records ---------------------------------------------------------

    def _response_record(self, builder: RecordBuilder, exchange: HttpExchange,
                         date: str, digest: str) -> BuiltRecord:
        headers = {"WARC-Record-ID": self._record_ids(), "WARC-Date": date}
        if exchange.ip_address:
            headers["WARC-IP-Address"] = exchange.ip_address
        return builder.build("response", target_uri(exchange.url), headers,
                             http_head_bytes(response_head(exchange)), exchange.body, digest)

    def _original_of(self, digest: str, exchange: HttpExchange) -> Original | None:
        # Empty payloads (redirects, 304s) all share one digest; a revisit
        # would save nothing and only make replay depend on another record.
        if not exchange.body:
            return None
        with _digest_errors(self._digests.path):
            return self._digests.lookup(digest)

    def _revisit_record(self, builder: RecordBuilder, exchange: HttpExchange, date: str,
                        digest: str, original: Original) -> ArcWarcRecord:
        headers = {"WARC-Record-ID": self._record_ids(), "WARC-Date": date,
                   "WARC-Refers-To": original.record_id}
        if exchange.ip_address:
            headers["WARC-IP-Address"] = exchange.ip_address
        return builder.create_revisit_record(
            target_uri(exchange.url), digest, original.target_uri, original.warc_date,
            http_headers=response_head(exchange), warc_headers_dict=headers)

    def _request_record(self, builder: RecordBuilder, exchange: HttpExchange, date: str,
                        response: Record) -> BuiltRecord:
        headers = {"WARC-Record-ID": self._record_ids(), "WARC-Date": date,
                   "WARC-Concurrent-To": _header(response, "WARC-Record-ID")}
        return builder.build("request", target_uri(exchange.url), headers,
                             http_head_bytes(request_head(exchange)), exchange.request_body)

    def _written(self, current: OpenFile, record: Record, offset: int,
                 length: int) -> WrittenRecord:
        return WrittenRecord(
            warc_file=current.name, offset=offset, length=length,
            record_id=_header(record, "WARC-Record-ID"), record_type=record.rec_type,
            warc_date=_header(record, "WARC-Date"), target_uri=_header(record, "WARC-Target-URI"),
            payload_digest=_header(record, "WARC-Payload-Digest"))

    # -- files -----------------------------------------------------------

    def _append(self, current: OpenFile, records: list[Record] | list[bytes]
                ) -> tuple[int, int, bytes | None]:
        """Write ``records`` all or none; offset, length and plain head of the first.

        A ``bytes`` record is a complete gzip member, written as it is (its
        head is not known here).
        """
        start = current.sink.position
        try:
            lengths, heads = [], []
            for record in records:
                before = current.sink.position
                if isinstance(record, bytes):
                    current.sink.write(record)
                    heads.append(None)
                elif isinstance(record, BuiltRecord):
                    current.sink.write(record.member)
                    heads.append(record.head)
                else:
                    plain, member = current.builder.member_of(record)
                    current.sink.write(member)
                    heads.append(plain)
                lengths.append(current.sink.position - before)
        except OSError as e:
            self._roll_back(current, start)
            raise WarcWriteError(
                e.errno, f"could not write a WARC record to {current.path} ({e.strerror or e}); "
                f"the file is intact up to offset {start}: free disk space and restart the crawl"
            ) from e
        return start, lengths[0], heads[0]

    def _roll_back(self, current: OpenFile, offset: int) -> None:
        try:
            current.sink.rollback(offset)
        except OSError:
            # The tail stays torn; give the file up as an orphan so the next
            # start trims it, and write on into a fresh file.
            logger.error("Could not roll back %s; leaving it for recovery", current.path,
                         exc_info=True)
            os.close(current.sink.fd)
            self._file = None

    def _current_file(self) -> OpenFile:
        if self._file is None:
            self._file = self._open_file()
        return self._file

    def _open_file(self) -> OpenFile:
        path, fd = self._create_locked()
        sink = Sink(fd)
        current = OpenFile(path, sink, RecordBuilder(sink, self._record_ids, self._clock,
                                                                self.gzip_level))
        current.lines = index.FileLines(current.name)
        try:
            current.builder.write_record(current.builder.create_warcinfo_record(current.name, self._info))
        except OSError as e:
            # Nothing but a torn warcinfo in it: not worth keeping.
            os.close(fd)
            path.unlink(missing_ok=True)
            raise WarcWriteError(e.errno, f"could not start WARC file {path}: {e}") from e
        logger.info("Opened WARC file %s", path)
        return current

    def _create_locked(self) -> tuple[Path, int]:
        """A new ``.open`` file, locked by us.

        Another writer recovering orphans may open a file between its
        creation and our lock, find it empty and remove it: then we hold a
        lock on a file that has no name any more, and take the next name.
        """
        while True:
            path = self._next_path()
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except OSError as e:
                raise WarcWriteError(e.errno, f"could not create WARC file {path}: {e}") from e
            if lock_exclusive(fd) and _names_this_file(path, fd):
                return path, fd
            os.close(fd)
            logger.info("WARC file %s was taken for an orphan by another writer; using the next name", path)

    def _next_path(self) -> Path:
        now = self._clock()
        while True:
            self._serial += 1
            name = self.namer.name(now, self._serial)
            candidate = self.directory / (name + OPEN_SUFFIX)
            if not (self.directory / name).exists() and not candidate.exists():
                return candidate

    def _rotate_if_full(self) -> None:
        if self._file is None or self._file.sink.position < self.max_size:
            return
        try:
            self._close_file()
        except WarcWriteError:
            # The exchange itself is on disk; the file is recovered next start.
            logger.error("Could not rotate WARC file", exc_info=True)

    def _close_file(self) -> None:
        current, self._file = self._file, None
        if current is None:
            return
        target = final_name(current.path)
        try:
            os.fsync(current.sink.fd)
            # Index before the rename: if we die in between, recovery renames
            # and re-indexes; the other way round a file could go unindexed.
            index.merge_file(self.directory, current.path, current.name, self.counts,
                             current.lines.lines())
            # Rename while still holding the lock, so no recovery races us.
            os.replace(current.path, target)
            fsync_directory(self.directory)
        except OSError as e:
            raise WarcWriteError(e.errno, f"could not close {current.path} ({e}); it stays "
                                 "an .open file and is recovered on the next start") from e
        finally:
            os.close(current.sink.fd)
        logger.info("Closed WARC file %s", target)

    def _recover(self) -> list[Path]:
        recovered = []
        for orphan in find_orphans(self.directory):
            target = recover_orphan(orphan)
            if target is not None:
                index.merge_file(self.directory, target, counts=self.counts)
                recovered.append(target)
        return recovered


def _header(record: Record, name: str) -> str | None:
    if isinstance(record, BuiltRecord):
        return record.headers.get(name)
    return record.rec_headers.get_header(name)


def http_head_bytes(head: WireHead) -> bytes:
    """The HTTP head as a record stores it (``heads.WireHead`` picks the encoding)."""
    head.compute_headers_buffer()
    return head.headers_buff


def _names_this_file(path: Path, fd: int) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False
