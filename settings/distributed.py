"""Several workers, on one machine or many, sharing one live crawl through Redis.

Select it with ``SCRAPY_SETTINGS_MODULE=settings.distributed`` (or
``scrapy.cfg``'s ``distributed = settings.distributed``). Everything of
settings.base applies; the differences, in alphabetical order:

- ``CRAWL_ID`` (env ``SPUTNIK_CRAWL_ID``; no default): names the run. Workers
  with the same id share its queue and duplicate filter; a new id is a new run.
- ``DISTRIBUTED_HEARTBEAT`` (1 s): how often a busy worker renews its heartbeat key.
- ``DISTRIBUTED_IDLE_GRACE`` (30 s): a worker closes once the shared queue is
  empty and no worker has been busy for this long; must exceed the longest
  callback (parsing the biggest sitemap).
- ``DISTRIBUTED_KEY_PREFIX`` (``sputnik:%(crawl_id)s:%(spider)s``): the run's Redis keys.
- ``DISTRIBUTED_KEYS_TTL`` (7 days): how long a cleanly finished run's queue,
  filter and worker list stay in Redis.
- ``DISTRIBUTED_LEASE`` (30 s): a worker's requests taken from the queue are
  leased to it; once it has not renewed its lease for this long (killed, or
  its host gone), any other worker puts them back in the queue. Must exceed
  the longest callback, like the idle grace.
- ``FEEDS``: as in base, with the worker id in the file names.
- ``REDIS_URL`` (env ``SPUTNIK_REDIS_URL``, then ``REDIS_URL``; default
  ``redis://127.0.0.1:6379/0``): read by scrapy-redis. It may hold a
  password: it never goes into a committed file, and it is not logged (Scrapy's
  "Overridden settings" line lists Scrapy's own settings only).
- ``SCHEDULER`` / ``SCHEDULER_PERSIST`` (True): scrapy-redis's scheduler keyed
  per run; persisting lets a killed run resume with the same CRAWL_ID.
- ``STATE_URI`` (env ``SPUTNIK_STATE_URI``; default: the same Redis, keys
  ``sputnik:state:<spider>:<article id>``): the store every worker consults.
- ``WARC_WORKER_ID`` (env ``SPUTNIK_WORKER_ID``; default host-pid): in WARC and
  feed file names, so workers sharing a directory never collide.
"""
from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

from settings.base import *  # noqa: F401,F403
from settings.base import EXTENSIONS, OUTPUT_DIR

from crawler.distributed.idle import default_worker_id

CRAWL_ID = os.environ.get("SPUTNIK_CRAWL_ID")

DISTRIBUTED_HEARTBEAT = 1.0
DISTRIBUTED_IDLE_GRACE = 30.0
DISTRIBUTED_KEY_PREFIX = "sputnik:%(crawl_id)s:%(spider)s"
DISTRIBUTED_KEYS_TTL = 7 * 24 * 3600
DISTRIBUTED_LEASE = 30.0

# 520: a priority of its own (after CaptureDigests and Progress), so the order
# of the extensions' signal handlers is set by these numbers alone.
EXTENSIONS = {**EXTENSIONS, "crawler.distributed.idle.SharedIdleClose": 520}

FEEDS = {
    f"{OUTPUT_DIR}/feeds/%(name)s/%(time)s-%(run)s-%(worker)s.jsonl": {"format": "jsonlines", "store_empty": False},
    f"{OUTPUT_DIR}/feeds/%(name)s/%(time)s-%(run)s-%(worker)s.feed.json": {"format": "jsonfeed", "store_empty": False},
}

REDIS_URL = (os.environ.get("SPUTNIK_REDIS_URL") or os.environ.get("REDIS_URL")
             or "redis://127.0.0.1:6379/0")

SCHEDULER = "crawler.distributed.scheduler.SharedScheduler"
SCHEDULER_PERSIST = True


def _state_uri(redis_url: str) -> str:
    # The store's keys get their own prefix in the crawl's Redis.
    parts = urlsplit(redis_url)
    query = "&".join(filter(None, [parts.query, "prefix=sputnik:state:%(spider)s"]))
    return urlunsplit(parts._replace(query=query))


STATE_URI = os.environ.get("SPUTNIK_STATE_URI") or _state_uri(REDIS_URL)

WARC_WORKER_ID = os.environ.get("SPUTNIK_WORKER_ID") or default_worker_id()
