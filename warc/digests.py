"""Payload digests already in the archive, so repeats become revisit records.

The index lives beside the WARC files it describes (``digests.sqlite3`` in the
archive directory): a revisit is only replayable together with the record it
points to, so the two must travel together. SQLite in WAL mode with a busy
timeout lets several crawler processes share one directory.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from warc.sqlite_wal import connect_wal

logger = logging.getLogger(__name__)

DB_NAME = "digests.sqlite3"
BUSY_TIMEOUT_MS = 30_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS payload_digests (
    digest     TEXT PRIMARY KEY,
    target_uri TEXT NOT NULL,
    warc_date  TEXT NOT NULL,
    record_id  TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class Original:
    """The first response record seen with a given payload digest."""

    target_uri: str
    warc_date: str
    record_id: str


class DigestIndex:
    """Map payload digest -> the response record that first stored it."""

    def __init__(self, directory: str | Path) -> None:
        self.path = Path(directory) / DB_NAME
        # autocommit mode: every insert is its own short transaction, so a
        # crash never leaves a half-written batch and other writers are not
        # blocked by a long-held lock.
        self._db = connect_wal(self.path, BUSY_TIMEOUT_MS)
        # NORMAL is durable against process crashes in WAL mode; only an OS
        # crash may lose the last commits, which merely costs a duplicate.
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.execute(_SCHEMA)

    def lookup(self, digest: str) -> Original | None:
        row = self._db.execute(
            "SELECT target_uri, warc_date, record_id FROM payload_digests WHERE digest = ?",
            (digest,),
        ).fetchone()
        return Original(*row) if row else None

    def add(self, digest: str, original: Original) -> bool:
        """Remember ``digest`` unless known; True if this call stored it.

        The first writer wins: another process may have stored the same
        payload meanwhile, and its record is just as valid a revisit target.
        """
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO payload_digests VALUES (?, ?, ?, ?)",
            (digest, original.target_uri, original.warc_date, original.record_id),
        )
        return cursor.rowcount == 1

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM payload_digests").fetchone()[0])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> DigestIndex:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
