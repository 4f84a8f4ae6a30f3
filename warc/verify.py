"""Checking a record's ``WARC-Payload-Digest`` against the payload actually read.

A mismatch means the bytes changed after the writer hashed them (bit rot, a
careless repair, a tampered file). The reader still replays the page, since
it is usually the best copy there is, but counts and reports it.
"""

from __future__ import annotations

import binascii
import hashlib

from warc.revisits import _decode_digest

# WARC writers label algorithms in their own spelling; hashlib knows these.
_ALGORITHMS = {"sha1": "sha1", "sha-1": "sha1", "sha256": "sha256", "sha-256": "sha256",
               "md5": "md5", "sha512": "sha512", "sha-512": "sha512"}


def payload_digest_matches(declared: str | None, *payloads: bytes) -> bool | None:
    """Whether any of ``payloads`` hashes to ``declared`` (``algo:base32|hex``).

    Several payloads may be given because writers disagree on what they hash
    for a chunked response: the bytes as stored or the de-chunked body.
    None: there is nothing to check (no digest, unknown algorithm, unreadable
    encoding), which is not a mismatch.
    """
    if not declared:
        return None
    label, _, encoded = declared.strip().partition(":")
    algorithm = _ALGORITHMS.get(label.strip().lower())
    if algorithm is None:
        return None
    try:
        expected = _decode_digest(encoded.strip())
    except (ValueError, binascii.Error):
        return None
    return any(hashlib.new(algorithm, payload).digest() == expected for payload in payloads)
