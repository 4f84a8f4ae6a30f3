"""Measure what a distributed crawl costs in Redis, per URL (docs/scaling.md quotes it).

    python scripts/redis_memory.py redis://127.0.0.1:6379/0 [--count 20000]

Fills scratch keys the way a crawl does — Scrapy fingerprints in the run's
duplicate filter, pickled article requests in scrapy-redis's priority queue,
one state hash per archived article — reads ``MEMORY USAGE`` of each, and
deletes them again. Use a Redis no crawl is using.
"""
from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Callable

import redis
from scrapy.utils.test import get_crawler
from scrapy_redis.queue import PriorityQueue

from crawler.spiders.sputnik_fr import SputnikFrSpider
from crawler.state.redis import RedisArticleStore

PREFIX = "sputnik:measure"
URL = "https://fr.sputniknews.com/20211227/lavrov-precise-quand-se-tiendront-les-pourparlers-{n}.html"


def per_item(client: redis.Redis, key_pattern: str, count: int, fill: Callable[[int], None]) -> float:
    for n in range(count):
        fill(n)
    keys = list(client.scan_iter(match=key_pattern, count=1000))
    total = sum(client.memory_usage(key, samples=0) or 0 for key in keys)
    client.delete(*keys)
    return total / count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("redis_url")
    parser.add_argument("--count", type=int, default=20_000)
    args = parser.parse_args(argv)
    client = redis.Redis.from_url(args.redis_url)
    spider = SputnikFrSpider.from_crawler(get_crawler(SputnikFrSpider), since="2021-12-01")
    spider.__dict__["store"] = None  # no engine here; request_to_dict reads every attribute
    queue = PriorityQueue(client, spider, f"{PREFIX}:requests")
    store = RedisArticleStore(client, f"{PREFIX}:state")
    digest = hashlib.sha1(b"body").digest()
    fingerprint = per_item(client, f"{PREFIX}:dupefilter", args.count, lambda n: client.sadd(
        f"{PREFIX}:dupefilter", hashlib.sha1(str(n).encode()).hexdigest()))
    request = per_item(client, f"{PREFIX}:requests", args.count,
                       lambda n: queue.push(spider._article_request(URL.format(n=n))))
    article = per_item(client, f"{PREFIX}:state:*", args.count, lambda n: store.record_version(
        str(1054000000 + n), URL.format(n=n), "2021-12-27T10:25:00+01:00",
        "2021-12-27T12:01:00+01:00", digest, "2021-12-28T06:00:00Z"))
    print(f"{args.count} each: {fingerprint:.0f} B per fingerprint in the duplicate filter, "
          f"{request:.0f} B per queued article request, {article:.0f} B per article in the state store")
    return 0


if __name__ == "__main__":
    sys.exit(main())
