"""Emits each article once: within a run, and across runs through the state store.

Articles are keyed by the platform's id, which is the same on every host and
mirror (the URL when a page has none). Within a run, the same article with the
same body is a duplicate; the run remembers a 16-byte hash per article and
text, about 40 bytes each in a ``DigestSet``. Across runs, an article
already archived with the same normalised body (and the same live entries,
audio, gallery or video, when the page has them) is dropped as unchanged; a
changed one is emitted again with the next ``version``.

The store learns of an item only after the feed exporter has written it
(``item_scraped`` reaches this pipeline after the FeedExporter, which was
connected first), and not at all once a feed write has failed: an item dropped
later, lost in a crash or cut short on a full disk is never marked as
archived, so a failure can at worst repeat an article, never lose one.
At that same moment the version's text goes into the edit history
(crawler/state/versions.py), unless HISTORY_ENABLED is off.

A removal item (``removed`` set, crawler/middlewares/removals.py) is the last
archived text said gone: it passes untouched (``removals/emitted``) and is
neither a duplicate, unchanged, nor a version to store.
"""
from __future__ import annotations

import hashlib
import logging
import sqlite3
from datetime import datetime, timezone
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.digestset import DigestSet
from crawler.feeds import FEED_WRITE_ERRORS
from crawler.state import ArchivedArticle, ArticleStore, StateError, open_store
from crawler.state.guard import as_state_error, stop_crawl, stop_when_opened
from crawler.state.versions import HistoryUnsupported, VersionHistory, history_for, text_digest

logger = logging.getLogger(__name__)


def content_digest(adapter: ItemAdapter) -> bytes:
    """The body's SHA-1, with the media payload of a live/podcast/gallery/video page."""
    return text_digest(adapter)


def article_key(adapter: ItemAdapter) -> str:
    return adapter.get("article_id") or adapter.get("url") or ""


class DedupePipeline:
    def __init__(self, crawler: Crawler, store: ArticleStore | None) -> None:
        self.crawler = crawler
        self.store = store
        self.seen = DigestSet(16)
        self.history: VersionHistory | None = None
        # Set once the store has failed: no item may go out unchecked after it.
        self.store_error: StateError | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        settings = crawler.settings
        if not settings.getbool("STATE_ENABLED"):
            return cls(crawler, None)
        try:
            store = open_store(settings["STATE_URI"].replace("%(spider)s", crawler.spidercls.name))
        except StateError as e:
            return cls._without_store(crawler, e)
        pipeline = cls(crawler, store)
        if settings.getbool("HISTORY_ENABLED"):
            pipeline.history = _history(store)
        crawler.signals.connect(pipeline.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    @classmethod
    def _without_store(cls, crawler: Crawler, error: StateError) -> DedupePipeline:
        """A store that cannot be opened stops the crawl as soon as it starts."""
        pipeline = cls(crawler, None)
        pipeline.store_error = error
        stop_when_opened(crawler, error)
        return pipeline

    async def process_item(self, item: Any) -> Any:
        try:
            return self._checked(item)
        except StateError as e:
            self.store_error = e
            stop_crawl(self.crawler, e)
            raise DropItem(f"The article store failed; not emitted: {ItemAdapter(item).get('url')}") from e

    def _checked(self, item: Any) -> Any:
        if self.store_error is not None:
            raise DropItem(f"The article store failed; not emitted: {ItemAdapter(item).get('url')}")
        adapter = ItemAdapter(item)
        if adapter.get("removed"):
            # Not a new text: the last archived one, said gone, once per removal.
            self.crawler.stats.inc_value("removals/emitted")
            return item
        digest = content_digest(adapter)
        key = hashlib.blake2b(article_key(adapter).encode() + digest, digest_size=16).digest()
        if not self.seen.add(key):
            self.crawler.stats.inc_value("dedupe/duplicate")
            raise DropItem(f"Duplicate of an article already emitted: {adapter.get('url')}")
        archived = self.archived(adapter)
        if archived is not None and archived.digest == digest:
            self._unchanged(adapter)
        if "version" in adapter.field_names():
            adapter["version"] = archived.versions + 1 if archived else 1
        return item

    def archived(self, adapter: ItemAdapter) -> ArchivedArticle | None:
        return self.store.get(article_key(adapter)) if self.store is not None else None

    def _unchanged(self, adapter: ItemAdapter) -> None:
        self.crawler.stats.inc_value("dedupe/unchanged")
        if adapter.get("fetched_at"):
            self.store.touch(article_key(adapter), adapter["fetched_at"])
        # Routine in every incremental run (one per article with -a refresh=1):
        # counted, and summed up in the closing summary; the line is for DEBUG.
        raise DropItem(f"Unchanged since it was archived: {adapter.get('url')}", log_level="DEBUG")

    def item_scraped(self, item: Any, response: Any, spider: Spider) -> None:
        adapter = ItemAdapter(item)
        if adapter.get("removed"):
            return
        if self.crawler.stats.get_value(FEED_WRITE_ERRORS):
            # The feeds may not hold this item whole: the next run must fetch it again.
            self.crawler.stats.inc_value("dedupe/not_stored")
            return
        try:
            stored = self.store.record_version(
                article_key(adapter), adapter.get("url") or "", adapter.get("published"),
                adapter.get("modified"), content_digest(adapter),
                adapter.get("fetched_at") or "")
            self.crawler.stats.inc_value("dedupe/stored")
            if self.history is not None:
                self._record_history(adapter, stored)
        except (StateError, sqlite3.Error) as e:
            # In the feed but not (wholly) in the store: the next run emits it
            # again unless the store is rebuilt from the feeds, as the message says.
            self.store_error = as_state_error(self.crawler, e)
            self.crawler.stats.inc_value("dedupe/not_stored")
            stop_crawl(self.crawler, self.store_error)
            return
        if adapter.get("version") not in (None, stored):
            self.crawler.stats.inc_value("dedupe/version_conflict")
            logger.warning("%s went out as version %s but the store counts it as version %s: "
                           "another run archived a different text meanwhile",
                           adapter.get("url"), adapter.get("version"), stored)

    def _record_history(self, adapter: ItemAdapter, version: int) -> None:
        fields = {**adapter.asdict(), "article_id": article_key(adapter)}
        now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        if self.history.record(fields, version, now):
            self.crawler.stats.inc_value("history/versions_recorded")

    def spider_closed(self, spider: Spider) -> None:
        self.store.close()


def _history(store: ArticleStore) -> VersionHistory | None:
    try:
        return history_for(store)
    except HistoryUnsupported as e:
        logger.warning("No edit history is kept: %s", e)
        return None
