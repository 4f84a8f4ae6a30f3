"""Rebuilds the edit history from the item metadata records of WARC files alone.

Each article item a crawl wrote is also a ``metadata`` record in its WARC
(docs/warc.md): the item as the JSON Feed has it. Read back in order of
capture, an article's records give its versions: a text that differs from
the one before it is a new version, the same text again is not. Records are
staged in a temporary table, so memory does not grow with the archive.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from crawler.state.versions import VersionHistory, pack_text, text_digest, unpack_text
from warc.paths import expand_paths
from warc.records import Fault, iter_records

logger = logging.getLogger(__name__)

STAGE = """
CREATE TEMP TABLE IF NOT EXISTS staged_versions (
    article_id TEXT NOT NULL, fetched_at TEXT NOT NULL, recorded_at TEXT NOT NULL,
    url TEXT NOT NULL, source TEXT NOT NULL, digest BLOB NOT NULL, text BLOB NOT NULL)
"""


def fields_from_feed_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """The item fields of a JSON Feed item (crawler/exporters.py feed_item, reversed)."""
    fields = dict(entry.get("_sputnik") or {})
    fields.update(
        url=entry.get("url"), title=entry.get("title"), description=entry.get("summary"),
        body=entry.get("content_text"), published=entry.get("date_published"),
        modified=entry.get("date_modified"), keywords=list(entry.get("tags") or []),
        authors=[author.get("name") for author in entry.get("authors") or []],
        image=entry.get("image"), language=entry.get("language"))
    return fields


def item_records(paths: list[str]) -> Iterator[tuple[dict[str, Any], str]]:
    """(item fields, WARC-Date) of every item metadata record in the files."""
    for path in paths:
        with open(path, "rb") as fh:
            for record in iter_records(fh):
                if isinstance(record, Fault):
                    logger.warning("Skipped a damaged WARC record in %s at offset %d: %s",
                                   path, record.offset, record.detail)
                    continue
                found = _item_of(record)
                if found is not None:
                    yield found


def _item_of(record: Any) -> tuple[dict[str, Any], str] | None:
    if record.rec_type != "metadata" or "json" not in (record.header("Content-Type") or ""):
        record.finish()
        return None
    payload = record.read_rest()
    try:
        entry = json.loads(payload or b"")
    except ValueError:
        return None
    # Web-archive captures have metadata records of their own (crawl, file, offset).
    if not isinstance(entry, dict) or "_sputnik" not in entry:
        return None
    return fields_from_feed_entry(entry), record.header("WARC-Date") or ""


def rebuild(history: VersionHistory, spec: str) -> int:
    """Replaces the stored versions with those of the archive; returns how many."""
    db = history.db
    db.execute(STAGE)
    db.execute("DELETE FROM staged_versions")
    for fields, written_at in item_records(expand_paths(spec)):
        _stage(history, fields, written_at)
    db.execute("BEGIN IMMEDIATE")
    try:
        history.clear()
        count = _number_versions(history)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("DELETE FROM staged_versions")
    return count


def _stage(history: VersionHistory, fields: dict[str, Any], written_at: str) -> None:
    article_id = fields.get("article_id") or fields.get("url")
    # A removal item repeats the last text, or has none: not a version.
    if not article_id or fields.get("removed"):
        return
    digest = text_digest(fields)
    history.db.execute(
        "INSERT INTO staged_versions VALUES (?, ?, ?, ?, ?, ?, ?)",
        (article_id, fields.get("fetched_at") or written_at, written_at, fields.get("url") or "",
         json.dumps(fields.get("source") or {}, sort_keys=True), digest, pack_text(fields)))


def _number_versions(history: VersionHistory) -> int:
    """Versions in capture order; the same body as the version before is not a new one
    (the rule the dedupe pipeline applies when crawling)."""
    rows = history.db.execute(
        "SELECT article_id, fetched_at, recorded_at, url, source, digest, text"
        " FROM staged_versions ORDER BY article_id, fetched_at, recorded_at")
    count, previous, version = 0, (None, None), 0
    for article_id, fetched_at, recorded_at, url, source, digest, text in rows:
        if (article_id, digest) == previous:
            continue
        version = version + 1 if article_id == previous[0] else 1
        previous = (article_id, digest)
        fields = {**unpack_text(text), "article_id": article_id, "url": url,
                  "fetched_at": fetched_at, "source": json.loads(source)}
        count += history.record(fields, version, recorded_at)
    return count
