"""Feed settings of the project: file names shared by a run's feeds, durable local files."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from scrapy import Spider
from scrapy.extensions.feedexport import FileFeedStorage

from warc.files import sanitise


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


class UnbufferedFileFeedStorage(FileFeedStorage):
    """Local feed files written through to the OS at every item.

    Scrapy's storage buffers in the process, so a killed crawl loses the last
    items it wrote; the state store would then believe they were archived.
    Unbuffered, every item the exporter has written survives a SIGKILL.
    """

    def open(self, spider: Spider) -> IO[bytes]:
        path = Path(self.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.open(self.write_mode, buffering=0)
