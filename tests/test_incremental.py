"""Runs that follow each other: only what is new or changed, versions, and resuming after a kill."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.crawl import ROOT, read_json, run_crawl
from tests.site.server import SputnikSite
from tests.test_replay import replayable_by_sputnik_fr

FAST = {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "DOWNLOAD_TIMEOUT": "2",
        "RETRY_BACKOFF_BASE": "0.05"}
SINCE = "2017-01-01"
LISTINGS = ("/robots.txt", "/sitemap_article_index.xml", "/sitemap_article.xml",
            "/export/rss2/archive/index.xml")


def article_requests(site: SputnikSite) -> list[str]:
    return sorted(p for p in site.log.requested_paths() if not p.startswith(LISTINGS))


@pytest.fixture
def clean_site():
    with SputnikSite(fresh=2) as site:
        yield site


def test_second_run_fetches_and_emits_only_the_changed_article(clean_site, tmp_path):
    site = clean_site
    first = run_crawl(tmp_path, args={"site": site.url, "since": SINCE}, settings=FAST)
    assert first.returncode == 0, first.log
    assert len(first.items) == len(site.articles()) and {i["version"] for i in first.items} == {1}
    assert first.stats["dedupe/stored"] == len(site.articles())

    changed_path = site.sample_paths[2]
    site.modify_article(changed_path)
    site.log.clear()
    second = run_crawl(tmp_path, args={"site": site.url, "since": SINCE}, settings=FAST)
    assert article_requests(site) == [changed_path]
    assert [(i["article_id"], i["version"]) for i in second.items] == \
        [(site.article(changed_path).article_id, 2)]
    assert "Mise à jour" in second.items[0]["body"]
    assert second.stats["discovery/sitemap/unchanged"] == len(site.articles()) - 1
    assert second.stats["discovery/rss/archived"] == 2


def test_refresh_refetches_everything_and_emits_nothing_unchanged(clean_site, tmp_path):
    site = clean_site
    run_crawl(tmp_path, args={"site": site.url, "since": SINCE}, settings=FAST)
    site.log.clear()
    again = run_crawl(tmp_path, args={"site": site.url, "since": SINCE, "refresh": "1"}, settings=FAST)
    assert len(article_requests(site)) == len(site.articles())
    assert again.items == []
    assert again.stats["dedupe/unchanged"] == len(site.articles())


def test_replay_leaves_the_store_alone_unless_asked(tmp_path):
    sample = ROOT / "samples" / "sputnik-sample.warc.gz"
    articles = len(replayable_by_sputnik_fr())  # the sample's pages sputnik_fr reads
    first = run_crawl(tmp_path, args={"replay": str(sample)})
    again = run_crawl(tmp_path, args={"replay": str(sample)})
    assert len(first.items) == len(again.items) == articles >= 9
    assert not (tmp_path / "output" / "state").exists()
    fed = run_crawl(tmp_path, args={"replay": str(sample)}, settings={"STATE_ENABLED": "True"})
    refed = run_crawl(tmp_path, args={"replay": str(sample)}, settings={"STATE_ENABLED": "True"})
    assert len(fed.items) == articles and refed.items == []
    assert refed.stats["dedupe/unchanged"] == articles
    assert refed.stats["dedupe/duplicate"] == 1  # the sample's revisit


def _crawl_command(site: SputnikSite, jobdir: Path, stats: Path) -> list[str]:
    command = [sys.executable, "-m", "scrapy", "crawl", "sputnik_fr", "-a", f"site={site.url}",
               "-a", f"since={SINCE}", "-s", f"JOBDIR={jobdir}", "-s", f"STATS_FILE={stats}",
               "-s", "CONCURRENT_REQUESTS=1", "-s", "AUTOTHROTTLE_ENABLED=False",
               "-s", "RANDOMIZE_DOWNLOAD_DELAY=False"]
    return command


def _env() -> dict[str, str]:
    return {**os.environ, "SCRAPY_SETTINGS_MODULE": "settings.base", "PYTHONPATH": str(ROOT)}


def _feed_items(workdir: Path) -> list[dict]:
    lines = []
    for feed in sorted((workdir / "output" / "feeds" / "sputnik_fr").glob("*.jsonl")):
        lines += [json.loads(line) for line in feed.read_text(encoding="utf-8").splitlines() if line]
    return lines


def test_killed_crawl_resumes_with_every_article_exactly_once(clean_site, tmp_path):
    site, jobdir = clean_site, tmp_path / "job"
    killed = subprocess.Popen(_crawl_command(site, jobdir, tmp_path / "s1.json") + ["-s", "DOWNLOAD_DELAY=0.4"],
                              cwd=tmp_path, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 40
    while len(_feed_items(tmp_path)) < 3 and time.monotonic() < deadline and killed.poll() is None:
        time.sleep(0.1)
    killed.send_signal(signal.SIGKILL)
    killed.wait(10)
    before = _feed_items(tmp_path)
    assert 3 <= len(before) < len(site.articles()), "the kill must land mid-crawl"

    time.sleep(1.1)  # the next run's feed file is named after its start second
    resumed = subprocess.run(_crawl_command(site, jobdir, tmp_path / "s2.json") + ["-s", "DOWNLOAD_DELAY=0"],
                             cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert read_json(tmp_path / "s2.json")["finish_reason"] == "finished"
    ids = [item["article_id"] for item in _feed_items(tmp_path)]
    assert sorted(ids) == sorted(a.article_id for a in site.articles())

    replayed = run_crawl(tmp_path / "job", args={"replay": str(tmp_path / "output" / "warc"),
                                                 "site": site.url})
    assert replayed.returncode == 0
    assert sorted({i["article_id"] for i in replayed.items}) == sorted(set(ids))
    assert replayed.stats.get("replay/errors/corrupt", 0) == 0
    assert replayed.stats.get("replay/errors/truncated", 0) <= 1
