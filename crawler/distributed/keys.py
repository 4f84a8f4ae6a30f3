"""The Redis keys one crawl run's workers share, and the Redis they live in.

Every key of a run starts with ``DISTRIBUTED_KEY_PREFIX`` formatted with the
crawl id and the spider's name (``sputnik:<crawl id>:<spider>``). Workers
started with the same ``CRAWL_ID`` share a queue and a duplicate filter; the
next run, with another id, starts from an empty filter, so it fetches its own
robots.txt and sitemaps again. What a run archived is kept across runs by the
state store (``STATE_URI``), not by the filter.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import redis
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.settings import BaseSettings
from scrapy_redis.connection import get_redis_from_settings

from crawler.state.redis import masked_url

CRAWL_ID_FORM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def check_crawl_id(settings: BaseSettings) -> str:
    """The run's crawl id, or a UsageError saying how to give one."""
    crawl_id = (settings.get("CRAWL_ID") or "").strip()
    if not crawl_id:
        raise UsageError("settings.distributed needs a crawl id shared by the run's workers: "
                         "export SPUTNIK_CRAWL_ID=2021-12-27a (or -s CRAWL_ID=...)")
    if not CRAWL_ID_FORM.match(crawl_id):
        raise UsageError(f"CRAWL_ID {crawl_id!r}: letters, digits, '.', '_' and '-' only")
    return crawl_id


def connect(settings: BaseSettings) -> redis.Redis:
    """scrapy-redis's client for REDIS_URL, checked; errors never show a password."""
    server = get_redis_from_settings(settings)
    try:
        server.ping()
    except redis.RedisError as e:
        where = masked_url(settings.get("REDIS_URL") or "")
        raise ConnectionError(f"Redis {where!r} cannot be reached: {e}") from e
    return server


@dataclass(frozen=True)
class RunKeys:
    prefix: str

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunKeys:
        crawl_id = check_crawl_id(crawler.settings)
        template = crawler.settings.get("DISTRIBUTED_KEY_PREFIX")
        return cls(template % {"crawl_id": crawl_id, "spider": crawler.spidercls.name})

    @property
    def requests(self) -> str:
        return f"{self.prefix}:requests"

    @property
    def dupefilter(self) -> str:
        return f"{self.prefix}:dupefilter"

    @property
    def workers(self) -> str:
        """Set of the worker ids that joined the run."""
        return f"{self.prefix}:workers"

    def busy(self, worker_id: str) -> str:
        """Present (with a TTL) while that worker was busy within the idle grace."""
        return f"{self.prefix}:busy:{worker_id}"

    def alive(self, worker_id: str) -> str:
        """Present (with a TTL of DISTRIBUTED_LEASE) while that worker process runs."""
        return f"{self.prefix}:alive:{worker_id}"

    def inflight(self, worker_id: str) -> str:
        """Hash of the requests that worker took from the queue and has not finished."""
        return f"{self.prefix}:inflight:{worker_id}"

    def shared(self) -> tuple[str, ...]:
        """The keys that outlive any one worker."""
        return (self.requests, self.dupefilter, self.workers)
