"""Writes the coverage report (crawler.coverage) when a live or archive run ends.

Off with ``COVERAGE_ENABLED = False``; replay runs, which acquire nothing,
write none. The report reads the index cache and the store from disk, after
this run's own captures are in them (the store is written as items go out).
A report that cannot be written is an ERROR, and the crawl's result stands.
"""
from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.coverage import build, write_report
from crawler.outcome import COVERAGE_PATH_STAT
from crawler.outputs import for_spider
from crawler.state import StateError

logger = logging.getLogger(__name__)


class CoverageReport:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CoverageReport:
        if not crawler.settings.getbool("COVERAGE_ENABLED"):
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        arguments = getattr(spider, "arguments", None)
        if arguments is None or arguments.source == "replay":
            return
        settings = self.crawler.settings
        state_uri = for_spider(settings["STATE_URI"], spider.name)
        try:
            coverage = build(spider.hosts, spider.window, Path(settings["INDEX_CACHE_DIR"]),
                             state_uri if settings.getbool("STATE_ENABLED") else "")
            start = self.crawler.stats.get_value("start_time")
            run = start.strftime("%Y-%m-%dT%H-%M-%S") if start else "run"
            path, report = write_report(coverage, Path(settings["COVERAGE_DIR"]), spider.name, run)
        except (StateError, sqlite3.DatabaseError) as e:
            # A damaged store: the crawl stops with state_error and one ERROR
            # that says what to do (crawler.state.guard).
            self.crawler.stats.inc_value("coverage/errors")
            logger.info("No coverage report, the article store cannot be read: %s", e)
            return
        except (OSError, ValueError):
            self.crawler.stats.inc_value("coverage/errors")
            logger.error("Could not write the coverage report", exc_info=True)
            return
        total = report["total"]
        if total["missing"] is not None:  # None: no store read, what is missing is unknown
            self.crawler.stats.set_value("coverage/missing", total["missing"])
        self.crawler.stats.set_value(COVERAGE_PATH_STAT, str(path))
        logger.info("Coverage report: %s articles known, %s archived, %s missing: %s",
                    total["known"]["any"], total["archived"]["any"],
                    "unknown (no store read)" if total["missing"] is None else total["missing"], path)
