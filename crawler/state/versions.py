"""The edit history: every archived text of every article, and the articles found gone.

Two tables beside ``articles`` in the SQLite store (STATE_URI). A version's
text is the whole item but its provenance (``source``, ``fetched_at``,
``version``, kept in their own columns), stored as zlib-compressed JSON, because bodies are most of the bytes and are read
only when someone looks at a history. Each version keeps its provenance: the
item's ``source`` (live run, Common Crawl or Wayback capture, replayed WARC)
and the time it was captured (``fetched_at``).

A version is written when the article store records it, that is after the
feeds wrote the item (pipelines/dedupe.py), so the history never holds a
text the outputs do not. The Redis store keeps no texts: ``history_for``
refuses it with HistoryUnsupported rather than pretend.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from crawler.items import ArticleItem

# Where and when a text was captured, not what it says: columns of their own;
# and ``removed``, which is the article's fate, kept in article_removals.
PROVENANCE_FIELDS = ("source", "fetched_at", "version", "removed")
# Versions recorded before whole items were stored hold only the first eight
# of these; a reader gets None for the others.
TEXT_FIELDS = tuple(f.name for f in dataclasses.fields(ArticleItem)
                    if f.name not in PROVENANCE_FIELDS)

SCHEMA = """
CREATE TABLE IF NOT EXISTS article_versions (
    article_id  TEXT NOT NULL,
    version     INTEGER NOT NULL,
    url         TEXT NOT NULL,
    fetched_at  TEXT,
    recorded_at TEXT NOT NULL,
    origin      TEXT NOT NULL,
    source      TEXT NOT NULL,
    text        BLOB NOT NULL,
    PRIMARY KEY (article_id, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS article_removals (
    article_id   TEXT PRIMARY KEY,
    url          TEXT NOT NULL,
    first_gone   TEXT NOT NULL,
    last_checked TEXT NOT NULL,
    reason       TEXT NOT NULL,
    location     TEXT
) WITHOUT ROWID;
"""

# A later sighting of the same removal keeps the first time it was seen gone.
MARK_REMOVED = """
INSERT INTO article_removals (article_id, url, first_gone, last_checked, reason, location)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (article_id) DO UPDATE SET
    last_checked = max(article_removals.last_checked, excluded.last_checked)
"""


class HistoryUnsupported(RuntimeError):
    """The store has no room for version texts (the Redis backend)."""


@dataclass(frozen=True)
class ArticleVersion:
    article_id: str
    version: int
    url: str
    fetched_at: str | None
    recorded_at: str
    origin: str
    source: dict[str, Any]
    text: dict[str, Any]


@dataclass(frozen=True)
class Removal:
    article_id: str
    url: str
    first_gone: str
    last_checked: str
    reason: str
    location: str | None


# A page kept for its media rather than its words (validate/kept_without_body)
# changes through these; they join the digest only when present, so the digest
# of an ordinary article stays the SHA-1 of its body, as stores already hold it.
MEDIA_FIELDS = ("live_entries", "audio", "gallery", "video")


def text_digest(fields: Mapping[str, Any]) -> bytes:
    """What makes a version new: the body, and the media payload when there is one."""
    digest = hashlib.sha1(str(fields.get("body") or "").encode("utf-8"))
    for name in MEDIA_FIELDS:
        if fields.get(name):
            digest.update(f"\0{name}\0".encode() + json.dumps(
                fields[name], ensure_ascii=False, sort_keys=True).encode("utf-8"))
    return digest.digest()


def pack_text(fields: dict[str, Any]) -> bytes:
    """The item's fields but its provenance; a field the item lacks is None."""
    text = {name: fields.get(name) for name in TEXT_FIELDS}
    return zlib.compress(json.dumps(text, ensure_ascii=False, sort_keys=True).encode("utf-8"), 6)


def unpack_text(blob: bytes) -> dict[str, Any]:
    return json.loads(zlib.decompress(blob).decode("utf-8"))


def origin_of(source: dict[str, Any] | None) -> str:
    """live, commoncrawl, wayback or replay: where the text was captured."""
    return str((source or {}).get("mode") or "unknown")


class VersionHistory:
    """The two tables, on a connection the article store may share."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.db.executescript(SCHEMA)

    @classmethod
    def open(cls, path: Path) -> VersionHistory:
        # Opened the way the article store opens it, so both can run at once.
        from crawler.state.sqlite import SqliteArticleStore
        return cls(SqliteArticleStore(path).db)

    def record(self, fields: dict[str, Any], version: int, recorded_at: str) -> bool:
        """Stores one version; False when that text is already stored under that
        number (a concurrent run recorded it first). A different text under a
        taken number (a history rebuilt from fewer WARC files than the store
        saw) goes to the next free number rather than being lost."""
        text = pack_text(fields)
        taken = self.db.execute("SELECT text FROM article_versions WHERE article_id = ?"
                                " AND version = ?", (fields["article_id"], version)).fetchone()
        if taken is not None:
            if taken[0] == text:
                return False
            version = self._next_version(fields["article_id"])
        source = fields.get("source") or {}
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO article_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (fields["article_id"], version, fields.get("url") or "", fields.get("fetched_at"),
             recorded_at, origin_of(source), json.dumps(source, sort_keys=True), text))
        return cursor.rowcount == 1

    def _next_version(self, article_id: str) -> int:
        row = self.db.execute("SELECT max(version) FROM article_versions WHERE article_id = ?",
                              (article_id,)).fetchone()
        return int(row[0] or 0) + 1

    def versions(self, article_id: str) -> list[ArticleVersion]:
        rows = self.db.execute("SELECT * FROM article_versions WHERE article_id = ?"
                               " ORDER BY version", (article_id,))
        return [_version(row) for row in rows]

    def all_versions(self) -> Iterator[ArticleVersion]:
        rows = self.db.execute("SELECT * FROM article_versions ORDER BY article_id, version")
        return (_version(row) for row in rows)

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM article_versions").fetchone()[0])

    def clear(self) -> None:
        self.db.execute("DELETE FROM article_versions")

    def mark_removed(self, article_id: str, url: str, seen_at: str, reason: str,
                     location: str | None = None) -> bool:
        """Records an article seen gone; True the first time it is seen gone."""
        known = self.removal(article_id) is not None
        self.db.execute(MARK_REMOVED, (article_id, url, seen_at, seen_at, reason, location))
        return not known

    def removal(self, article_id: str) -> Removal | None:
        row = self.db.execute("SELECT * FROM article_removals WHERE article_id = ?",
                              (article_id,)).fetchone()
        return Removal(*row) if row else None

    def removals(self) -> list[Removal]:
        rows = self.db.execute("SELECT * FROM article_removals ORDER BY first_gone, article_id")
        return [Removal(*row) for row in rows]

    def is_archived(self, article_id: str) -> bool:
        return self._has_articles() and self.db.execute(
            "SELECT 1 FROM articles WHERE article_id = ?", (article_id,)).fetchone() is not None

    def archived_in_window(self, since: date | None, until: date | None) -> list[tuple[str, str]]:
        """(article id, URL) of the archived articles published in the window
        (the publisher's local date, as the window reads it)."""
        if not self._has_articles():
            return []
        rows = self.db.execute(
            "SELECT article_id, url FROM articles WHERE substr(published, 1, 10) BETWEEN ? AND ?"
            " ORDER BY published", ((since or date.min).isoformat(),
                                    (until or date.max).isoformat()))
        return [(article_id, url) for article_id, url in rows]

    def archived_url(self, article_id: str) -> str | None:
        """The canonical URL the store holds for an article, or None."""
        if not self._has_articles():
            return None
        row = self.db.execute("SELECT url FROM articles WHERE article_id = ?",
                              (article_id,)).fetchone()
        return row[0] if row else None

    def _has_articles(self) -> bool:
        return self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table'"
                               " AND name = 'articles'").fetchone() is not None


def _version(row: tuple[Any, ...]) -> ArticleVersion:
    article_id, version, url, fetched_at, recorded_at, origin, source, text = row
    return ArticleVersion(article_id, version, url, fetched_at, recorded_at, origin,
                          json.loads(source), unpack_text(text))


def history_for(store: Any) -> VersionHistory:
    """The history kept beside an open article store."""
    from crawler.state.sqlite import SqliteArticleStore
    if isinstance(store, SqliteArticleStore):
        return VersionHistory(store.db)
    raise HistoryUnsupported(f"{type(store).__name__} keeps no version texts or removals: "
                             "use a sqlite:/// STATE_URI for edit histories")
