"""The shared queue's two steps that must never be cut in half, each one Lua script.

scrapy-redis adds a request in two round trips (the fingerprint into the
filter, then the request into the queue) and the scheduler leased a popped
request in a second one. A worker killed between the two leaves a fingerprint
with no request behind it (the sitemap that gave it is fetched again, and the
filter drops the article), or a request out of the queue and on no lease. Both
lose an article for good. Redis runs a script whole or not at all, so here:

- ``add``: the fingerprint goes into the filter and the request into the queue
  together, or neither does (a request already seen is left out);
- ``pop``: the request leaves the queue and lands in the worker's in-flight
  hash together, under a lease field unique to this pop.

The queue kinds are scrapy-redis's own three, with their push and pop ends
(a sorted set by ``-priority``; LPUSH with RPOP or LPOP). A script cannot
block, so pops never wait (scrapy-redis's SCHEDULER_IDLE_BEFORE_CLOSE is not
used): the idle extension's heartbeat wakes an idle worker instead.
"""
from __future__ import annotations

import itertools
import logging
import secrets
from typing import Any

import redis
from scrapy import Request
from scrapy.exceptions import UsageError
from scrapy.utils.misc import load_object
from scrapy_redis.queue import FifoQueue, LifoQueue, PriorityQueue

logger = logging.getLogger(__name__)
UNDECODABLE = "distributed/queue/undecodable"

# KEYS: the run's fingerprint set, its queue.
# ARGV: fingerprint ("" for a request that is never filtered), request, score, queue kind.
ADD = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
if ARGV[4] == 'priority' then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
else
  redis.call('LPUSH', KEYS[2], ARGV[2])
end
return 1
"""

# KEYS: the queue, this worker's in-flight hash. ARGV: queue kind, lease field.
POP = """
local data
if ARGV[1] == 'priority' then
  data = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
  if data then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0) end
elseif ARGV[1] == 'fifo' then
  data = redis.call('RPOP', KEYS[1])
else
  data = redis.call('LPOP', KEYS[1])
end
if not data then return false end
redis.call('HSET', KEYS[2], ARGV[2], data)
return data
"""

# Subclasses first: a user's queue built on one of these keeps its ends.
QUEUE_KINDS = ((PriorityQueue, "priority"), (LifoQueue, "lifo"), (FifoQueue, "fifo"))
QUEUES_TAKEN = ("the shared scheduler adds and leases requests atomically with scrapy-redis's "
                "PriorityQueue, FifoQueue or LifoQueue (or a subclass) only")


def decode(queue: Any, data: bytes, stats: Any) -> Request | None:
    """The request, or None (logged and counted) when this code cannot rebuild
    it: a damaged entry, or a callback renamed since another version queued it."""
    try:
        return queue._decode_request(data)
    except Exception:
        stats.inc_value(UNDECODABLE)
        logger.error("Dropped a request of %s bytes from the shared queue: it cannot be decoded",
                     len(data), exc_info=True)
        return None


def queue_kind(queue: Any) -> str:
    for cls, kind in QUEUE_KINDS:
        if isinstance(queue, cls):
            return kind
    raise ValueError(f"{type(queue).__name__}: {QUEUES_TAKEN}")


def check_queue_class(path: str) -> None:
    """A UsageError, before the crawl starts, for a SCHEDULER_QUEUE_CLASS the
    shared scheduler cannot use; ``queue_kind`` would refuse it only once the
    scheduler opens, as a traceback."""
    try:
        cls = load_object(path)
    except (ImportError, NameError, ValueError, AttributeError) as e:
        raise UsageError(f"SCHEDULER_QUEUE_CLASS={path!r} cannot be loaded: {e}") from None
    if not (isinstance(cls, type) and issubclass(cls, tuple(kind for kind, _ in QUEUE_KINDS))):
        raise UsageError(f"SCHEDULER_QUEUE_CLASS={path!r}: {QUEUES_TAKEN}")


class AtomicQueue:
    def __init__(self, server: redis.Redis, queue: Any, filter_key: str, inflight_key: str,
                 worker_id: str, stats: Any) -> None:
        self.server = server
        self.queue = queue
        self.stats = stats
        self.kind = queue_kind(queue)
        self.filter_key = filter_key
        self.inflight_key = inflight_key
        # Lease fields stay unique after a dead worker's hash is merged into
        # another's: two copies of one request may be in flight at once.
        self._fields = (f"{worker_id}:{secrets.token_hex(4)}:{n}" for n in itertools.count())
        self._add = server.register_script(ADD)
        self._pop = server.register_script(POP)

    def add(self, request: Request, fingerprint: str) -> bool:
        """Queues the request unless its fingerprint was seen ("" skips the filter)."""
        data = self.queue._encode_request(request)
        added = self._add(keys=[self.filter_key, self.queue.key],
                          args=[fingerprint, data, -request.priority, self.kind])
        return bool(added)

    def pop(self) -> tuple[str, Request] | None:
        """The next request and its lease field, or None when the queue is empty."""
        while True:
            field = next(self._fields)
            data = self._pop(keys=[self.queue.key, self.inflight_key], args=[self.kind, field])
            if not data:
                return None
            request = decode(self.queue, data, self.stats)
            if request is not None:
                return field, request
            self.server.hdel(self.inflight_key, field)
