"""Only the edition's scheme and port are in scope (crawler.middlewares.scope)."""
from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.test import get_crawler

from crawler.middlewares.scope import OutOfScopePort, PortScopeMiddleware, ports_in_scope
from crawler.spiders.sputnik_fr import SputnikFrSpider
from tests.crawl import run_crawl
from tests.site.server import SputnikSite
from tests.test_hostile_html import PROJECT_SETTINGS
from tests.test_warc_archiving import all_records

FAST = {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "RETRY_TIMES": "0"}


def test_ports_in_scope() -> None:
    assert ports_in_scope("http://127.0.0.1:8080") == {("http", 8080)}
    # An edition on default ports may move between http and https.
    assert ports_in_scope("https://fr.sputniknews.com") == {("http", 80), ("https", 443)}
    assert ports_in_scope("http://fr.sputniknews.com") == {("http", 80), ("https", 443)}


def middleware_for(site: str) -> PortScopeMiddleware:
    crawler = get_crawler(SputnikFrSpider, PROJECT_SETTINGS)
    crawler.spider = SputnikFrSpider.from_crawler(crawler, site=site, since="2017-01-01")
    crawler.stats.open_spider()
    return PortScopeMiddleware.from_crawler(crawler)


def test_other_ports_of_edition_hosts_are_refused() -> None:
    middleware = middleware_for("https://fr.sputniknews.com")
    for url in ("https://fr.sputniknews.com/a", "http://fr.sputniknews.africa/a",
                "https://fr.sputniknews.africa:443/a", "https://elsewhere.example:8443/a"):
        assert middleware.process_request(Request(url)) is None, url
    with pytest.raises(OutOfScopePort) as refused:
        middleware.process_request(Request("http://fr.sputniknews.africa:8081/secret"))
    assert isinstance(refused.value, IgnoreRequest)
    assert middleware.process_request(Request("http://fr.sputniknews.com:81/x", meta={"allow_offsite": True})) is None
    assert middleware.crawler.stats.get_value("offsite/other_port") == 1


def test_a_redirect_to_another_port_of_the_edition_host_is_not_followed(tmp_path) -> None:
    with SputnikSite(fresh=1) as other, SputnikSite(fresh=1) as site:
        article = other.articles()[-1]
        site.serve(article.path, b"", headers={"Location": f"{other.url}{article.path}"}, status=301)
        result = run_crawl(tmp_path, args={"site": site.url, "urls": f"{site.url}{article.path}"},
                           settings=FAST)
        assert result.returncode == 0, result.log[-2000:]
        assert other.log.requested_paths() == []
        other_url, site_url = other.url, site.url
    assert result.items == []
    assert result.stats["offsite/other_port"] == 1
    assert result.stats["article/failed/OutOfScopePort"] == 1
    lines = [line for line in result.log.splitlines() if f"{other_url}{article.path}" in line
             and ("] INFO:" in line or "] WARNING:" in line)]
    assert len(lines) == 1 and "OutOfScopePort" in lines[0], lines
    archived = {record.uri for record in all_records(tmp_path / "output" / "warc") if record.uri}
    assert f"{site_url}{article.path}" in archived
    assert not [url for url in archived if url.startswith(other_url)]
