"""The payload digest of every capture archived, per article, across runs.

Web-archive indexes give each capture's payload digest (base32 sha1): a
capture whose digest is here was archived before, by a live crawl or from an
archive, and is not fetched again. Digests are kept as ``sha1:BASE32``, the
form of our own WARC ``WARC-Payload-Digest``; ``normalise_digest`` brings an
index's value (bare, lower case, or hex) to it.

The table lives in the SQLite article store's file, beside ``articles``, with
its own connection (WAL lets both write). A row is written only once the
capture's item is out (or dropped on purpose), as for the article store. The
Redis backend keeps no digests: ``open_capture_store`` says so and returns
None, and every capture of an article not yet held is fetched as before.
"""
from __future__ import annotations

import base64
import binascii
import logging
import sqlite3
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from crawler.state.sqlite import BUSY_TIMEOUT_MS, path_from_uri

logger = logging.getLogger(__name__)

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
        self.db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self.db.execute("PRAGMA journal_mode = WAL")
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


def open_capture_store(uri: str) -> SqliteCaptureStore | None:
    """The digest table of the store at ``uri``, or None where it is not kept."""
    if urlsplit(uri).scheme != "sqlite":
        logger.warning("Capture digests are kept in the SQLite store only; with this STATE_URI "
                       "every capture of an article not yet held is fetched")
        return None
    return SqliteCaptureStore(path_from_uri(uri))
