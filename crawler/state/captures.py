"""The payload digest of every capture archived, per article, across runs.

Web-archive indexes give each capture's payload digest (base32 sha1): a
capture whose digest is here was archived before, by a live crawl or from an
archive, and is not fetched again. Digests are kept as ``sha1:BASE32``, the
form of our own WARC ``WARC-Payload-Digest``; ``normalise_digest`` brings an
index's value (bare, lower case, or hex) to it.

The table lives in the SQLite article store's file, beside ``articles``, with
its own connection (WAL lets both write). With a Redis store, each article's
digests are one hash, ``<prefix>-captures:<article_id>`` (a key the article
store's own ``<prefix>:*`` never matches). A capture is written only once its
item is out (or dropped on purpose), as for the article store.
"""
from __future__ import annotations

import base64
import binascii
import json
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from crawler.state.sqlite import BUSY_TIMEOUT_MS, path_from_uri
from warc.sqlite_wal import connect_wal

SCHEMA = """
CREATE TABLE IF NOT EXISTS captures (
    article_id  TEXT NOT NULL,
    digest      TEXT NOT NULL,
    source      TEXT NOT NULL,
    url         TEXT NOT NULL,
    captured_at TEXT NOT NULL,
    archived_at TEXT NOT NULL,
    PRIMARY KEY (article_id, digest)
) WITHOUT ROWID
"""


def normalise_digest(value: str | None) -> str:
    """``sha1:BASE32`` for a sha1 given bare or prefixed, base32 or hex; ``""``
    when the value is not a sha1 (it then matches nothing)."""
    algorithm, _, encoded = (value or "").strip().rpartition(":")
    if algorithm.lower() not in ("", "sha1"):
        return ""
    encoded = encoded.strip()
    try:
        if len(encoded) == 40 and all(c in string.hexdigits for c in encoded):
            raw = bytes.fromhex(encoded)
        else:
            raw = base64.b32decode(encoded.upper() + "=" * (-len(encoded) % 8))
    except (ValueError, binascii.Error):
        return ""
    return "sha1:" + base64.b32encode(raw).decode("ascii") if len(raw) == 20 else ""


@dataclass(frozen=True)
class HeldCapture:
    article_id: str
    digest: str
    source: str
    url: str
    captured_at: str


class SqliteCaptureStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = connect_wal(path, BUSY_TIMEOUT_MS)
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.execute(SCHEMA)

    def held(self, article_id: str) -> set[str]:
        """The digests archived for this article."""
        rows = self.db.execute("SELECT digest FROM captures WHERE article_id = ?", (article_id,))
        return {row[0] for row in rows}

    def add(self, capture: HeldCapture, archived_at: str) -> bool:
        """Remembers a capture; False when it was held already (the first source stays)."""
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO captures VALUES (?, ?, ?, ?, ?, ?)",
            (capture.article_id, capture.digest, capture.source, capture.url,
             capture.captured_at, archived_at))
        return cursor.rowcount == 1

    def all(self) -> Iterator[HeldCapture]:
        rows = self.db.execute("SELECT article_id, digest, source, url, captured_at FROM captures")
        return (HeldCapture(*row) for row in rows)

    def close(self) -> None:
        self.db.close()


class RedisCaptureStore:
    """The same, in the Redis store of a distributed crawl: field digest, value
    ``[source, url, captured_at, archived_at]`` as JSON; HSETNX keeps the first."""

    def __init__(self, client: object, prefix: str) -> None:
        self.client = client
        self.prefix = f"{prefix}-captures"

    @classmethod
    def from_uri(cls, uri: str) -> RedisCaptureStore:
        from crawler.state.redis import connect
        return cls(*connect(uri))

    def held(self, article_id: str) -> set[str]:
        return {field.decode("ascii") for field in self.client.hkeys(f"{self.prefix}:{article_id}")}

    def add(self, capture: HeldCapture, archived_at: str) -> bool:
        value = json.dumps([capture.source, capture.url, capture.captured_at, archived_at])
        return bool(self.client.hsetnx(f"{self.prefix}:{capture.article_id}", capture.digest, value))

    def all(self) -> Iterator[HeldCapture]:
        for key in self.client.scan_iter(match=f"{self.prefix}:*", count=1000):
            article_id = key.decode("utf-8").rsplit(":", 1)[1]
            for digest, value in self.client.hgetall(key).items():
                source, url, captured_at, _ = json.loads(value)
                yield HeldCapture(article_id, digest.decode("ascii"), source, url, captured_at)

    def close(self) -> None:
        self.client.close()


CaptureStore = SqliteCaptureStore | RedisCaptureStore


def open_capture_store(uri: str) -> CaptureStore:
    """The capture digests of the store at ``uri`` (the same forms as STATE_URI)."""
    if urlsplit(uri).scheme == "sqlite":
        return SqliteCaptureStore(path_from_uri(uri))
    return RedisCaptureStore.from_uri(uri)
