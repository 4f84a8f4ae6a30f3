"""A JOBDIR request queue that checks its file when it opens (``SCHEDULER_DISK_QUEUE``).

Scrapy's pickle LIFO disk queue (queuelib's ``LifoDiskQueue``) is one file:
a 4-byte entry count, then each entry followed by its 4-byte length. The
count is rewritten only on a clean close. A crawl stopped cleanly (SIGTERM,
scrapyd cancel) and then killed after resuming leaves a count larger than
what the file holds, and every later resume pops past the start of the file
and fails with ``OSError: [Errno 22]`` every few seconds, for ever.

So when a queue file opens, its entries are counted by walking the lengths
back from the end. A walk that lands exactly on the header is a sound file:
its count is set to what was found (``scheduler/disk_queue/recounted``). A
walk that does not (a kill tore the last entry) cannot be trusted at all, as
entries are only readable from the end: the file is emptied
(``scheduler/disk_queue/discarded``, ``…/discarded_requests`` the count it
claimed). Either way one WARNING names the JOBDIR. Nothing is lost for good:
each run yields its discovery requests again and its duplicate filter is per
run (crawler/dupefilter.py), so the article store decides what is fetched.
An entry that still cannot be unpickled is skipped and counted
(``scheduler/disk_queue/bad_entry``).
"""
from __future__ import annotations

import logging
import os
import pickle
import struct
import weakref
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.squeues import PickleLifoDiskQueue

logger = logging.getLogger(__name__)

LENGTH = struct.Struct(">L")
# Crawlers that had their one WARNING already.
_warned: weakref.WeakSet[Crawler] = weakref.WeakSet()


def count_entries(path: Path) -> int | None:
    """Entries of a LIFO queue file, walking lengths back from its end; None if torn."""
    with open(path, "rb") as fh:
        position = os.fstat(fh.fileno()).st_size
        count = 0
        while position > LENGTH.size:
            fh.seek(position - LENGTH.size)
            (length,) = LENGTH.unpack(fh.read(LENGTH.size))
            position -= LENGTH.size + length
            count += 1
        return count if position == LENGTH.size else None


def stored_count(path: Path) -> int | None:
    with open(path, "rb") as fh:
        head = fh.read(LENGTH.size)
    return LENGTH.unpack(head)[0] if len(head) == LENGTH.size else None


def write_count(path: Path, count: int, truncate: bool = False) -> None:
    with open(path, "r+b") as fh:
        if truncate:
            fh.truncate(LENGTH.size)
        fh.write(LENGTH.pack(count))
        fh.flush()
        os.fsync(fh.fileno())


class CheckedLifoDiskQueue(PickleLifoDiskQueue):
    """Scrapy's pickle LIFO disk queue, its file checked and repaired on open."""

    def __init__(self, crawler: Crawler, key: str) -> None:
        path = Path(key)
        if path.is_file():
            _repair(crawler, path)
        super().__init__(crawler, key)
        self.stats = crawler.stats

    def pop(self) -> Request | None:
        while True:
            try:
                return super().pop()
            except (pickle.UnpicklingError, EOFError, ValueError, AttributeError,
                    ImportError, IndexError, TypeError) as e:
                # The entry is off the file already: the next one is readable.
                self.stats.inc_value("scheduler/disk_queue/bad_entry")
                logger.info("Skipped a request of the JOBDIR queue %s that cannot be read: %s",
                            self.path, e)


def _repair(crawler: Crawler, path: Path) -> None:
    claimed, found = stored_count(path), count_entries(path)
    if claimed is not None and claimed == found:
        return
    if found is None:
        write_count(path, 0, truncate=True)
        crawler.stats.inc_value("scheduler/disk_queue/discarded")
        crawler.stats.inc_value("scheduler/disk_queue/discarded_requests", claimed or 0)
        _warn(crawler, "the queue file %s is torn at its end; its %s requests were discarded "
              "(the crawl's discovery finds them again)", path, claimed or 0)
    else:
        write_count(path, found)
        crawler.stats.inc_value("scheduler/disk_queue/recounted")
        _warn(crawler, "the queue file %s claimed %s requests but holds %s; recounted",
              path, claimed, found)


def _warn(crawler: Crawler, message: str, *args: Any) -> None:
    """One WARNING per crawl; later repairs of the same JOBDIR go to INFO."""
    level = logging.INFO if crawler in _warned else logging.WARNING
    _warned.add(crawler)
    logger.log(level, "JOBDIR %s was not closed cleanly (the last run was killed): " + message,
               crawler.settings.get("JOBDIR"), *args)
