"""Replay WARC files, from any writer, as a stream of archived HTTP responses.

``WarcReplayReader.responses()`` reads the given files one record at a time
and yields an ``ArchivedResponse`` per HTTP response (revisits resolved to
their original payload). Damaged records, non-WARC files and skipped records
are logged once and counted through ``count(key, n)``; bad input never
raises out of the generator.

Two readers share the work. fastwarc (``warc.scan``) reads the WARC headers
of intact records, which is all replay needs of the records the URL filter
turns down: most of any archive. A record the filter may let through is
read whole by fastwarc too, and handed on once the records after it are
found where they should be; if they are not, it is read again from its
offset by the project's own reader (``warc.records``), which checks it
whole, as it reads every record from the point where fastwarc stops
trusting the file (damage, a whole-file gzip), until the damage is behind.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Collection, Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from warc import fields, http, members
from warc.blocks import BlockDamaged
from warc.limits import NO_LIMITS, TOO_LARGE, HeadTooLarge, ReplayLimits
from warc.paths import ReplayPathError, expand_paths
from warc.blocks import MAX_HEAD_BYTES
from warc.records import Fault, GzipFramer, HeldRecord, PlainFramer, RawRecord, read_record_at
from warc.revisits import Original, RevisitIndex, read_original, read_revisit_head
from warc.scan import ScannedRecord, scan
from warc.verify import payload_digest_matches

__all__ = ["ArchivedResponse", "ReplayPathError", "WarcReplayReader", "expand_paths"]

logger = logging.getLogger(__name__)

Counter = Callable[[str, int], None]
# Records fastwarc gave last that are not yet known to be where it says.
UNCONFIRMED = 2
UrlFilter = Callable[[str], str | None]
# Blocks fastwarc may hold for the filter's records without a payload limit;
# larger ones are read from the file, as the limit is checked before reading.
HOLD_MAX = 16 * 1024 * 1024


@dataclass(frozen=True)
class ArchivedResponse:
    url: str
    status: int
    reason: str
    protocol: str
    headers: list[tuple[str, str]]
    body: bytes
    warc_file: str
    warc_offset: int
    warc_record_id: str
    warc_date: str
    ip_address: str | None
    payload_digest: str | None
    revisit_of: str | None


def _no_count(key: str, n: int) -> None:
    """Default counter: outcomes are still logged, just not tallied."""


class WarcReplayReader:
    """Yields the HTTP responses stored in ``paths``, in file order.

    Revisits whose original comes later in the files are retried once every
    file has been read, so they are yielded at the end of the run.
    """

    def __init__(self, paths: Sequence[str], *, count: Counter | None = None,
                 url_filter: UrlFilter | None = None, limits: ReplayLimits = NO_LIMITS,
                 unindexed: Collection[str] = ()) -> None:
        """``unindexed``: skip reasons of ``url_filter`` whose records can never
        be the original of a revisit that matters, so are not indexed."""
        self.paths = list(paths)
        self._count = count if count is not None else _no_count
        self._url_filter = url_filter
        # A quick test without stats, asked before a block is held (replay's
        # ReplayUrlFilter has one); without it every response may be taken.
        self._may_take: Callable[[str], bool] | None = getattr(url_filter, "may_take", None)
        self._limits = limits
        self._unindexed = frozenset(unindexed)
        self._index = RevisitIndex()
        self._deferred: list[tuple[int, int]] = []
        self._last_reason: str | None = None

    def responses(self) -> Iterator[ArchivedResponse]:
        self._index, self._deferred = RevisitIndex(), []
        try:
            for file_no, path in enumerate(self.paths):
                yield from self._file_responses(file_no, path)
            yield from self._retry_deferred()
        finally:
            self._index.close()

    # -- files -------------------------------------------------------------

    def _file_responses(self, file_no: int, path: str) -> Iterator[ArchivedResponse]:
        self._count("replay/files", 1)
        try:
            with open(path, "rb") as fh:
                if self._looks_like_warc(fh, path):
                    yield from self._records(fh, file_no, path)
        except OSError as exc:
            logger.error("Cannot read WARC file %s: %s", path, exc)
            self._count("replay/errors/unreadable", 1)

    def _looks_like_warc(self, fh: BinaryIO, path: str) -> bool:
        if _starts_like_warc(fh) or _has_record_later(fh):
            return True
        if fh.seek(0, 2) == 0:
            logger.warning("Empty WARC file %s: nothing to replay", path)
            self._count("replay/errors/empty", 1)
            return False
        logger.error("Not a WARC file: %s (no WARC record found in it), skipped", path)
        self._count("replay/errors/not_warc", 1)
        return False

    def _records(self, fh: BinaryIO, file_no: int, path: str) -> Iterator[ArchivedResponse]:
        start: int | None = 0
        while start is not None:
            start = yield from self._fast_records(fh, file_no, path, start)
            if start is not None:
                start = yield from self._careful_records(fh, file_no, path, start)

    def _fast_records(self, fh: BinaryIO, file_no: int, path: str,
                      start: int) -> Generator[ArchivedResponse, None, int | None]:
        """Headers by fastwarc; the offset to read on from carefully, None at the end.

        A record is handled once fastwarc has given two more after it at
        later offsets. Inside a gzip member of several records fastwarc
        gives a record the offset of the NEXT member, which the record after
        it then shares; and where fastwarc stops, it may have stopped inside
        the last record. So the last two records it gives are left to the
        careful reader, which checks them and how the file goes on.
        """
        if start >= members.file_size(fh):
            return None
        pending: deque[ScannedRecord] = deque()
        for record in scan(fh, start, members.is_gzip(fh, start), self._worth_holding):
            pending.append(record)
            if len(pending) > UNCONFIRMED:
                yield from self._scanned(fh, pending.popleft(), file_no, path)
        return pending[0].offset if pending else start

    def _careful_records(self, fh: BinaryIO, file_no: int, path: str,
                         start: int) -> Generator[ArchivedResponse, None, int | None]:
        """The own reader from ``start``; once past damage, the offset to go fast again."""
        framer = GzipFramer(fh) if members.is_gzip(fh, start) else PlainFramer(fh)
        damaged = False
        for item in framer.records(start):
            if isinstance(item, Fault):
                self._report_fault(path, item)
                damaged = True
            elif damaged and item.seekable:
                return item.offset
            else:
                yield from self._record(item, file_no, path)
        return None

    def _record(self, item: RawRecord, file_no: int, path: str) -> Iterator[ArchivedResponse]:
        response = self._from_record(item, file_no, path)
        item.finish()
        if response is not None:
            yield response
        elif item.rec_type == "response" and not item.fault and self._indexable(item):
            # Skipped responses still serve as originals for revisits.
            self._index.add(item, file_no)

    def _scanned(self, fh: BinaryIO, record: ScannedRecord, file_no: int,
                 path: str) -> Iterator[ArchivedResponse]:
        """A record known by its headers: only one the filter takes is read whole."""
        self._count(f"replay/records/{record.rec_type}", 1)
        url = self._scanned_url(record)
        if url is None:
            if record.rec_type == "response" and self._indexable(record):
                self._index.add(record, file_no)
            return
        if record.block is not None and record.all_ascii():
            held = HeldRecord(record.offset, record.rec_type, record.header, record.block)
            yield from self._whole(held, record, url, file_no, path)
            return
        position = fh.tell()
        try:
            yield from self._reread(fh, record, url, file_no, path)
        finally:
            fh.seek(position)  # fastwarc reads on from where it was

    def _worth_holding(self, record: ScannedRecord) -> bool:
        """A response or revisit the URL filter may keep, small enough to hold.

        Asks the filter's ``may_take`` (a quick look at the host, no stats),
        if it has one; a record held for nothing only costs a copy.
        """
        if record.rec_type not in ("response", "revisit"):
            return False
        limit = self._limits.max_payload
        if not 0 <= record.content_length <= (limit + MAX_HEAD_BYTES if limit else HOLD_MAX):
            return False
        if self._may_take is None:
            return True
        url = fields.target_uri(record)
        return url is None or self._may_take(url)

    def _scanned_url(self, record: ScannedRecord) -> str | None:
        if record.rec_type == "response":
            if not fields.is_http_response(record):
                return self._skip("not_http")
            return self._passes_filter(record)
        if record.rec_type == "revisit":
            if not fields.is_identical_payload_revisit(record):
                return self._skip("revisit_profile")
            return self._passes_filter(record)
        return None

    def _reread(self, fh: BinaryIO, scanned: ScannedRecord, url: str, file_no: int,
                path: str) -> Iterator[ArchivedResponse]:
        item = read_record_at(fh, scanned.offset)
        if isinstance(item, Fault):
            self._report_fault(path, item)
            return
        yield from self._whole(item, scanned, url, file_no, path)

    def _whole(self, item: RawRecord, scanned: ScannedRecord, url: str, file_no: int,
               path: str) -> Iterator[ArchivedResponse]:
        """A record the filter took, read whole: its response, if it makes one."""
        if scanned.rec_type == "response":
            response = self._response(item, file_no, path, url)
        else:
            response = self._revisit(item, file_no, path, url=url)
        item.finish()
        if item.fault:
            self._report_fault(path, item.fault)
        elif response is not None:
            yield response
        elif scanned.rec_type == "response":
            self._index.add(item, file_no)

    def _report_fault(self, path: str, fault: Fault) -> None:
        logger.warning("Skipped %s WARC record in %s at offset %d: %s",
                       fault.kind, path, fault.offset, fault.detail)
        self._count(f"replay/errors/{fault.kind}", 1)

    # -- records -----------------------------------------------------------

    def _from_record(self, record: RawRecord, file_no: int, path: str) -> ArchivedResponse | None:
        self._count(f"replay/records/{record.rec_type}", 1)
        if record.rec_type == "response":
            return self._response(record, file_no, path)
        if record.rec_type == "revisit":
            return self._revisit(record, file_no, path)
        return None

    def _response(self, record: RawRecord, file_no: int, path: str,
                  url: str | None = None) -> ArchivedResponse | None:
        """``url``: the record passed the filter already."""
        if url is None:
            if not fields.is_http_response(record):
                return self._skip("not_http")
            url = self._passes_filter(record)
        head = self._http_head(record, path) if url else None
        raw = self._payload_bytes(record, path) if head else None
        if url is None or head is None or raw is None:
            return None
        self._index.add(record, file_no)
        payload = self._payload(head.headers, raw)
        self._check_digest(record, path, raw, payload.body)
        return _build(record, path, url, head, payload, None)

    def _revisit(self, record: RawRecord, file_no: int, path: str,
                 retry: bool = False, url: str | None = None) -> ArchivedResponse | None:
        if url is None and not fields.is_identical_payload_revisit(record):
            return self._skip("revisit_profile")
        # A deferred or re-read revisit passed the filter already; ask only once.
        if url is None:
            url = fields.target_uri(record) if retry else self._passes_filter(record)
        intact, head = self._revisit_head(record, path) if url else (False, None)
        if url is None or not intact:
            return None
        location = self._index.find(record)
        if location is None:
            return self._defer_or_give_up(record, file_no, path, retry)
        return self._resolve(record, path, url, head, location)

    def _resolve(self, record: RawRecord, path: str, url: str, head: http.HttpHead | None,
                 location: tuple[int, int]) -> ArchivedResponse | None:
        original = read_original(self.paths[location[0]], location[1], self._limits)
        if original == TOO_LARGE:
            return self._too_large(path, record.offset, "the original of this revisit")
        if isinstance(original, str):
            return self._unresolved(record, path, f"original unreadable: {original}")
        head = head or original.head
        payload = self._payload(head.headers, original.raw, framing=original.head.headers)
        self._count("replay/revisit/resolved", 1)
        return _build(record, path, url, head, payload, original)

    def _defer_or_give_up(self, record: RawRecord, file_no: int, path: str,
                          retry: bool) -> None:
        if retry or not record.seekable:
            return self._unresolved(record, path, "no response with its payload digest")
        self._deferred.append((file_no, record.offset))
        return None

    def _retry_deferred(self) -> Iterator[ArchivedResponse]:
        deferred, self._deferred = self._deferred, []
        for file_no, offset in deferred:
            response = self._retry_one(file_no, offset)
            if response is not None:
                yield response

    def _retry_one(self, file_no: int, offset: int) -> ArchivedResponse | None:
        path = self.paths[file_no]
        try:
            with open(path, "rb") as fh:
                item = read_record_at(fh, offset)
                if isinstance(item, Fault):
                    return self._unresolved_at(path, offset, item.detail)
                return self._revisit(item, file_no, path, retry=True)
        except OSError as exc:
            return self._unresolved_at(path, offset, str(exc))

    # -- helpers -------------------------------------------------------------

    def _passes_filter(self, record: RawRecord | ScannedRecord) -> str | None:
        url = fields.target_uri(record)
        self._last_reason = None
        if url is None:
            return self._skip("no_url")
        reason = self._url_filter(url) if self._url_filter else None
        self._last_reason = reason
        return self._skip(reason) if reason else url

    def _indexable(self, record: RawRecord | ScannedRecord) -> bool:
        """A skipped HTTP response may be the original of a later revisit,
        unless the filter turned it down for a reason in ``unindexed``."""
        return self._last_reason not in self._unindexed and fields.is_http_response(record)

    def _http_head(self, record: RawRecord, path: str) -> http.HttpHead | None:
        try:
            head = http.parse_head(record.block, self._limits)
        except BlockDamaged as exc:
            record.fail(exc.kind, str(exc))
            return None
        except HeadTooLarge as exc:
            return self._refused(path, record.offset, exc)
        return head if head is not None else self._skip("bad_http_head")

    def _revisit_head(self, record: RawRecord, path: str) -> tuple[bool, http.HttpHead | None]:
        try:
            return read_revisit_head(record, self._limits)
        except HeadTooLarge as exc:
            self._refused(path, record.offset, exc)
            return False, None

    def _payload_bytes(self, record: RawRecord, path: str) -> bytes | None:
        """The rest of the block, unless it is over the size limit (then never read)."""
        if self._limits.payload_too_large(record.block.remaining):
            return self._too_large(path, record.offset, f"{record.block.remaining} bytes")
        return record.read_rest()

    def _too_large(self, path: str, offset: int, what: str) -> None:
        logger.warning("Skipped WARC record in %s at offset %d: payload (%s) over the "
                       "%d-byte page size limit", path, offset, what, self._limits.max_payload)
        return self._skip(TOO_LARGE)

    def _refused(self, path: str, offset: int, exc: HeadTooLarge) -> None:
        logger.warning("Skipped WARC record in %s at offset %d: %s", path, offset, exc)
        return self._skip(exc.reason)

    def _payload(self, headers: http.Headers, raw: bytes,
                 framing: http.Headers | None = None) -> http.HttpPayload:
        payload = http.build_payload(headers, raw, framing)
        for repair in payload.repairs:
            self._count(f"replay/repaired/{repair}", 1)
        return payload

    def _check_digest(self, record: RawRecord, path: str, raw: bytes, body: bytes) -> None:
        # The page is still replayed: it is usually the best copy there is.
        if payload_digest_matches(record.header("WARC-Payload-Digest"), raw, body) is False:
            logger.warning("Payload digest mismatch in %s at offset %d (%s): replayed anyway",
                           path, record.offset, fields.target_uri(record))
            self._count("replay/errors/bad_digest", 1)

    def _skip(self, reason: str) -> None:
        self._count(f"replay/skipped/{reason}", 1)
        return None

    def _unresolved(self, record: RawRecord, path: str, why: str) -> None:
        return self._unresolved_at(path, record.offset, why)

    def _unresolved_at(self, path: str, offset: int, why: str) -> None:
        logger.warning("Unresolved revisit in %s at offset %d: %s", path, offset, why)
        self._count("replay/revisit/unresolved", 1)
        return None


def _build(record: RawRecord, path: str, url: str, head: http.HttpHead,
           payload: http.HttpPayload, original: Original | None) -> ArchivedResponse:
    return ArchivedResponse(
        url=url, status=head.status, reason=head.reason, protocol=head.protocol,
        headers=payload.headers, body=payload.body,
        warc_file=path, warc_offset=record.offset,
        warc_record_id=record.header("WARC-Record-ID") or "",
        warc_date=fields.warc_date(record),
        ip_address=record.header("WARC-IP-Address"),
        payload_digest=record.header("WARC-Payload-Digest"),
        revisit_of=(original.record_id or "") if original else None,
    )


def _starts_like_warc(fh: BinaryIO) -> bool:
    if members.is_gzip(fh):
        return members.member_starts_warc(fh, 0)
    return members.plain_starts_warc(fh, 0)


def _has_record_later(fh: BinaryIO) -> bool:
    # A damaged first record must not make a whole WARC look like junk.
    if members.is_gzip(fh):
        return members.next_gzip_member(fh, 1) is not None
    return members.next_plain_record(fh, 0) is not None
