"""One WARC record made by another archive, held as bytes (a Common Crawl range answer).

A Range request for ``offset``/``length`` of a ``.warc.gz`` returns exactly one
gzip member holding one record. ``parse_member`` reads it with the project's
own record and HTTP parsing (``warc.records``, ``warc.http``) into the
``ArchivedResponse`` replay uses, and keeps the member's bytes unchanged in a
``ForeignRecord`` that ``WarcArchive.append_record`` can store as it is.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from io import BytesIO

from warc import fields, http
from warc.blocks import BlockDamaged
from warc.reader import ArchivedResponse
from warc.records import Fault, RawRecord, read_record_at
from warc.writer import payload_digest


class ForeignRecordError(ValueError):
    """The bytes are not one intact WARC response record; ``kind`` names why
    (not_gzip, truncated, corrupt, not_response, bad_http_head)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


@dataclass(frozen=True)
class ForeignRecord:
    """A record as another archive wrote it: its gzip member and what an
    index of our own needs to know about it."""

    member: bytes
    record_id: str
    record_type: str
    warc_date: str
    target_uri: str
    # Over the payload as stored in the record, so revisits of it are true.
    payload_digest: str


@dataclass(frozen=True)
class ParsedMember:
    record: ForeignRecord
    response: ArchivedResponse
    repairs: tuple[str, ...]


def member_length(data: bytes) -> int:
    """Length of the first gzip member of ``data``; raises ForeignRecordError."""
    if not data.startswith(b"\x1f\x8b"):
        raise ForeignRecordError("not_gzip", "the bytes do not start a gzip member")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        inflater.decompress(data)
    except zlib.error as e:
        raise ForeignRecordError("corrupt", f"bad gzip data: {e}") from e
    if not inflater.eof:
        raise ForeignRecordError("truncated", "the gzip member ends early")
    return len(data) - len(inflater.unused_data)


def parse_member(data: bytes, warc_file: str, warc_offset: int) -> ParsedMember:
    """The response record in the gzip member ``data`` (trailing bytes ignored).

    ``warc_file`` and ``warc_offset`` say where the member lives in its
    archive; they go into the ArchivedResponse as replay's do.
    """
    member = data[:member_length(data)]
    record = _record(member)
    head = _http_head(record)
    raw = record.read_rest()
    if raw is None:
        fault = record.fault
        raise ForeignRecordError(fault.kind if fault else "corrupt", fault.detail if fault else "")
    payload = http.build_payload(head.headers, raw)
    foreign = ForeignRecord(member, record.header("WARC-Record-ID") or "", record.rec_type,
                            record.header("WARC-Date") or "", fields.target_uri(record) or "",
                            payload_digest(raw))
    return ParsedMember(foreign, _response(record, head, payload, warc_file, warc_offset),
                        payload.repairs)


def _record(member: bytes) -> RawRecord:
    item = read_record_at(BytesIO(member), 0)
    if isinstance(item, Fault):
        raise ForeignRecordError(item.kind, item.detail)
    if item.rec_type != "response" or not fields.is_http_response(item) or not fields.target_uri(item):
        raise ForeignRecordError("not_response", f"a {item.rec_type} record, not an HTTP response")
    return item


def _http_head(record: RawRecord) -> http.HttpHead:
    try:
        head = http.parse_head(record.block)
    except BlockDamaged as e:
        raise ForeignRecordError(e.kind, str(e)) from e
    if head is None:
        raise ForeignRecordError("bad_http_head", "no HTTP status line and headers")
    return head


def _response(record: RawRecord, head: http.HttpHead, payload: http.HttpPayload,
              warc_file: str, warc_offset: int) -> ArchivedResponse:
    return ArchivedResponse(
        url=fields.target_uri(record) or "", status=head.status, reason=head.reason,
        protocol=head.protocol, headers=payload.headers, body=payload.body,
        warc_file=warc_file, warc_offset=warc_offset,
        warc_record_id=record.header("WARC-Record-ID") or "",
        warc_date=fields.warc_date(record), ip_address=record.header("WARC-IP-Address"),
        payload_digest=record.header("WARC-Payload-Digest"), revisit_of=None,
    )
