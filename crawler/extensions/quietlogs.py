"""One log line per problem where Scrapy would print a traceback.

Scrapy's robots.txt middleware logs a failed robots.txt download at ERROR with
its whole traceback (about 60 lines for a refused connection), although the
crawl goes on, allowed everywhere, and our spider reports the same robots.txt
as a listing not fetched. This extension puts a filter on that logger that
makes it one WARNING line without the traceback; with LOG_LEVEL=DEBUG the
traceback is kept.

(The per-response DEBUG lines that no handler takes are left unbuilt by the
log formatter, crawler.logformatter. Setting the root logger's level here did
not last: Scrapy resets it to NOTSET when it installs its log handler, after
the extensions are built.)
"""
from __future__ import annotations

import logging

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

ROBOTS_LOGGER = "scrapy.downloadermiddlewares.robotstxt"


class RobotsErrorFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and str(record.msg).startswith("Error downloading"):
            record.msg = "robots.txt not fetched for %(request)s (every path allowed): %(f_exception)s"
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info = record.exc_text = None
        return True


class QuietLogs:
    def __init__(self, crawler: Crawler) -> None:
        self.logger = logging.getLogger(ROBOTS_LOGGER)
        self.filter = RobotsErrorFilter()
        self.logger.addFilter(self.filter)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> QuietLogs:
        if crawler.settings.get("LOG_LEVEL") == "DEBUG":
            raise NotConfigured
        return cls(crawler)

    def engine_stopped(self) -> None:
        self.logger.removeFilter(self.filter)
