"""Common Crawl as a source (``-a source=commoncrawl -a crawls=CC-MAIN-2021-49,...|all``).

For each crawl and each host of the edition, the crawl's CDX index (a pywb
server) is asked how many pages its answer has (``showNumPages=true``), then
page by page for JSON lines naming each capture's WARC file, offset and
length. A crawl never changes: each page is kept on disk as it comes
(crawler.sources.cache) and never asked again, by this run or a later one.
``crawls=all`` takes every crawl of the index's ``collinfo.json`` whose period
can hold the window (it ends on or after the window's first day).

The chosen captures are fetched as byte ranges of the crawl's WARC files;
the web-archive middleware reads the record.

A crawl name the index does not know (404 on its ``-index``) is an ERROR and
is skipped; when none of the named crawls exists, the spider closes with
reason ``commoncrawl_unknown_crawl`` (when it is the run's only source).
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from scrapy import Request, Spider
from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.arguments import ALL_CRAWLS
from crawler.atomic import write_bytes as write_atomically
from crawler.sources.cache import CommonCrawlCache, collinfo_cache
from crawler.sources.captures import (Capture, IndexedSource, api_request, archive_meta,
                                      failure_reason, is_html_ok)
from crawler.sources.crawls import crawls_for_window
from crawler.sources.records import FETCH_KEY, CommonCrawlFetch

if TYPE_CHECKING:
    from crawler.sources.run import ArchiveRun

logger = logging.getLogger(__name__)

INDEX_SLOT = "commoncrawl-index"
DATA_SLOT = "commoncrawl-data"
UNKNOWN_CRAWL = "commoncrawl_unknown_crawl"
REQUIRED = ("url", "timestamp", "filename", "offset", "length")
# The crawl list grows about monthly; a day-old copy misses at most the newest.
COLLINFO_MAX_AGE = 24 * 3600


class CommonCrawlSource(IndexedSource):
    prefix = "commoncrawl"

    def __init__(self, spider: Spider, run: ArchiveRun) -> None:
        super().__init__(spider, run)
        self.index_url = self.settings["COMMONCRAWL_INDEX_URL"].rstrip("/")
        self.data_url = self.settings["COMMONCRAWL_DATA_URL"].rstrip("/")
        self.hosts = sorted(spider.edition.hosts)
        self.crawls: list[str] = []
        self.queries: list[tuple[str, str]] = []
        self.current: list[Any] | None = None  # [crawl, host, next page, pages]
        self.unknown: set[str] = set()

    async def requests(self) -> AsyncIterator[Request]:
        if self.spider.arguments.crawls == (ALL_CRAWLS,):
            cached = self._cached_collinfo()
            if cached is None:
                yield api_request(f"{self.index_url}/collinfo.json", INDEX_SLOT, self.prefix,
                                  self.parse_collinfo, self.collinfo_failed, self.maxsize)
                return
            self._use_crawls(cached)
        else:
            self._use_crawls(None)
        for request in self._advance():
            yield request

    # --- which crawls ---------------------------------------------------------------

    def _cached_collinfo(self) -> Any:
        path = collinfo_cache(self.cache_root)
        try:
            if time.time() - path.stat().st_mtime < COLLINFO_MAX_AGE:
                return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
        return None

    def parse_collinfo(self, response: Response) -> Iterator[Request]:
        try:
            entries = json.loads(response.text)
        except ValueError:
            entries = None
        if not isinstance(entries, list):
            self.count("index/failed/bad_collinfo")
            logger.error("Common Crawl's collinfo.json is not a JSON list: %s", response.url)
            entries = []
        else:
            write_atomically(collinfo_cache(self.cache_root), response.body)
        self._use_crawls(entries)
        yield from self._advance()

    def collinfo_failed(self, failure: Failure) -> Iterator[Request]:
        self.index_failed(failure)
        self._use_crawls([])
        yield from self._advance()

    def _use_crawls(self, collinfo: Any) -> None:
        if collinfo is None:
            self.crawls = list(self.spider.arguments.crawls)
        else:
            self.crawls = crawls_for_window(collinfo, self.spider.window)
            self.stats.set_value("commoncrawl/crawls", len(self.crawls))
            logger.info("Common Crawl: %s crawls can hold the window: %s", len(self.crawls),
                        ", ".join(self.crawls) or "none")
        self.queries = [(crawl, host) for crawl in self.crawls for host in self.hosts]
        logger.info("Reading the Common Crawl index of %s crawls for %s (cached pages are not asked)",
                    len(self.crawls), ", ".join(self.hosts))

    # --- the index, one query and page after the other, from the cache when kept --

    def _cache(self, crawl: str, host: str) -> CommonCrawlCache:
        return CommonCrawlCache(self.cache_root, crawl, host)

    def _query_url(self, crawl: str, host: str, **params: str) -> str:
        query = urlencode({"url": f"{host}/*", "output": "json", **params})
        return f"{self.index_url}/{crawl}-index?{query}"

    def _advance(self) -> Iterator[Request]:
        """Reads what the cache holds, up to the first page it lacks, and asks for that."""
        while True:
            if self.current is None:
                if not self.queries:
                    yield from self._index_done()
                    return
                crawl, host = self.queries.pop(0)
                pages = self._cache(crawl, host).num_pages()
                if pages is None:
                    yield self._index_request(crawl, host, None, self.parse_num_pages)
                    return
                self.current = [crawl, host, 0, pages]
            crawl, host, page, pages = self.current
            if page >= pages:
                self.current = None
                continue
            text = self._cache(crawl, host).page(page)
            if text is None:
                yield self._index_request(crawl, host, page, self.parse_page)
                return
            self.count("index/cached_pages")
            self._read_page(crawl, text)
            self.current[2] += 1

    def _index_request(self, crawl: str, host: str, page: int | None,
                       callback: Callable[..., Any]) -> Request:
        params = {"showNumPages": "true"} if page is None else {"page": str(page)}
        return api_request(self._query_url(crawl, host, **params), INDEX_SLOT, self.prefix,
                           callback, self.query_failed, self.maxsize, cc_query=(crawl, host),
                           cc_page=page)

    def parse_num_pages(self, response: Response) -> Iterator[Request]:
        crawl, host = response.meta["cc_query"]
        pages = _num_pages(response.text)
        if pages is None:
            self.count("index/failed/bad_answer")
            logger.error("Common Crawl index of %s gave no page count for %s: %r",
                         crawl, host, response.text[:200])
        else:
            self.count("index/queries")
            self._cache(crawl, host).save_num_pages(pages)
            self.current = [crawl, host, 0, pages]
        yield from self._advance()

    def parse_page(self, response: Response) -> Iterator[Request]:
        crawl, host = response.meta["cc_query"]
        self.count("index/pages")
        self._cache(crawl, host).save_page(response.meta["cc_page"], response.text)
        self._read_page(crawl, response.text)
        self._next_page()
        yield from self._advance()

    def _next_page(self) -> None:
        if self.current is not None:
            self.current[2] += 1

    def _read_page(self, crawl: str, text: str) -> None:
        for line in text.splitlines():
            if line.strip():
                self._offer_line(crawl, line)

    def _offer_line(self, crawl: str, line: str) -> None:
        self.count("index/lines")
        entry = _entry(line)
        if entry is None:
            self.count("index/bad_lines")
            return
        if not is_html_ok(entry.get("status"), (entry.get("mime"), entry.get("mime-detected"))):
            self.skip("not_html_200")
            return
        location = (crawl, entry["filename"], int(entry["offset"]), int(entry["length"]))
        self.offer(Capture(entry["url"], entry["timestamp"], entry.get("digest", ""), location))

    def query_failed(self, failure: Failure) -> Iterator[Request]:
        meta = failure.request.meta
        crawl, host = meta["cc_query"]
        page = meta.get("cc_page")
        status = failure_reason(failure)
        if status == "status_404" and page is None:
            self._unknown_crawl(crawl)
        elif status == "status_404":
            # pywb answers 404 for a page holding no captures: an answer, kept.
            self.count("index/empty_pages")
            self._cache(crawl, host).save_page(page, "")
        else:
            self.index_failed(failure)
        if page is not None:
            self._next_page()
        yield from self._advance()

    def _unknown_crawl(self, crawl: str) -> None:
        self.unknown.add(crawl)
        self.queries = [(c, h) for c, h in self.queries if c != crawl]
        self.count("index/unknown_crawl")
        logger.error("Common Crawl has no crawl named %s (its index answered 404); "
                     "see %s/collinfo.json for the crawl names", crawl, self.index_url)

    def _index_done(self) -> Iterator[Request]:
        if self.crawls and set(self.crawls) <= self.unknown and self.run.alone(self.prefix):
            raise CloseSpider(UNKNOWN_CRAWL)
        yield from self.index_done()

    # --- the records --------------------------------------------------------------

    def fetch_key(self, capture: Capture) -> tuple[Any, ...]:
        return capture.location[1:3]

    def record_request(self, capture: Capture, errback: Callable[..., Any]) -> Request:
        # Many records share a file URL: only the Range tells them apart, so
        # Scrapy's duplicate filter must not judge them; the run's guard does.
        fetch = CommonCrawlFetch(*capture.location)
        return Request(f"{self.data_url}/{fetch.filename}", headers={"Range": fetch.range},
                       callback=self.spider.parse_article, errback=errback, dont_filter=True,
                       meta=archive_meta(DATA_SLOT, self.prefix, **{FETCH_KEY: fetch}))


def _num_pages(text: str) -> int | None:
    try:
        pages = json.loads(text).get("pages")
    except (ValueError, AttributeError):
        return None
    return pages if isinstance(pages, int) and pages >= 0 else None


def _entry(line: str) -> dict[str, Any] | None:
    """One JSON line of the index, if it names a usable record."""
    try:
        entry = json.loads(line)
        usable = all(entry.get(key) for key in REQUIRED) and int(entry["length"]) > 0
        return entry if usable and int(entry["offset"]) >= 0 else None
    except (ValueError, TypeError, AttributeError):
        return None
