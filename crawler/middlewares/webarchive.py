"""Turns a web archive's answer into the response it archived.

A Common Crawl record comes as a byte range of a WARC file (one gzip member);
a Wayback capture as the ``id_`` form of the page, its original headers
renamed ``X-Archive-Orig-*``. Either becomes the original HTTP response for
the original URL, stamped with the capture's time and provenance, so
callbacks and pipelines take the very path of a live page.

It sits below the WARC archive middleware (970): its ``process_response``
runs first, so what gets archived is the capture, not the 206 that carried it.
Answers that are not successes (429, 503, redirects) pass through untouched
to the retry and redirect middlewares.
"""
from __future__ import annotations

import logging
from typing import Any, NoReturn

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawler.middlewares.archive import DONT_ARCHIVE, FOREIGN_KEY, header_pairs
from crawler.middlewares.replay import build_response, response_from_archive

from crawler.sources.records import (FETCH_KEY, ORIG_PREFIX, CommonCrawlCapture, CommonCrawlFetch,
                                     WaybackCapture, WaybackFetch, capture_of, requested_bytes,
                                     restore_original_headers, wayback_exchange)
from warc.fields import normalise_date
from warc.foreign import ForeignRecordError, parse_member

logger = logging.getLogger(__name__)

# Provenance is set here; the live provenance middleware leaves it alone.
WEB_ARCHIVE_FLAG = "web_archive"
SUCCESS = (200, 206)


class WebArchiveMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WebArchiveMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        fetch = request.meta.get(FETCH_KEY)
        if fetch is None or response.status not in SUCCESS:
            return response
        if isinstance(fetch, CommonCrawlFetch):
            return self._commoncrawl(request, response, fetch)
        return self._wayback(request, response, fetch)

    # --- Common Crawl ----------------------------------------------------------

    def _commoncrawl(self, request: Request, response: Response, fetch: CommonCrawlFetch) -> Response:
        member, how = requested_bytes(response.status, response.body, fetch.offset, fetch.length)
        if member is None:
            self._reject(request, "commoncrawl/records/range_ignored",
                         "answered %s with %s bytes, not the %s bytes asked for",
                         response.status, len(response.body), fetch.length)
        if how == "sliced":
            self._count("commoncrawl/records/range_sliced")
            logger.warning("Range ignored by %s (whole file sent); cut the record out of it",
                           request.url)
        try:
            parsed = parse_member(member or b"", fetch.filename, fetch.offset)
        except ForeignRecordError as e:
            self._reject(request, f"commoncrawl/records/bad/{e.kind}", "not a WARC response record: %s", e)
        for repair in parsed.repairs:
            self._count(f"commoncrawl/repaired/{repair}")
        source = {"mode": "commoncrawl", "crawl": fetch.crawl, "warc_file": fetch.filename,
                  "warc_offset": fetch.offset}
        self._stamp(request, parsed.response.warc_date, source, CommonCrawlCapture(parsed.record, fetch))
        self._count("commoncrawl/records/fetched")
        return response_from_archive(parsed.response, request, flags=[WEB_ARCHIVE_FLAG])

    # --- Wayback Machine ---------------------------------------------------------

    def _wayback(self, request: Request, response: Response, fetch: WaybackFetch) -> Response:
        # A redirect to a neighbouring capture is followed: the URL says which one.
        timestamp, original = capture_of(response.url) or (fetch.timestamp, fetch.original)
        pairs = header_pairs(response.headers)
        headers, added = restore_original_headers(pairs)
        if any(name.lower().startswith(ORIG_PREFIX) for name, _ in pairs):
            self._count("wayback/records/headers_restored")
        exchange = wayback_exchange(original, timestamp, response.status, headers, response.body)
        source = {"mode": "wayback", "timestamp": timestamp, "capture_url": response.url}
        self._stamp(request, normalise_date(timestamp), source,
                    WaybackCapture(exchange, response.url, timestamp, added))
        self._count("wayback/records/fetched")
        return _original_response(original, response.status, headers, response.body, request)

    # --- helpers -------------------------------------------------------------

    def _stamp(self, request: Request, fetched_at: str, source: dict[str, Any], capture: Any) -> None:
        request.meta["fetched_at"] = fetched_at
        request.meta["source"] = source
        # Now a capture: the WARC archive middleware stores it, as it came.
        request.meta[FOREIGN_KEY] = capture
        request.meta.pop(DONT_ARCHIVE, None)

    def _reject(self, request: Request, key: str, message: str, *args: Any) -> NoReturn:
        self._count(key)
        logger.warning("Record skipped, %s: " + message, request.url, *args)
        raise IgnoreRequest(f"{key}: {request.url}")

    def _count(self, key: str) -> None:
        self.crawler.stats.inc_value(key)


def _original_response(url: str, status: int, headers: list[tuple[str, str]], body: bytes,
                       request: Request) -> Response:
    return build_response(url, status, headers, body, request, [WEB_ARCHIVE_FLAG])
