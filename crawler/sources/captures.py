"""What the two web-archive sources share: captures listed by a CDX index,
and the requests that reach the archives.

An index lists every capture of every URL of a host. Only article URLs of
the window are kept (the live crawl's own URL rules); which of them are
fetched is the run's choice (crawler.sources.selection). Capture time is
not publication time: the window is judged from the URL alone.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from scrapy import Request, Spider
from scrapy.statscollectors import StatsCollector
from twisted.python.failure import Failure

from crawler.httputil import failure_reason, is_html_type
from crawler.middlewares.archive import DONT_ARCHIVE
from crawler.middlewares.slowdown import ARCHIVE_SOURCE_KEY, SourceDown
from crawler.urls import article_id_from_url

if TYPE_CHECKING:
    from crawler.sources.run import ArchiveRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Capture:
    """One line of a CDX index: a URL as captured at ``timestamp`` (14 digits).

    ``location`` is what the archive needs to hand the capture back: for
    Common Crawl the crawl, file, offset and length of its record.
    """

    url: str
    timestamp: str
    digest: str
    location: tuple[Any, ...] = field(default=())


def is_html_ok(status: str | None, mimes: Iterable[str | None]) -> bool:
    """Status 200 and an HTML type (any of the index's mime fields)."""
    if str(status or "") != "200":
        return False
    return any(is_html_type(mime) for mime in mimes)


class FetchGuard:
    """Never the same record twice in one run (same file and offset, or the
    same timestamp and URL), whatever the indexes list."""

    def __init__(self, stats: StatsCollector, prefix: str) -> None:
        self.stats = stats
        self.prefix = prefix
        self._seen: set[tuple[Any, ...]] = set()

    def first_time(self, key: tuple[Any, ...]) -> bool:
        if key in self._seen:
            self.stats.inc_value(f"{self.prefix}/records/duplicate")
            return False
        self._seen.add(key)
        self.stats.inc_value(f"{self.prefix}/records/requested")
        return True


def archive_meta(slot: str, source: str, **extra: Any) -> dict[str, Any]:
    """Meta of every request to an archive: its own download slot (concurrency
    and delay from DOWNLOAD_SLOTS, not adjusted by AutoThrottle), off the
    edition's hosts, and not stored as a live capture (a record answer is
    stored as the capture it holds, by the web-archive middleware).

    The archives' robots.txt is not asked: these are the APIs they offer
    for programmatic use, not pages to crawl; the slots and Retry-After are
    how this source stays polite to them.
    """
    return {"download_slot": slot, ARCHIVE_SOURCE_KEY: source, "autothrottle_dont_adjust_delay": True,
            "allow_offsite": True, "dont_obey_robotstxt": True, DONT_ARCHIVE: True, **extra}


def api_request(url: str, slot: str, source: str, callback: Callable[..., Any],
                errback: Callable[..., Any], maxsize: int, **meta: Any) -> Request:
    # Index answers of a busy edition outgrow the page size limit, as sitemaps do.
    return Request(url, callback=callback, errback=errback,
                   meta=archive_meta(slot, source, download_maxsize=maxsize, **meta))


class IndexedSource:
    """Base of a source that reads a CDX index, then fetches the chosen captures.

    Index pages are asked for one after the other (the archives ask for no
    parallel queries). Each listed capture of an article of the window goes
    to the run's selector; once every source's index is read, the run
    chooses the captures and asks their source for the requests.
    """

    prefix: ClassVar[str]

    def __init__(self, spider: Spider, run: ArchiveRun) -> None:
        self.spider = spider
        self.run = run
        self.stats = spider.crawler.stats
        self.settings = spider.crawler.settings
        self.maxsize = self.settings.getint("SITEMAP_MAXSIZE")
        self.cache_root = Path(self.settings["INDEX_CACHE_DIR"])

    def count(self, key: str, n: int = 1) -> None:
        self.stats.inc_value(f"{self.prefix}/{key}", n)

    def offer(self, capture: Capture) -> None:
        """A capture the index lists: kept for the choice if it is an article of the window."""
        reason = self.spider.urls.skip_reason_for_article(capture.url)
        if reason:
            self.count(f"captures/skipped/{reason}")
            return
        self.count("captures/listed")
        self.run.offer(self.prefix, article_id_from_url(capture.url) or capture.url, capture)

    def skip(self, reason: str) -> None:
        self.count(f"captures/skipped/{reason}")

    def index_done(self) -> Iterator[Request]:
        yield from self.run.index_done(self.prefix)

    def index_failed(self, failure: Failure) -> None:
        reason = failure_reason(failure)
        self.count(f"index/failed/{reason}")
        if failure.check(SourceDown):
            return  # said once, by the slow-down middleware
        logger.error("Index query failed (%s), the captures it lists are missed: %s",
                     reason, failure.request.url)

    def fetch_key(self, capture: Capture) -> tuple[Any, ...]:
        raise NotImplementedError

    def record_request(self, capture: Capture, errback: Callable[..., Any]) -> Request:
        raise NotImplementedError
