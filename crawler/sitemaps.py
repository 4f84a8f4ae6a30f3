"""Reads sitemaps one entry at a time, within bounds on how deep and how many.

Scrapy's ``SitemapSpider._parse_sitemap`` turns a whole sitemap into a list
before the first request leaves it, and so did our spider: a 500,000-URL
sitemap cost about 3 KB per URL at once. Here entries are parsed with
Scrapy's ``Sitemap`` (lxml ``iterparse`` with ``resolve_entities=False``,
no network access and libxml2's default size limits, i.e. not ``huge_tree``),
and each request is yielded as its entry is read, so memory holds one entry,
not the sitemap's list. The entries before a damaged part are still
requested, then the damage is counted.

Sitemap indexes can list other indexes without end (``index.xml?n=K``
listing ``index.xml?n=K+1``): the duplicate filter never sees the same URL
twice, so only a bound stops it. A sitemap's depth is the number of listings
(robots.txt or indexes) above it; ``SITEMAP_INDEX_MAX_DEPTH`` bounds it and
``SITEMAP_MAX_COUNT`` bounds how many sitemaps one crawl follows. What is
not followed is counted (``discovery/sitemap/too_deep``,
``discovery/sitemap/too_many``) with one WARNING per kind and crawl.

Streaming the entries is not enough by itself: Scrapy takes everything a
callback yields into the scheduler at once, about 2.6 KB per queued request.
So a url set hands out SITEMAP_BATCH_SIZE article requests, then a
continuation request (a ``data:`` URL, never archived, on the articles'
download slot, with a priority below theirs) that is downloaded only once
those articles have left the queue, and whose callback hands out the next
batch. The queue holds one batch, the spider the sitemap's body and its
parser. A continuation that reaches a process without that parser (another
worker of a distributed crawl, a JOBDIR resume) fetches the sitemap again
and reads on after the entries already handed out
(``discovery/sitemap/refetched``).
"""
from __future__ import annotations

import itertools
import logging
import struct
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from lxml import etree
from scrapy import Request
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

if TYPE_CHECKING:
    from crawler.spiders.platform import PlatformSpider

logger = logging.getLogger(__name__)

DEPTH_KEY = "sitemap_depth"
# Meta of a continuation: {"url": the sitemap, "read": entries read so far};
# of a sitemap fetched again: SKIP_KEY, the entries to pass over.
CONTINUE_KEY = "sitemap_continue"
SKIP_KEY = "sitemap_skip"
CONTINUATION_URL = "data:,"
# Below articles (0) and their retries (-1): the batch leaves the queue first.
CONTINUATION_PRIORITY = -10
# What a damaged or unreadable body raises while it is being read.
XML_ERRORS = (etree.LxmlError,)
GZIP_ERRORS = (OSError, EOFError, struct.error, zlib.error)


class UnusableListing(Exception):
    """A sitemap body that cannot be read: ``reason`` is counted."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SitemapBounds:
    """How deep and how many sitemaps one crawl follows."""

    def __init__(self, max_depth: int, max_count: int) -> None:
        self.max_depth = max_depth
        self.max_count = max_count
        self.followed = 0
        self.warned: set[str] = set()

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> SitemapBounds:
        return cls(settings.getint("SITEMAP_INDEX_MAX_DEPTH"), settings.getint("SITEMAP_MAX_COUNT"))

    def refusal(self, depth: int) -> str | None:
        """Why a sitemap at ``depth`` is not followed, or None (then it counts)."""
        if depth > self.max_depth:
            return "too_deep"
        if self.followed >= self.max_count:
            return "too_many"
        self.followed += 1
        return None

    def first_refusal(self, reason: str) -> bool:
        """True the first time ``reason`` happens in this crawl: it gets the WARNING."""
        first = reason not in self.warned
        self.warned.add(reason)
        return first


def sitemap_depth(response: Response) -> int:
    request = response.request
    return int(request.meta.get(DEPTH_KEY, 0)) if request is not None else 0


class CountedEntries:
    """A sitemap's entries, counting how many were read (``type`` as Scrapy's Sitemap)."""

    def __init__(self, sitemap: Sitemap, skip: int = 0) -> None:
        self.type = sitemap.type
        self.read = self.skipped = skip
        # The window's article URLs it lists, filled by the spider's filter.
        self.listed: list[str] = []
        self._entries = itertools.islice(iter(sitemap), skip, None)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for entry in self._entries:
            self.read += 1
            yield entry


@dataclass
class PendingUrlset:
    """A url set handed out in part: its response (for errors) and where it stands."""

    response: Response
    entries: CountedEntries
    requests: Iterator[Request]


class SitemapReader:
    """The spider's sitemap callback: robots.txt, sitemap indexes and url sets."""

    def __init__(self, spider: PlatformSpider, bounds: SitemapBounds, batch_size: int) -> None:
        self.spider = spider
        self.bounds = bounds
        self.batch_size = batch_size
        self.stats = spider.crawler.stats
        self.pending: dict[str, PendingUrlset] = {}

    def requests(self, response: Response) -> Iterator[Request]:
        if CONTINUE_KEY in response.meta:
            yield from self._resume(response.meta[CONTINUE_KEY], sitemap_depth(response))
            return
        if response.url.endswith("/robots.txt"):
            listed = sitemap_urls_from_robots(response.body, base_url=response.url)
            yield from self._follow(response, listed)
            return
        yield from self._guarded(response, self._read(response))

    def _read(self, response: Response) -> Iterator[Request]:
        sitemap = self._open(response)
        if sitemap.type == "sitemapindex":
            yield from self._follow(response, self.spider.sitemap_locations(sitemap))
        elif sitemap.type == "urlset":
            entries = CountedEntries(sitemap, skip=int(response.meta.get(SKIP_KEY, 0)))
            pending = PendingUrlset(response, entries, iter(self.spider.article_requests(entries)))
            yield from self._batch(pending)
        else:
            raise UnusableListing("not_sitemap")

    def _guarded(self, response: Response, requests: Iterator[Request]) -> Iterator[Request]:
        """``requests`` up to the first damage, which is then counted."""
        try:
            yield from requests
        except UnusableListing as e:
            self.spider._unusable_listing(response, e.reason)
        except XML_ERRORS:
            # The entries before the damage were requested already.
            self.spider._unusable_listing(response, "not_xml")
        except GZIP_ERRORS:
            self.spider._unusable_listing(response, "bad_gzip")

    def _batch(self, pending: PendingUrlset) -> Iterator[Request]:
        """The next batch of a url set, then a continuation if it has more."""
        last = None
        for last in itertools.islice(pending.requests, self.batch_size or None):
            yield last
        following = next(pending.requests, None) if last is not None and self.batch_size else None
        if following is None:
            self._read_to_the_end(pending)
            return
        pending.requests = itertools.chain([following], pending.requests)
        yield self._continuation(pending, last)

    def _read_to_the_end(self, pending: PendingUrlset) -> None:
        # A url set read again from the middle lists only its tail: the ids
        # kept from it would be wrong for the coverage report.
        if not pending.entries.skipped:
            self.spider._keep_sitemap_ids(pending.response.url, pending.entries.listed)

    def _continuation(self, pending: PendingUrlset, last: Request) -> Request:
        url = pending.response.url
        key = f"{url}#{pending.entries.read}"
        self.pending[key] = pending
        self.stats.inc_value("discovery/sitemap/batches")
        # Read-so-far counts the entry already taken for the next batch.
        state = {"url": url, "read": pending.entries.read - 1, "key": key}
        # Each continuation its own URL, so its own fingerprint (leases in
        # distributed mode are keyed by it).
        return Request(CONTINUATION_URL + quote(key, safe=""), callback=self.spider._parse_sitemap,
                       errback=self.spider.listing_failed, dont_filter=True,
                       priority=CONTINUATION_PRIORITY,
                       meta={CONTINUE_KEY: state, DEPTH_KEY: sitemap_depth(pending.response),
                             "download_slot": urlparse_cached(last).hostname or "",
                             "dont_archive": True, "allow_offsite": True,
                             "dont_obey_robotstxt": True})

    def _resume(self, state: dict[str, Any], depth: int) -> Iterator[Request]:
        pending = self.pending.pop(state.get("key", ""), None)
        if pending is not None:
            yield from self._guarded(pending.response, self._batch(pending))
            return
        # Another worker's or an earlier run's: read it again from where it stood.
        self.stats.inc_value("discovery/sitemap/refetched")
        request = self.spider._sitemap_request(state["url"], depth)
        yield request.replace(dont_filter=True, meta={**request.meta, SKIP_KEY: state["read"]})

    def _open(self, response: Response) -> Sitemap:
        body = self.spider._get_sitemap_body(response)
        try:
            return Sitemap(body)
        except StopIteration:
            # Scrapy's Sitemap finds no XML element at all; inside this
            # generator a bare StopIteration would end the crawl's callback.
            raise UnusableListing("not_xml") from None

    def _follow(self, response: Response, locations: Iterable[str]) -> Iterator[Request]:
        depth = sitemap_depth(response) + 1
        for loc in locations:
            reason = self.bounds.refusal(depth)
            if reason is None:
                yield self.spider._sitemap_request(loc, depth)
            else:
                self._refused(reason, loc, depth)

    def _refused(self, reason: str, loc: str, depth: int) -> None:
        self.stats.inc_value(f"discovery/sitemap/{reason}")
        if self.bounds.first_refusal(reason):
            logger.warning("Sitemap not followed (%s: depth %s of at most %s, %s of at most %s "
                           "sitemaps followed; see SITEMAP_INDEX_MAX_DEPTH, SITEMAP_MAX_COUNT): %s",
                           reason, depth, self.bounds.max_depth, self.bounds.followed,
                           self.bounds.max_count, loc)


def locations(entries: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The ``loc`` of each entry that has one, as Scrapy's ``iterloc`` reads them."""
    for entry in entries:
        if loc := entry.get("loc"):
            yield loc
