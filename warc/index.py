"""The archive's CDXJ index: one sorted ``index.cdxj`` beside the WARC files.

Lines come from cdxj-indexer, the indexer pywb's own tooling uses, so the
index is exactly what ``wb-manager reindex`` would produce for these files:
``<surt> <14-digit timestamp> {"url", "mime", "status", "digest", "length",
"offset", "filename"}``. Only response and revisit records are indexed;
requests, metadata and warcinfo are not replayable captures.

Each closed WARC file is merged in on its own. The merge streams the old
index, replaces any lines the file had before (re-indexing a recovered file is
idempotent), and swaps the result in atomically under a lock file, so several
writers may share one directory.
"""

from __future__ import annotations

import fcntl
import heapq
import io
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

with warnings.catch_warnings():
    # cdxj-indexer imports pyamf (for Flash POST bodies), which imports the
    # deprecated pkg_resources; nothing here uses it.
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    from cdxj_indexer.main import CDXJIndexer

from warc.files import fsync_directory

logger = logging.getLogger(__name__)

INDEX_NAME = "index.cdxj"
LOCK_NAME = "index.cdxj.lock"
INDEXED_RECORDS = "response,revisit"


def cdxj_lines(warc_path: str | Path, filename: str | None = None) -> list[str]:
    """Sorted CDXJ lines (with newline) for the captures in one WARC file.

    ``filename`` is what the lines call the file; by default its base name,
    i.e. relative to the directory the index sits in.
    """
    out = io.StringIO()
    indexer = CDXJIndexer(out, [str(warc_path)], sort=True, records=INDEXED_RECORDS,
                          filename=filename or Path(warc_path).name)
    indexer.process_all()
    return out.getvalue().splitlines(keepends=True)


def line_filename(line: str) -> str:
    """The ``filename`` field of a CDXJ line."""
    return str(json.loads(line.split(" ", 2)[2])["filename"])


def merge_file(directory: str | Path, warc_path: str | Path, filename: str | None = None) -> int:
    """Put the lines of ``warc_path`` into ``directory/index.cdxj``; returns their count."""
    directory = Path(directory)
    name = filename or Path(warc_path).name
    new_lines = cdxj_lines(warc_path, name)
    with _index_lock(directory):
        _rewrite(directory / INDEX_NAME, _without_file(directory / INDEX_NAME, name), new_lines)
    logger.debug("Indexed %s lines of %s", len(new_lines), name)
    return len(new_lines)


def rebuild(directory: str | Path, warc_paths: Iterable[str | Path]) -> int:
    """Replace the index with the lines of ``warc_paths`` alone."""
    directory = Path(directory)
    lines = sorted(line for path in warc_paths for line in cdxj_lines(path))
    with _index_lock(directory):
        _rewrite(directory / INDEX_NAME, iter(()), lines)
    return len(lines)


def read_index(directory: str | Path) -> list[str]:
    path = Path(directory) / INDEX_NAME
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as fh:
        return fh.readlines()


def _without_file(index_path: Path, name: str) -> Iterator[str]:
    if not index_path.exists():
        return
    with open(index_path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip() and line_filename(line) != name:
                yield line


def _rewrite(index_path: Path, old_lines: Iterator[str], new_lines: list[str]) -> None:
    """Write the sorted merge next to the index, then swap it in.

    Readers (pywb) see either the old or the new index, never a half one.
    Both inputs are sorted, so the merge streams and never holds the index.
    """
    fd, tmp_name = tempfile.mkstemp(prefix=".index-", suffix=".cdxj.tmp", dir=index_path.parent)
    try:
        # mkstemp creates 0600; replay tools often run as another user.
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.writelines(heapq.merge(old_lines, new_lines))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp_name, index_path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    fsync_directory(index_path.parent)


class _index_lock:
    """Exclusive lock on ``index.cdxj.lock`` for one read-merge-replace cycle."""

    def __init__(self, directory: Path) -> None:
        self._path = directory / LOCK_NAME
        self._fd = -1

    def __enter__(self) -> None:
        self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *exc_info: object) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
