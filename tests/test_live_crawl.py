"""End to end: ``scrapy crawl sputnik_fr -a site=...`` against the local Sputnik-like site."""
from __future__ import annotations

import json
from datetime import date

import pytest
from scrapy.http import HtmlResponse

from crawler.editions import SPUTNIK_FR
from crawler.extract import extract_article
from crawler.normalize import normalize_fields
from tests.crawl import run_crawl
from tests.site.faults import Redirect, Reset, ServerError, Slow, Status, TooManyRequests
from tests.site.server import default_site

# Politeness off and short timeouts: the site is local and the faults are staged.
FAST = {
    "AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "DOWNLOAD_TIMEOUT": "1",
    "RETRY_TIMES": "2", "RETRY_BACKOFF_BASE": "0.05", "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "EDITION_EXTRA_HOSTS": "localhost",
}
EARLIEST = "2017-01-01"


def extraction_of(body: bytes, url: str) -> dict:
    response = HtmlResponse(url=url, body=body, headers={"Content-Type": "text/html; charset=utf-8"})
    return normalize_fields(extract_article(response, SPUTNIK_FR), SPUTNIK_FR)


@pytest.fixture(scope="module")
def site():
    with default_site() as running:
        yield running


@pytest.fixture(scope="module")
def full_crawl(site, tmp_path_factory):
    """Everything from the oldest sample to today, faults included."""
    return run_crawl(tmp_path_factory.mktemp("live"), args={"site": site.url, "since": EARLIEST},
                     settings=FAST)


def test_crawl_gets_every_article_in_the_window_as_its_extraction(site, full_crawl):
    assert full_crawl.returncode == 0, full_crawl.log
    unreachable = set(site.faults.paths_of(Slow)) | set(site.faults.paths_of(Status))
    wanted = {a.path: a for a in site.articles() if a.path not in unreachable}
    items = {item["article_id"]: item for item in full_crawl.items}
    assert sorted(items) == sorted(a.article_id for a in wanted.values())
    for article in wanted.values():
        item = items[article.article_id]
        expected = extraction_of(article.body, site.url + article.path)
        assert {k: item[k] for k in expected} == expected, article.path


def test_items_carry_live_provenance(site, full_crawl):
    for item in full_crawl.items:
        assert item["source"]["mode"] == "live"
        assert item["source"]["fetched_url"].startswith(("http://127.0.0.1:", "http://localhost:"))
        assert item["fetched_at"].endswith("Z") and item["fetched_at"][:4] == str(date.today().year)


def test_robots_obeyed_and_forbidden_paths_never_requested(site, full_crawl):
    paths = site.log.requested_paths()
    assert site.log.count("/robots.txt") >= 1
    assert not [p for p in paths if p.startswith(("/services/", "/search/")) or p.endswith("-print.html")]
    assert full_crawl.stats.get("robotstxt/forbidden", 0) == 0  # never even asked for them


def test_retries_recover_transient_faults(site, full_crawl):
    for kind in (ServerError, TooManyRequests, Reset):
        (path,) = site.faults.paths_of(kind)
        assert site.log.count(path) == 2, kind.__name__
    assert full_crawl.stats["retry/retry_after_honoured"] >= 1


def test_gone_articles_are_counted_once_and_not_retried(site, full_crawl):
    for path in site.faults.paths_of(Status):
        assert site.log.count(path) == 1
    assert full_crawl.stats["article/failed/status_404"] == 1
    assert full_crawl.stats["article/failed/status_410"] == 1


def test_slow_page_times_out_after_the_set_retries(site, full_crawl):
    (path,) = site.faults.paths_of(Slow)
    assert site.log.count(path) == 3  # RETRY_TIMES=2: the first try and two retries
    assert full_crawl.stats["article/failed/DownloadTimeoutError"] == 1
    assert full_crawl.stats["finish_reason"] == "finished"


def test_redirect_to_the_editions_other_host_is_followed(site, full_crawl):
    (path,) = site.faults.paths_of(Redirect)
    assert "localhost" in " ".join(site.log.hosts(path))
    item = next(i for i in full_crawl.items if i["article_id"] == site.article(path).article_id)
    assert item["source"]["fetched_url"].startswith("http://localhost:")


def test_window_fetches_only_its_months_and_articles(site, tmp_path):
    site.log.clear()
    result = run_crawl(tmp_path, args={"site": site.url, "since": "2019-06-01", "until": "2019-06-30"},
                       settings=FAST)
    assert [item["published"][:7] for item in result.items] == ["2019-06"]
    sitemaps = [p for p in site.log.requested_paths() if p.startswith("/sitemap_article.xml")]
    assert sitemaps == ["/sitemap_article.xml?date_start=20190601&date_end=20190630"]
    assert site.log.count("/export/rss2/archive/index.xml") == 0
    article_requests = [p for p in site.log.requested_paths() if p.endswith((".html", "/"))
                        and not p.startswith("/sitemap")]
    assert len(article_requests) == 1


def test_default_window_is_the_last_two_days_with_rss(site, tmp_path):
    site.log.clear()
    result = run_crawl(tmp_path, args={"site": site.url}, settings=FAST)
    days = {item["published"][:10] for item in result.items}
    today = date.today()
    assert days and days <= {today.isoformat(), date.fromordinal(today.toordinal() - 1).isoformat()}
    assert site.log.count("/export/rss2/archive/index.xml") == 1


def test_urls_argument_fetches_just_those(site, tmp_path):
    site.log.clear()
    path = site.sample_paths[0]
    result = run_crawl(tmp_path, args={"site": site.url, "urls": site.url + path}, settings=FAST)
    assert [item["article_id"] for item in result.items] == [site.article(path).article_id]
    assert not any(p.startswith("/sitemap") for p in site.log.requested_paths())


@pytest.mark.parametrize("args,message", [
    ({"since": "2021-02-30"}, "expected a date"),
    ({"since": "2021-12-02", "until": "2021-12-01"}, "comes after"),
    ({"site": "file:///etc/passwd"}, "http:// or https://"),
])
def test_bad_arguments_are_usage_errors_before_any_request(site, tmp_path, args, message):
    site.log.clear()
    result = run_crawl(tmp_path, args={"site": site.url, **args}, settings=FAST)
    assert result.returncode == 2
    assert message in result.log
    assert site.log.requested_paths() == []


def test_server_down_ends_with_a_summary(tmp_path):
    """A live crawl of a dead site (a closed local port): exit status 1, a summary
    that says why, and one line per problem (no robots.txt traceback)."""
    with default_site() as gone:
        url = gone.url
    result = run_crawl(tmp_path, args={"site": url, "since": "2021-01-01"}, settings=FAST, timeout=60)
    assert result.returncode == 1
    assert result.stats["finish_reason"] == "finished"
    assert result.stats["exit_status"] == 1
    last = result.log.strip().splitlines()[-2]
    assert "Run summary (finished, exit status 1: nothing could be fetched or read): 0 articles written" in last
    assert "Traceback" not in result.log
    assert "Crawling " + url + " for articles published from 2021-01-01 on" in result.log
    # robots.txt, the sitemap index and the RSS feed (the window reaches today)
    assert result.stats["discovery/failed/DownloadConnectionRefusedError"] == 3
    # Scrapy's retry middleware logs its own "Gave up" ERROR lines; every
    # other failure is one WARNING.
    errors = [line for line in result.log_lines("ERROR") if "downloadermiddlewares.retry" not in line]
    assert errors == []
    assert len([line for line in result.log_lines("WARNING") if "robots.txt not fetched" in line]) == 1
    assert len([line for line in result.log_lines("WARNING") if "Listing not fetched" in line]) == 3


def test_live_run_writes_a_coverage_report_of_sitemap_ids_and_live_captures(site, full_crawl):
    (path,) = (full_crawl.workdir / "output" / "reports" / "sputnik_fr").glob("coverage-*.json")
    total = json.loads(path.read_text())["total"]
    # Every page the sitemaps list (fault pages included) is an article URL of the window.
    listed = {path for path, _, _ in site.listing()}
    unreachable = set(site.faults.paths_of(Slow)) | set(site.faults.paths_of(Status))
    assert total["known"]["sitemaps"] == len(listed)
    assert total["archived"]["live"] == total["archived"]["any"] == len(full_crawl.items)
    assert total["missing"] == len(listed & unreachable) > 0
