"""WARC files on disk: IIPC-style names, serials, and orphans of crashed runs.

A file is written as ``<name>.warc.gz.open`` and renamed when closed, so any
``*.warc.gz`` is complete. A crashed writer leaves its ``.open`` file behind;
the next archive opened in the directory, by any writer, finds it unlocked
and ``recover_orphan`` keeps every complete record of it: a record is one gzip
member and is flushed as a whole, so everything up to the last complete
member is a valid WARC file and only a torn tail is cut away.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

logger = logging.getLogger(__name__)

WARC_SUFFIX = ".warc.gz"
OPEN_SUFFIX = ".open"
READ_SIZE = 1024 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_DOTS = re.compile(r"\.{2,}")


def sanitise(part: str, fallback: str = "unknown") -> str:
    """Make ``part`` safe inside a file name: no separators, no ``..``.

    Leading dots go too, so a part can never make a hidden file.
    """
    cleaned = _DOTS.sub(".", _UNSAFE.sub("_", part)).strip(".")
    return cleaned or fallback


@dataclass(frozen=True)
class FileNamer:
    """``<prefix>-<YYYYmmddHHMMSS>-<serial>-<host>[-<worker>].warc.gz``."""

    prefix: str
    host: str
    worker_id: str | None = None

    @property
    def identity(self) -> str:
        host = sanitise(self.host)
        return f"{host}-{sanitise(self.worker_id)}" if self.worker_id else host

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(
            rf"{re.escape(sanitise(self.prefix))}-\d{{14}}-(\d{{5,}})-"
            rf"{re.escape(self.identity)}{re.escape(WARC_SUFFIX)}(?:{re.escape(OPEN_SUFFIX)})?"
        )

    def name(self, when: datetime, serial: int) -> str:
        if when.tzinfo is not None:
            when = when.astimezone(timezone.utc)
        stamp = when.strftime("%Y%m%d%H%M%S")
        return f"{sanitise(self.prefix)}-{stamp}-{serial:05d}-{self.identity}{WARC_SUFFIX}"

    def last_serial(self, directory: Path) -> int:
        """Highest serial of this writer's files in ``directory``, -1 if none.

        Continuing from it keeps serials increasing across runs, so sorting
        names by serial gives crawl order even within one second.
        """
        serials = [int(m.group(1)) for m in map(self.pattern.fullmatch, _names(directory)) if m]
        return max(serials, default=-1)

    def owns(self, name: str) -> bool:
        return self.pattern.fullmatch(name) is not None


def _names(directory: Path) -> list[str]:
    return [entry.name for entry in os.scandir(directory) if entry.is_file()]


def lock_exclusive(fh: BinaryIO | int) -> bool:
    """Take a non-blocking exclusive lock; False if another process holds it.

    The writer holds this lock on its ``.open`` file for the file's whole
    life, which is how recovery tells a live file from an orphan.
    """
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def complete_members_end(fh: BinaryIO) -> int:
    """Offset just past the last complete gzip member holding a WARC record."""
    fh.seek(0)
    good_end = offset = 0
    inflater, started, pending = zlib.decompressobj(16 + zlib.MAX_WBITS), False, b""
    while True:
        data = pending or fh.read(READ_SIZE)
        if not data:
            return good_end
        try:
            text = inflater.decompress(data)
        except zlib.error:
            return good_end
        if not started and text:
            # Our writer only writes WARC records; anything else is junk.
            if not text.lstrip(b"\r\n").startswith(b"WARC/"):
                return good_end
            started = True
        if inflater.eof:
            pending = inflater.unused_data
            offset += len(data) - len(pending)
            good_end = offset
            inflater, started = zlib.decompressobj(16 + zlib.MAX_WBITS), False
        else:
            offset += len(data)
            pending = b""


def final_name(open_path: Path) -> Path:
    return open_path.with_name(open_path.name.removesuffix(OPEN_SUFFIX))


def find_orphans(directory: Path) -> list[Path]:
    """Every ``.open`` file in ``directory``, whoever wrote it, by name.

    A live writer holds the lock on its file (``lock_exclusive``), so
    ``recover_orphan`` leaves it alone; a file nobody holds is an orphan,
    whether its writer was this process's predecessor or a killed worker of
    a distributed crawl sharing the directory (whose id may never come
    back). The lock is flock(2): a directory shared by several hosts needs a
    file system where it holds across them (local disk, NFSv4).
    """
    names = [n for n in _names(directory) if n.endswith(WARC_SUFFIX + OPEN_SUFFIX)]
    return [directory / n for n in sorted(names)]


def recover_orphan(open_path: Path) -> Path | None:
    """Trim ``open_path`` to its complete records and rename it to its final name.

    Returns the final path, or None when the file is locked by a live writer
    or held no complete record at all (then it is removed: there is nothing
    a reader could use in it).
    """
    try:
        fh = open(open_path, "r+b")
    except FileNotFoundError:
        return None  # its writer closed it after we listed the directory
    with fh:  # the lock is held until the file has its final name
        if not lock_exclusive(fh):
            logger.info("Skipping %s: another process is writing it", open_path)
            return None
        end = _trim_to_complete(fh, open_path)
        if end == 0:
            logger.warning("Removing %s: no complete record in it", open_path)
            open_path.unlink()
            return None
        target = final_name(open_path)
        os.replace(open_path, target)
        fsync_directory(open_path.parent)
    logger.warning("Recovered %s from a crashed run (%s bytes kept)", target, end)
    return target


def _trim_to_complete(fh: BinaryIO, open_path: Path) -> int:
    size = os.fstat(fh.fileno()).st_size
    end = complete_members_end(fh)
    if end < size:
        logger.warning("Recovering %s: cut %s bytes of an incomplete record at offset %s",
                       open_path, size - end, end)
        fh.truncate(end)
        os.fsync(fh.fileno())
    return end


def fsync_directory(directory: Path) -> None:
    """Make a rename durable: it is stored in the directory, not the file."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
