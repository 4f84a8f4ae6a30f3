"""One spider for the whole Sputnik platform; each edition is a subclass."""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.spiders import SitemapSpider
from scrapy.utils.gz import gzip_magic_number
from scrapy.utils.iterators import xmliter_lxml
from lxml import etree
from twisted.python.failure import Failure

from crawler import user_agent
from crawler.httputil import failure_reason
from crawler.discovery import DiscoveryFilter, is_index, is_newer
from crawler.editions import Edition
from crawler.extract import NotAnArticle, read_article
from crawler.items import ArticleItem
from crawler.arguments import ARGUMENT_NAMES, SCRAPYD_ARGUMENTS, CrawlArguments
from crawler.replay import ReplayPlan
from crawler.sitemaps import DEPTH_KEY, SitemapBounds, SitemapReader, UnusableListing, locations
from crawler.sources.cache import SitemapIdCache
from crawler.sources.run import ArchiveRun
from crawler.state import ArticleStore
from crawler.state.versions import HistoryUnsupported, history_for
from crawler.urls import article_id_from_url
from pipelines.dedupe import DedupePipeline

logger = logging.getLogger(__name__)

SITEMAP_INDEX_PATH = "/sitemap_article_index.xml"
RSS_PATH = "/export/rss2/archive/index.xml"


class PlatformSpider(SitemapSpider):
    """Arguments (``-a``):

    - ``site``: root URL of the edition (a mirror or a test site); default the edition's.
    - ``since``/``until``: publication window, YYYY-MM-DD, inclusive; a live crawl
      defaults to the last two days, a replay to everything.
    - ``urls``: comma-separated article URLs to fetch instead of discovering them.
    - ``replay``: comma-separated WARC files, directories or globs, replayed with no network.
    """

    edition: ClassVar[Edition]
    # The window's article URLs of the sitemap being read (None: an index).
    sitemap_follow = [r"/sitemap_article"]
    sitemap_rules = [("", "parse_article")]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        arguments = self.check_arguments(**kwargs)
        super().__init__(*args, **{k: v for k, v in kwargs.items()
                                    if k not in ARGUMENT_NAMES and k not in SCRAPYD_ARGUMENTS})
        self.arguments = arguments
        self.replay_specs = list(arguments.replay_specs)
        self.article_urls = list(arguments.article_urls)
        self.site = arguments.site
        self.window = arguments.window
        self.refresh = arguments.refresh

    @classmethod
    def check_arguments(cls, **kwargs: Any) -> CrawlArguments:
        """Raises UsageError for a bad argument (the crawl command calls it first)."""
        return CrawlArguments.parse(cls.edition, **kwargs)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> PlatformSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.hosts = spider._edition_hosts(crawler.settings.getlist("EDITION_EXTRA_HOSTS"))
        # OffsiteMiddleware keeps the crawl on the edition's own hosts.
        spider.allowed_domains = sorted(spider.hosts)
        spider.urls = DiscoveryFilter(spider.hosts, spider.window)
        cache_dir = crawler.settings.get("INDEX_CACHE_DIR")
        spider.sitemap_ids = SitemapIdCache(Path(cache_dir)) if cache_dir else None
        _carry_contact_into_user_agent(crawler.settings)
        if spider.replay_specs:
            # Settings are still open here: replay needs no robots.txt, and
            # must never reach the network.
            crawler.settings.set("REPLAY_OFFLINE", True, priority="spider")
            crawler.settings.set("ROBOTSTXT_OBEY", False, priority="spider")
            # Replay is a transformation of the archive, and gives the same
            # records every time, unless asked to feed the store.
            if (crawler.settings.getpriority("STATE_ENABLED") or 0) < SETTINGS_PRIORITIES["cmdline"]:
                crawler.settings.set("STATE_ENABLED", False, priority="spider")
        return spider

    # --- where requests come from -----------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        source = self.arguments.source
        if source == "live":
            for request in self._live_start_requests():
                yield request
            return
        if source == "replay":
            plan = ReplayPlan(self, self.urls, shard=self.arguments.shard)
            requests = plan.requests(self.replay_specs, self.parse_article)
        else:
            if "sitemaps" in self.arguments.discover:
                # Only their ids are read (sitemap_filter): for the coverage report.
                yield self._sitemap_request(f"{self.site}{SITEMAP_INDEX_PATH}")
            self.archive_run = ArchiveRun(self)
            requests = self.archive_run.requests()
        async for request in requests:
            yield request

    def _live_start_requests(self) -> Iterator[Request]:
        if self.arguments.recheck:
            yield from self._recheck_requests()
        if self.article_urls:
            yield from (self._article_request(url) for url in self.article_urls)
            return
        logger.info("Crawling %s for articles published %s", self.site, self.window.describe())
        yield self._sitemap_request(f"{self.site}/robots.txt")
        yield self._sitemap_request(f"{self.site}{SITEMAP_INDEX_PATH}")
        today = date.today()
        if self.window.overlaps(today - timedelta(days=1), today):
            yield Request(f"{self.site}{RSS_PATH}", callback=self.parse_rss,
                          errback=self.listing_failed, meta=self._sitemap_meta())

    def _recheck_requests(self) -> Iterator[Request]:
        """The window's archived articles, asked for again on ``site`` so that
        those since removed are found (crawler/middlewares/removals.py)."""
        try:
            if self.store is None:
                raise HistoryUnsupported("the article store is off (STATE_ENABLED)")
            archived = history_for(self.store).archived_in_window(self.window.since,
                                                                  self.window.until)
        except HistoryUnsupported as e:
            self.crawler.stats.inc_value("recheck/unsupported")
            logger.error("-a recheck=1 cannot list the archived articles: %s", e)
            return
        logger.info("Rechecking %s archived articles for removals", len(archived))
        for _, url in archived:
            self.crawler.stats.inc_value("recheck/requested")
            yield self._article_request(self.site + urlsplit(url).path)

    def _parse_sitemap(self, response: Response) -> Iterable[Request]:
        # Streamed, entry by entry, within depth and count bounds (crawler.sitemaps).
        return self.sitemap_reader.requests(response)

    @cached_property
    def sitemap_reader(self) -> SitemapReader:
        settings = self.crawler.settings
        return SitemapReader(self, SitemapBounds.from_settings(settings),
                             settings.getint("SITEMAP_BATCH_SIZE"))

    def sitemap_locations(self, index: Iterable[dict[str, Any]]) -> Iterator[str]:
        """The sitemaps an index lists that this spider follows."""
        for loc in locations(self.sitemap_filter(index)):
            if any(pattern.search(loc) for pattern in self._follow):
                yield loc

    def article_requests(self, urlset: Iterable[dict[str, Any]]) -> Iterator[Request]:
        return (self._article_request(loc) for loc in locations(self.sitemap_filter(urlset)))

    def _get_sitemap_body(self, response: Response) -> bytes | None:
        body = super()._get_sitemap_body(response)
        if not body:
            # Scrapy gives None for a gzip past the size limit or a non-XML body.
            if gzip_magic_number(response):
                raise UnusableListing("too_large")
            raise UnusableListing("not_xml" if response.body.strip() else "empty")
        return body

    def _unusable_listing(self, response: Response, reason: str) -> None:
        self.crawler.stats.inc_value(f"discovery/failed/{reason}")
        meta = response.request.meta if response.request is not None else {}
        limit = meta.get("download_maxsize", self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        logger.warning("Listing not usable (%s, size limit %s bytes): %s", reason, limit, response.url)

    def sitemap_filter(self, entries: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        index = is_index(entries)
        # The window's articles a url set lists, kept for the coverage report.
        # Url sets are read batch by batch, several at once: each keeps its own
        # list (crawler.sitemaps.CountedEntries), kept once it is read to the end.
        listed: list[str] | None = getattr(entries, "listed", None)
        for entry in entries:
            loc = entry.get("loc", "")
            if index:
                if self.urls.wants_sitemap(loc):
                    yield entry
                else:
                    self.crawler.stats.inc_value("discovery/sitemap/out_of_window")
            else:
                self._note_listed(loc, listed)
                # An archive run reads the ids only; the live site is not asked for the pages.
                if not self.arguments.from_archives and self._wanted(loc, "sitemap", entry.get("lastmod")):
                    yield entry

    def _keep_sitemap_ids(self, sitemap_url: str, listed: list[str]) -> None:
        if self.sitemap_ids is None:
            return
        try:
            self.sitemap_ids.save(urlsplit(sitemap_url).hostname or "", sitemap_url, listed)
        except OSError:
            # Only the coverage report misses them; the crawl goes on.
            self.crawler.stats.inc_value("discovery/sitemap/ids_not_kept")
            logger.error("Could not keep the ids of %s for the coverage report", sitemap_url, exc_info=True)

    def _note_listed(self, url: str, listed: list[str] | None) -> None:
        if listed is not None and self.urls.skip_reason_for_article(url) is None:
            listed.append(url)

    def _archived_reason(self, url: str, listing: str, lastmod: str | None) -> str | None:
        """Why an article the store already holds is not requested again.

        A sitemap entry is skipped when its lastmod is not newer than what was
        archived. The RSS feed gives no modification time, so an article it
        lists is skipped once archived at all: its changes show in the sitemap.
        """
        if self.refresh or self.store is None or (listing == "sitemap" and lastmod is None):
            return None
        archived = self.store.get(article_id_from_url(url) or "")
        if archived is None:
            return None
        if listing == "rss":
            return "archived"
        if is_newer(lastmod, archived.last_change, self.edition.timezone):
            return None
        return "unchanged"

    @cached_property
    def store(self) -> ArticleStore | None:
        pipeline = self.crawler.get_item_pipeline(DedupePipeline)
        return pipeline.store if pipeline is not None else None

    def parse_rss(self, response: Response) -> Iterator[Request]:
        try:
            for node in xmliter_lxml(response, "item"):
                link = (node.xpath("link/text()").get() or "").strip()
                if link and self._wanted(link, "rss"):
                    yield self._article_request(link)
        except etree.XMLSyntaxError:
            # The items before the damage were requested already.
            self._unusable_listing(response, "not_xml")

    def _wanted(self, url: str, listing: str, lastmod: str | None = None) -> bool:
        reason = self.urls.skip_reason_for_article(url) or self._archived_reason(url, listing, lastmod)
        self.crawler.stats.inc_value(f"discovery/{listing}/{reason or 'requested'}")
        return reason is None

    def _article_request(self, url: str) -> Request:
        return Request(url, callback=self.parse_article, errback=self.article_failed)

    def _sitemap_request(self, url: str, depth: int = 0) -> Request:
        return Request(url, callback=self._parse_sitemap, errback=self.listing_failed,
                       meta={**self._sitemap_meta(), DEPTH_KEY: depth})

    def _sitemap_meta(self) -> dict[str, Any]:
        # Sitemaps of a busy month outgrow the page size limit.
        return {"download_maxsize": self.crawler.settings.getint("SITEMAP_MAXSIZE")}

    # --- what responses become ------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[ArticleItem | Request]:
        if not isinstance(response, TextResponse):
            self._skip(response.url, "not_html")
            yield from self._next_capture(response, "not_html")
            return
        try:
            article = read_article(response, self.edition)
        except NotAnArticle as e:
            self._skip(response.url, e.reason)
            yield from self._next_capture(response, e.reason)
            return
        self.crawler.stats.inc_value(f"article/layout/{article.layout}")
        yield ArticleItem(
            **article.fields,
            fetched_at=response.meta.get("fetched_at"),
            source={**response.meta.get("source", {}), "layout": article.layout},
            edition=self.edition.name,
        )

    def _next_capture(self, response: Response, reason: str) -> Iterator[Request]:
        """An archive capture that is no article: another capture of it, if any."""
        run = getattr(self, "archive_run", None)
        if run is not None:
            yield from run.capture_unusable(response, reason)

    def article_failed(self, failure: Failure) -> None:
        reason = failure_reason(failure)
        self.crawler.stats.inc_value(f"article/failed/{reason}")
        logger.info("Article not fetched (%s): %s", reason, failure.request.url)

    def listing_failed(self, failure: Failure) -> None:
        """A robots.txt, sitemap or RSS that could not be had: the articles it
        lists are missed, which the operator must know."""
        reason = failure_reason(failure)
        self.crawler.stats.inc_value(f"discovery/failed/{reason}")
        logger.warning("Listing not fetched (%s): %s", reason, failure.request.url)

    def _skip(self, url: str, reason: str) -> None:
        self.crawler.stats.inc_value(f"article/skipped/{reason}")
        logger.info("Not an article (%s): %s", reason, url)

    def _edition_hosts(self, extra: Iterable[str]) -> frozenset[str]:
        # Hosts named on the command line (-a site, -a urls) are meant; those
        # of another edition are still refused, with advice, by the offsite filter.
        named = [urlsplit(url).hostname for url in [self.site, *self.article_urls]]
        return frozenset([*self.edition.hosts, *extra, *filter(None, named)])


def _carry_contact_into_user_agent(settings: Any) -> None:
    contact = settings.getpriority("CONTACT_URL") or 0
    if contact > (settings.getpriority("USER_AGENT") or 0):
        settings.set("USER_AGENT", user_agent(settings["CONTACT_URL"]), priority=contact)
