"""Feed settings of the project: file names shared by a run's feeds, durable local files."""
from __future__ import annotations

import errno
import io
import logging
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


def uri_params(params: dict[str, Any], spider: Spider) -> dict[str, Any]:
    """Name every feed of a run after the crawl's start time (and worker id).

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

    @classmethod
    def from_crawler(cls, crawler: Crawler, uri: str, *,
                     feed_options: dict[str, Any] | None = None) -> UnbufferedFileFeedStorage:
        storage = cls(uri, feed_options=feed_options)
        storage.crawler = crawler
        return storage

    def open(self, spider: Spider) -> IO[bytes]:
        path = Path(self.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return WholeWriteFile(path, self.write_mode, self._failed)

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
