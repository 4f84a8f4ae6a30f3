"""Checking and rebuilding the SQLite files a crawl keeps its state in.

``check`` runs SQLite's ``PRAGMA integrity_check`` and reads every table
there is (other modules add their own tables to the store), so it serves the
article store (``output/state/<spider>.sqlite3``) and the archive's digest
index (``output/warc/digests.sqlite3``) alike.

``rebuild`` sets the damaged file aside (``<name>.damaged-<UTC time>``, never
deleted) and builds it again from what the crawl wrote before it:

- the article store from the JSON Lines feeds, or from the ``metadata``
  records of the WARC archive (each holds the item as the JSON Feed has it).
  Per article it keeps the highest ``version`` seen, its URL, dates and body
  digest, and the first and last ``fetched_at``; items are read in any order,
  and an item found twice (a feed and a merged copy) counts once.
- the digest index from the response records of the WARC files, the first
  record of each payload digest winning, as when it was written.

Tables other modules keep in the store (capture digests, version texts) are
not rebuilt here.
"""
from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from warcio.archiveiterator import ArchiveIterator

from crawler.outputs import feed_items
from crawler.state.sqlite import SqliteArticleStore
from pipelines.dedupe import content_digest
from warc.digests import DB_NAME as DIGESTS_NAME
from warc.digests import DigestIndex, Original
from warc.files import WARC_SUFFIX
from warc.writer import payload_digest

logger = logging.getLogger(__name__)

# Columns each known table must have; other tables are only read through.
KNOWN_TABLES = {
    "articles": {"article_id", "url", "published", "modified", "digest", "first_seen",
                 "last_seen", "versions"},
    "payload_digests": {"digest", "target_uri", "warc_date", "record_id"},
}
EMPTY_PAYLOAD = payload_digest(b"")

# Keeps, per article, the highest version and the widest first/last seen.
MERGE_ARTICLE = """
INSERT INTO articles (article_id, url, published, modified, digest, first_seen, last_seen, versions)
VALUES (:article_id, :url, :published, :modified, :digest, :seen_at, :seen_at, :version)
ON CONFLICT (article_id) DO UPDATE SET
    url = CASE WHEN excluded.versions > versions THEN excluded.url ELSE url END,
    published = CASE WHEN excluded.versions > versions THEN excluded.published ELSE published END,
    modified = CASE WHEN excluded.versions > versions THEN excluded.modified ELSE modified END,
    digest = CASE WHEN excluded.versions > versions THEN excluded.digest ELSE digest END,
    first_seen = min(first_seen, excluded.first_seen),
    last_seen = max(last_seen, excluded.last_seen),
    versions = max(versions, excluded.versions)
"""


@dataclass
class CheckReport:
    path: Path
    problems: list[str] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def check(path: Path) -> CheckReport:
    """Integrity and schema of one SQLite state file, without changing it."""
    report = CheckReport(path)
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            _check_open(db, report)
        finally:
            db.close()
    except sqlite3.Error as e:
        report.problems.append(str(e))
    return report


def _check_open(db: sqlite3.Connection, report: CheckReport) -> None:
    rows = [row[0] for row in db.execute("PRAGMA integrity_check(20)")]
    if rows != ["ok"]:
        report.problems += rows
    tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        columns = {row[1] for row in db.execute(f'PRAGMA table_info("{table}")')}
        missing = KNOWN_TABLES.get(table, set()) - columns
        if missing:
            report.problems.append(f"table {table} lacks columns {', '.join(sorted(missing))}")
        report.tables[table] = int(db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])
    if not set(KNOWN_TABLES) & set(tables):
        report.problems.append("neither an article store nor a digest index (no known table)")


def set_aside(path: Path) -> Path | None:
    """Renames ``path`` and its WAL files out of the way; returns the new name."""
    if not path.exists():
        return None
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        companion = Path(f"{path}{suffix}")
        if companion.exists():
            os.replace(companion, Path(f"{aside}{suffix}"))
    return aside


def is_digest_index(path: Path) -> bool:
    return path.name == DIGESTS_NAME


# --- the article store -------------------------------------------------------------


def items_from_feeds(directory: Path) -> Iterator[dict[str, Any]]:
    """Items of every JSON Lines feed below ``directory``; a line cut by a kill is skipped."""
    return feed_items(sorted(directory.rglob("*.jsonl")))


def items_from_warc(directory: Path) -> Iterator[dict[str, Any]]:
    """Items of the ``metadata`` records (JSON Feed form) of the WARC files below ``directory``."""
    for path in sorted(directory.rglob(f"*{WARC_SUFFIX}")):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type != "metadata":
                    continue
                try:
                    entry = json.loads(record.content_stream().read())
                except ValueError:
                    continue
                if isinstance(entry, dict) and isinstance(entry.get("_sputnik"), dict):
                    yield item_of_feed_entry(entry)


def item_of_feed_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """The item fields the store needs, from a JSON Feed entry (crawler.exporters.feed_item)."""
    return {**entry["_sputnik"], "url": entry.get("url"), "body": entry.get("content_text"),
            "published": entry.get("date_published"), "modified": entry.get("date_modified")}


def rebuild_store(path: Path, items: Iterator[dict[str, Any]]) -> int:
    """A new article store at ``path`` from ``items``; returns its article count."""
    store = SqliteArticleStore(path)
    try:
        store.db.execute("BEGIN")
        for item in items:
            store.db.execute(MERGE_ARTICLE, _article_row(item))
        store.db.execute("COMMIT")
        return store.count()
    finally:
        store.close()


def _article_row(item: dict[str, Any]) -> dict[str, Any]:
    return {"article_id": item.get("article_id") or item.get("url") or "", "url": item.get("url") or "",
            "published": item.get("published"), "modified": item.get("modified"),
            "digest": content_digest(ItemAdapter(item)), "seen_at": item.get("fetched_at") or "",
            "version": int(item.get("version") or 1)}


# --- the digest index ----------------------------------------------------------------


def rebuild_digests(path: Path, warc_dir: Path) -> int:
    """A new digest index beside the WARC files; returns how many digests it holds."""
    index = DigestIndex(path.parent)
    try:
        for path_ in sorted(warc_dir.glob(f"*{WARC_SUFFIX}")):
            with open(path_, "rb") as fh:
                for record in ArchiveIterator(fh):
                    _remember(index, record)
        return len(index)
    finally:
        index.close()


def _remember(index: DigestIndex, record: Any) -> None:
    if record.rec_type != "response":
        return
    get = record.rec_headers.get_header
    digest = get("WARC-Payload-Digest")
    if digest and digest != EMPTY_PAYLOAD:
        index.add(digest, Original(get("WARC-Target-URI"), get("WARC-Date"), get("WARC-Record-ID")))
