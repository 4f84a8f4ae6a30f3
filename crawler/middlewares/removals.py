"""Finds archived articles the publisher has since removed.

An article the store holds that now answers 404 or 410, or redirects off the
article (to the home page, a rubric, another article), is marked ``removed``
in the store's ``article_removals`` table with the time it was first seen
gone (crawler/state/versions.py). A redirect to the same article id on
another host or path (``fr.sputniknews.com`` to ``.africa``) is not a removal.

It sits below RedirectMiddleware (600), so it sees the redirect itself, and
looks only at live answers: an archive capture says what a page was, not
that it is gone now. ``-a recheck=1`` asks again for the window's archived
articles so that removals are found even when no listing names them.

The first time an article is seen gone, one removal item goes to the item
pipelines and feeds: the last archived version's fields from the edit
history, ``removed`` and ``fetched_at`` the time it was seen gone, ``source``
the provenance of the answer that said so. Later sightings emit nothing. An
article the store holds without a version text gives an item with its URL,
id and ``removed`` only (the pipelines add the edition).

The removal is recorded in the store only once its item is in the feeds
(``item_scraped``, which reaches this middleware after the FeedExporter,
connected first), as the article store records an article: a run killed
in between, a pipeline that drops the item or a failed feed write leaves
it unrecorded (``removals/not_recorded``), and the next run that sees the
article gone emits it again. At least once, never lost.
"""
from __future__ import annotations

import dataclasses
import logging
import sqlite3
from typing import Any
from urllib.parse import urljoin, urlsplit

from itemadapter import ItemAdapter
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from crawler.feeds import FEED_WRITE_ERRORS
from crawler.items import ArticleItem
from crawler.middlewares.provenance import STAMPED, utc_now_iso
from crawler.outputs import for_spider
from crawler.state import StateError, open_store
from crawler.state.guard import stop_when_opened
from crawler.state.versions import HistoryUnsupported, VersionHistory, history_for
from crawler.urls import article_id_from_url, canonical_article_url

logger = logging.getLogger(__name__)

GONE_STATUSES = frozenset({404, 410})


def same_article_path(request_url: str, archived_url: str | None) -> bool:
    """Whether a request asks for the page the article was archived as.

    Only that page's answer speaks for the article: a listing may name the id
    under a wrong slug or with stray arguments, and such a URL can 404 while
    the article stands. Hosts may differ (the edition's other host, a mirror,
    ``-a site``); AMP and mobile forms count as the article's own page.
    """
    if not archived_url:
        return False
    return urlsplit(canonical_article_url(request_url)).path == urlsplit(archived_url).path


def removal_reason(request_url: str, response: Response) -> tuple[str, str | None] | None:
    """(reason, redirect target) when the answer says the article is gone."""
    if response.status in GONE_STATUSES:
        return f"status_{response.status}", None
    location = response.headers.get(b"Location")
    if not 300 <= response.status < 400 or not location:
        return None
    target = urljoin(request_url, location.decode("latin-1"))
    if article_id_from_url(target) == article_id_from_url(request_url):
        return None
    return "redirect", target


ITEM_FIELDS = frozenset(field.name for field in dataclasses.fields(ArticleItem))


def removal_item(history: VersionHistory, article_id: str, url: str, seen_at: str,
                 source: dict[str, Any]) -> ArticleItem:
    """The last archived version of an article, said gone at ``seen_at``."""
    versions = history.versions(article_id)
    last = versions[-1] if versions else None
    fields = {name: value for name, value in (last.text if last else {}).items()
              if name in ITEM_FIELDS}
    fields.update(article_id=article_id, url=fields.get("url") or history.archived_url(article_id)
                  or url, version=last.version if last else None, fetched_at=seen_at,
                  source=source, removed=seen_at)
    return ArticleItem(**fields)


class RemovalMiddleware:
    def __init__(self, crawler: Crawler, history: VersionHistory) -> None:
        self.crawler = crawler
        self.history = history
        # Removal items sent on and not yet in the feeds, by article id: what
        # to record once they are (url, seen at, reason, redirect target).
        self.pending: dict[str, tuple[str, str, str, str | None]] = {}
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.item_not_written, signal=signals.item_dropped)
        crawler.signals.connect(self.item_not_written, signal=signals.item_error)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RemovalMiddleware:
        settings = crawler.settings
        if not (settings.getbool("STATE_ENABLED") and settings.getbool("HISTORY_ENABLED")):
            raise NotConfigured
        try:
            store = open_store(for_spider(settings["STATE_URI"], crawler.spidercls.name))
        except StateError as e:
            stop_when_opened(crawler, e)
            raise NotConfigured(str(e)) from e
        try:
            return cls(crawler, history_for(store))
        except HistoryUnsupported as e:
            store.close()
            logger.warning("Removed articles are not tracked: %s", e)
            raise NotConfigured from e

    async def process_response(self, request: Request, response: Response) -> Response:
        if STAMPED & set(response.flags):
            return response
        article_id = article_id_from_url(request.url)
        found = removal_reason(request.url, response) if article_id else None
        if not found:
            return response
        seen_at = request.meta.get("fetched_at") or utc_now_iso()
        try:
            if not same_article_path(request.url, self.history.archived_url(article_id)):
                if self.history.is_archived(article_id):
                    self.crawler.stats.inc_value("removals/ignored/other_url")
                    logger.debug("Not a removal: %s is not the URL %s was archived under",
                                 request.url, article_id)
                return response
            if article_id in self.pending:
                return response  # its item is on its way to the feeds
            if self.history.removal(article_id) is not None:
                self._mark(article_id, request.url, seen_at, *found)
                return response
            item = removal_item(self.history, article_id, request.url, seen_at,
                                dict(request.meta.get("source") or {}))
        except sqlite3.Error:
            # The answer still goes on to the spider, which counts it as usual.
            self._store_failed(request.url)
            return response
        self.pending[article_id] = (request.url, seen_at, *found)
        # Through the pipelines to the feeds, like any item. No response: this
        # one is not tied to its request yet (the engine does that later), and
        # the item's text is the archived one, not this answer's.
        await self.crawler.engine.scraper.start_itemproc_async(item, response=None)
        return response

    def item_scraped(self, item: Any) -> None:
        article_id, sighting = self._sighting_of(item)
        if sighting is None:
            return
        if self.crawler.stats.get_value(FEED_WRITE_ERRORS):
            # The feeds may not hold this item whole: the next run says it again.
            self._not_recorded(sighting[0], "a feed write failed")
            return
        try:
            self._mark(article_id, *sighting)
        except sqlite3.Error:
            self._store_failed(sighting[0])

    def item_not_written(self, item: Any) -> None:
        _, sighting = self._sighting_of(item)
        if sighting is not None:
            self._not_recorded(sighting[0], "its item did not reach the feeds")

    def _sighting_of(self, item: Any) -> tuple[str, tuple[str, str, str, str | None] | None]:
        """The article id and pending sighting a removal item was sent for
        (taken off the list); the sighting is None for any other item."""
        if not self.pending:  # every ordinary item of the run
            return "", None
        adapter = ItemAdapter(item)
        article_id = (adapter.get("article_id") or "") if adapter.get("removed") else ""
        return article_id, self.pending.pop(article_id, None) if article_id else None

    def _mark(self, article_id: str, url: str, seen_at: str, reason: str,
              target: str | None) -> bool:
        first = self.history.mark_removed(article_id, url, seen_at, reason, target)
        self.crawler.stats.inc_value(f"removals/{'found' if first else 'seen_again'}/{reason}")
        if first:
            logger.info("Archived article removed (%s%s): %s", reason,
                        f" to {target}" if target else "", url)
        return first

    def _not_recorded(self, url: str, why: str) -> None:
        self.crawler.stats.inc_value("removals/not_recorded")
        logger.warning("Removal of %s not recorded (%s): the next run that finds it gone "
                       "reports it again", url, why)

    def _store_failed(self, url: str) -> None:
        self.crawler.stats.inc_value("removals/errors/store")
        logger.error("Could not record the removal of %s", url, exc_info=True)

    def spider_closed(self) -> None:
        for url, *_ in self.pending.values():
            self._not_recorded(url, "the crawl ended before its item reached the feeds")
        self.pending.clear()
        self.history.db.close()
