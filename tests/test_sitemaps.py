"""Sitemap reading (crawler.sitemaps): bounded index chains, and memory flat in the URL count."""
from __future__ import annotations

import logging
import subprocess
import sys

import pytest
from scrapy.http import Request, XmlResponse
from scrapy.utils.test import get_crawler

from crawler.spiders.sputnik_fr import SputnikFrSpider
from settings import base
from tests.crawl import ROOT, run_crawl
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
import resource, sys
from scrapy.http import Request, XmlResponse
from scrapy.utils.test import get_crawler
from crawler.spiders.sputnik_fr import SputnikFrSpider
from tests.test_hostile_html import PROJECT_SETTINGS

site, count = sys.argv[1], int(sys.argv[2])
crawler = get_crawler(SputnikFrSpider, PROJECT_SETTINGS)
spider = SputnikFrSpider.from_crawler(crawler, site=site, since="2017-01-01")
spider.__dict__["store"] = None
crawler.stats.open_spider()
entry = ("<url><loc>%s/20211227/un-titre-assez-long-pour-un-article-%%d-%%d.html</loc>"
         "<lastmod>2021-12-27T10:25:00+01:00</lastmod></url>" % site).encode()
body = b"".join([b'<?xml version="1.0"?><urlset %s>' % sys.argv[3].encode(),
                 *(entry % (i, 1054083153 + i) for i in range(count)), b"</urlset>"])
url = site + "/sitemap_article.xml?date_start=20211201&date_end=20211231"
response = XmlResponse(url, body=body, request=Request(url))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
requested = sum(1 for _ in spider._parse_sitemap(response))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(requested, len(body), before * 1024, after * 1024)
"""
URLS = 200_000


def test_reading_a_200k_url_sitemap_keeps_memory_flat() -> None:
    done = subprocess.run([sys.executable, "-c", MEASURE, SITE, str(URLS), NS], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=True)
    requested, size, before, after = map(int, done.stdout.split())
    assert requested == URLS
    # Peak RSS grows by what reading the sitemap holds at once, besides its body
    # (already in memory): about 117 MB when the entries were listed first.
    print(f"{(after - before) / 2**20:.1f} MiB more for {size / 2**20:.0f} MiB of XML")
    assert after - before < 30 * 2**20, f"{(after - before) / 2**20:.0f} MiB for {size / 2**20:.0f} MiB of XML"
