"""One run over several web archives (``-a source=commoncrawl,wayback``).

Every named archive's index is read first (they run side by side, each one
page at a time); once the last is read, the selector picks the captures to
fetch (one per article from the preferred archive, or one per new text), the
plan is logged once, and the captures are requested as ordinary scheduled
requests. A capture that cannot be had is fetched from the next archive
that lists the article, if any; one that is no article (an archived error
page) is remembered as held and the article's next capture is fetched. At the end, one summary line: fetched,
not fetched by reason, failed by reason.
"""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timezone
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.httputil import failure_reason
from crawler.outputs import state_uri
from crawler.sources import archive_source
from crawler.sources.captures import Capture, FetchGuard
from crawler.sources.selection import CaptureSelector, Listed
from crawler.state.captures import CaptureStore, HeldCapture, open_capture_store

logger = logging.getLogger(__name__)

# Meta keys of a capture request: what it fetches, and what to try if it fails.
CAPTURE_KEY = "archive_capture"
FALLBACKS_KEY = "archive_fallbacks"
NOT_FETCHED = ("held_digest", "held_article", "other_source", "older", "same_payload")


class ArchiveRun:
    def __init__(self, spider: Spider) -> None:
        arguments = spider.arguments
        self.spider = spider
        self.stats = spider.crawler.stats
        self.selector = CaptureSelector(arguments.prefer, arguments.captures == "all",
                                        arguments.refresh)
        self.sources = {name: archive_source(name, spider, self) for name in arguments.sources}
        self.reading = set(self.sources)
        self.guards = {name: FetchGuard(self.stats, name) for name in self.sources}
        self.captures: CaptureStore | None = None
        spider.crawler.signals.connect(self.log_summary, signal=signals.spider_closed)

    def alone(self, name: str) -> bool:
        """Whether ``name`` is the run's only archive."""
        return list(self.sources) == [name]

    async def requests(self) -> AsyncIterator[Request]:
        logger.info("Reading the indexes of %s, then fetching one capture per %s",
                    ", ".join(self.sources),
                    "text (captures=all)" if self.selector.keep_all else "article")
        for source in list(self.sources.values()):
            async for request in source.requests():
                yield request

    def offer(self, source: str, article_id: str, capture: Capture) -> None:
        self.selector.offer(Listed(article_id, source, capture))

    def index_done(self, source: str) -> Iterator[Request]:
        """Called by each source once its index is read; the last one starts the fetching."""
        if source not in self.reading:
            return
        self.reading.discard(source)
        logger.info("Index of %s read", source)
        if not self.reading:
            yield from self._capture_requests()

    # --- choosing and fetching --------------------------------------------------------

    def _capture_requests(self) -> Iterator[Request]:
        self._open_captures()
        choices = self.selector.choose(self._held_digests, self._holds_article)
        self._log_plan(choices)
        for choice in choices:
            yield from self._fetch(choice.chosen, choice.fallbacks)

    def _held_digests(self, article_id: str) -> set[str]:
        return self.captures.held(article_id) if self.captures is not None else set()

    def _open_captures(self) -> None:
        uri = self._store_uri()
        if uri:
            self.captures = open_capture_store(uri)

    def _store_uri(self) -> str:
        settings = self.spider.crawler.settings
        if not settings.getbool("STATE_ENABLED"):
            return ""
        return state_uri(settings, self.spider.name)

    def _holds_article(self, article_id: str) -> bool:
        store = self.spider.store
        return store is not None and store.get(article_id) is not None

    def _log_plan(self, choices: list[Any]) -> None:
        per_source = {name: 0 for name in self.sources}
        for choice in choices:
            per_source[choice.chosen.source] += 1
        for name, n in per_source.items():
            self.stats.set_value(f"{name}/captures/chosen", n)
        buckets = self.selector.buckets
        for bucket in NOT_FETCHED:
            if buckets[bucket]:
                self.stats.set_value(f"archive/skipped/{bucket}", buckets[bucket])
        self.stats.set_value("archive/captures/chosen", len(choices))
        self.stats.set_value("archive/articles/listed", len(self.selector.listed))
        logger.info("Indexes read: %s articles listed; %s captures to fetch (%s); not fetched: %s",
                    len(self.selector.listed), len(choices), _pairs(per_source),
                    _pairs({b: buckets[b] for b in NOT_FETCHED}))

    def _fetch(self, listed: Listed, fallbacks: list[Listed]) -> Iterator[Request]:
        source = self.sources[listed.source]
        if not self.guards[listed.source].first_time(source.fetch_key(listed.capture)):
            return
        request = source.record_request(listed.capture, self.capture_failed)
        request.meta[CAPTURE_KEY] = listed
        request.meta[FALLBACKS_KEY] = fallbacks
        yield request

    def capture_unusable(self, response: Response, reason: str) -> Iterator[Request]:
        """A capture that gave no article: remembered (its bytes would give none
        again), then the article's next capture, of any archive."""
        listed: Listed | None = response.meta.get(CAPTURE_KEY)
        if listed is None:
            return
        self.stats.inc_value(f"archive/unusable/{reason}")
        if self.captures is not None and listed.digest:
            held = HeldCapture(listed.article_id, listed.digest, listed.source, listed.capture.url,
                               response.meta.get("fetched_at") or "")
            self.captures.add(held, datetime.now(timezone.utc).isoformat(timespec="seconds"))
        yield from self._fallback(listed, response.meta.get(FALLBACKS_KEY, []), reason)

    def capture_failed(self, failure: Failure) -> Iterator[Request]:
        """A capture not had (after retries): the next archive's, or counted as failed."""
        meta = failure.request.meta
        listed: Listed = meta[CAPTURE_KEY]
        self.stats.inc_value(f"{listed.source}/records/failed/{failure_reason(failure)}")
        # The same archive failed for this capture (after retries): another one.
        fallbacks = [f for f in meta.get(FALLBACKS_KEY, []) if f.source != listed.source]
        if not fallbacks:
            self.spider.article_failed(failure)
            return
        yield from self._fallback(listed, fallbacks, failure_reason(failure))

    def _fallback(self, listed: Listed, fallbacks: list[Listed], reason: str) -> Iterator[Request]:
        if not fallbacks:
            return
        self.stats.inc_value(f"archive/fallback/{fallbacks[0].source}")
        logger.info("Capture of %s not usable from %s (%s), asking %s for another", listed.capture.url,
                    listed.source, reason, fallbacks[0].source)
        yield from self._fetch(fallbacks[0], fallbacks[1:])

    # --- the end ---------------------------------------------------------------------------

    def log_summary(self, spider: Spider, reason: str) -> None:
        stats = self.stats.get_stats()
        fetched = {name: stats.get(f"{name}/records/fetched", 0) for name in self.sources}
        failed = {key.replace("/records/failed/", " "): value for key, value in stats.items()
                  if "/records/failed/" in key}
        skipped = {bucket: stats.get(f"archive/skipped/{bucket}", 0) for bucket in NOT_FETCHED}
        logger.info("Archive run %s: fetched %s (%s); not fetched: %s; failed: %s", reason,
                    sum(fetched.values()), _pairs(fetched), _pairs(skipped),
                    _pairs(failed) if failed else "none")
        if self.captures is not None:
            self.captures.close()


def _pairs(counts: dict[str, int]) -> str:
    return ", ".join(f"{key} {value}" for key, value in counts.items())
