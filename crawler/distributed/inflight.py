"""Requests a worker has taken from the shared queue, held on a lease until they are done.

A request popped from the Redis queue is gone from it, and its fingerprint
stays in the shared filter: if its worker is killed before the answer is
processed, no worker would ever fetch it again. So each worker keeps what it
has popped in a hash ``<run>:inflight:<worker id>`` (a lease field unique to
the pop -> the request as the queue stores it), filled by the same Lua script
that pops (crawler.distributed.atomic), and a key ``<run>:alive:<worker id>``
that it renews every DISTRIBUTED_HEARTBEAT seconds and that expires
DISTRIBUTED_LEASE seconds after the last renewal.

An entry is removed once the engine is done with its request: download,
callback or errback, and every item and request they gave (Scrapy's engine
keeps such requests in its slot's ``inprogress`` set until then). A retry or
redirect is queued before its original leaves that set, so no moment exists
where a request is in neither place.

Every worker, on each heartbeat, looks for workers of the run whose alive
key has expired and whose in-flight hash is not empty, and moves that hash
into its own in one Lua script (two workers never both take it), then puts
each request back in the queue (``distributed/inflight/requeued``). A worker
restarted with the id it had takes its own old hash back when it starts.
Fetching a request twice is harmless (the article store drops an article
archived already); losing it is not.
"""
from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

import redis
from scrapy import Request

from crawler.distributed.atomic import decode
from crawler.distributed.keys import RunKeys

logger = logging.getLogger(__name__)

# KEYS: the dead worker's in-flight hash, our own, the dead worker's alive key.
TAKE_OVER = """
if redis.call('EXISTS', KEYS[3]) == 1 then return {} end
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do redis.call('HSET', KEYS[2], entries[i], entries[i + 1]) end
redis.call('DEL', KEYS[1])
return entries
"""


class InFlightLeases:
    def __init__(self, server: redis.Redis, keys: RunKeys, worker_id: str, lease: float,
                 queue: Any, stats: Any) -> None:
        self.server = server
        self.keys = keys
        self.worker_id = worker_id
        self.lease_ms = int(lease * 1000)
        self.queue = queue
        self.stats = stats
        self.mine = keys.inflight(worker_id)
        self.held: dict[str, Request] = {}
        self._take_over = server.register_script(TAKE_OVER)

    def start(self) -> None:
        """Joins the run; requests this worker id held in an earlier life go back to the queue."""
        # Listed here as well as by the idle extension: the list is how the
        # other workers find this one's leases.
        self.server.sadd(self.keys.workers, self.worker_id)
        self.renew()
        self._requeue_taken(self._entries(self.mine), "an earlier run of this worker")

    def hold(self, field: str, request: Request) -> None:
        """Remembers a request the pop script has put on this worker's lease."""
        self.held[field] = request

    def renew(self) -> None:
        self.server.set(self.keys.alive(self.worker_id), b"1", px=self.lease_ms)

    def release_done(self, in_progress: Collection[Request]) -> None:
        """Drops the leases of requests the engine has finished with."""
        done = [field for field, request in self.held.items() if request not in in_progress]
        if done:
            self.server.hdel(self.mine, *done)
            for field in done:
                del self.held[field]

    def recover_dead(self) -> int:
        """Requeues the in-flight requests of workers whose lease expired."""
        recovered = 0
        for worker in self.others():
            taken = self._take_over(keys=[self.keys.inflight(worker), self.mine,
                                          self.keys.alive(worker)])
            recovered += self._requeue_taken(_pairs(taken), f"worker {worker}, whose lease expired")
        return recovered

    def others_in_flight(self) -> int:
        """How many other workers hold leased requests (alive, or not yet taken over)."""
        return sum(int(self.server.exists(self.keys.inflight(w))) for w in self.others())

    def others(self) -> list[str]:
        members = (w.decode() for w in self.server.smembers(self.keys.workers))
        return [w for w in members if w != self.worker_id]

    def close(self, in_progress: Collection[Request]) -> None:
        self.release_done(in_progress)
        if not self.held:
            self.server.delete(self.mine, self.keys.alive(self.worker_id))

    def _entries(self, key: str) -> list[tuple[bytes, bytes]]:
        return list(self.server.hgetall(key).items())

    def _requeue_taken(self, entries: list[tuple[bytes, bytes]], whose: str) -> int:
        requeued = 0
        for field, encoded in entries:
            # Into the queue first, then off our lease: a kill in between
            # leaves it on the lease, never nowhere. An undecodable one is
            # counted and logged by decode().
            if (request := decode(self.queue, encoded, self.stats)) is not None:
                self.queue.push(request)
                requeued += 1
            self.server.hdel(self.mine, field)
            self.held.pop(field.decode(), None)
        if requeued:
            self.stats.inc_value("distributed/inflight/requeued", requeued)
            logger.warning("Requeued %s requests left in flight by %s", requeued, whose)
        return requeued


def _pairs(flat: list[bytes]) -> list[tuple[bytes, bytes]]:
    return list(zip(flat[::2], flat[1::2]))
