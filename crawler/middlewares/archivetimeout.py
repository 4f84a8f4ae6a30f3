"""Shorter timeouts and fewer tries for requests to public web archives.

An archive index that accepts connections but never answers cost about two
minutes per query with the crawl's own DOWNLOAD_TIMEOUT (30 s) and
RETRY_TIMES (3). Every request of the archive sources names its source in
``meta["archive_source"]`` (crawler.sources.captures.archive_meta), as the
slow-down middleware reads it; this middleware gives those requests
ARCHIVE_DOWNLOAD_TIMEOUT and ARCHIVE_RETRY_TIMES, unless the request sets its
own ``download_timeout`` / ``max_retry_times``. The meta key, not the download
slot, tells an archive request: a user's own DOWNLOAD_SLOTS must not take the
archive timeouts away. Before Scrapy's DownloadTimeoutMiddleware (350), which
fills in the default otherwise.
"""
from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler

from crawler.middlewares.slowdown import ARCHIVE_SOURCE_KEY


class ArchiveTimeoutMiddleware:
    def __init__(self, timeout: float, retry_times: int) -> None:
        self.timeout = timeout
        self.retry_times = retry_times

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveTimeoutMiddleware:
        settings = crawler.settings
        return cls(settings.getfloat("ARCHIVE_DOWNLOAD_TIMEOUT"), settings.getint("ARCHIVE_RETRY_TIMES"))

    def process_request(self, request: Request) -> None:
        if request.meta.get(ARCHIVE_SOURCE_KEY):
            request.meta.setdefault("download_timeout", self.timeout)
            request.meta.setdefault("max_retry_times", self.retry_times)
