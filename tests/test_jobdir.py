"""Resuming with JOBDIR after a clean stop followed by a kill (crawler.queues)."""
from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.utils.test import get_crawler

from crawler.queues import CheckedLifoDiskQueue
from crawler.spiders.sputnik_fr import SputnikFrSpider
from tests.crawl import ROOT, read_json
from tests.site.server import SputnikSite

SINCE = "2017-01-01"


def command(site: SputnikSite, workdir: Path, run: int, delay: str) -> list[str]:
    return [sys.executable, "-m", "scrapy", "crawl", "sputnik_fr", "-a", f"site={site.url}",
            "-a", f"since={SINCE}", "-s", f"JOBDIR={workdir / 'job'}",
            "-s", f"STATS_FILE={workdir / f'stats{run}.json'}", "-s", "CONCURRENT_REQUESTS=1",
            "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "RANDOMIZE_DOWNLOAD_DELAY=False",
            "-s", f"DOWNLOAD_DELAY={delay}", "-s", "LOG_LEVEL=INFO"]


def start(site: SputnikSite, workdir: Path, run: int, delay: str) -> tuple[subprocess.Popen, Path]:
    log = workdir / f"run{run}.log"
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "settings.base", "PYTHONPATH": str(ROOT)}
    with open(log, "w") as out:
        process = subprocess.Popen(command(site, workdir, run, delay), cwd=workdir, env=env,
                                   stdout=subprocess.DEVNULL, stderr=out)
    return process, log


def wait_for(predicate, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert process.poll() is None, "the crawl ended before the signal"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def feed_ids(workdir: Path) -> list[str]:
    ids = []
    for feed in sorted((workdir / "output" / "feeds" / "sputnik_fr").glob("*.jsonl")):
        ids += [json.loads(line)["article_id"] for line in feed.read_text().splitlines() if line.strip()]
    return ids


def test_resume_after_sigterm_then_sigkill_finishes_with_every_article_once(tmp_path: Path) -> None:
    with SputnikSite(fresh=30) as site:
        first, _ = start(site, tmp_path, 1, "0.1")
        wait_for(lambda: len(feed_ids(tmp_path)) >= 3, first)
        first.send_signal(signal.SIGTERM)
        first.wait(60)
        assert read_json(tmp_path / "stats1.json")["finish_reason"] == "shutdown"

        time.sleep(1.1)  # feed files are named after their start second
        second, log2 = start(site, tmp_path, 2, "0.1")
        wait_for(lambda: "Resuming crawl" in log2.read_text(), second)
        time.sleep(0.8)
        second.send_signal(signal.SIGKILL)
        second.wait(10)

        time.sleep(1.1)
        third, log3 = start(site, tmp_path, 3, "0")
        try:
            third.wait(60)
        finally:
            if third.poll() is None:
                third.kill()
                third.wait(10)
        log = log3.read_text()
        articles = sorted(a.article_id for a in site.articles())
    assert read_json(tmp_path / "stats3.json")["finish_reason"] == "finished", log[-3000:]
    assert "Errno 22" not in log and "Traceback" not in log
    assert sorted(feed_ids(tmp_path)) == articles
    warnings = [line for line in log.splitlines() if "] WARNING:" in line and "JOBDIR" in line]
    assert len(warnings) == 1 and str(tmp_path / "job") in warnings[0], warnings


# --- the queue file itself ------------------------------------------------------------


@pytest.fixture
def crawler():
    crawler = get_crawler(SputnikFrSpider, {"JOBDIR": "job"})
    crawler.spider = SputnikFrSpider.from_crawler(crawler, site="http://127.0.0.1:8", since=SINCE)
    crawler.spider.__dict__["store"] = None
    crawler.stats.open_spider()
    return crawler


def filled(crawler, path: Path, count: int) -> None:
    queue = CheckedLifoDiskQueue.from_crawler(crawler, str(path))
    for i in range(count):
        queue.push(Request(f"http://127.0.0.1:8/{i}"))
    queue.close()


def header(path: Path) -> int:
    return struct.unpack(">L", path.read_bytes()[:4])[0]


def test_a_count_that_disagrees_with_the_file_is_recounted(crawler, tmp_path: Path) -> None:
    path = tmp_path / "q" / "0"
    filled(crawler, path, 5)
    data = path.read_bytes()
    path.write_bytes(struct.pack(">L", 9) + data[4:])  # as after pops that were never saved
    queue = CheckedLifoDiskQueue.from_crawler(crawler, str(path))
    assert len(queue) == 5
    assert [queue.pop().url for _ in range(5)] == [f"http://127.0.0.1:8/{i}" for i in reversed(range(5))]
    assert queue.pop() is None
    assert crawler.stats.get_value("scheduler/disk_queue/recounted") == 1


def test_a_torn_tail_discards_the_file_with_a_warning(crawler, tmp_path: Path, caplog) -> None:
    path = tmp_path / "q" / "0"
    filled(crawler, path, 5)
    with open(path, "ab") as fh:
        fh.write(b"\x80\x04half a pickled request")
    with caplog.at_level("INFO"):
        queue = CheckedLifoDiskQueue.from_crawler(crawler, str(path))
    assert len(queue) == 0 and queue.pop() is None
    assert crawler.stats.get_value("scheduler/disk_queue/discarded") == 1
    assert crawler.stats.get_value("scheduler/disk_queue/discarded_requests") == 5
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "JOBDIR job" in caplog.records[0].getMessage()
