"""Several processes opening one new WAL database at the same moment (warc.sqlite_wal).

Two distributed workers starting together on a new archive directory got
"database is locked" from the switch to WAL, which SQLite answers without
waiting for the busy timeout, and the crawl stopped with warc_write_error.
"""
from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

from warc.sqlite_wal import connect_wal

OPENERS = 6
ROUNDS = 15


def _open(path: str, barrier: multiprocessing.synchronize.Barrier, failures: multiprocessing.Queue) -> None:
    barrier.wait()
    try:
        db = connect_wal(path, 30_000)
        db.execute("CREATE TABLE IF NOT EXISTS t (a TEXT PRIMARY KEY)")
        db.close()
    except sqlite3.Error as e:
        failures.put(str(e))


def test_processes_opening_a_new_database_together_all_get_it_in_wal_mode(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    failures = context.Queue()
    for round_ in range(ROUNDS):
        path = str(tmp_path / f"db{round_}.sqlite3")
        barrier = context.Barrier(OPENERS)
        openers = [context.Process(target=_open, args=(path, barrier, failures)) for _ in range(OPENERS)]
        for opener in openers:
            opener.start()
        for opener in openers:
            opener.join(60)
        assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert failures.empty(), failures.get()


def test_a_file_that_is_not_a_database_still_fails_at_once(tmp_path: Path) -> None:
    path = tmp_path / "not.sqlite3"
    path.write_bytes(b"not a database at all" * 100)
    try:
        connect_wal(path, 30_000)
    except sqlite3.DatabaseError as e:
        assert "not a database" in str(e)
    else:
        raise AssertionError("a garbage file opened as a database")
