"""The Wayback Machine as a source (``-a source=wayback``).

For each host of the edition its CDX server is asked for the 200 HTML
captures of ``<host>/*`` from the window's first day on (a page cannot be
captured before it is published; it may be captured years after, so there is
no upper bound), one capture per payload digest, page by page with the
server's resume key. Each page is kept on disk as it comes
(crawler.sources.cache): a run resumes from the last resume key kept, and an
answer read to its end is asked again only from the last capture time it
listed, and only once it is older than ``WAYBACK_CDX_REFRESH_AFTER``.

The chosen captures are fetched in their ``id_`` form: the page as archived,
without the archive's toolbar or link rewriting.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from scrapy import Request, Spider
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.sources.cache import WaybackCache, WaybackPage
from crawler.sources.captures import Capture, IndexedSource, api_request, archive_meta
from crawler.sources.records import FETCH_KEY, WaybackFetch

if TYPE_CHECKING:
    from crawler.sources.run import ArchiveRun

logger = logging.getLogger(__name__)

CDX_SLOT = "wayback-cdx"
WEB_SLOT = "wayback"
# Lines per CDX answer; the server returns a resume key only for a limited query.
PAGE_LIMIT = 5000
COLUMNS = ("timestamp", "original", "mimetype", "statuscode", "digest")


class WaybackSource(IndexedSource):
    prefix = "wayback"

    def __init__(self, spider: Spider, run: ArchiveRun) -> None:
        super().__init__(spider, run)
        self.cdx_url = self.settings["WAYBACK_CDX_URL"]
        self.web_url = self.settings["WAYBACK_URL"].rstrip("/")
        self.refresh_after = self.settings.getfloat("WAYBACK_CDX_REFRESH_AFTER")
        self.hosts = sorted(spider.edition.hosts)
        since = spider.window.since
        self.since = since.strftime("%Y%m%d") if since is not None else ""
        self.pages_kept = 0

    async def requests(self) -> AsyncIterator[Request]:
        logger.info("Reading the Wayback Machine's CDX index for %s (kept pages are not asked)",
                    ", ".join(self.hosts))
        for request in self._next_host():
            yield request

    # --- the CDX index ---------------------------------------------------------------

    def _cache(self, host: str) -> WaybackCache:
        return WaybackCache(self.cache_root, host, self.since or "all")

    def _next_host(self) -> Iterator[Request]:
        while self.hosts:
            host = self.hosts.pop(0)
            pages = self._cache(host).pages()
            for page in pages:
                self.count("index/cached_pages")
                self._offer_rows(page.header, page.rows)
            self.pages_kept = len(pages)
            request = self._resume(host, pages)
            if request is not None:
                yield request
                return
        yield from self.index_done()

    def _resume(self, host: str, pages: list[WaybackPage]) -> Request | None:
        """Where the kept answer goes on: its resume key, or a new query from
        its last capture time once it is old enough; None when it is recent."""
        if not pages:
            return self._cdx_request(host, self.since)
        last = pages[-1]
        if last.resume_key:
            return self._cdx_request(host, last.asked, last.resume_key)
        if time.time() - last.at < self.refresh_after:
            self.count("index/recent")
            return None
        seen = [row[last.header.index("timestamp")] for page in pages for row in page.rows
                if "timestamp" in page.header and len(row) == len(page.header)]
        return self._cdx_request(host, max(seen, default=self.since))

    def _cdx_request(self, host: str, since: str, resume_key: str | None = None) -> Request:
        params = [("url", f"{host}/*"), ("output", "json")]
        if since:
            params.append(("from", since))
        params += [("filter", "statuscode:200"), ("filter", "mimetype:text/html"),
                   ("collapse", "digest"), ("limit", str(PAGE_LIMIT)), ("showResumeKey", "true")]
        if resume_key:
            params.append(("resumeKey", resume_key))
        return api_request(f"{self.cdx_url}?{urlencode(params)}", CDX_SLOT, self.prefix,
                           self.parse_cdx, self.cdx_failed, self.maxsize, wayback_host=host,
                           wayback_from=since)

    def parse_cdx(self, response: Response) -> Iterator[Request]:
        rows = _rows(response.text)
        if rows is None:
            self.count("index/failed/bad_answer")
            logger.error("Wayback CDX answer is not a JSON array: %s", response.url)
            yield from self._next_host()
            return
        self.count("index/pages")
        rows, resume_key = _split_resume_key(rows)
        header, body = (rows[0], rows[1:]) if rows else ([], [])
        host = response.meta["wayback_host"]
        self._cache(host).save(self.pages_kept, response.meta["wayback_from"], header, body, resume_key)
        self.pages_kept += 1
        self._offer_rows(header, body)
        if resume_key:
            yield self._cdx_request(host, response.meta["wayback_from"], resume_key)
        else:
            yield from self._next_host()

    def _offer_rows(self, header: list[str], rows: list[list[str]]) -> None:
        if not rows:
            return
        if not all(column in header for column in COLUMNS):
            self.count("index/failed/bad_columns")
            logger.error("Wayback CDX answer lacks columns %s: %s", COLUMNS, header)
            return
        at = {column: header.index(column) for column in COLUMNS}
        for row in rows:
            self.count("index/lines")
            if len(row) != len(header):
                self.count("index/bad_lines")
                continue
            self._offer_row(row, at)

    def _offer_row(self, row: list[str], at: dict[str, int]) -> None:
        # The query already filters; a server that ignored a filter is caught here.
        if row[at["statuscode"]] != "200" or not row[at["mimetype"]].startswith("text/html"):
            self.skip("not_html_200")
            return
        self.offer(Capture(row[at["original"]], row[at["timestamp"]], row[at["digest"]]))

    def cdx_failed(self, failure: Failure) -> Iterator[Request]:
        self.index_failed(failure)
        yield from self._next_host()

    # --- the captures ---------------------------------------------------------------

    def fetch_key(self, capture: Capture) -> tuple[Any, ...]:
        return (capture.timestamp, capture.url)

    def record_request(self, capture: Capture, errback: Callable[..., Any]) -> Request:
        fetch = WaybackFetch(capture.timestamp, capture.url)
        return Request(f"{self.web_url}/{capture.timestamp}id_/{capture.url}",
                       callback=self.spider.parse_article, errback=errback,
                       meta=archive_meta(WEB_SLOT, self.prefix, **{FETCH_KEY: fetch}))


def _rows(text: str) -> list[list[str]] | None:
    try:
        rows = json.loads(text) if text.strip() else []
    except ValueError:
        return None
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        return None
    return rows


def _split_resume_key(rows: list[list[str]]) -> tuple[list[list[str]], str | None]:
    """The rows, and the resume key: the one value in the row after an empty row."""
    if len(rows) >= 2 and rows[-2] == [] and len(rows[-1]) == 1:
        return rows[:-2], str(rows[-1][0])
    return [row for row in rows if row], None
