"""Keeps the payload digest of every capture archived, per article (crawler.state.captures).

For a capture from a web archive, the digest its index gave (what the next
run's index will give again); for a live page, the payload digest of its WARC
record (or of the body, with archiving off). A digest is stored once the
capture's item is written to the feeds, or dropped on purpose (unchanged, a
duplicate, not valid: fetching it again would give the same), never before,
and not at all once a feed write has failed: a crash can at worst fetch a
capture again, never skip one that was not archived.

On with the store (``STATE_ENABLED``) for live and archive runs; replay
fetches nothing, so it has nothing to remember.
"""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from typing import Any

import redis
from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from crawler.feeds import FEED_WRITE_ERRORS
from crawler.middlewares.archive import META_KEY
from crawler.outputs import state_uri
from crawler.sources.run import CAPTURE_KEY
from crawler.state import StateError
from crawler.state.captures import CaptureStore, HeldCapture, open_capture_store
from crawler.state.guard import as_state_error, stop_crawl, stop_when_opened
from warc.writer import payload_digest


def held_capture(item: Any, response: Response) -> HeldCapture | None:
    """What to remember of the capture ``item`` came from."""
    adapter = ItemAdapter(item)
    listed = response.meta.get(CAPTURE_KEY)
    captured_at = adapter.get("fetched_at") or ""
    if listed is not None:
        if not listed.digest:
            return None
        return HeldCapture(listed.article_id, listed.digest, listed.source, listed.capture.url,
                           captured_at)
    written = response.meta.get(META_KEY)
    digest = getattr(written, "payload_digest", None) or payload_digest(response.body)
    key = adapter.get("article_id") or adapter.get("url") or ""
    return HeldCapture(key, digest, "live", adapter.get("url") or response.url, captured_at)


class CaptureDigests:
    def __init__(self, crawler: Crawler, store: CaptureStore) -> None:
        self.crawler = crawler
        self.store = store

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CaptureDigests:
        settings = crawler.settings
        if not settings.getbool("STATE_ENABLED"):
            raise NotConfigured
        try:
            store = open_capture_store(state_uri(settings, crawler.spidercls.name))
        except (StateError, sqlite3.Error, redis.RedisError) as e:
            # A damaged store: the crawl stops with state_error as soon as it opens.
            error = as_state_error(crawler, e) or StateError(str(e))
            stop_when_opened(crawler, error)
            raise NotConfigured(str(error)) from e
        extension = cls(crawler, store)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def item_scraped(self, item: Any, response: Response, spider: Spider) -> None:
        self._remember(item, response)

    def item_dropped(self, item: Any, response: Response, exception: Exception, spider: Spider) -> None:
        self._remember(item, response)

    def _remember(self, item: Any, response: Response | None) -> None:
        if response is None or getattr(self.crawler.spider, "replay_specs", None):
            return
        if self.crawler.stats.get_value(FEED_WRITE_ERRORS):
            return
        capture = held_capture(item, response)
        if capture is None:
            self.crawler.stats.inc_value("captures/no_digest")
            return
        try:
            added = self.store.add(capture, datetime.now(timezone.utc).isoformat(timespec="seconds"))
        except (StateError, sqlite3.Error, redis.RedisError) as e:
            stop_crawl(self.crawler, as_state_error(self.crawler, e) or StateError(str(e)))
            return
        self.crawler.stats.inc_value("captures/stored" if added else "captures/already_held")

    def spider_closed(self, spider: Spider) -> None:
        self.store.close()
