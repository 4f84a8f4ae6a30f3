"""The shared scheduler's add and pop, cut short at every Redis command, as a killed worker would be.

A worker can die between any two commands it sends. Whatever the moment, a
request must be in the queue, on a lease, or not seen at all: a fingerprint in
the filter with no request behind it, or a request out of the queue and on no
lease, is an article no worker will ever fetch.
"""
from __future__ import annotations

import pickle

import pytest
import redis
from scrapy import Request
from scrapy.exceptions import UsageError
from scrapy.utils.test import get_crawler
from scrapy_redis.queue import FifoQueue

from crawler.distributed.atomic import UNDECODABLE, check_queue_class
from crawler.distributed.scheduler import SharedScheduler
from crawler.spiders.sputnik_fr import SputnikFrSpider
from tests.redis_server import redis_server

SITE = "http://127.0.0.1:1"
ARTICLE = f"{SITE}/20211227/a-1054083153.html"


class KilledClient(redis.Redis):
    """A client whose worker dies before the command it is told to: every
    command from then on fails, as nothing more leaves a killed process."""

    left: int | None = None

    def execute_command(self, *args, **options):
        if KilledClient.left is not None:
            if KilledClient.left <= 0:
                raise redis.ConnectionError("the worker was killed here")
            KilledClient.left -= 1
        return super().execute_command(*args, **options)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


class StillLoop:
    """The lease heartbeat, never started: these tests tend the leases themselves
    (a looping call needs a reactor, which unit tests do not run)."""

    running = False

    def __init__(self, function):
        self.function = function

    def start(self, interval, now=True):
        pass

    def stop(self):
        pass


@pytest.fixture
def client(redis_url, monkeypatch):
    monkeypatch.setattr("crawler.distributed.scheduler.create_looping_call", StillLoop)
    client = redis.Redis.from_url(redis_url)
    client.flushall()
    KilledClient.left = None
    yield client
    KilledClient.left = None
    client.close()


def _scheduler(redis_url: str, queue: str = "scrapy_redis.queue.PriorityQueue",
               worker: str = "w1") -> SharedScheduler:
    settings = {"REDIS_URL": redis_url, "CRAWL_ID": "run-q", "WARC_WORKER_ID": worker,
                "DISTRIBUTED_LEASE": 30, "DISTRIBUTED_HEARTBEAT": 60,
                "DISTRIBUTED_KEY_PREFIX": "sputnik:%(crawl_id)s:%(spider)s",
                "SCHEDULER_PERSIST": True, "SCHEDULER_QUEUE_CLASS": queue,
                "REDIS_PARAMS": {"redis_cls": f"{__name__}.KilledClient"}}
    crawler = get_crawler(SputnikFrSpider, settings)
    spider = SputnikFrSpider.from_crawler(crawler, site=SITE, since="2017-01-01")
    # request_to_dict looks through every attribute of the spider; in a crawl
    # the store is there, here there is no engine to find it in.
    spider.__dict__["store"] = None
    crawler.spider = spider
    scheduler = SharedScheduler.from_crawler(crawler)
    scheduler.open(spider)
    return scheduler


def _close(scheduler: SharedScheduler) -> None:
    KilledClient.left = None
    scheduler.lease_loop.stop()


def _urls_queued(scheduler: SharedScheduler) -> list[str]:
    queue = scheduler.queue
    entries = (queue.server.zrange(queue.key, 0, -1) if scheduler.atomic.kind == "priority"
               else queue.server.lrange(queue.key, 0, -1))
    return [queue._decode_request(data).url for data in entries]


def _urls_leased(client: redis.Redis, scheduler: SharedScheduler) -> list[str]:
    return [scheduler.queue._decode_request(data).url
            for data in client.hvals(scheduler.leases.mine)]


def _seen(client: redis.Redis, scheduler: SharedScheduler, request: Request) -> bool:
    return bool(client.sismember(scheduler.df.key, scheduler.df.request_fingerprint(request)))


def _article(scheduler: SharedScheduler, url: str = ARTICLE) -> Request:
    return scheduler.spider._article_request(url)


@pytest.mark.parametrize("cut", range(4))
def test_a_request_seen_is_a_request_queued_wherever_the_worker_dies(client, redis_url, cut):
    scheduler = _scheduler(redis_url)
    request = _article(scheduler)
    KilledClient.left = cut
    try:
        scheduler.enqueue_request(request)
    except redis.ConnectionError:
        pass
    KilledClient.left = None
    queued = ARTICLE in _urls_queued(scheduler)
    assert _seen(client, scheduler, request) == queued, "seen by the filter exactly when queued"
    # And once the worker is back, the request goes in (or is there already).
    scheduler.enqueue_request(request)
    assert _urls_queued(scheduler) == [ARTICLE]
    _close(scheduler)


@pytest.mark.parametrize("cut", range(4))
def test_a_popped_request_is_queued_or_leased_wherever_the_worker_dies(client, redis_url, cut):
    scheduler = _scheduler(redis_url)
    assert scheduler.enqueue_request(_article(scheduler))
    KilledClient.left = cut
    try:
        popped = scheduler.next_request()
    except redis.ConnectionError:
        popped = None
    KilledClient.left = None
    places = _urls_queued(scheduler) + _urls_leased(client, scheduler)
    assert places == [ARTICLE], "in the queue or on this worker's lease, once"
    if popped is not None:
        assert _urls_leased(client, scheduler) == [ARTICLE] and popped.url == ARTICLE
    _close(scheduler)


def test_a_dead_workers_lease_goes_back_to_the_queue(client, redis_url):
    dead, alive = _scheduler(redis_url, worker="w1"), _scheduler(redis_url, worker="w2")
    assert dead.enqueue_request(_article(dead))
    assert dead.next_request().url == ARTICLE
    client.delete(dead.run_keys.alive("w1"))  # its lease ran out
    assert alive.leases.recover_dead() == 1
    assert alive.crawler.stats.get_value("distributed/inflight/requeued") == 1
    assert alive.next_request().url == ARTICLE
    assert client.hlen(dead.leases.mine) == 0 and _urls_leased(client, alive) == [ARTICLE]
    _close(dead), _close(alive)


def test_two_copies_of_one_request_hold_two_leases(client, redis_url):
    """A requeued request may be in flight in two workers, then merged into one
    worker's hash: each copy keeps its own lease field."""
    first, second = _scheduler(redis_url, worker="w1"), _scheduler(redis_url, worker="w2")
    request = _article(first)
    for scheduler in (first, second):
        assert scheduler.enqueue_request(request.replace(dont_filter=True))
        assert scheduler.next_request().url == ARTICLE
    client.delete(first.run_keys.alive("w1"))
    assert second.leases.recover_dead() == 1
    assert second.next_request().url == ARTICLE
    assert client.hlen(second.leases.mine) == 2 and len(second.leases.held) == 2
    _close(first), _close(second)


@pytest.mark.parametrize("kind, order", [
    # Equal scores come out in the order of their pickled bytes.
    ("scrapy_redis.queue.PriorityQueue", None),
    ("scrapy_redis.queue.FifoQueue", ["a-1", "b-2", "c-3"]),
    ("scrapy_redis.queue.LifoQueue", ["c-3", "b-2", "a-1"]),
])
def test_each_scrapy_redis_queue_keeps_its_order(client, redis_url, kind, order):
    scheduler = _scheduler(redis_url, queue=kind)
    for name, priority in (("a-1", 0), ("b-2", 5), ("c-3", 0)):
        request = _article(scheduler, f"{SITE}/20211227/{name}.html").replace(priority=priority)
        assert scheduler.enqueue_request(request)
    assert not scheduler.enqueue_request(_article(scheduler, f"{SITE}/20211227/a-1.html"))
    popped = [scheduler.next_request() for _ in range(4)]
    assert popped[-1] is None
    got = [r.url.rsplit("/", 1)[1].removesuffix(".html") for r in popped[:-1]]
    if order is None:
        assert got[0] == "b-2" and sorted(got[1:]) == ["a-1", "c-3"]
    else:
        assert got == order
    assert client.hlen(scheduler.leases.mine) == 3
    _close(scheduler)


def test_another_queue_class_is_refused(redis_url, client):
    with pytest.raises(ValueError, match="PriorityQueue, FifoQueue or LifoQueue"):
        _scheduler(redis_url, queue="tests.test_distributed_queue.OwnQueue")


class OwnQueue:
    def __init__(self, server, spider, key, serializer=None):
        self.server, self.key = server, key


class OwnFifoQueue(FifoQueue):
    """A user's queue built on one of scrapy-redis's: accepted, with its ends."""


@pytest.mark.parametrize("path", ["scrapy_redis.queue.PriorityQueue", "scrapy_redis.queue.FifoQueue",
                                  "scrapy_redis.queue.LifoQueue",
                                  "tests.test_distributed_queue.OwnFifoQueue"])
def test_the_queue_classes_the_shared_scheduler_takes_pass_the_start_check(path):
    check_queue_class(path)


@pytest.mark.parametrize("path, says", [
    ("tests.test_distributed_queue.OwnQueue", "PriorityQueue, FifoQueue or LifoQueue"),
    ("scrapy_redis.queue.NoSuchQueue", "cannot be loaded"),
    ("no_such_module.Queue", "cannot be loaded"),
    ("PriorityQueue", "cannot be loaded"),
    ("scrapy_redis.queue.Base", "PriorityQueue, FifoQueue or LifoQueue"),
])
def test_a_queue_class_the_shared_scheduler_cannot_use_is_a_usage_error(path, says):
    with pytest.raises(UsageError, match=says):
        check_queue_class(path)


def test_an_undecodable_request_is_dropped_with_a_count_and_the_next_one_served(client, redis_url):
    scheduler = _scheduler(redis_url)
    assert scheduler.enqueue_request(_article(scheduler))
    broken = pickle.dumps({"url": ARTICLE, "callback": "no_such_method", "method": "GET"})
    client.zadd(scheduler.queue.key, {b"\x80not a pickle": -10, broken: -9})
    assert scheduler.next_request().url == ARTICLE
    assert scheduler.crawler.stats.get_value(UNDECODABLE) == 2
    assert _urls_leased(client, scheduler) == [ARTICLE], "nothing undecodable is left on the lease"
    _close(scheduler)
