"""The embedded article store: one SQLite file, shared safely by concurrent runs.

WAL mode lets readers go on while one run writes, and the busy timeout makes a
second writer wait rather than fail. Nothing is loaded into memory: each lookup
is one primary-key query, so a million articles cost disk, not RAM.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

from crawler.state import ArchivedArticle, StateError, StateURIError, damaged_store_message
from warc.sqlite_wal import connect_wal

BUSY_TIMEOUT_MS = 30_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    article_id TEXT PRIMARY KEY,
    url        TEXT NOT NULL,
    published  TEXT,
    modified   TEXT,
    digest     BLOB NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    versions   INTEGER NOT NULL
) WITHOUT ROWID
"""

UPSERT = """
INSERT INTO articles (article_id, url, published, modified, digest, first_seen, last_seen, versions)
VALUES (:article_id, :url, :published, :modified, :digest, :seen_at, :seen_at, 1)
ON CONFLICT (article_id) DO UPDATE SET
    url = excluded.url, published = excluded.published, modified = excluded.modified,
    digest = excluded.digest, last_seen = excluded.last_seen, versions = versions + 1
WHERE articles.digest != excluded.digest
RETURNING versions
"""


def path_from_uri(uri: str) -> Path:
    """``sqlite:///relative/path`` or ``sqlite:////absolute/path`` (SQLAlchemy's form)."""
    parts = urlsplit(uri)
    path = unquote(parts.path)
    if parts.netloc or not path.startswith("/") or len(path) < 2:
        raise StateURIError(f"STATE_URI {uri!r}: expected sqlite:///path/to/file.sqlite3")
    return Path(path[1:])


@contextmanager
def store_errors(path: Path) -> Iterator[None]:
    """Any SQLite failure (damaged file, full disk) as one StateError naming the store.

    Tables other modules add to the store (capture digests, version texts)
    should be used inside it too, so their failures stop a crawl the same way.
    """
    try:
        yield
    except sqlite3.Error as e:
        raise StateError(damaged_store_message(path, e)) from e


class SqliteArticleStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        with store_errors(path):
            self.db = connect_wal(path, BUSY_TIMEOUT_MS)
            # Committed transactions survive a process kill in WAL mode even so; full
            # fsync on every item would only guard against power loss, at a high cost.
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.execute(SCHEMA)
            self._quick_check()

    def _quick_check(self) -> None:
        # A damaged page would otherwise show only when a lookup reaches it,
        # mid-crawl; quick_check reads every page once (about a second per
        # million articles) and finds it before anything is fetched.
        result = self.db.execute("PRAGMA quick_check(1)").fetchone()[0]
        if result != "ok":
            raise sqlite3.DatabaseError(f"quick_check: {' '.join(result.split())}")

    @classmethod
    def from_uri(cls, uri: str) -> SqliteArticleStore:
        return cls(path_from_uri(uri))

    def get(self, article_id: str) -> ArchivedArticle | None:
        with store_errors(self.path):
            row = self.db.execute(
                "SELECT article_id, url, published, modified, digest, first_seen, last_seen, versions"
                " FROM articles WHERE article_id = ?", (article_id,)).fetchone()
        return ArchivedArticle(*row) if row else None

    def record_version(self, article_id: str, url: str, published: str | None,
                       modified: str | None, digest: bytes, seen_at: str) -> int:
        """Stores a newly archived version; returns its 1-based version number
        (the stored one when this digest is already the latest: a concurrent run
        archived the same text first, and it is not counted twice)."""
        with store_errors(self.path):
            row = self.db.execute(UPSERT, {
                "article_id": article_id, "url": url, "published": published,
                "modified": modified, "digest": digest, "seen_at": seen_at}).fetchone()
            if row is None:
                row = self.db.execute("SELECT versions FROM articles WHERE article_id = ?",
                                      (article_id,)).fetchone()
        return int(row[0])

    def touch(self, article_id: str, seen_at: str) -> None:
        with store_errors(self.path):
            self.db.execute("UPDATE articles SET last_seen = ? WHERE article_id = ? AND last_seen < ?",
                            (seen_at, article_id, seen_at))

    def count(self) -> int:
        with store_errors(self.path):
            return int(self.db.execute("SELECT count(*) FROM articles").fetchone()[0])

    def close(self) -> None:
        self.db.close()
