"""Stops a crawl whose article store fails, with ``state_error`` and one clear message.

Without the store a crawl cannot tell what is archived: going on would emit
duplicates, or, when a lookup fails inside a sitemap callback, drop the rest
of that sitemap (a whole month of articles) behind a "Spider error" traceback.
So the first store failure, wherever it happens (opening the store, a lookup
during discovery, the dedupe pipeline, recording an item), logs one ERROR
naming the store and what to do, counts ``state/errors`` and closes the spider
with the finish reason ``state_error``; later failures of the same crawl are
only counted.
"""
from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro

from crawler.state import StateError, StateURIError, damaged_store_message
from crawler.state.redis import masked_url
from crawler.state.sqlite import path_from_uri

logger = logging.getLogger(__name__)

FINISH_REASON = "state_error"
ERRORS = "state/errors"


def as_state_error(crawler: Crawler, error: BaseException) -> StateError | None:
    """``error`` as a StateError when it is a failure of the store, else None.

    A bare sqlite3 error can only come from the store's own tables used by
    another module; it is named after STATE_URI.
    """
    if isinstance(error, StateError):
        return error
    if isinstance(error, sqlite3.Error):
        return StateError(damaged_store_message(store_name(crawler), error))
    return None


def store_name(crawler: Crawler) -> str:
    """The store's file (a SQLite STATE_URI), else its URI with any password masked."""
    uri = str(crawler.settings.get("STATE_URI") or "").replace("%(spider)s", crawler.spidercls.name)
    try:
        return str(path_from_uri(uri))
    except StateURIError:
        return masked_url(uri)


def stop_crawl(crawler: Crawler, error: StateError) -> None:
    first = not crawler.stats.get_value(ERRORS)
    crawler.stats.inc_value(ERRORS)
    if not first:
        logger.debug("Article store failure after the first: %s", error)
        return
    logger.error("%s. Stopping the crawl.", error)
    engine = _engine(crawler)
    if engine is not None:
        deferred_from_coro(engine.close_spider_async(reason=FINISH_REASON))


def _engine(crawler: Crawler) -> Any:
    """The crawler's engine, or None before the crawl has started (tests, start-up)."""
    try:
        return crawler.engine
    except RuntimeError:
        return None


def stop_when_opened(crawler: Crawler, error: StateError) -> None:
    """For a component that cannot open the store while the crawler is built:
    the crawl stops with state_error as soon as it opens, instead of failing
    to start with a traceback."""
    crawler.signals.connect(lambda: stop_crawl(crawler, error), signal=signals.spider_opened,
                            weak=False)


class StateErrorMiddleware:
    """Spider middleware: a store failure in a callback stops the crawl quietly.

    The callback's output up to the failure has gone on already; the crawl
    then ends with ``state_error`` rather than a traceback and a silently
    shortened sitemap.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StateErrorMiddleware:
        return cls(crawler)

    def process_spider_exception(self, response: Response, exception: Exception) -> Iterable[Any] | None:
        error = as_state_error(self.crawler, exception)
        if error is None:
            return None
        stop_crawl(self.crawler, error)
        return []
