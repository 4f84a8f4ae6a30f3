"""Writes the crawl's final stats as JSON, for scheduled jobs and tests.

Scrapy only logs its stats; a job runner (scrapyd, cron, CI) that wants to
know how a crawl ended should not have to parse a log. Enabled by STATS_FILE.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy import signals

from crawler.atomic import write_text
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


class StatsFile:
    def __init__(self, crawler: Crawler, path: str) -> None:
        self.crawler = crawler
        self.path = Path(path)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StatsFile:
        path = crawler.settings.get("STATS_FILE")
        if not path:
            raise NotConfigured
        extension = cls(crawler, path)
        # After the stats collector has recorded finish_reason and finish_time.
        crawler.signals.connect(extension.write, signal=signals.engine_stopped)
        return extension

    def write(self) -> None:
        stats = {key: _jsonable(value) for key, value in self.crawler.stats.get_stats().items()}
        try:
            write_text(self.path, json.dumps(stats, indent=1, sort_keys=True))
        except OSError:
            logger.error("Could not write the stats file %s", self.path, exc_info=True)
