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
"""
from __future__ import annotations

import logging
import struct
import zlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from lxml import etree
from scrapy import Request
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

if TYPE_CHECKING:
    from crawler.spiders.platform import PlatformSpider

logger = logging.getLogger(__name__)

DEPTH_KEY = "sitemap_depth"
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


class SitemapReader:
    """The spider's sitemap callback: robots.txt, sitemap indexes and url sets."""

    def __init__(self, spider: PlatformSpider, bounds: SitemapBounds) -> None:
        self.spider = spider
        self.bounds = bounds
        self.stats = spider.crawler.stats

    def requests(self, response: Response) -> Iterator[Request]:
        if response.url.endswith("/robots.txt"):
            listed = sitemap_urls_from_robots(response.body, base_url=response.url)
            yield from self._follow(response, listed)
            return
        try:
            sitemap = self._open(response)
            if sitemap.type == "sitemapindex":
                yield from self._follow(response, self.spider.sitemap_locations(sitemap))
            elif sitemap.type == "urlset":
                yield from self.spider.article_requests(sitemap)
            else:
                raise UnusableListing("not_sitemap")
        except UnusableListing as e:
            self.spider._unusable_listing(response, e.reason)
        except XML_ERRORS:
            # The entries before the damage were requested already.
            self.spider._unusable_listing(response, "not_xml")
        except GZIP_ERRORS:
            self.spider._unusable_listing(response, "bad_gzip")

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
