"""A damaged or full article store stops the crawl with ``state_error`` and one clear message;
``python -m crawler.state check|rebuild`` finds and repairs it."""
from __future__ import annotations

import json
import random
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.state import open_store
from settings.base import EXTENSIONS
from tests.crawl import ROOT, CrawlResult, read_jsonl, run_crawl
from tests.site.server import SputnikSite

FAST = {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "RETRY_TIMES": "0"}
SINCE = "2017-01-01"
STORE = Path("output/state/sputnik_fr.sqlite3")
DIGESTS = Path("output/warc/digests.sqlite3")


def crawl(workdir: Path, site: SputnikSite, **settings: str) -> CrawlResult:
    """A crawl whose ``items`` are those of its own feed files (none if it wrote none)."""
    feeds = workdir / "output" / "feeds" / "sputnik_fr"
    before = set(feeds.glob("*.jsonl"))
    result = run_crawl(workdir, args={"site": site.url, "since": SINCE}, settings={**FAST, **settings},
                       default_feeds=True)
    result.items = [item for feed in sorted(set(feeds.glob("*.jsonl")) - before) for item in read_jsonl(feed)]
    return result


def feed_ids(workdir: Path) -> list[str]:
    ids = []
    for feed in sorted((workdir / "output" / "feeds" / "sputnik_fr").glob("*.jsonl")):
        ids += [json.loads(line)["article_id"] for line in feed.read_text().splitlines() if line]
    return ids


def state_command(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crawler.state", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=60, env={"PYTHONPATH": str(ROOT)})


def garble(path: Path, offset: int, length: int = 4096) -> None:
    data = bytearray(path.read_bytes())
    noise = random.Random(17).randbytes(length)
    data[offset:offset + length] = noise[:len(data[offset:offset + length])]
    path.write_bytes(bytes(data))


def assert_stopped_clearly(result: CrawlResult, reason: str, path: Path) -> None:
    assert result.stats["finish_reason"] == reason, result.log[-3000:]
    errors = result.log_lines("ERROR")
    assert len(errors) == 1, errors
    assert str(path) in errors[0] and "python -m crawler.state" in errors[0]
    assert "Traceback" not in result.log and "Spider error processing" not in result.log


@pytest.fixture(scope="module")
def first_crawl(tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("first")
    with SputnikSite(fresh=2) as site:
        first = crawl(workdir, site)
        assert first.stats["finish_reason"] == "finished" and first.items
        site.add_fresh_article(slug="nouvelle")
        yield site, first, workdir


@pytest.fixture
def crawled(first_crawl, tmp_path: Path):
    """The output of one finished crawl, in this test's own directory."""
    site, first, workdir = first_crawl
    shutil.copytree(workdir / "output", tmp_path / "output")
    return site, first


def test_a_garbled_store_stops_the_crawl_and_emits_nothing(crawled, tmp_path: Path) -> None:
    site, first = crawled
    garble(tmp_path / STORE, offset=4096)  # the articles table's page
    second = crawl(tmp_path, site)
    assert_stopped_clearly(second, "state_error", STORE)
    assert second.stats["state/errors"] >= 1
    assert feed_ids(tmp_path) == [item["article_id"] for item in first.items]


def test_a_truncated_store_stops_the_crawl_at_once(crawled, tmp_path: Path) -> None:
    site, _ = crawled
    with open(tmp_path / STORE, "r+b") as fh:
        fh.truncate(60)
    second = crawl(tmp_path, site)
    assert_stopped_clearly(second, "state_error", STORE)
    assert second.items == []


def test_a_truncated_digest_index_stops_the_crawl_with_a_clear_message(crawled, tmp_path: Path) -> None:
    site, _ = crawled
    with open(tmp_path / DIGESTS, "r+b") as fh:
        fh.truncate(60)
    second = crawl(tmp_path, site)
    assert_stopped_clearly(second, "warc_write_error", DIGESTS)
    assert second.items == []


def test_a_full_store_stops_the_crawl_and_a_rebuild_leaves_no_duplicate(tmp_path: Path) -> None:
    extensions = json.dumps({**EXTENSIONS, "tests.state_faults.FullStore": 1000})
    with SputnikSite(fresh=40) as site:
        full = crawl(tmp_path, site, EXTENSIONS=extensions, CONCURRENT_REQUESTS="1")
        assert_stopped_clearly(full, "state_error", STORE)
        assert "full" in full.log_lines("ERROR")[0]
        assert 0 < len(feed_ids(tmp_path)) < len(site.articles())

        rebuilt = state_command("rebuild", str(STORE), "--feeds", "output/feeds/sputnik_fr", cwd=tmp_path)
        assert rebuilt.returncode == 0, rebuilt.stderr
        again = crawl(tmp_path, site)
        assert again.stats["finish_reason"] == "finished"
        assert sorted(feed_ids(tmp_path)) == sorted(a.article_id for a in site.articles())


def test_check_reports_a_good_and_a_damaged_store(crawled, tmp_path: Path) -> None:
    good = state_command("check", str(STORE), cwd=tmp_path)
    assert good.returncode == 0 and "ok" in good.stdout and "articles" in good.stdout
    digests = state_command("check", str(DIGESTS), cwd=tmp_path)
    assert digests.returncode == 0 and "payload_digests" in digests.stdout
    garble(tmp_path / STORE, offset=4096)
    bad = state_command("check", str(STORE), cwd=tmp_path)
    assert bad.returncode == 1
    assert str(STORE) in bad.stdout and "rebuild" in bad.stdout


@pytest.mark.parametrize("source", [["--feeds", "output/feeds/sputnik_fr"], ["--warc", "output/warc"]])
def test_rebuild_gives_back_what_the_store_held(crawled, tmp_path: Path, source: list[str]) -> None:
    _, first = crawled
    store = open_store(f"sqlite:///{tmp_path / STORE}")
    before = {item["article_id"]: store.get(item["article_id"]) for item in first.items}
    store.close()
    garble(tmp_path / STORE, offset=4096)
    done = state_command("rebuild", str(STORE), *source, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"{len(before)} articles" in done.stdout
    assert list((tmp_path / STORE.parent).glob("*.damaged-*"))  # kept aside, not deleted
    store = open_store(f"sqlite:///{tmp_path / STORE}")
    after = {article_id: store.get(article_id) for article_id in before}
    assert store.count() == len(before)
    for article_id, held in before.items():
        got = after[article_id]
        assert (got.url, got.digest, got.versions, got.published, got.modified) == (
            held.url, held.digest, held.versions, held.published, held.modified)
    assert sqlite3.connect(tmp_path / STORE).execute("PRAGMA integrity_check").fetchone() == ("ok",)


# --- a store failing mid-crawl, inside a sitemap callback ------------------------------


def test_a_store_failing_mid_crawl_stops_it_without_a_spider_error(crawled, tmp_path: Path) -> None:
    site, _ = crawled
    extensions = json.dumps({**EXTENSIONS, "tests.state_faults.StoreGoneMidCrawl": 1000})
    second = crawl(tmp_path, site, EXTENSIONS=extensions)
    assert_stopped_clearly(second, "state_error", STORE)
    assert second.items == []


class FailingStore:
    def get(self, article_id: str) -> None:
        raise sqlite3.DatabaseError("database disk image is malformed")


def test_a_store_failure_while_reading_a_sitemap_stops_the_crawl_once(caplog: pytest.LogCaptureFixture) -> None:
    from scrapy.http import Request, XmlResponse
    from scrapy.utils.test import get_crawler

    from crawler.spiders.sputnik_fr import SputnikFrSpider
    from crawler.state.guard import StateErrorMiddleware
    from tests.test_hostile_html import PROJECT_SETTINGS

    crawler = get_crawler(SputnikFrSpider, PROJECT_SETTINGS)
    spider = SputnikFrSpider.from_crawler(crawler, site="http://127.0.0.1:8", since=SINCE)
    spider.__dict__["store"] = FailingStore()
    crawler.stats.open_spider()
    url = "http://127.0.0.1:8/sitemap_article.xml?date_start=20211201&date_end=20211231"
    body = (b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            b"<url><loc>http://127.0.0.1:8/20211227/a-1054083153.html</loc>"
            b"<lastmod>2021-12-27T10:25:00+01:00</lastmod></url></urlset>")
    response = XmlResponse(url, body=body, request=Request(url))
    with pytest.raises(sqlite3.DatabaseError) as raised:
        list(spider._parse_sitemap(response))
    middleware = StateErrorMiddleware.from_crawler(crawler)
    with caplog.at_level("INFO"):
        assert middleware.process_spider_exception(response, raised.value) == []
        assert middleware.process_spider_exception(response, raised.value) == []
        assert middleware.process_spider_exception(response, ValueError("other")) is None
    assert crawler.stats.get_value("state/errors") == 2
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and "output/state/sputnik_fr.sqlite3" in errors[0]
    assert "python -m crawler.state check" in errors[0]


def test_the_digest_index_is_rebuilt_from_the_warc_files(crawled, tmp_path: Path) -> None:
    def rows() -> set[tuple[str, ...]]:
        db = sqlite3.connect(tmp_path / DIGESTS)
        try:
            return set(db.execute("SELECT digest, target_uri, warc_date, record_id FROM payload_digests"))
        finally:
            db.close()

    before = rows()
    with open(tmp_path / DIGESTS, "r+b") as fh:
        fh.truncate(60)
    assert state_command("check", str(DIGESTS), cwd=tmp_path).returncode == 1
    done = state_command("rebuild", str(DIGESTS), "--warc", "output/warc", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"{len(before)} payload digests" in done.stdout
    assert before and rows() == before
