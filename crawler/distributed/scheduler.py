"""scrapy-redis's shared scheduler and duplicate filter, keyed per crawl run.

scrapy-redis names its keys after the spider only, so with SCHEDULER_PERSIST
the next run would find the last run's fingerprints and filter its own
robots.txt and sitemaps. Here the keys carry the crawl id (crawler.distributed.keys).

Fingerprints are Scrapy's own (REQUEST_FINGERPRINTER), as in a one-machine
crawl, not scrapy-redis's older recipe. Requests are pickled into Redis by
scrapy-redis (``request_to_dict``): callbacks and errbacks are spider methods,
and what the project puts in ``meta`` is plain data.

Every worker's ``start()`` yields the same robots.txt, sitemap index and RSS
requests; the shared filter lets one of each through, whoever was first.
Replay (``REPLAY_OFFLINE``) keeps Scrapy's local scheduler: its requests carry
the archived record and are split across machines by ``-a shard=K/N`` instead.

What a worker pops stays on a lease until the engine is done with it, and a
dead worker's leased requests go back to the queue (crawler.distributed.inflight).
Adding a request (filter and queue) and popping it (queue and lease) are each
one Lua script (crawler.distributed.atomic): a worker killed at any moment
leaves every request queued, leased or not yet seen, never lost between two.
"""
from __future__ import annotations

import logging
from typing import Any

import redis
from scrapy import Request, Spider
from scrapy.core.scheduler import Scheduler as LocalScheduler
from scrapy.crawler import Crawler
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.misc import build_from_crawler, load_object
from scrapy_redis import defaults
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

from crawler.distributed.atomic import AtomicQueue
from crawler.distributed.idle import default_worker_id
from crawler.distributed.inflight import InFlightLeases
from crawler.distributed.keys import RunKeys, connect

logger = logging.getLogger(__name__)


class SharedDupeFilter(RFPDupeFilter):
    """The shared fingerprint set of one run, with Scrapy's fingerprints."""

    def __init__(self, server: Any, key: str, debug: bool, fingerprinter: Any) -> None:
        super().__init__(server, key, debug)
        self.fingerprinter = fingerprinter

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedDupeFilter:
        keys = RunKeys.from_crawler(crawler)
        return cls(connect(crawler.settings), keys.dupefilter,
                   crawler.settings.getbool("DUPEFILTER_DEBUG"), crawler.request_fingerprinter)

    def request_fingerprint(self, request: Request) -> str:
        return self.fingerprinter.fingerprint(request).hex()

    def close(self, reason: str = "") -> None:
        # scrapy-redis's filter deletes the set here; the run's set must outlive
        # any one worker (crawler.distributed.idle expires it after a clean finish).
        pass


class SharedScheduler(Scheduler):
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        settings = crawler.settings
        if settings.getbool("REPLAY_OFFLINE"):
            logger.info("Replay: requests stay in this process's own scheduler")
            return build_from_crawler(LocalScheduler, crawler)
        keys = RunKeys.from_crawler(crawler)
        scheduler = cls(
            server=connect(settings),
            persist=settings.getbool("SCHEDULER_PERSIST"),
            flush_on_start=settings.getbool("SCHEDULER_FLUSH_ON_START"),
            queue_key=keys.requests,
            queue_cls=settings.get("SCHEDULER_QUEUE_CLASS") or defaults.SCHEDULER_QUEUE_CLASS,
            dupefilter=SharedDupeFilter.from_crawler(crawler),
            serializer=settings.get("SCHEDULER_SERIALIZER"),
        )
        scheduler.stats = crawler.stats
        scheduler.crawler = crawler
        scheduler.run_keys = keys
        logger.info("Sharing the crawl through Redis under %s", keys.prefix)
        return scheduler

    def open(self, spider: Spider) -> None:
        # scrapy-redis's, logging through this module: its Spider.log() is
        # deprecated in Scrapy 2.19. The dupefilter is built in from_crawler.
        self.spider = spider
        self.queue = load_object(self.queue_cls)(server=self.server, spider=spider,
                                                 key=self.queue_key, serializer=self.serializer)
        if self.flush_on_start:
            self.flush()
        settings = self.crawler.settings
        worker_id = settings.get("WARC_WORKER_ID") or default_worker_id()
        self.leases = InFlightLeases(self.server, self.run_keys, worker_id,
                                     settings.getfloat("DISTRIBUTED_LEASE"), self.queue, self.stats)
        self.atomic = AtomicQueue(self.server, self.queue, self.df.key, self.leases.mine,
                                  worker_id, self.stats)
        self.leases.start()
        self.lease_loop = create_looping_call(self.tend_leases)
        self.lease_loop.start(settings.getfloat("DISTRIBUTED_HEARTBEAT"), now=False)
        if queued := len(self.queue):
            logger.info("Joining the run with %s requests already queued", queued)

    def tend_leases(self) -> None:
        """Renew ours, drop the finished ones, take over those of dead workers."""
        try:
            self.leases.renew()
            self.leases.release_done(self._in_progress())
            self.leases.recover_dead()
        except redis.RedisError:
            self.stats.inc_value("distributed/errors/lease")
            logger.warning("Could not tend the in-flight leases in Redis", exc_info=True)

    def _in_progress(self) -> set[Request]:
        # The engine's own record of requests between the scheduler and the
        # end of their callback; Scrapy has no public accessor for it.
        slot = getattr(self.crawler.engine, "_slot", None)
        return slot.inprogress if slot is not None else set()

    def close(self, reason: str) -> None:
        if self.lease_loop.running:
            self.lease_loop.stop()
        try:
            self.leases.close(self._in_progress())
        except redis.RedisError:
            logger.warning("Could not release the in-flight leases in Redis", exc_info=True)
        super().close(reason)

    # scrapy-redis's own two methods, each a single script (see the module's
    # docstring), counting without the ``spider`` argument that Scrapy 2.19
    # deprecates (one warning per crawl otherwise).
    def enqueue_request(self, request: Request) -> bool:
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        if not self.atomic.add(request, fingerprint):
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        popped = self.atomic.pop()
        if popped is None:
            return None
        field, request = popped
        self.leases.hold(field, request)
        self.stats.inc_value("scheduler/dequeued/redis")
        return request
