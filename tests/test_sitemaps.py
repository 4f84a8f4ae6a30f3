"""Sitemap reading (crawler.sitemaps): bounded index chains, and memory flat in the URL count."""
from __future__ import annotations

import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest
from scrapy.http import Request, XmlResponse
from scrapy.utils.test import get_crawler

from crawler.spiders.sputnik_fr import SputnikFrSpider
from settings import base
from tests.crawl import ROOT, crawl_command, read_result, run_crawl
from tests.site.server import SputnikSite
from tests.test_hostile_html import PROJECT_SETTINGS

SITE = "http://127.0.0.1:8"
NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
CHAIN = "/sitemap_article_index.xml?n="


def chain_index(root: str, n: int, width: int = 1) -> bytes:
    """An index listing the next ``width`` links of an endless chain."""
    entries = "".join(f"<sitemap><loc>{root}{CHAIN}{n + 1}.{k}</loc></sitemap>" for k in range(width))
    return f'<?xml version="1.0"?><sitemapindex {NS}>{entries}</sitemapindex>'.encode()


def spider_with(**settings: object) -> SputnikFrSpider:
    crawler = get_crawler(SputnikFrSpider, {**PROJECT_SETTINGS, **settings})
    built = SputnikFrSpider.from_crawler(crawler, site=SITE, since="2017-01-01")
    built.__dict__["store"] = None
    crawler.stats.open_spider()
    return built


def follow_chain(spider: SputnikFrSpider, width: int = 1, limit: int = 200) -> list[str]:
    """Answers every sitemap request the spider makes with the next index of the
    chain; returns the URLs it asked for (at most ``limit``)."""
    url = f"{SITE}{CHAIN}0.0"
    pending, asked = [Request(url)], []
    while pending and len(asked) < limit:
        request = pending.pop(0)
        n = int(request.url.rsplit("=", 1)[1].split(".")[0])
        response = XmlResponse(request.url, body=chain_index(SITE, n, width), request=request)
        for listed in spider._parse_sitemap(response):
            asked.append(listed.url)
            pending.append(listed)
    return asked


def test_a_self_referencing_index_chain_stops_at_the_depth_bound(caplog: pytest.LogCaptureFixture) -> None:
    spider = spider_with()
    with caplog.at_level(logging.INFO):
        asked = follow_chain(spider)
    assert len(asked) == base.SITEMAP_INDEX_MAX_DEPTH
    assert spider.crawler.stats.get_value("discovery/sitemap/too_deep") == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and warnings[0].startswith("Sitemap not followed (too_deep")


def test_the_number_of_sitemaps_followed_is_bounded(caplog: pytest.LogCaptureFixture) -> None:
    spider = spider_with(SITEMAP_MAX_COUNT=10, SITEMAP_INDEX_MAX_DEPTH=1000)
    with caplog.at_level(logging.INFO):
        asked = follow_chain(spider, width=3, limit=1000)
    assert len(asked) == 10
    refused = spider.crawler.stats.get_value("discovery/sitemap/too_many")
    assert refused and refused >= 3
    assert [r.getMessage()[:35] for r in caplog.records if r.levelname == "WARNING"] == [
        "Sitemap not followed (too_many: dep"]


@pytest.fixture(scope="module")
def chained_crawl(tmp_path_factory: pytest.TempPathFactory):
    with SputnikSite(fresh=2) as site:
        base_url = site.url
        real_index = site.answer("/sitemap_article_index.xml", base_url)[2]
        site.serve("/sitemap_article_index.xml", real_index.replace(
            b"</sitemapindex>", f"<sitemap><loc>{base_url}{CHAIN}1.0</loc></sitemap></sitemapindex>".encode()),
            "application/xml")
        for n in range(1, 300):
            site.serve(f"{CHAIN}{n}.0", chain_index(base_url, n), "application/xml")
        result = run_crawl(tmp_path_factory.mktemp("chain"), args={"site": base_url, "since": "2017-01-01"},
                           settings={"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0",
                                     "CONCURRENT_REQUESTS_PER_DOMAIN": "8"})
        chain_requests = [p for p in site.log.requested_paths() if p.startswith(CHAIN)]
        articles = sorted(a.article_id for a in site.articles())
    return result, chain_requests, articles


def test_an_endless_index_chain_on_the_site_is_cut_and_every_article_archived(chained_crawl) -> None:
    result, chain_requests, articles = chained_crawl
    assert result.returncode == 0, result.log[-2000:]
    # The index is a start request (depth 0); it lists n=1 (1), which lists n=2 (2)...
    assert len(chain_requests) == base.SITEMAP_INDEX_MAX_DEPTH
    assert result.stats["discovery/sitemap/too_deep"] == 1
    assert len([line for line in result.log_lines("WARNING") if "Sitemap not followed" in line]) == 1
    assert sorted(i["article_id"] for i in result.items) == articles


# --- memory ------------------------------------------------------------------------

MEASURE = """
import sys
from pathlib import Path
from scrapy.http import Request, XmlResponse
from scrapy.utils.test import get_crawler
from crawler.spiders.sputnik_fr import SputnikFrSpider
from tests.test_hostile_html import PROJECT_SETTINGS

site, count = sys.argv[1], int(sys.argv[2])
crawler = get_crawler(SputnikFrSpider, {**PROJECT_SETTINGS, "SITEMAP_BATCH_SIZE": 0})
spider = SputnikFrSpider.from_crawler(crawler, site=site, since="2017-01-01")
spider.__dict__["store"] = None
crawler.stats.open_spider()
entry = ("<url><loc>%s/20211227/un-titre-assez-long-pour-un-article-%%d-%%d.html</loc>"
         "<lastmod>2021-12-27T10:25:00+01:00</lastmod></url>" % site).encode()
body = b"".join([b'<?xml version="1.0"?><urlset %s>' % sys.argv[3].encode(),
                 *(entry % (i, 1054083153 + i) for i in range(count)), b"</urlset>"])
url = site + "/sitemap_article.xml?date_start=20211201&date_end=20211231"
response = XmlResponse(url, body=body, request=Request(url))
def peak():  # VmHWM: ru_maxrss would carry the parent's peak over the exec
    status = Path("/proc/self/status").read_text().splitlines()
    return int(next(line.split()[1] for line in status if line.startswith("VmHWM:"))) * 1024
before = peak()
requested = sum(1 for _ in spider._parse_sitemap(response))
print(requested, len(body), before, peak())
"""
URLS = 200_000


def test_reading_a_200k_url_sitemap_in_one_go_keeps_memory_flat() -> None:
    done = subprocess.run([sys.executable, "-c", MEASURE, SITE, str(URLS), NS], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=True)
    requested, size, before, after = map(int, done.stdout.split())
    assert requested == URLS
    # Peak RSS grows by what reading the sitemap holds at once, besides its body
    # (already in memory): about 117 MB when the entries were listed first.
    print(f"{(after - before) / 2**20:.1f} MiB more for {size / 2**20:.0f} MiB of XML")
    assert after - before < 30 * 2**20, f"{(after - before) / 2**20:.0f} MiB for {size / 2**20:.0f} MiB of XML"


def urlset(root: str, count: int) -> bytes:
    entries = "".join(f"<url><loc>{root}/20211227/article-{i}-{1054083153 + i}.html</loc></url>"
                      for i in range(count))
    return f'<?xml version="1.0"?><urlset {NS}>{entries}</urlset>'.encode()


def answer(request: Request, body: bytes) -> XmlResponse:
    return XmlResponse(request.url, body=body, request=request)


def test_a_big_urlset_is_handed_out_in_batches_each_after_the_last() -> None:
    spider = spider_with(SITEMAP_BATCH_SIZE=4)
    url = f"{SITE}/sitemap_article.xml?date_start=20211201&date_end=20211231"
    body = urlset(SITE, 10)
    out = list(spider._parse_sitemap(answer(Request(url), body)))
    assert [r.url for r in out[:4]] == [f"{SITE}/20211227/article-{i}-{1054083153 + i}.html" for i in range(4)]
    continuation = out[4]
    assert len(out) == 5 and continuation.url.startswith("data:,")
    assert continuation.priority < min(r.priority for r in out[:4])
    assert continuation.meta["download_slot"] == "127.0.0.1" and continuation.meta["dont_archive"]
    second = list(spider._parse_sitemap(answer(continuation, b"")))
    third = list(spider._parse_sitemap(answer(second[-1], b"")))
    urls = [r.url for r in out[:4] + second[:-1] + third]
    assert urls == [f"{SITE}/20211227/article-{i}-{1054083153 + i}.html" for i in range(10)]
    assert second[-1].url != continuation.url
    assert not third[-1].url.startswith("data:") and spider.sitemap_reader.pending == {}


def test_a_continuation_another_process_gets_reads_the_sitemap_again_from_there() -> None:
    first, other = spider_with(SITEMAP_BATCH_SIZE=4), spider_with(SITEMAP_BATCH_SIZE=4)
    url = f"{SITE}/sitemap_article.xml?date_start=20211201&date_end=20211231"
    body = urlset(SITE, 10)
    continuation = list(first._parse_sitemap(answer(Request(url), body)))[-1]
    (refetch,) = other._parse_sitemap(answer(continuation, b""))
    assert refetch.url == url and refetch.dont_filter and refetch.callback == other._parse_sitemap
    rest = list(other._parse_sitemap(answer(refetch, body)))
    assert [r.url for r in rest[:4]] == [f"{SITE}/20211227/article-{i}-{1054083153 + i}.html" for i in range(4, 8)]
    assert other.crawler.stats.get_value("discovery/sitemap/refetched") == 1


CRAWL_URLS = 200_000


def peak_rss(pid: int) -> int:
    """The process's peak resident set (VmHWM), in bytes; 0 once it has exited.

    Not getrusage's ru_maxrss: Linux carries it over a fork and exec, so a
    child of a big test process would report the parent's size."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    # A process that has exited but not been waited for has no VmHWM line.
    kib = next((line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")), "0")
    return int(kib) * 1024


def test_a_crawl_of_a_200k_url_sitemap_stays_under_300_mb(tmp_path) -> None:
    """The whole crawl, not only the parsing: before batches, every listed
    article waited in the scheduler at once (about 2.6 KB each)."""
    with SputnikSite(fresh=0) as site:
        month = "/sitemap_article.xml?date_start=20211201&date_end=20211231"
        site.serve(month, urlset(site.url, CRAWL_URLS), "application/xml")
        site.serve("/sitemap_article_index.xml", (
            f'<?xml version="1.0"?><sitemapindex {NS}><sitemap><loc>{site.url}'
            f'{month.replace("&", "&amp;")}</loc></sitemap></sitemapindex>').encode(), "application/xml")
        command, env = crawl_command(tmp_path, args={"site": site.url, "since": "2021-12-01",
                                                     "until": "2021-12-31"},
                                     settings={"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0",
                                               "CLOSESPIDER_PAGECOUNT": "100", "RETRY_TIMES": "0"})
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        peak, deadline = 0, time.monotonic() + 300
        while process.poll() is None and time.monotonic() < deadline:
            peak = max(peak, peak_rss(process.pid))
            time.sleep(0.05)
        _, log = process.communicate(timeout=60)
    result = read_result(tmp_path, "sputnik_fr", process.returncode, log)
    assert result.stats["finish_reason"] == "closespider_pagecount", result.log[-2000:]
    assert result.stats["discovery/sitemap/batches"] >= 1
    print(f"peak RSS {peak / 2**20:.0f} MiB")
    # With SITEMAP_BATCH_SIZE=0 (the whole list queued at once, as before): 617 MiB.
    assert 0 < peak < 300 * 2**20


def test_a_crawl_in_small_batches_gets_every_article_and_archives_no_continuation(tmp_path) -> None:
    from tests.test_warc_archiving import all_records
    with SputnikSite(fresh=6) as site:
        result = run_crawl(tmp_path, args={"site": site.url, "since": "2017-01-01"},
                           # Without the store, whether the RSS feed's articles are archived
                           # before the sitemaps are read cannot change what the sitemaps yield.
                           settings={"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0",
                                     "SITEMAP_BATCH_SIZE": "2", "STATE_ENABLED": "False"})
        articles = sorted(a.article_id for a in site.articles())
    assert result.stats["finish_reason"] == "finished", result.log[-2000:]
    assert sorted(i["article_id"] for i in result.items) == articles
    assert result.stats.get("discovery/sitemap/batches", 0) >= 2, {k: v for k, v in result.stats.items() if "discovery" in k or "dupefilter" in k}
    uris = {r.uri for r in all_records(tmp_path / "output" / "warc") if r.uri}
    assert uris and not [u for u in uris if u.startswith("data:")]
