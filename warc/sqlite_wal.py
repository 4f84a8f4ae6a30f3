"""Opening an SQLite file in WAL mode that several processes may open at once.

Shared by the archive's digest index and the crawler's stores, which workers
and concurrent runs open at the same moment. Switching a database to WAL takes
an exclusive lock, and SQLite answers "database is locked" at once, without
calling the busy handler, when another process holds the file in that instant
(seen when two distributed workers started together on a new archive
directory). The switch is retried for as long as the busy timeout allows.
"""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path

RETRY_PAUSE_S = 0.05


def connect_wal(path: str | Path, busy_timeout_ms: int) -> sqlite3.Connection:
    """An autocommit connection with the busy timeout set and WAL on."""
    db = sqlite3.connect(path, timeout=busy_timeout_ms / 1000, isolation_level=None)
    try:
        db.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
        _switch_to_wal(db, time.monotonic() + busy_timeout_ms / 1000)
    except BaseException:
        db.close()
        raise
    return db


def _switch_to_wal(db: sqlite3.Connection, deadline: float) -> None:
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as e:
            if not _is_lock_contention(e) or time.monotonic() >= deadline:
                raise
            time.sleep(RETRY_PAUSE_S)


def _is_lock_contention(error: sqlite3.OperationalError) -> bool:
    message = str(error)
    return "locked" in message or "busy" in message
