"""Keeps a crawl on the edition's own scheme and port, not only its hosts.

OffsiteMiddleware compares host names alone, so a redirect from the edition
to ``http://<edition host>:<other port>/...`` was followed and archived: an
admin console, a debug server or a stranger's service on the same machine.
Only the scheme and port of ``-a site`` (by default the edition's root) and
of the URLs given with ``-a urls`` are in scope for the edition's hosts; an edition on a default port may move
between http (80) and https (443), as the platform did. Requests that carry
``allow_offsite`` (web-archive index and record requests) are not the
edition's and are left alone.

A refused request fails with ``OutOfScopePort`` (an IgnoreRequest), so its
errback logs it once, like any request not fetched; ``offsite/other_port``
counts them.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached

from crawler.urls import bare_host

DEFAULT_PORTS = {"http": 80, "https": 443}


class OutOfScopePort(IgnoreRequest):
    """A request for an edition host on a scheme or port outside the crawl's scope."""


def ports_in_scope(site: str) -> set[tuple[str, int]]:
    """(scheme, port) pairs a crawl of ``site`` may fetch from the edition's hosts."""
    parts = urlsplit(site)
    port = parts.port or DEFAULT_PORTS.get(parts.scheme, 0)
    if DEFAULT_PORTS.get(parts.scheme) == port:
        return set(DEFAULT_PORTS.items())
    return {(parts.scheme, port)}


class PortScopeMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.scope: set[tuple[str, int]] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PortScopeMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        spider = self.crawler.spider
        site, hosts = getattr(spider, "site", None), getattr(spider, "hosts", None)
        if not site or not hosts or request.meta.get("allow_offsite"):
            return
        parts = urlparse_cached(request)
        if bare_host(parts.hostname) not in {bare_host(host) for host in hosts}:
            return
        scheme = parts.scheme.lower()
        if (scheme, parts.port or DEFAULT_PORTS.get(scheme, 0)) in self._scope(spider):
            return
        self.crawler.stats.inc_value("offsite/other_port")
        raise OutOfScopePort(f"only the scheme and port of {site} (or of -a urls) are in scope: "
                             f"{request.url}")

    def _scope(self, spider: object) -> set[tuple[str, int]]:
        """Those of ``-a site``, and of each URL given with ``-a urls``."""
        if self.scope is None:
            roots = [getattr(spider, "site", ""), *getattr(spider, "article_urls", [])]
            self.scope = {pair for root in roots if root for pair in ports_in_scope(root)}
        return self.scope
