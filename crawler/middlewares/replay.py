"""Answers requests from web archives instead of the network.

The replay spider attaches an archived HTTP response to each request it makes
(``request.meta["archived_response"]``). This middleware turns it into an
ordinary Scrapy response, so everything after it (decompression, callbacks,
pipelines, stats) is the very path a live response takes.
"""
from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes

from warc.reader import ArchivedResponse

logger = logging.getLogger(__name__)

META_KEY = "archived_response"


def build_response(url: str, status: int, header_pairs: list[tuple[str, str]], body: bytes,
                   request: Request, flags: list[str], protocol: str | None = None) -> Response:
    """A Scrapy response of the type its headers and body call for, as the
    downloader would have made it; repeated headers keep every value."""
    headers = Headers(grouped_headers(header_pairs))
    cls = responsetypes.from_args(headers=headers, url=url, body=body)
    return cls(url=url, status=status, headers=headers, body=body, request=request,
               protocol=protocol, flags=flags)


def grouped_headers(header_pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Values of each header name, in order, names grouped case-insensitively.

    Built in one pass: ``Headers.appendlist`` copies a name's whole list on
    every call, quadratic in a header repeated thousands of times.
    """
    grouped: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for name, value in header_pairs:
        grouped.setdefault(names.setdefault(name.lower(), name), []).append(value)
    return grouped


def response_from_archive(archived: ArchivedResponse, request: Request,
                          flags: list[str] | None = None) -> Response:
    return build_response(archived.url, archived.status, archived.headers, archived.body,
                          request, flags if flags is not None else ["replay"],
                          protocol=archived.protocol or None)


def replay_provenance(archived: ArchivedResponse) -> dict[str, Any]:
    return {
        "mode": "replay",
        # The URL of the capture: an AMP or mobile copy gives the item its
        # desktop URL, and this is what was actually archived.
        "fetched_url": archived.url,
        "warc_file": archived.warc_file,
        "warc_offset": archived.warc_offset,
        "warc_record_id": archived.warc_record_id,
    }


class ReplayDownloaderMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.offline = crawler.settings.getbool("REPLAY_OFFLINE")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ReplayDownloaderMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> Response | None:
        archived: ArchivedResponse | None = request.meta.pop(META_KEY, None)
        if archived is None:
            if self.offline:
                self._refuse(request)
            return None
        # The payload now lives in the response; keeping it in meta too would
        # double the memory each in-flight page costs.
        self._check_size(request, archived)
        request.meta["fetched_at"] = archived.warc_date
        request.meta["source"] = replay_provenance(archived)
        self.crawler.stats.inc_value("replay/responses")
        return response_from_archive(archived, request)

    def _check_size(self, request: Request, archived: ArchivedResponse) -> None:
        # The reader applies DOWNLOAD_MAXSIZE to every record; a request may
        # ask for less, as it can of the live downloader.
        limit = request.meta.get("download_maxsize")
        if limit and len(archived.body) > limit:
            self.crawler.stats.inc_value("replay/skipped/too_large")
            logger.warning("Skipped replayed %s: payload of %d bytes over its download_maxsize "
                           "of %d bytes", request.url, len(archived.body), limit)
            raise IgnoreRequest(f"payload over download_maxsize: {request.url}")

    def _refuse(self, request: Request) -> None:
        self.crawler.stats.inc_value("replay/network_refused")
        logger.warning("Replay is offline: not fetching %s", request.url)
        raise IgnoreRequest(f"replay is offline: {request.url}")
