"""Finding the original payload of an identical-payload-digest revisit.

Only a digest -> (file number, offset) map is kept for the run, on disk:
each ``.warc.gz`` member (or plain record) can be read again from its
offset, so payloads are never held in memory waiting for a revisit.
"""

from __future__ import annotations

import base64
import binascii
import sqlite3
import string
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from warc import http
from warc.blocks import BlockDamaged
from warc.limits import NO_LIMITS, TOO_LARGE, HeadTooLarge, ReplayLimits
from warc.records import Fault, RawRecord, read_record_at

Location = tuple[int, int]


class HasHeaders(Protocol):
    """A record as the index sees it: WARC headers, offset, whether it can be read again."""

    offset: int
    seekable: bool

    def header(self, name: str) -> str | None: ...


@dataclass(frozen=True)
class Original:
    """The response a revisit points at, read back from its file."""

    record_id: str | None
    head: http.HttpHead
    raw: bytes


class RevisitIndex:
    """Where the first response with each payload digest starts.

    Kept in a private temporary SQLite database (on disk, deleted when
    closed) so that memory stays flat however many records a run reads; a
    Common Crawl segment holds millions. New entries are buffered and
    written in batches.
    """

    BATCH = 4096

    def __init__(self) -> None:
        self._pending: dict[bytes, Location] = {}
        self._db: sqlite3.Connection | None = None
        self._size = 0

    def __len__(self) -> int:
        self._flush()
        return self._size

    def add(self, record: HasHeaders, file_no: int) -> None:
        digest = record.header("WARC-Payload-Digest")
        if digest and record.seekable:
            self._pending.setdefault(digest_key(digest), (file_no, record.offset))
            if len(self._pending) >= self.BATCH:
                self._flush()

    def find(self, revisit: HasHeaders) -> Location | None:
        digest = revisit.header("WARC-Payload-Digest")
        if not digest:
            return None
        # Flushed first: an entry already written is older than a pending one.
        self._flush()
        if self._db is None:
            return None
        row = self._db.execute("SELECT file_no, offset FROM originals WHERE digest = ?",
                               (digest_key(digest),)).fetchone()
        return (row[0], row[1]) if row else None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        self._pending.clear()

    def _flush(self) -> None:
        if not self._pending:
            return
        if self._db is None:
            # "" names a private temporary database on disk, removed on close.
            self._db = sqlite3.connect("", isolation_level=None)
            self._db.execute("CREATE TABLE originals (digest BLOB PRIMARY KEY, file_no INTEGER, "
                             "offset INTEGER) WITHOUT ROWID")
        with _transaction(self._db):
            before = self._db.total_changes
            self._db.executemany("INSERT OR IGNORE INTO originals VALUES (?, ?, ?)",
                                 ((k, f, o) for k, (f, o) in self._pending.items()))
            self._size += self._db.total_changes - before
        self._pending.clear()


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def digest_key(digest: str) -> bytes:
    """``algorithm:raw-digest-bytes``, whether the value was base32 or hex.

    Writers differ in the encoding and letter case of the same digest; raw
    bytes also keep the index at about a third of the size of the strings.
    """
    algorithm, _, encoded = digest.strip().partition(":")
    try:
        raw = _decode_digest(encoded.strip())
    except (ValueError, binascii.Error):
        return digest.strip().lower().encode("utf-8", "replace")
    return algorithm.strip().lower().encode("ascii", "replace") + b":" + raw


def _decode_digest(encoded: str) -> bytes:
    if len(encoded) in (40, 64) and all(c in string.hexdigits for c in encoded):
        return bytes.fromhex(encoded)
    # sha256 in base32 is 52 characters, which writers leave unpadded.
    return base64.b32decode(encoded.upper() + "=" * (-len(encoded) % 8))


def read_original(path: str, offset: int, limits: ReplayLimits = NO_LIMITS) -> Original | str:
    """The HTTP response at ``offset`` in ``path``, or why it cannot be had
    (``TOO_LARGE`` when its payload is over the limit)."""
    try:
        with open(path, "rb") as fh:
            return _original_from(read_record_at(fh, offset), limits)
    except OSError as exc:
        return f"cannot open {path}: {exc}"


def _original_from(item: RawRecord | Fault, limits: ReplayLimits) -> Original | str:
    if isinstance(item, Fault):
        return f"{item.kind} record: {item.detail}"
    try:
        head = _head_of(item, limits)
    except HeadTooLarge as exc:
        return f"original record: {exc}"
    if head is not None and limits.payload_too_large(item.block.remaining):
        return TOO_LARGE
    raw = item.read_rest() if head else None
    if head is None or raw is None:
        return "original record is damaged or not an HTTP response"
    return Original(item.header("WARC-Record-ID"), head, raw)


def _head_of(record: RawRecord, limits: ReplayLimits = NO_LIMITS) -> http.HttpHead | None:
    try:
        return http.parse_head(record.block, limits)
    except BlockDamaged as exc:
        record.fail(exc.kind, str(exc))
        return None


def read_revisit_head(record: RawRecord,
                      limits: ReplayLimits = NO_LIMITS) -> tuple[bool, http.HttpHead | None]:
    """(intact, head) for a revisit; many revisits store no HTTP head at all.

    Raises ``HeadTooLarge`` past the header limits.
    """
    head = _head_of(record, limits) if record.block.length else None
    # Whatever follows the head is not the payload: stepped over, never held.
    record.finish()
    return record.fault is None, head
