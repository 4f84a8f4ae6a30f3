"""The corpus as one SQLite database, ready for ``datasette OUT.db``.

- ``versions``: one row per article version (numbered in capture order), with
  its provenance; ``versions_fts`` is an FTS5 index over title, description
  and body, which Datasette finds and offers as full-text search.
  Live entries, audio, gallery and video are JSON text columns (SQLite's
  json_extract and Datasette read them).
- ``keywords``, ``authors`` and ``credits``: one row per keyword / author /
  credited agency of a version, in page order, pointing at ``versions.id`` (Datasette links and facets them).
- ``removals``: articles found gone, from the edit history.

The database is written beside its final name and renamed over it, so a
reader never opens half an export.
"""
from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from crawler.state.versions import Removal, origin_of

SCHEMA = """
CREATE TABLE versions (
    id INTEGER PRIMARY KEY, article_id TEXT NOT NULL, version INTEGER, url TEXT, site TEXT,
    title TEXT, description TEXT, body TEXT, published TEXT, modified TEXT, section TEXT,
    image TEXT, language TEXT, publisher TEXT, fetched_at TEXT, origin TEXT, source TEXT,
    removed_at TEXT, edition TEXT, kind TEXT, live_entries TEXT, audio TEXT, gallery TEXT,
    video TEXT
);
CREATE TABLE keywords (
    version_id INTEGER NOT NULL REFERENCES versions(id), position INTEGER NOT NULL,
    keyword TEXT NOT NULL
);
CREATE TABLE authors (
    version_id INTEGER NOT NULL REFERENCES versions(id), position INTEGER NOT NULL,
    name TEXT NOT NULL
);
CREATE TABLE credits (
    version_id INTEGER NOT NULL REFERENCES versions(id), position INTEGER NOT NULL,
    agency TEXT NOT NULL
);
CREATE TABLE removals (
    article_id TEXT PRIMARY KEY, url TEXT, first_gone TEXT, last_checked TEXT, reason TEXT,
    location TEXT
);
CREATE INDEX versions_article ON versions(article_id, fetched_at);
CREATE INDEX keywords_keyword ON keywords(keyword);
CREATE INDEX authors_name ON authors(name);
CREATE INDEX credits_agency ON credits(agency);
-- content=[versions], bracketed, is the form by which Datasette finds the index.
CREATE VIRTUAL TABLE versions_fts USING fts5(
    title, description, body, content=[versions], content_rowid=[id]
);
"""

COLUMNS = ("article_id", "url", "site", "title", "description", "body", "published", "modified",
           "section", "image", "language", "publisher", "fetched_at", "edition", "kind")
JSON_COLUMNS = ("live_entries", "audio", "gallery", "video")
LIST_TABLES = (("keywords", "keywords"), ("authors", "authors"), ("credits", "credits"))

# Versions in capture order per article; the item's own number is what one run
# saw, the export numbers all the versions it holds.
NUMBER_VERSIONS = """
UPDATE versions SET version = numbered.n FROM (
    SELECT id, row_number() OVER (PARTITION BY article_id ORDER BY fetched_at, id) AS n
    FROM versions) AS numbered
WHERE versions.id = numbered.id
"""


def json_text(value: Any) -> str | None:
    """A nested field as JSON; an empty list (a page with none) as NULL, like a missing one."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else None


def insert_version(db: sqlite3.Connection, fields: dict[str, Any]) -> None:
    values = [fields.get("article_id") or fields.get("url")]
    values += [fields.get(column) for column in COLUMNS[1:]]
    values += [json_text(fields.get(column)) for column in JSON_COLUMNS]
    source = fields.get("source") or {}
    names = [*COLUMNS, *JSON_COLUMNS, "origin", "source"]
    cursor = db.execute(
        f"INSERT INTO versions ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
        [*values, origin_of(source), json.dumps(source, sort_keys=True)])
    version_id = cursor.lastrowid
    for table, field in LIST_TABLES:
        db.executemany(f"INSERT INTO {table} VALUES (?, ?, ?)",
                       [(version_id, i, str(v)) for i, v in enumerate(fields.get(field) or [])])


def finish(db: sqlite3.Connection, removals: list[Removal]) -> None:
    db.executemany("INSERT INTO removals VALUES (?, ?, ?, ?, ?, ?)",
                   [(r.article_id, r.url, r.first_gone, r.last_checked, r.reason, r.location)
                    for r in removals])
    db.execute("UPDATE versions SET removed_at = (SELECT first_gone FROM removals"
               " WHERE removals.article_id = versions.article_id)")
    db.execute(NUMBER_VERSIONS)
    db.execute("INSERT INTO versions_fts(versions_fts) VALUES ('rebuild')")


def write_database(out: Path, versions: Iterable[dict[str, Any]],
                   removals: list[Removal]) -> int:
    """Writes the database; returns the number of versions in it."""
    partial = out.with_name(out.name + ".part")
    partial.unlink(missing_ok=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(partial)
    try:
        db.executescript(SCHEMA)
        with db:
            for fields in versions:
                insert_version(db, fields)
            finish(db, removals)
        count = int(db.execute("SELECT count(*) FROM versions").fetchone()[0])
    finally:
        db.close()
    os.replace(partial, out)
    return count
