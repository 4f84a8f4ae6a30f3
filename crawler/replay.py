"""Turns WARC files into requests that the replay middleware answers."""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from scrapy import Request, Spider, signals

from crawler.discovery import DiscoveryFilter
from crawler.middlewares.replay import META_KEY
from warc.reader import ArchivedResponse, ReplayPathError, WarcReplayReader, expand_paths

logger = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")


class ReplayPlan:
    """Which archived records become requests, and why the others do not."""

    def __init__(self, spider: Spider, urls: DiscoveryFilter) -> None:
        self.spider = spider
        self.urls = urls
        self.stats = spider.crawler.stats

    def skip_reason_for_response(self, archived: ArchivedResponse) -> str | None:
        if archived.status != 200:
            return f"status_{archived.status}"
        content_type = _header(archived, "content-type")
        if content_type and not content_type.split(";")[0].strip().lower() in HTML_TYPES:
            return "not_html"
        return None

    def paths(self, specs: list[str]) -> list[str]:
        found: list[str] = []
        for spec in specs:
            try:
                found.extend(expand_paths(spec))
            except ReplayPathError as e:
                self.stats.inc_value("replay/errors/missing_path")
                logger.error("Replay path skipped: %s", e)
        return found

    async def requests(self, specs: list[str], callback: object) -> AsyncIterator[Request]:
        reader = WarcReplayReader(
            self.paths(specs), count=self._count, url_filter=self.urls.skip_reason_for_article
        )
        for archived in reader.responses():
            reason = self.skip_reason_for_response(archived)
            if reason:
                self._count(f"replay/skipped/{reason}")
                continue
            await self._wait_for_room()
            yield Request(archived.url, callback=callback, dont_filter=True,
                          meta={META_KEY: archived})

    async def _wait_for_room(self) -> None:
        # Scrapy drains start() eagerly into the scheduler while the engine is
        # busy; waiting here keeps replay memory flat however large the archive.
        crawler = self.spider.crawler
        if crawler.engine is not None and crawler.engine.needs_backout():
            await crawler.signals.wait_for(signals.scheduler_empty)

    def _count(self, key: str, count: int = 1) -> None:
        self.stats.inc_value(key, count)


def _header(archived: ArchivedResponse, name: str) -> str | None:
    for key, value in archived.headers:
        if key.lower() == name:
            return value
    return None
