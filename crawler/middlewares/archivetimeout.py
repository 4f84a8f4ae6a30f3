"""Shorter timeouts and fewer tries for requests to public web archives.

An archive index that accepts connections but never answers cost about two
minutes per query with the crawl's own DOWNLOAD_TIMEOUT (30 s) and
RETRY_TIMES (3). Requests of the archive sources go through the download
slots named in DOWNLOAD_SLOTS (crawler.sources); this middleware gives those
ARCHIVE_DOWNLOAD_TIMEOUT and ARCHIVE_RETRY_TIMES, unless the request sets its
own ``download_timeout`` / ``max_retry_times``. Before Scrapy's
DownloadTimeoutMiddleware (350), which fills in the default otherwise.
"""
from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class ArchiveTimeoutMiddleware:
    def __init__(self, slots: frozenset[str], timeout: float, retry_times: int) -> None:
        self.slots = slots
        self.timeout = timeout
        self.retry_times = retry_times

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveTimeoutMiddleware:
        settings = crawler.settings
        slots = frozenset(settings.getdict("DOWNLOAD_SLOTS"))
        if not slots:
            raise NotConfigured
        return cls(slots, settings.getfloat("ARCHIVE_DOWNLOAD_TIMEOUT"),
                   settings.getint("ARCHIVE_RETRY_TIMES"))

    def process_request(self, request: Request) -> None:
        if request.meta.get("download_slot") in self.slots:
            request.meta.setdefault("download_timeout", self.timeout)
            request.meta.setdefault("max_retry_times", self.retry_times)
