"""Feed settings of the project: file names shared by a run's feeds, durable local files.

Run as ``python -m crawler.feeds all SPIDER`` it rebuilds the cumulative
``all.jsonl`` of a spider's feeds (crawler.cumulative).
"""
from __future__ import annotations

import errno
import io
import logging
import os
import secrets
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.extensions.feedexport import FileFeedStorage
from scrapy.utils.defer import deferred_from_coro

from warc.files import sanitise

logger = logging.getLogger(__name__)


RUN_ID_STAT = "run_id"
# Formats whose file is only valid once complete: written to PARTIAL_SUFFIX
# and renamed when the feed closes, so a killed run leaves a valid file or none.
# JSON Lines stays in place: every line written survives a kill.
WHOLE_FILE_FORMATS = frozenset({"jsonfeed", "json", "xml"})
PARTIAL_SUFFIX = ".part"


def run_id(crawler: Crawler) -> str:
    """A short random id for this run, the same for all its feeds, kept in the stats.

    Two runs started in the same second would otherwise share feed names,
    and write into each other's files."""
    value = crawler.stats.get_value(RUN_ID_STAT)
    if not value:
        value = secrets.token_hex(3)
        crawler.stats.set_value(RUN_ID_STAT, value)
    return str(value)


def uri_params(params: dict[str, Any], spider: Spider) -> dict[str, Any]:
    """Name every feed of a run after the crawl's start time and run id (and worker id).

    Scrapy stamps each feed with the moment it opens it, so the JSON Lines
    and JSON Feed files of one run could differ by a second.
    """
    # ``-a name=`` renames the spider: never let it climb out of the feed directory.
    params["name"] = sanitise(str(params.get("name") or ""), fallback=type(spider).name)
    started = spider.crawler.stats.get_value("start_time")
    if isinstance(started, datetime):
        stamp = started.astimezone(timezone.utc).replace(microsecond=0, tzinfo=None)
        params["time"] = stamp.isoformat().replace(":", "-") + "Z"
    # Workers of a distributed crawl start in the same second and may share
    # a directory; settings.distributed puts %(worker)s in the feed names.
    params["run"] = run_id(spider.crawler)
    params["worker"] = sanitise(str(spider.crawler.settings.get("WARC_WORKER_ID") or ""),
                                fallback="solo")
    return params


FEED_WRITE_ERRORS = "feeds/errors/write"


class WholeWriteFile(io.FileIO):
    """An unbuffered file whose ``write`` writes every byte or raises.

    A raw write may take only part of the bytes (a file size limit, a full
    disk) and say so in its return value, which exporters ignore: a feed
    line would be cut short in silence.
    """

    def __init__(self, path: Path, mode: str, on_error: Callable[[OSError], None]) -> None:
        super().__init__(path, mode.replace("b", ""))
        self.on_error = on_error

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        written = 0
        try:
            while written < len(view):
                count = super().write(view[written:])
                if not count:
                    raise OSError(errno.ENOSPC, "no room left for the feed", self.name)
                written += count
        except OSError as e:
            self.on_error(e)
            raise
        return written


class UnbufferedFileFeedStorage(FileFeedStorage):
    """Local feed files written through to the OS at every item.

    Scrapy's storage buffers in the process, so a killed crawl loses the last
    items it wrote; the state store would then believe they were archived.
    Unbuffered, every item the exporter has written survives a SIGKILL. A
    write that fails stops the crawl (``feed_write_error``) and is counted in
    FEED_WRITE_ERRORS, which keeps the store from recording any more items.
    """

    crawler: Crawler | None = None

    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None) -> None:
        super().__init__(uri, feed_options=feed_options)
        # Appending (-o) to an existing whole-file feed cannot be made atomic: left in place.
        whole = (feed_options or {}).get("format") in WHOLE_FILE_FORMATS
        fresh = self.write_mode == "wb" or not Path(self.path).exists()
        self.writing_path = Path(self.path + PARTIAL_SUFFIX if whole and fresh else self.path)

    @classmethod
    def from_crawler(cls, crawler: Crawler, uri: str, *,
                     feed_options: dict[str, Any] | None = None) -> UnbufferedFileFeedStorage:
        storage = cls(uri, feed_options=feed_options)
        storage.crawler = crawler
        return storage

    def open(self, spider: Spider) -> IO[bytes]:
        path = self.writing_path
        path.parent.mkdir(parents=True, exist_ok=True)
        return WholeWriteFile(path, self.write_mode, self._failed)

    def store(self, file: IO[bytes]) -> None:
        file.close()
        if self.writing_path != Path(self.path):
            os.replace(self.writing_path, self.path)

    def _failed(self, error: OSError) -> None:
        if self.crawler is None:
            return
        first = not self.crawler.stats.get_value(FEED_WRITE_ERRORS)
        self.crawler.stats.inc_value(FEED_WRITE_ERRORS)
        if not first:
            return
        logger.error("Feed %s could not be written, stopping the crawl: %s", self.path, error)
        if self.crawler.crawling:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="feed_write_error"))


if __name__ == "__main__":
    from crawler.cumulative import main
    sys.exit(main(sys.argv[1:]))
