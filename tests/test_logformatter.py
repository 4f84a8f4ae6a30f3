"""The log formatter: DEBUG lines are built only when a handler takes them."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from scrapy import Request, Spider
from scrapy.http import HtmlResponse
from scrapy.logformatter import LogFormatter
from scrapy.utils.test import get_crawler

from crawler.logformatter import SCRAPY_LEVEL, ArticleLogFormatter, handled

ENGINE = logging.getLogger("scrapy.core.engine")
SCRAPER = logging.getLogger("scrapy.core.scraper")


@contextmanager
def only_root_handler_at(level: int) -> Iterator[None]:
    """The root logger with one handler at ``level`` and nothing else, as
    Scrapy's configure_logging leaves it (pytest's own capture handlers,
    added around each test call, included): all restored after."""
    root = logging.getLogger()
    saved = {logger: (logger.handlers[:], logger.level, logger.propagate)
             for logger in (root, ENGINE, SCRAPER, logging.getLogger("scrapy.core"),
                            logging.getLogger("scrapy"))}
    for logger in saved:
        logger.handlers = []
        logger.propagate = logger is not root
        logger.setLevel(logging.NOTSET)
    handler = logging.NullHandler()
    handler.setLevel(level)
    root.addHandler(handler)
    try:
        yield
    finally:
        for logger, (handlers, level_before, propagate) in saved.items():
            logger.handlers, logger.propagate = handlers, propagate
            logger.setLevel(level_before)


def _page() -> tuple[Request, HtmlResponse]:
    request = Request("https://fr.sputniknews.com/20211227/x-1054099999.html")
    return request, HtmlResponse(request.url, body=b"<html></html>", request=request)


def test_debug_lines_are_not_built_when_no_handler_takes_them() -> None:
    formatter, (request, response) = ArticleLogFormatter(), _page()
    with only_root_handler_at(logging.INFO):
        assert formatter.crawled(request, response, Spider("s")) is None
        assert formatter.scraped({"url": request.url}, response, Spider("s")) is None


def test_debug_lines_are_built_for_a_debug_handler() -> None:
    formatter, (request, response) = ArticleLogFormatter(), _page()
    with only_root_handler_at(logging.DEBUG):
        crawled = formatter.crawled(request, response, Spider("s"))
        assert crawled is not None and crawled["level"] == logging.DEBUG
        assert formatter.scraped({"url": request.url}, response, Spider("s")) is not None


def test_a_handler_added_later_is_seen() -> None:
    formatter, (request, response) = ArticleLogFormatter(), _page()
    with only_root_handler_at(logging.INFO):
        assert formatter.scraped({"url": request.url}, response, Spider("s")) is None
        SCRAPER.addHandler(logging.NullHandler(logging.DEBUG))
        assert formatter.scraped({"url": request.url}, response, Spider("s")) is not None
        assert formatter.crawled(request, response, Spider("s")) is None  # the engine's logger


def test_a_logger_that_stops_propagating_hides_the_root_handler() -> None:
    with only_root_handler_at(logging.DEBUG):
        ENGINE.propagate = False
        assert not handled(ENGINE, logging.DEBUG)
        assert handled(SCRAPER, logging.DEBUG)


def test_a_logger_level_above_the_record_rules_it_out() -> None:
    with only_root_handler_at(logging.DEBUG):
        ENGINE.setLevel(logging.INFO)
        assert not handled(ENGINE, logging.DEBUG)
        assert handled(ENGINE, logging.INFO)


def test_scrapy_logs_both_lines_at_the_level_asked_for() -> None:
    request, response = _page()
    plain = LogFormatter()
    assert plain.crawled(request, response, Spider("s"))["level"] == SCRAPY_LEVEL
    assert plain.scraped({"url": request.url}, response, Spider("s"))["level"] == SCRAPY_LEVEL


def test_without_any_handler_only_what_last_resort_prints_counts() -> None:
    lone = logging.Logger("lone")  # not in the hierarchy: no parent, no handler
    assert not handled(lone, logging.DEBUG)
    assert handled(lone, logging.WARNING)


def test_with_a_handler_the_dropped_line_names_the_url_not_the_item() -> None:
    request, response = _page()
    result = ArticleLogFormatter().dropped({"url": request.url, "body": "x" * 1000},
                                           ValueError("duplicate"), response, _spider())
    assert result["msg"] == "Dropped: %(exception)s"
    assert result["args"]["url"] == request.url


def _spider() -> Spider:
    return Spider.from_crawler(get_crawler(Spider), "s")
