"""Workers of one run close together: none leaves while another may still add requests.

A worker is idle when its own downloader and callbacks have nothing left and
the shared queue is empty. That is not the end of the crawl: another worker
may be parsing a sitemap that is about to queue a thousand articles. So each
worker keeps a heartbeat key in Redis (``<run>:busy:<worker id>``) that it
renews every DISTRIBUTED_HEARTBEAT seconds while busy and that expires
DISTRIBUTED_IDLE_GRACE seconds after it last was. On ``spider_idle`` a worker
raises DontCloseSpider while the queue holds requests or any heartbeat key
exists, its own included: the run ends once nobody has been busy for the grace
period. The expiry is Redis's clock, so the machines' clocks need not agree.
The grace must exceed the longest single callback (a big sitemap), during
which a worker's reactor cannot renew its key.

scrapy-redis's own idle mechanism (MAX_IDLE_TIME) lives in its RedisSpider,
which waits for URLs pushed to a Redis list; it knows nothing about the other
workers being busy, hence this extension.

Scrapy wakes an idle engine only every 5 seconds; the heartbeat wakes it
sooner, so an idle worker takes its share of new requests at once.

After a clean finish the run's shared keys expire (DISTRIBUTED_KEYS_TTL):
late workers of the same run still find its filter, and Redis frees it later.
A run that was killed keeps them, so it resumes with the same CRAWL_ID.
"""
from __future__ import annotations

import logging
import os
import socket
from typing import Any

import redis
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.utils.asyncio import create_looping_call

from crawler.distributed.keys import RunKeys, connect

logger = logging.getLogger(__name__)


def default_worker_id() -> str:
    """Host and process id: unique among the workers of a run without any setup."""
    return f"{socket.gethostname()}-{os.getpid()}"


class SharedIdleClose:
    def __init__(self, crawler: Crawler, server: redis.Redis, keys: RunKeys, worker_id: str) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.server = server
        self.keys = keys
        self.worker_id = worker_id
        self.grace_ms = int(settings.getfloat("DISTRIBUTED_IDLE_GRACE") * 1000)
        self.interval = settings.getfloat("DISTRIBUTED_HEARTBEAT")
        self.keys_ttl = settings.getint("DISTRIBUTED_KEYS_TTL")
        self.loop = create_looping_call(self.beat)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedIdleClose:
        settings = crawler.settings
        if settings.getbool("REPLAY_OFFLINE"):
            # Replay keeps a local scheduler (crawler.distributed.scheduler).
            raise NotConfigured
        worker_id = settings.get("WARC_WORKER_ID") or default_worker_id()
        extension = cls(crawler, connect(settings), RunKeys.from_crawler(crawler), worker_id)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        self.server.sadd(self.keys.workers, self.worker_id)
        # A worker that has just started counts as busy: its start requests
        # are about to reach the queue.
        self.mark_busy()
        self.loop.start(self.interval, now=False)
        logger.info("Worker %s joined the run %s", self.worker_id, self.keys.prefix)

    def beat(self) -> None:
        engine = self.crawler.engine
        if engine is None or engine.scheduler is None:
            return
        try:
            if not engine.spider_is_idle():
                self.mark_busy()
            self._wake(engine)
        except redis.RedisError:
            self.crawler.stats.inc_value("distributed/errors/heartbeat")
            logger.warning("Heartbeat not sent to Redis", exc_info=True)

    def mark_busy(self) -> None:
        self.server.set(self.keys.busy(self.worker_id), b"1", px=self.grace_ms)

    def spider_idle(self, spider: Spider) -> None:
        queued, busy = self.shared_activity()
        if queued or busy:
            self.crawler.stats.inc_value("distributed/idle/kept_open")
            raise DontCloseSpider
        logger.info("No worker of %s busy for %.1f s and no request queued: closing",
                    self.keys.prefix, self.grace_ms / 1000)

    def shared_activity(self) -> tuple[int, int]:
        """(requests in the shared queue, workers busy within the grace period or
        holding leased requests: a dead worker's are requeued once its lease ends)."""
        workers = [w.decode() for w in self.server.smembers(self.keys.workers)]
        busy = self.server.exists(*(self.keys.busy(w) for w in workers)) if workers else 0
        leases = getattr(self.crawler.engine.scheduler, "leases", None) if self.crawler.engine else None
        held = leases.others_in_flight() if leases is not None else 0
        return self._queued(), int(busy) + held

    def _queued(self) -> int:
        scheduler = self.crawler.engine.scheduler if self.crawler.engine else None
        return len(scheduler) if scheduler is not None and hasattr(scheduler, "__len__") else 0

    @staticmethod
    def _wake(engine: Any) -> None:
        # Scrapy has no public call for this; its own heartbeat does the same
        # every 5 s. Without it an idle worker misses new shared requests.
        slot = getattr(engine, "_slot", None)
        if slot is not None:
            slot.nextcall.schedule()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop.running:
            self.loop.stop()
        try:
            self.server.delete(self.keys.busy(self.worker_id))
            if reason == "finished":
                for key in self.keys.shared():
                    self.server.expire(key, self.keys_ttl)
        except redis.RedisError:
            logger.warning("Could not tidy the run's keys in Redis", exc_info=True)
