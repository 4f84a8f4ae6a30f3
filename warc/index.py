"""The archive's CDXJ index: one sorted ``index.cdxj`` beside the WARC files.

Lines come from cdxj-indexer, the indexer pywb's own tooling uses, so the
index is exactly what ``wb-manager reindex`` would produce for these files:
``<surt> <14-digit timestamp> {"url", "mime", "status", "digest", "length",
"offset", "filename"}``. Only response and revisit records are indexed;
requests, metadata and warcinfo are not replayable captures.

A file this project's writer wrote is not read back when it closes: the
writer keeps the plain head of each response and revisit it appends (WARC
headers and HTTP head, a few hundred bytes), and ``lines_from_heads`` hands
each to cdxj-indexer as warcio parses it from the file, with the offset and
length the writer knows. The lines are the same, to the byte
(tests/test_warc_index.py compares them with a reading of the file), at
about a fifth of the cost, and a rotation no longer stalls the crawl while
a 1 GB file is read again. A file with a record whose head is not known
(a foreign record too big to peek at, one without a payload digest) and
every recovered file are read whole, as before.

Each closed WARC file is merged in on its own. The merge streams the old
index, replaces any lines the file had before (re-indexing a recovered file is
idempotent), and swaps the result in atomically under a lock file, so several
writers may share one directory.

The index is derived data: a line that cannot be read (a disk error, a hand
edit) is dropped at the next merge with one WARNING naming the file and line,
and counted (``index/bad_lines``); a closed WARC file with no line in the index
is indexed when an archive opens (``reconcile``, ``index/files_reindexed``);
``python -m warc.index rebuild DIR`` rebuilds the whole index from the files.
"""

from __future__ import annotations

import argparse
import fcntl
import heapq
import io
import json
import logging
import os
import tempfile
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

with warnings.catch_warnings():
    # cdxj-indexer imports pyamf (for Flash POST bodies), which imports the
    # deprecated pkg_resources; nothing here uses it.
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    from cdxj_indexer.main import CDXJIndexer
from warcio.recordloader import ArcWarcRecordLoader

from warc.files import OPEN_SUFFIX, WARC_SUFFIX, fsync_directory

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


class _At:
    """Where a record lies, as cdxj-indexer asks its record iterator."""

    def __init__(self, offset: int, length: int) -> None:
        self.offset, self.length = offset, length

    def get_record_offset(self) -> int:
        return self.offset

    def get_record_length(self) -> int:
        return self.length


def lines_from_heads(heads: Iterable[tuple[int, int, bytes]], filename: str) -> list[str] | None:
    """CDXJ lines (unsorted) of records known by (offset, length, plain head),
    or None when one of them cannot be indexed from its head alone.

    The head is the record's start, uncompressed: WARC headers, the blank
    line and the HTTP head. cdxj-indexer reads nothing else of a record that
    states its payload digest; one that does not would be hashed from its
    payload, which is not at hand.
    """
    out = io.StringIO()
    indexer = CDXJIndexer(out, [], records=INDEXED_RECORDS, filename=filename)
    indexer.curr_filename = filename
    loader = ArcWarcRecordLoader(verify_http=False, arc2warc=True)
    for offset, length, head in heads:
        try:
            record = loader.parse_record_stream(io.BytesIO(head))
        except Exception:  # whatever warcio makes of a head it cannot parse
            return None
        if not indexer.filter_record(record):
            continue
        if not record.rec_headers.get_header("WARC-Payload-Digest"):
            return None
        indexer.process_index_entry(_At(offset, length), record, filename, out)
    return out.getvalue().splitlines(keepends=True)


class FileLines:
    """The CDXJ lines of one WARC file, gathered as its writer appends records.

    Heads wait in memory up to HEADS_BUDGET bytes, then become lines (about a
    quarter of their size). A file whose lines would pass LINES_BUDGET (some
    200,000 captures), or with a record whose head is unknown, is given up on:
    ``lines()`` says None and the file is read when it closes, as any other.
    """

    HEADS_BUDGET = 8 * 1024 * 1024
    LINES_BUDGET = 64 * 1024 * 1024

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.known = True
        self._heads: list[tuple[int, int, bytes]] = []
        self._head_bytes = 0
        self._lines: list[str] = []
        self._line_bytes = 0

    def add(self, offset: int, length: int, head: bytes | None) -> None:
        """A response or revisit appended at ``offset`` (head None: not known)."""
        if not self.known:
            return
        if head is None:
            self._give_up()
            return
        self._heads.append((offset, length, head))
        self._head_bytes += len(head)
        if self._head_bytes > self.HEADS_BUDGET:
            self._make_lines()

    def lines(self) -> list[str] | None:
        """The file's sorted lines, or None: read the file."""
        self._make_lines()
        return sorted(self._lines) if self.known else None

    def _make_lines(self) -> None:
        if not self.known or not self._heads:
            return
        lines = lines_from_heads(self._heads, self.filename)
        self._heads, self._head_bytes = [], 0
        if lines is None:
            self._give_up()
            return
        self._lines.extend(lines)
        self._line_bytes += sum(map(len, lines))
        if self._line_bytes > self.LINES_BUDGET:
            self._give_up()

    def _give_up(self) -> None:
        self.known = False
        self._heads, self._lines = [], []


def line_filename(line: str) -> str:
    """The ``filename`` field of a CDXJ line; ValueError if the line has none."""
    try:
        return str(json.loads(line.split(" ", 2)[2])["filename"])
    except (IndexError, KeyError, TypeError, ValueError) as e:
        raise ValueError(f"not a CDXJ line: {line[:80]!r}") from e


def merge_file(directory: str | Path, warc_path: str | Path, filename: str | None = None,
               counts: Counter[str] | None = None, lines: list[str] | None = None) -> int:
    """Put the lines of ``warc_path`` into ``directory/index.cdxj``; returns their count.

    ``lines``: the file's sorted lines, when the writer made them; else the
    file is read."""
    directory = Path(directory)
    name = filename or Path(warc_path).name
    new_lines = lines if lines is not None else cdxj_lines(warc_path, name)
    with _index_lock(directory):
        index_path = directory / INDEX_NAME
        _rewrite(index_path, _without_file(index_path, name, counts), new_lines)
    logger.debug("Indexed %s lines of %s", len(new_lines), name)
    return len(new_lines)


def rebuild(directory: str | Path, warc_paths: Iterable[str | Path]) -> int:
    """Replace the index with the lines of ``warc_paths`` alone."""
    directory = Path(directory)
    lines = sorted(line for path in warc_paths for line in cdxj_lines(path))
    with _index_lock(directory):
        _rewrite(directory / INDEX_NAME, iter(()), lines)
    return len(lines)


def closed_warc_files(directory: str | Path) -> list[Path]:
    """The finished WARC files of ``directory`` (not ``.open`` ones), by name."""
    return sorted(p for p in Path(directory).iterdir() if p.name.endswith(WARC_SUFFIX) and p.is_file())


def reconcile(directory: str | Path, counts: Counter[str] | None = None) -> list[Path]:
    """Index every closed WARC file that has no line in the index; returns them.

    A file is closed only after its lines are in the index, so a closed file
    without any means the index was lost or damaged since.
    """
    directory = Path(directory)
    with _index_lock(directory):
        indexed = _indexed_names(directory / INDEX_NAME)
        missing = [p for p in closed_warc_files(directory) if p.name not in indexed]
    reindexed = []
    for path in missing:
        try:
            if not cdxj_lines(path):
                continue  # nothing replayable in it (metadata records only)
        except Exception as e:  # noqa: BLE001
            # cdxj-indexer fails on damaged files in many ways (ArchiveLoadFailed,
            # AttributeError on a record without a URI, zlib errors...); one bad
            # file must not stop an archive from opening.
            logger.warning("%s cannot be indexed (%s): left out of %s", path, e, INDEX_NAME)
            continue
        logger.warning("%s had no line in %s: indexing it again", path.name, directory / INDEX_NAME)
        merge_file(directory, path, counts=counts)
        reindexed.append(path)
    if counts is not None and reindexed:
        counts["index/files_reindexed"] += len(reindexed)
    return reindexed


def read_index(directory: str | Path) -> list[str]:
    path = Path(directory) / INDEX_NAME
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as fh:
        return fh.readlines()


def _indexed_names(index_path: Path) -> set[str]:
    names = set()
    for _, line in _numbered_lines(index_path):
        try:
            names.add(line_filename(line))
        except ValueError:
            pass  # counted when the index is next rewritten
    return names


def _numbered_lines(index_path: Path) -> Iterator[tuple[int, str]]:
    if not index_path.exists():
        return
    # Bytes that are not UTF-8 are a damaged line like any other.
    with open(index_path, encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, 1):
            if line.strip():
                yield number, line


def _without_file(index_path: Path, name: str, counts: Counter[str] | None = None) -> Iterator[str]:
    """The index's lines other than ``name``'s, unreadable ones left out."""
    bad: list[int] = []
    for number, line in _numbered_lines(index_path):
        try:
            if line_filename(line) != name:
                yield line if line.endswith("\n") else line + "\n"
        except ValueError:
            bad.append(number)
    if bad:
        if counts is not None:
            counts["index/bad_lines"] += len(bad)
        logger.warning("Dropped %s unreadable line(s) of %s (line %s%s); "
                       "`python -m warc.index rebuild %s` rebuilds it from the WARC files",
                       len(bad), index_path, bad[0], " and later" if len(bad) > 1 else "",
                       index_path.parent)


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m warc.index", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["rebuild"], help="rebuild: index every closed WARC file anew")
    parser.add_argument("directory", type=Path, help="the archive directory (WARC_DIR), e.g. output/warc")
    args = parser.parse_args(argv)
    files = closed_warc_files(args.directory)
    count = rebuild(args.directory, files)
    print(f"Rebuilt {args.directory / INDEX_NAME}: {count} lines from {len(files)} WARC files")
    orphans = [p.name for p in args.directory.iterdir() if p.name.endswith(WARC_SUFFIX + OPEN_SUFFIX)]
    if orphans:
        print(f"Not indexed, still open or left by a crashed run (the next crawl into the "
              f"directory recovers them): {', '.join(sorted(orphans))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
