"""Hostile sitemaps and RSS: malformed XML, entity tricks, gzip bombs, loops."""
from __future__ import annotations

import gzip
import logging
import tracemalloc
from pathlib import Path

import pytest
from scrapy.http import Request, Response, XmlResponse
from scrapy.utils.test import get_crawler

from crawler.spiders.sputnik_fr import SputnikFrSpider
from tests.crawl import run_crawl
from tests.site.server import SputnikSite
from tests.test_hostile_html import PROJECT_SETTINGS

SITE = "http://127.0.0.1:8"
NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
ARTICLE = f"{SITE}/20211227/lavrov-1054083153.html"
MARKER = "TOP-SECRET-MARKER-7f3a"
LIMIT = 1_000_000


def billion_laughs(root: str) -> bytes:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">' for i in range(1, 10))
    return (f'<?xml version="1.0"?><!DOCTYPE {root} [{entities}]>'
            f"<{root} {NS}><url><loc>{ARTICLE}</loc><lastmod>&lol9;</lastmod></url></{root}>").encode()


def xxe(secret: Path, root: str = "urlset") -> bytes:
    return (f'<?xml version="1.0"?><!DOCTYPE {root} [<!ENTITY xxe SYSTEM "file://{secret}">]>'
            f"<{root} {NS}><url><loc>{ARTICLE}?x=&xxe;</loc></url>"
            f"<url><loc>{SITE}/20211227/x-&xxe;-1054083154.html</loc></url></{root}>").encode()


def rss_with_xxe(secret: Path) -> bytes:
    return (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'
            f"<rss><channel><item><title>&xxe;</title><link>{ARTICLE}</link></item>"
            f"<item><link>{SITE}/20211227/&xxe;-1054083155.html</link></item></channel></rss>").encode()


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(MARKER)
    return path


@pytest.fixture
def spider() -> SputnikFrSpider:
    crawler = get_crawler(SputnikFrSpider, PROJECT_SETTINGS)
    built = SputnikFrSpider.from_crawler(crawler, site=SITE, since="2017-01-01")
    built.__dict__["store"] = None
    crawler.stats.open_spider()
    return built


def sitemap_response(body: bytes, cls: type[Response] = XmlResponse,
                     url: str = f"{SITE}/sitemap_article.xml?date_start=20211201&date_end=20211231",
                     maxsize: int | None = None) -> Response:
    request = Request(url, meta={"download_maxsize": maxsize} if maxsize else {})
    return cls(url, body=body, request=request)


@pytest.mark.parametrize("body,reason", [
    (b"", "empty"),
    (b"\x00\x01 not xml at all <<<", "not_xml"),
    (b"\x1f\x8b\x08" + b"\x00" * 40, "bad_gzip"),
], ids=["empty", "garbage", "corrupt-gzip"])
def test_unusable_sitemap_is_counted_with_one_warning(
        spider: SputnikFrSpider, body: bytes, reason: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        assert list(spider._parse_sitemap(sitemap_response(body, cls=Response))) == []
    assert spider.crawler.stats.get_value(f"discovery/failed/{reason}") == 1
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert caplog.records[0].getMessage().startswith(f"Listing not usable ({reason}")


def test_sitemap_cut_in_the_middle_gives_the_entries_before_the_cut(spider: SputnikFrSpider) -> None:
    body = (f'<?xml version="1.0"?><urlset {NS}><url><loc>{ARTICLE}</loc></url>'
            f"<url><loc>{SITE}/20211228/coupe-10540").encode()
    requests = list(spider._parse_sitemap(sitemap_response(body)))
    assert [r.url for r in requests] == [ARTICLE]
    assert spider.crawler.stats.get_value("discovery/sitemap/requested") == 1


def test_billion_laughs_is_not_expanded(spider: SputnikFrSpider) -> None:
    tracemalloc.start()
    requests = list(spider._parse_sitemap(sitemap_response(billion_laughs("urlset"))))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # libxml2 refuses the entity amplification and gives up on the document.
    assert requests == []
    assert peak < 20_000_000  # 10**9 "lol"s would be 3 GB


def test_external_entity_is_never_read_from_a_sitemap(
        spider: SputnikFrSpider, secret: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        requests = list(spider._parse_sitemap(sitemap_response(xxe(secret))))
    assert requests and all(MARKER not in r.url for r in requests)
    assert MARKER not in caplog.text


def test_external_entity_is_never_read_from_rss(
        spider: SputnikFrSpider, secret: Path, caplog: pytest.LogCaptureFixture) -> None:
    response = XmlResponse(f"{SITE}/export/rss2/archive/index.xml", body=rss_with_xxe(secret))
    with caplog.at_level(logging.DEBUG):
        requests = list(spider.parse_rss(response))
    assert [r.url for r in requests][:1] == [ARTICLE]
    assert all(MARKER not in r.url for r in requests)
    assert MARKER not in caplog.text


def test_malformed_rss_yields_the_items_before_the_damage(
        spider: SputnikFrSpider, caplog: pytest.LogCaptureFixture) -> None:
    body = (f"<rss><channel><item><link>{ARTICLE}</link></item>"
            f"<item><link>{SITE}/2021").encode()
    response = XmlResponse(f"{SITE}/export/rss2/archive/index.xml", body=body)
    with caplog.at_level(logging.INFO):
        assert [r.url for r in spider.parse_rss(response)] == [ARTICLE]
    assert spider.crawler.stats.get_value("discovery/failed/not_xml") == 1
    assert [r.getMessage()[:30] for r in caplog.records] == ["Listing not usable (not_xml, s"]


def test_gzip_bomb_sitemap_stops_at_the_size_limit(
        spider: SputnikFrSpider, caplog: pytest.LogCaptureFixture) -> None:
    bomb = gzip.compress(b"<" + b"\x20" * (200 * LIMIT))  # 200 MB of spaces, about 200 KB packed
    assert len(bomb) < LIMIT
    tracemalloc.start()
    with caplog.at_level(logging.INFO):
        requests = list(spider._parse_sitemap(sitemap_response(
            bomb, cls=Response, url=f"{SITE}/sitemap_article.xml.gz", maxsize=LIMIT)))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert requests == []
    # gunzip stops one chunk past the limit: never the 200 MB.
    assert peak < 4 * LIMIT
    assert spider.crawler.stats.get_value("discovery/failed/too_large") == 1
    assert [r.getMessage() for r in caplog.records] == [
        f"Listing not usable (too_large, size limit {LIMIT} bytes): {SITE}/sitemap_article.xml.gz"]


# --- end to end: loops, entities and a bomb among good sitemaps --------------------


@pytest.fixture(scope="module")
def hostile_discovery(tmp_path_factory: pytest.TempPathFactory) -> tuple[SputnikSite, object, str]:
    secret_dir = tmp_path_factory.mktemp("secret")
    secret = secret_dir / "secret.txt"
    secret.write_text(MARKER)
    site = SputnikSite(fresh=2)
    with site:
        base = site.url
        real_index = site.answer("/sitemap_article_index.xml", base)[2]
        loops = (f"<sitemap><loc>{base}/sitemap_article_index.xml</loc></sitemap>"
                 f"<sitemap><loc>{base}/sitemap_article_index2.xml</loc></sitemap>"
                 f"<sitemap><loc>{base}/sitemap_article_xxe.xml</loc></sitemap>"
                 f"<sitemap><loc>{base}/sitemap_article_lol.xml</loc></sitemap>"
                 f"<sitemap><loc>{base}/sitemap_article_bomb.xml.gz</loc></sitemap>")
        site.serve("/sitemap_article_index.xml", real_index.replace(
            b"</sitemapindex>", loops.encode() + b"</sitemapindex>"), "application/xml")
        site.serve("/sitemap_article_index2.xml", (
            f'<?xml version="1.0"?><sitemapindex {NS}>'
            f"<sitemap><loc>{base}/sitemap_article_index.xml</loc></sitemap>"
            f"<sitemap><loc>{base}/sitemap_article_index2.xml</loc></sitemap></sitemapindex>").encode(),
            "application/xml")
        site.serve("/sitemap_article_xxe.xml", xxe(secret).replace(SITE.encode(), base.encode()),
                   "application/xml")
        site.serve("/sitemap_article_lol.xml", billion_laughs("urlset").replace(
            SITE.encode(), base.encode()), "application/xml")
        site.serve("/sitemap_article_bomb.xml.gz", gzip.compress(b" " * (100 * LIMIT)),
                   "application/x-gzip")
        site.serve("/export/rss2/archive/index.xml", rss_with_xxe(secret).replace(
            SITE.encode(), base.encode()), "application/rss+xml")
        result = run_crawl(tmp_path_factory.mktemp("discovery"), args={
            "site": base, "since": "2017-01-01"}, settings={
            "AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "RETRY_TIMES": "0",
            "CONCURRENT_REQUESTS_PER_DOMAIN": "8", "SITEMAP_MAXSIZE": str(LIMIT)})
    return site, result, str(secret_dir)


def test_looping_indexes_are_each_fetched_once(hostile_discovery) -> None:
    site, result, _ = hostile_discovery
    assert result.returncode == 3, result.log[-2000:]  # partial: the bomb sitemap is unusable
    assert site.log.count("/sitemap_article_index.xml") == 1
    assert site.log.count("/sitemap_article_index2.xml") == 1
    assert result.stats["dupefilter/filtered"] >= 3


def test_every_good_article_is_still_in_the_feed(hostile_discovery) -> None:
    site, result, _ = hostile_discovery
    assert sorted(i["article_id"] for i in result.items) == sorted(
        a.article_id for a in site.articles())


def test_bomb_is_counted_and_logged(hostile_discovery) -> None:
    _, result, _ = hostile_discovery
    assert result.stats["discovery/failed/too_large"] == 1
    assert len([line for line in result.log_lines("WARNING") if "Listing not usable (too_large" in line]) == 1


def test_secret_file_never_reaches_a_request_item_or_log(hostile_discovery) -> None:
    site, result, secret_dir = hostile_discovery
    assert not [p for p in site.log.requested_paths() if MARKER in p]
    written = "".join(p.read_text(errors="replace") for p in result.workdir.rglob("*") if p.is_file()
                      and p.suffix in (".jsonl", ".json"))
    assert MARKER not in written and MARKER not in result.log
