"""The Wayback Machine as a source (``-a source=wayback``).

For each host of the edition its CDX server is asked for the 200 HTML
captures of ``<host>/*`` from the window's first day on (a page cannot be
captured before it is published; it may be captured years after, so there is
no upper bound), one capture per payload digest, page by page with the
server's resume key. Once every host has been read, the chosen captures are
fetched in their ``id_`` form: the page as archived, without the archive's
toolbar or link rewriting.
"""
from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlencode

from scrapy import Request, Spider
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.sources.captures import Capture, IndexedSource, api_request, archive_meta
from crawler.sources.records import FETCH_KEY, WaybackFetch

logger = logging.getLogger(__name__)

CDX_SLOT = "wayback-cdx"
WEB_SLOT = "wayback"
# Lines per CDX answer; the server returns a resume key only for a limited query.
PAGE_LIMIT = 5000
COLUMNS = ("timestamp", "original", "mimetype", "statuscode", "digest")


class WaybackSource(IndexedSource):
    prefix = "wayback"

    def __init__(self, spider: Spider) -> None:
        super().__init__(spider)
        self.cdx_url = self.settings["WAYBACK_CDX_URL"]
        self.web_url = self.settings["WAYBACK_URL"].rstrip("/")
        self.hosts = list(spider.edition.hosts)

    async def requests(self) -> AsyncIterator[Request]:
        logger.info("Asking the Wayback Machine's CDX server for %s", ", ".join(self.hosts))
        for request in self._next_host():
            yield request

    # --- the CDX index ---------------------------------------------------------------

    def _cdx_request(self, host: str, resume_key: str | None = None) -> Request:
        params = [("url", f"{host}/*"), ("output", "json")]
        if self.spider.window.since is not None:
            params.append(("from", self.spider.window.since.strftime("%Y%m%d")))
        params += [("filter", "statuscode:200"), ("filter", "mimetype:text/html"),
                   ("collapse", "digest"), ("limit", str(PAGE_LIMIT)), ("showResumeKey", "true")]
        if resume_key:
            params.append(("resumeKey", resume_key))
        return api_request(f"{self.cdx_url}?{urlencode(params)}", CDX_SLOT, self.parse_cdx,
                           self.cdx_failed, self.maxsize, wayback_host=host)

    def _next_host(self) -> Iterator[Request]:
        if self.hosts:
            yield self._cdx_request(self.hosts.pop(0))
        else:
            yield from self._record_requests()

    def parse_cdx(self, response: Response) -> Iterator[Request]:
        rows = _rows(response.text)
        if rows is None:
            self.count("index/failed/bad_answer")
            logger.error("Wayback CDX answer is not a JSON array: %s", response.url)
            yield from self._next_host()
            return
        self.count("index/pages")
        rows, resume_key = _split_resume_key(rows)
        if rows:
            self._offer_rows(rows[0], rows[1:])
        if resume_key:
            yield self._cdx_request(response.meta["wayback_host"], resume_key)
        else:
            yield from self._next_host()

    def _offer_rows(self, header: list[str], rows: list[list[str]]) -> None:
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
            self._offer(row, at)

    def _offer(self, row: list[str], at: dict[str, int]) -> None:
        # The query already filters; a server that ignored a filter is caught here.
        if row[at["statuscode"]] != "200" or not row[at["mimetype"]].startswith("text/html"):
            self.picker.skip("not_html_200")
            return
        self.picker.offer(Capture(row[at["original"]], row[at["timestamp"]], row[at["digest"]]))

    def cdx_failed(self, failure: Failure) -> Iterator[Request]:
        self.index_failed(failure)
        yield from self._next_host()

    # --- the captures ---------------------------------------------------------------

    def _record_requests(self) -> Iterator[Request]:
        chosen = self.picker.chosen()
        logger.info("Fetching %s Wayback Machine captures", len(chosen))
        for capture in chosen:
            if self.guard.first_time((capture.timestamp, capture.url)):
                fetch = WaybackFetch(capture.timestamp, capture.url)
                yield Request(f"{self.web_url}/{capture.timestamp}id_/{capture.url}",
                              callback=self.spider.parse_article, errback=self.record_failed,
                              meta=archive_meta(WEB_SLOT, **{FETCH_KEY: fetch}))


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
