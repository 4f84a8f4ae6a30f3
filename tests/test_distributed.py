"""Several workers sharing one crawl through Redis (settings.distributed), against a real redis-server."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import redis
from warcio.archiveiterator import ArchiveIterator
from scrapy.utils.test import get_crawler
from scrapy_redis.queue import PriorityQueue

from crawler.spiders.sputnik_fr import SputnikFrSpider
from crawler.state import open_store
from crawler.state.redis import masked_url, split_prefix
from tests.crawl import ROOT, read_json, read_jsonl
from tests.redis_server import PASSWORD, redis_server
from tests.site.faults import Slow
from tests.site.server import SputnikSite
from warc import index
from warc.digests import DigestIndex
from warc.writer import WrittenRecord

SINCE = "2017-01-01"
FAST = {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0.05", "DOWNLOAD_TIMEOUT": "5",
        "DISTRIBUTED_IDLE_GRACE": "2", "DISTRIBUTED_HEARTBEAT": "0.25", "LOG_LEVEL": "INFO"}
DEADLINE = 90


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def client(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.flushall()
    yield client
    client.close()


# --- the shared article store --------------------------------------------------


def test_redis_store_counts_versions_and_keeps_first_seen(client, redis_url):
    store = open_store(f"{redis_url}?prefix=test:state")
    assert store.get("1054083153") is None
    assert store.record_version("1054083153", "https://a/1", "2021-12-27T10:25:00+01:00", None,
                                b"one\x00\xff", "2021-12-28T06:00:00Z") == 1
    assert store.record_version("1054083153", "https://b/1", "2021-12-27T10:25:00+01:00",
                                "2021-12-27T12:01:00+01:00", b"two", "2021-12-29T06:00:00Z") == 2
    archived = store.get("1054083153")
    assert (archived.url, archived.digest, archived.versions) == ("https://b/1", b"two", 2)
    assert (archived.first_seen, archived.last_seen) == ("2021-12-28T06:00:00Z", "2021-12-29T06:00:00Z")
    assert archived.modified == "2021-12-27T12:01:00+01:00" and archived.published
    assert client.exists("test:state:1054083153")
    store.close()


def test_redis_store_touch_moves_last_seen_forward_only(client, redis_url):
    store = open_store(f"{redis_url}?prefix=test:state")
    store.record_version("1", "u", None, None, b"d", "2021-02-01T00:00:00Z")
    store.touch("1", "2021-03-01T00:00:00Z")
    store.touch("1", "2021-01-15T00:00:00Z")
    store.touch("absent", "2021-01-15T00:00:00Z")
    archived = store.get("1")
    assert (archived.last_seen, archived.versions, archived.published) == ("2021-03-01T00:00:00Z", 1, None)
    assert store.get("absent") is None
    assert store.count() == 1
    store.close()


def test_redis_store_is_shared_between_clients(client, redis_url):
    first, second = open_store(f"{redis_url}?prefix=p"), open_store(f"{redis_url}?prefix=p")
    first.record_version("7", "u", None, None, b"d", "t1")
    assert second.record_version("7", "u", None, None, b"e", "t2") == 2
    assert first.get("7").digest == b"e"
    first.close(), second.close()


def test_unreachable_store_is_a_clear_error_without_the_password():
    with pytest.raises(ValueError, match="cannot reach Redis") as error:
        open_store(f"redis://:{PASSWORD}@127.0.0.1:1/0")
    assert PASSWORD not in str(error.value)


def test_uri_helpers():
    assert masked_url("redis://:pw@h:6379/0") == "redis://:***@h:6379/0"
    assert masked_url("redis://h/1") == "redis://h/1"
    assert split_prefix("redis://h:1/2?prefix=a:b:&socket_timeout=3") == ("redis://h:1/2?socket_timeout=3", "a:b")
    assert split_prefix("redis://h")[1] == "sputnik:state"


# --- requests survive the shared queue ---------------------------------------------


def test_project_requests_round_trip_through_the_redis_queue(client):
    crawler = get_crawler(SputnikFrSpider)
    spider = SputnikFrSpider.from_crawler(crawler, site="http://127.0.0.1:1", since=SINCE)
    # request_to_dict looks through every attribute of the spider; in a crawl
    # the store is there, here there is no engine to find it in.
    spider.__dict__["store"] = None
    written = WrittenRecord("a.warc.gz", 10, 20, "<urn:uuid:x>", "response", "2021-12-28T06:00:00Z",
                            "http://127.0.0.1:1/x", "sha1:ABC")
    article = spider._article_request("http://127.0.0.1:1/20211227/a-1054083153.html")
    retried = article.replace(meta={"warc_record": written, "retry_times": 1,
                                    "redirect_urls": ["http://localhost:1/x"], "download_slot": "h"})
    requests = [spider._sitemap_request("http://127.0.0.1:1/robots.txt"), article, retried]
    queue = PriorityQueue(client, spider, "test:requests")
    for request in requests:
        queue.push(request)
    back = [queue.pop() for _ in requests]
    assert sorted(r.url for r in back) == sorted(r.url for r in requests)
    by_meta = {json.dumps(sorted(map(str, r.meta))): r for r in back}
    again = by_meta[json.dumps(sorted(map(str, retried.meta)))]
    assert again.meta == retried.meta and again.callback == spider.parse_article
    assert again.errback == spider.article_failed
    assert {r.callback for r in back} == {spider.parse_article, spider._parse_sitemap}


# --- two workers, one crawl -----------------------------------------------------------


def _worker(workdir: Path, site: SputnikSite, url: str, crawl_id: str, worker: str,
            extra: dict[str, str] | None = None) -> subprocess.Popen:
    command = [sys.executable, "-m", "scrapy", "crawl", "sputnik_fr", "-a", f"site={site.url}",
               "-a", f"since={SINCE}", "-s", f"STATS_FILE={workdir / f'stats-{worker}.json'}"]
    for key, value in {**FAST, **(extra or {})}.items():
        command += ["-s", f"{key}={value}"]
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "settings.distributed", "PYTHONPATH": str(ROOT),
           "SPUTNIK_REDIS_URL": url, "SPUTNIK_CRAWL_ID": crawl_id, "SPUTNIK_WORKER_ID": worker}
    env.pop("SPUTNIK_OUTPUT_DIR", None)
    env.pop("SPUTNIK_STATE_URI", None)
    return subprocess.Popen(command, cwd=workdir, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def _run_workers(workdir: Path, site: SputnikSite, url: str, crawl_id: str,
                 workers: tuple[str, ...]) -> dict[str, tuple[int, str]]:
    """Starts the workers together; each must exit on its own before the deadline."""
    running = {name: _worker(workdir, site, url, crawl_id, name) for name in workers}
    deadline = time.monotonic() + DEADLINE
    done: dict[str, tuple[int, str]] = {}
    try:
        for name, process in running.items():
            _, log = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
            done[name] = (process.returncode, log)
    finally:
        for process in running.values():
            if process.poll() is None:
                process.kill()
                process.wait(10)
    return done


def _items(workdir: Path, worker: str) -> list[dict]:
    feeds = sorted((workdir / "output" / "feeds" / "sputnik_fr").glob(f"*-{worker}.jsonl"))
    return [item for feed in feeds for item in read_jsonl(feed)]


def test_two_workers_share_one_crawl(redis_url, client, tmp_path):
    with SputnikSite(fresh=30) as site:
        results = _run_workers(tmp_path, site, redis_url, "run-1", ("w1", "w2"))
        fetched = Counter(site.log.requested_paths())
        wanted = sorted(a.article_id for a in site.articles())

        for name, (code, log) in results.items():
            assert code == 0, log[-3000:]
            assert PASSWORD not in log
            assert read_json(tmp_path / f"stats-{name}.json")["finish_reason"] == "finished"
        per_worker = {name: _items(tmp_path, name) for name in results}
        archived = [item["article_id"] for items in per_worker.values() for item in items]
        assert sorted(archived) == wanted, "every article exactly once across the workers"
        assert all(per_worker.values()), {k: len(v) for k, v in per_worker.items()}
        # robots.txt: once by each worker's robots middleware, once as the sitemap source.
        assert fetched.pop("/robots.txt") <= 3
        assert [target for target, count in fetched.items() if count > 1] == []
        warcs = sorted(p.name for p in (tmp_path / "output" / "warc").glob("*.warc.gz"))
        assert any("-w1" in name for name in warcs) and any("-w2" in name for name in warcs)
        assert client.ttl("sputnik:run-1:sputnik_fr:dupefilter") > 0, "a finished run's keys expire"

        # The next run has its own filter (so its own sitemaps), and the shared
        # store knows everything is archived already.
        site.log.clear()
        code, log = _run_workers(tmp_path, site, redis_url, "run-2", ("w3",))["w3"]
        assert code == 0, log[-3000:]
        assert site.log.count("/sitemap_article_index.xml") == 1
        stats = read_json(tmp_path / "stats-w3.json")
        assert stats["discovery/sitemap/unchanged"] == len(wanted)
        assert _items(tmp_path, "w3") == []


def test_a_shared_crawl_needs_a_crawl_id(redis_url, tmp_path):
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "settings.distributed", "PYTHONPATH": str(ROOT),
           "SPUTNIK_REDIS_URL": redis_url}
    env.pop("SPUTNIK_CRAWL_ID", None)
    done = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "sputnik_fr"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "SPUTNIK_CRAWL_ID" in done.stderr and "Traceback" not in done.stderr


def test_a_queue_class_the_shared_scheduler_cannot_use_is_refused_before_any_redis_call(tmp_path):
    # Nothing listens on port 1: a Redis call would fail with another message.
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "settings.distributed", "PYTHONPATH": str(ROOT),
           "SPUTNIK_REDIS_URL": "redis://127.0.0.1:1/0", "SPUTNIK_CRAWL_ID": "queue-check"}
    done = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "sputnik_fr",
                           "-s", "SCHEDULER_QUEUE_CLASS=scrapy.squeues.PickleFifoDiskQueue"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "SCHEDULER_QUEUE_CLASS" in done.stderr and "FifoQueue" in done.stderr
    assert "Traceback" not in done.stderr and "Redis" not in done.stderr.replace("scrapy-redis", "")


# --- a worker killed mid-crawl --------------------------------------------------------


def _wait_for_items(workdir: Path, worker: str, count: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + DEADLINE
    while len(_items(workdir, worker)) < count:
        assert process.poll() is None and time.monotonic() < deadline, "the worker ended first"
        time.sleep(0.05)


def _finish(process: subprocess.Popen) -> tuple[int, str]:
    try:
        _, log = process.communicate(timeout=DEADLINE)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    return process.returncode, log


def test_a_killed_worker_loses_nothing_and_its_warc_is_recovered(redis_url, client, tmp_path):
    site = SputnikSite(fresh=24)
    for article in site.fresh_articles():
        site.add_fault(article.path, Slow(seconds=0.6))  # so the kill finds requests in flight
    lease = {"DISTRIBUTED_LEASE": "2"}
    with site:
        killed = _worker(tmp_path, site, redis_url, "run-k", "w1", lease)
        other = _worker(tmp_path, site, redis_url, "run-k", "w2", lease)
        _wait_for_items(tmp_path, "w1", 3, killed)
        killed.kill()
        killed.wait(10)
        code, log = _finish(other)
        assert code == 0, log[-3000:]
        # Restarted under another id, as the default host-pid id would be. It
        # finds nothing left to fetch (exit status 1 says so), but recovers the file.
        code, log = _finish(_worker(tmp_path, site, redis_url, "run-k", "w3", lease))
        assert read_json(tmp_path / "stats-w3.json")["finish_reason"] == "finished", log[-3000:]
        wanted = sorted(a.article_id for a in site.articles())

    archived = Counter(item["article_id"] for worker in ("w1", "w2", "w3")
                       for item in _items(tmp_path, worker))
    assert sorted(archived) == wanted, "every article across the workers and runs"
    # At least once, not exactly: the test kills w1 as soon as it sees a
    # line in w1's feed, which can fall between that write and the store's
    # record of it (a Redis round trip later); the worker that takes the
    # lease over then writes that one article again. Recording first would
    # lose the article instead.
    twice = [article for article, times in archived.items() if times > 1]
    killed_wrote = {item["article_id"] for item in _items(tmp_path, "w1")}
    assert len(twice) <= 1 and all(archived[a] == 2 and a in killed_wrote for a in twice), twice
    stats = [read_json(tmp_path / f"stats-{w}.json") for w in ("w2", "w3")]
    assert sum(s.get("distributed/inflight/requeued", 0) for s in stats) >= 1
    warc_dir = tmp_path / "output" / "warc"
    assert not list(warc_dir.glob("*.open")), "the killed worker's WARC file is recovered"
    indexed = {index.line_filename(line) for line in index.read_index(warc_dir)}
    assert any(name.endswith("-w1.warc.gz") for name in indexed)
    in_files = {record.rec_headers["WARC-Record-ID"]: path.name for path in sorted(warc_dir.glob("*.warc.gz"))
                for record in ArchiveIterator(open(path, "rb"))}
    with DigestIndex(warc_dir) as digests:
        targets = [row[0] for row in digests._db.execute("SELECT record_id FROM payload_digests")]
    assert targets and all(in_files.get(target) in indexed for target in targets)
