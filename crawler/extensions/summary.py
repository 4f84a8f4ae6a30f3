"""The closing summary of a run, as the last lines of its log.

Scrapy's stats dump lists counters; a reader wants to know, in words, why a
run produced what it did and where its output went. This extension logs that
once the engine has stopped, which is after Scrapy's "Dumping Scrapy stats"
and "Spider closed" lines, and records the run's exit status in the stats
(``exit_status``) before StatsFile (later in EXTENSIONS) writes them.
"""
from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from crawler.logsafety import mask_credentials
from crawler.outcome import EXIT_STATUS_STAT, exit_status, summary_lines

logger = logging.getLogger(__name__)


class RunSummary:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.feeds: list[str] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunSummary:
        extension = cls(crawler)
        crawler.signals.connect(extension.feed_slot_closed, signal=signals.feed_slot_closed)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def feed_slot_closed(self, slot: Any) -> None:
        self.feeds.append(mask_credentials(str(slot.uri)))

    def engine_stopped(self) -> None:
        stats = self.crawler.stats.get_stats()
        self.crawler.stats.set_value(EXIT_STATUS_STAT, exit_status(stats)[0])
        for line in summary_lines(stats, self.feeds, self._archive(stats),
                                  self.crawler.settings.get("STATS_FILE")):
            logger.info("%s", line)

    def _archive(self, stats: dict[str, Any]) -> str | None:
        written = any(key.startswith("warc/records_written/") for key in stats)
        return self.crawler.settings.get("WARC_DIR") if written else None
