"""Finding the original payload of an identical-payload-digest revisit.

Only a digest -> (file number, offset) map is kept for the run: each
``.warc.gz`` member (or plain record) can be read again from its offset, so
payloads are never held in memory waiting for a revisit.
"""

from __future__ import annotations

import base64
import binascii
import string
from dataclasses import dataclass

from warc import http
from warc.blocks import BlockDamaged
from warc.records import Fault, RawRecord, read_record_at

Location = tuple[int, int]


@dataclass(frozen=True)
class Original:
    """The response a revisit points at, read back from its file."""

    record_id: str | None
    head: http.HttpHead
    raw: bytes


class RevisitIndex:
    """Where the first response with each payload digest starts."""

    def __init__(self) -> None:
        self._by_digest: dict[str, Location] = {}

    def __len__(self) -> int:
        return len(self._by_digest)

    def add(self, record: RawRecord, file_no: int) -> None:
        digest = record.header("WARC-Payload-Digest")
        if digest and record.seekable:
            self._by_digest.setdefault(digest_key(digest), (file_no, record.offset))

    def find(self, revisit: RawRecord) -> Location | None:
        digest = revisit.header("WARC-Payload-Digest")
        return self._by_digest.get(digest_key(digest)) if digest else None


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


def read_original(path: str, offset: int) -> Original | str:
    """The HTTP response at ``offset`` in ``path``, or why it cannot be had."""
    try:
        with open(path, "rb") as fh:
            return _original_from(read_record_at(fh, offset))
    except OSError as exc:
        return f"cannot open {path}: {exc}"


def _original_from(item: RawRecord | Fault) -> Original | str:
    if isinstance(item, Fault):
        return f"{item.kind} record: {item.detail}"
    head = _head_of(item)
    raw = item.read_rest() if head else None
    if head is None or raw is None:
        return "original record is damaged or not an HTTP response"
    return Original(item.header("WARC-Record-ID"), head, raw)


def _head_of(record: RawRecord) -> http.HttpHead | None:
    try:
        return http.parse_head(record.block)
    except BlockDamaged as exc:
        record.fail(exc.kind, str(exc))
        return None


def read_revisit_head(record: RawRecord) -> tuple[bool, http.HttpHead | None]:
    """(intact, head) for a revisit; many revisits store no HTTP head at all."""
    head = _head_of(record) if record.block.length else None
    rest = record.read_rest()
    return rest is not None, head
