"""Slows down for an archive that asks to, and gives up on one that stays down.

A 429 or 503 answer, or any error answer saying "slow down" (S3, which serves
Common Crawl's files, answers 503 ``SlowDown``), from a web archive raises the
delay of that request's download slot for the rest of the run: to
``ARCHIVE_SLOWDOWN_FACTOR`` times what it was, at least what ``Retry-After``
asked, at most ``ARCHIVE_SLOWDOWN_MAX_DELAY``. The retry middleware still
retries the request itself (and waits as Retry-After asks).

After ``ARCHIVE_SOURCE_DOWN_AFTER`` failed answers in a row from one archive
(errors, throttling, timeouts; none successful in between), the archive is
taken as down: one WARNING, ``archive/source_down/<source>``, and its
remaining requests fail at once with ``SourceDown``, so the run goes on
with the other archives (which take over the articles they also hold).

It sits nearer the downloader than the retry middleware (550), so it sees
every answer, the retried ones included.
"""
from __future__ import annotations

import logging

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response

from crawler.middlewares.retry import retry_after_seconds

logger = logging.getLogger(__name__)

# Meta key naming the web archive a request goes to (set by crawler.sources).
ARCHIVE_SOURCE_KEY = "archive_source"
THROTTLING = (429, 503)
SLOW_DOWN_TEXT = b"slow down"
SLOW_DOWN_WORD = b"slowdown"
# Delay raised from nothing (tests, or a slot without a delay) starts here.
FIRST_STEP = 1.0


class SourceDown(IgnoreRequest):
    """The archive this request goes to has stopped answering."""


class ArchiveSlowDownMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.factor = settings.getfloat("ARCHIVE_SLOWDOWN_FACTOR")
        self.max_delay = settings.getfloat("ARCHIVE_SLOWDOWN_MAX_DELAY")
        self.down_after = settings.getint("ARCHIVE_SOURCE_DOWN_AFTER")
        self.delays: dict[str, float] = {}
        self.failures: dict[str, int] = {}
        self.down: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveSlowDownMiddleware:
        if not crawler.settings.getbool("ARCHIVE_SLOWDOWN_ENABLED"):
            raise NotConfigured
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        source = request.meta.get(ARCHIVE_SOURCE_KEY)
        if source is None:
            return
        if source in self.down:
            self.crawler.stats.inc_value(f"archive/source_down_skipped/{source}")
            raise SourceDown(f"{source} is down: {request.url}")
        self._apply(request)

    def process_response(self, request: Request, response: Response) -> Response:
        source = request.meta.get(ARCHIVE_SOURCE_KEY)
        if source is None:
            return response
        if response.status < 400 or response.status == 404:
            # 404 is an answer (an unknown crawl, an empty page), not an outage.
            self.failures[source] = 0
            return response
        if response.status in THROTTLING or _says_slow_down(response):
            self._slow_down(request, retry_after_seconds(response.headers.get(b"Retry-After")))
        self._failed(source)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        source = request.meta.get(ARCHIVE_SOURCE_KEY)
        if source is not None and not isinstance(exception, IgnoreRequest):
            self._failed(source)

    def _slow_down(self, request: Request, asked: float | None) -> None:
        slot = self._slot_key(request)
        current = max(self.delays.get(slot, 0.0), self._slot_delay(slot))
        raised = min(max(current * self.factor, asked or 0.0, FIRST_STEP), self.max_delay)
        self.crawler.stats.inc_value(f"archive/slowdown/{slot}")
        if raised <= current:
            return
        self.delays[slot] = raised
        self.crawler.stats.max_value(f"archive/slot_delay/{slot}", raised)
        logger.warning("%s asked us to slow down (%s): %s delay now %.1fs for the rest of the run",
                       request.meta.get(ARCHIVE_SOURCE_KEY), request.url, slot, raised)
        self._apply(request)

    def _failed(self, source: str) -> None:
        self.failures[source] = self.failures.get(source, 0) + 1
        if self.failures[source] >= self.down_after and source not in self.down:
            self.down.add(source)
            self.crawler.stats.set_value(f"archive/source_down/{source}", 1)
            logger.warning("%s failed %s times in a row: taken as down for the rest of the run; "
                           "its captures are fetched from the other archives where they have them",
                           source, self.failures[source])

    def _apply(self, request: Request) -> None:
        slot_key = self._slot_key(request)
        wanted = self.delays.get(slot_key)
        slot = self._slots().get(slot_key)
        if wanted is not None and slot is not None and slot.delay < wanted:
            slot.delay = wanted

    def _slot_delay(self, key: str) -> float:
        slot = self._slots().get(key)
        return slot.delay if slot is not None else 0.0

    def _slot_key(self, request: Request) -> str:
        return str(request.meta.get("download_slot") or self.crawler.engine.downloader.get_slot_key(request))

    def _slots(self) -> dict:
        engine = self.crawler.engine
        return engine.downloader.slots if engine is not None else {}


def _says_slow_down(response: Response) -> bool:
    head = response.body[:2048].lower()
    return SLOW_DOWN_TEXT in head or SLOW_DOWN_WORD in head
