"""Common Crawl as a source (``-a source=commoncrawl -a crawls=CC-MAIN-2021-49,...``).

For each crawl and each host of the edition, the crawl's CDX index (a pywb
server) is asked how many pages its answer has (``showNumPages=true``), then
page by page for JSON lines naming each capture's WARC file, offset and
length. Once every crawl has been read, the chosen captures (one per article,
the newest across the crawls, unless ``-a captures=all``) are fetched as byte
ranges of the crawl's WARC files; the web-archive middleware reads the record.

A crawl name the index does not know (404 on its ``-index``) is an ERROR and
is skipped; when none of the named crawls exists, the spider closes with
reason ``commoncrawl_unknown_crawl``.
"""
from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode

from scrapy import Request, Spider
from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.sources.captures import (Capture, IndexedSource, api_request, archive_meta,
                                      failure_reason, is_html_ok)
from crawler.sources.records import FETCH_KEY, CommonCrawlFetch

logger = logging.getLogger(__name__)

INDEX_SLOT = "commoncrawl-index"
DATA_SLOT = "commoncrawl-data"
UNKNOWN_CRAWL = "commoncrawl_unknown_crawl"
REQUIRED = ("url", "timestamp", "filename", "offset", "length")


class CommonCrawlSource(IndexedSource):
    prefix = "commoncrawl"

    def __init__(self, spider: Spider) -> None:
        super().__init__(spider)
        self.index_url = self.settings["COMMONCRAWL_INDEX_URL"].rstrip("/")
        self.data_url = self.settings["COMMONCRAWL_DATA_URL"].rstrip("/")
        self.crawls = list(spider.arguments.crawls)
        self.queries = [(crawl, host) for crawl in self.crawls for host in spider.edition.hosts]
        self.unknown: set[str] = set()

    async def requests(self) -> AsyncIterator[Request]:
        logger.info("Asking the Common Crawl index of %s for %s",
                    ", ".join(self.crawls), ", ".join(self.spider.edition.hosts))
        for request in self._next_query():
            yield request

    # --- the index, one query and page after the other --------------------------

    def _query_url(self, crawl: str, host: str, **params: str) -> str:
        query = urlencode({"url": f"{host}/*", "output": "json", **params})
        return f"{self.index_url}/{crawl}-index?{query}"

    def _next_query(self) -> Iterator[Request]:
        while self.queries:
            crawl, host = self.queries.pop(0)
            if crawl not in self.unknown:
                yield api_request(self._query_url(crawl, host, showNumPages="true"), INDEX_SLOT,
                                  self.parse_num_pages, self.query_failed, self.maxsize,
                                  cc_query=(crawl, host))
                return
        yield from self._record_requests()

    def parse_num_pages(self, response: Response) -> Iterator[Request]:
        crawl, host = response.meta["cc_query"]
        pages = _num_pages(response.text)
        if pages is None:
            self.count("index/failed/bad_answer")
            logger.error("Common Crawl index of %s gave no page count for %s: %r",
                         crawl, host, response.text[:200])
            yield from self._next_query()
            return
        self.count("index/queries")
        yield from self._page(crawl, host, 0, pages)

    def _page(self, crawl: str, host: str, page: int, pages: int) -> Iterator[Request]:
        if page >= pages:
            yield from self._next_query()
            return
        yield api_request(self._query_url(crawl, host, page=str(page)), INDEX_SLOT,
                          self.parse_page, self.query_failed, self.maxsize,
                          cc_query=(crawl, host), cc_page=(page, pages))

    def parse_page(self, response: Response) -> Iterator[Request]:
        crawl, host = response.meta["cc_query"]
        page, pages = response.meta["cc_page"]
        self.count("index/pages")
        for line in response.text.splitlines():
            if line.strip():
                self._offer(crawl, line)
        yield from self._page(crawl, host, page + 1, pages)

    def _offer(self, crawl: str, line: str) -> None:
        self.count("index/lines")
        entry = _entry(line)
        if entry is None:
            self.count("index/bad_lines")
            return
        if not is_html_ok(entry.get("status"), (entry.get("mime"), entry.get("mime-detected"))):
            self.picker.skip("not_html_200")
            return
        location = (crawl, entry["filename"], int(entry["offset"]), int(entry["length"]))
        self.picker.offer(Capture(entry["url"], entry["timestamp"], entry.get("digest", ""), location))

    def query_failed(self, failure: Failure) -> Iterator[Request]:
        meta = failure.request.meta
        crawl, host = meta["cc_query"]
        status = failure_reason(failure)
        if status == "status_404" and "cc_page" not in meta:
            self._unknown_crawl(crawl)
        elif status == "status_404":
            # pywb answers 404 for a page holding no captures.
            self.count("index/empty_pages")
        else:
            self.index_failed(failure)
        if "cc_page" in meta:
            page, pages = meta["cc_page"]
            yield from self._page(crawl, host, page + 1, pages)
        else:
            yield from self._next_query()

    def _unknown_crawl(self, crawl: str) -> None:
        self.unknown.add(crawl)
        self.count("index/unknown_crawl")
        logger.error("Common Crawl has no crawl named %s (its index answered 404); "
                     "see %s/collinfo.json for the crawl names", crawl, self.index_url)

    # --- the records --------------------------------------------------------------

    def _record_requests(self) -> Iterator[Request]:
        if set(self.crawls) <= self.unknown:
            raise CloseSpider(UNKNOWN_CRAWL)
        chosen = self.picker.chosen()
        logger.info("Fetching %s Common Crawl records", len(chosen))
        for capture in chosen:
            fetch = CommonCrawlFetch(*capture.location)
            if self.guard.first_time((fetch.filename, fetch.offset)):
                yield self._record_request(fetch)

    def _record_request(self, fetch: CommonCrawlFetch) -> Request:
        # Many records share a file URL: only the Range tells them apart, so
        # Scrapy's duplicate filter must not judge them; the guard does.
        return Request(f"{self.data_url}/{fetch.filename}", headers={"Range": fetch.range},
                       callback=self.spider.parse_article, errback=self.record_failed,
                       dont_filter=True, meta=archive_meta(DATA_SLOT, **{FETCH_KEY: fetch}))


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
