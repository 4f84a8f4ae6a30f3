"""What the two web-archive sources share: captures listed by a CDX index,
the choice of which to fetch, and the requests that reach the archives.

An index lists every capture of every URL of a host. Only article URLs of
the window are kept (the live crawl's own URL rules), and of those one
capture per article, the newest, unless ``-a captures=all``. Capture time is
not publication time: the window is judged from the URL alone.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from scrapy import Request, Spider
from scrapy.statscollectors import StatsCollector
from twisted.python.failure import Failure

from crawler.httputil import failure_reason, is_html_type
from crawler.discovery import DiscoveryFilter
from crawler.middlewares.archive import DONT_ARCHIVE
from crawler.urls import article_id_from_url

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


class CapturePicker:
    """Keeps the captures worth fetching, counting the others under ``prefix``.

    Per article it holds the newest capture (``newest``) or one capture per
    distinct payload digest (``all``: identical payloads would only give the
    same item again); memory is bounded by the window's articles, not by the
    index.
    """

    def __init__(self, urls: DiscoveryFilter, captures: str, stats: StatsCollector,
                 prefix: str) -> None:
        self.urls = urls
        self.keep_all = captures == "all"
        self.stats = stats
        self.prefix = prefix
        self._kept: dict[tuple[str, str], Capture] = {}

    def offer(self, capture: Capture) -> None:
        reason = self.urls.skip_reason_for_article(capture.url)
        if reason:
            self._count(f"skipped/{reason}")
            return
        key = (article_id_from_url(capture.url) or capture.url,
               capture.digest if self.keep_all else "")
        held = self._kept.get(key)
        if held is not None:
            # One of the two is not fetched: an older capture, or (all) a same payload.
            self._count("skipped/same_payload" if self.keep_all else "skipped/older")
        if held is None or capture.timestamp > held.timestamp:
            self._kept[key] = capture

    def skip(self, reason: str) -> None:
        self._count(f"skipped/{reason}")

    def chosen(self) -> list[Capture]:
        """The captures to fetch, by URL then time (stable across runs)."""
        picked = sorted(self._kept.values(), key=lambda c: (c.url, c.timestamp))
        self.stats.inc_value(f"{self.prefix}/captures/chosen", len(picked))
        return picked

    def _count(self, key: str) -> None:
        self.stats.inc_value(f"{self.prefix}/captures/{key}")


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


def archive_meta(slot: str, **extra: Any) -> dict[str, Any]:
    """Meta of every request to an archive: its own download slot (concurrency
    and delay from DOWNLOAD_SLOTS, not adjusted by AutoThrottle), off the
    edition's hosts, and not stored as a live capture (a record answer is
    stored as the capture it holds, by the web-archive middleware).

    The archives' robots.txt is not asked: these are the APIs they offer
    for programmatic use, not pages to crawl; the slots and Retry-After are
    how this source stays polite to them.
    """
    return {"download_slot": slot, "autothrottle_dont_adjust_delay": True,
            "allow_offsite": True, "dont_obey_robotstxt": True, DONT_ARCHIVE: True, **extra}


def api_request(url: str, slot: str, callback: Callable[..., Any],
                errback: Callable[..., Any], maxsize: int, **meta: Any) -> Request:
    # Index answers of a busy edition outgrow the page size limit, as sitemaps do.
    return Request(url, callback=callback, errback=errback,
                   meta=archive_meta(slot, download_maxsize=maxsize, **meta))


class IndexedSource:
    """Base of a source that reads a CDX index, then fetches the chosen captures.

    Index pages are asked for one after the other (the archives ask for no
    parallel queries), and the captures only once every page has been read,
    since the newest capture of an article may be on the last page.
    """

    prefix: ClassVar[str]

    def __init__(self, spider: Spider) -> None:
        self.spider = spider
        self.stats = spider.crawler.stats
        self.settings = spider.crawler.settings
        self.maxsize = self.settings.getint("SITEMAP_MAXSIZE")
        self.picker = CapturePicker(spider.urls, spider.arguments.captures, self.stats, self.prefix)
        self.guard = FetchGuard(self.stats, self.prefix)

    def count(self, key: str, n: int = 1) -> None:
        self.stats.inc_value(f"{self.prefix}/{key}", n)

    def record_failed(self, failure: Failure) -> None:
        """A capture not had (after retries): counted here and as an article."""
        self.count(f"records/failed/{failure_reason(failure)}")
        self.spider.article_failed(failure)

    def index_failed(self, failure: Failure) -> None:
        reason = failure_reason(failure)
        self.count(f"index/failed/{reason}")
        logger.error("Index query failed (%s), the captures it lists are missed: %s",
                     reason, failure.request.url)
