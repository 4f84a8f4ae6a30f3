"""Feed URI parameters shared by every feed of a crawl."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from scrapy import Spider


def uri_params(params: dict[str, Any], spider: Spider) -> dict[str, Any]:
    """Name every feed of a run after the crawl's start time.

    Scrapy stamps each feed with the moment it opens it, so the JSON Lines
    and JSON Feed files of one run could differ by a second.
    """
    started = spider.crawler.stats.get_value("start_time")
    if isinstance(started, datetime):
        stamp = started.astimezone(timezone.utc).replace(microsecond=0, tzinfo=None)
        params["time"] = stamp.isoformat().replace(":", "-") + "Z"
    return params
