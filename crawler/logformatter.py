"""Scrapy's log lines, cheaper and shorter.

Dropped items are named by their URL, not printed whole. The per-response
"Crawled" and per-item "Scraped from" lines are DEBUG: at the usual INFO level
no handler takes them, yet Scrapy builds a LogRecord for each (its root
logger passes everything, its handler drops them), looking up the calling
frame every time: about 1.5% of a replay's time. They are built only when a
handler would take them.
"""
from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Request, Spider
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult

# The loggers Scrapy writes these lines with (scrapy.core.engine, scrapy.core.scraper).
_CRAWLED_LOGGER = logging.getLogger("scrapy.core.engine")
_SCRAPED_LOGGER = logging.getLogger("scrapy.core.scraper")
# The level Scrapy gives both lines (tests/test_logformatter.py checks it):
# asked before the line is built, which costs as much again (the referer).
SCRAPY_LEVEL = logging.DEBUG


def handled(logger: logging.Logger, level: int) -> bool:
    """Whether a record of ``level`` from ``logger`` would reach any handler.

    Asked at each call, not once: handlers come and go (pytest's caplog, a
    user's own). A logger that has no handler on its way up falls to
    logging.lastResort, as logging itself does.
    """
    if not logger.isEnabledFor(level):
        return False
    found_any = False
    current: logging.Logger | None = logger
    while current is not None:
        for handler in current.handlers:
            found_any = True
            if level >= handler.level:
                return True
        if not current.propagate:
            break
        current = current.parent
    last_resort = logging.lastResort
    return not found_any and last_resort is not None and level >= last_resort.level


class ArticleLogFormatter(LogFormatter):
    """Scrapy's default prints the item after the reason: a whole article body
    per duplicate. The reason already names the URL. Scrapy logs nothing
    where a method returns None (its engine and scraper both check)."""

    def crawled(self, request: Request, response: Response,
                spider: Spider) -> LogFormatterResult | None:  # type: ignore[override]
        if not handled(_CRAWLED_LOGGER, SCRAPY_LEVEL):
            return None
        return super().crawled(request, response, spider)

    def scraped(self, item: Any, response: Response | Any,
                spider: Spider) -> LogFormatterResult | None:  # type: ignore[override]
        if not handled(_SCRAPED_LOGGER, SCRAPY_LEVEL):
            return None
        return super().scraped(item, response, spider)

    def dropped(self, item: Any, exception: BaseException, response: Response | None,
                spider: Spider) -> LogFormatterResult:
        result = super().dropped(item, exception, response, spider)
        result["msg"] = "Dropped: %(exception)s"
        result["args"] = {"exception": exception, "url": ItemAdapter(item).get("url")}
        return result
