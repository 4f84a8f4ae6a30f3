"""Scrapy's offsite filter, which says what it filtered and what to do about it.

Scrapy drops a request to a host outside ``allowed_domains`` with one DEBUG
line: an ``-a urls=`` mirror, a redirect off the edition or another edition's
article gave 0 items and exit status 0 with no word. This subclass keeps its
policy (the spider's hosts and their subdomains), refuses hosts that belong
to another edition (``sputnik_en`` is ``sputniknews.com``, whose subdomain
``fr.sputniknews.com`` is Sputnik France), and logs one WARNING per host
naming the URL and the argument or setting that would allow it.
"""
from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.spiderloader import get_spider_loader
from scrapy.utils.httpobj import urlparse_cached

from crawler.urls import bare_host

logger = logging.getLogger(__name__)


def other_editions(settings: Any, spider: Spider) -> dict[str, str]:
    """Host -> spider name, for the hosts of every edition but the spider's own."""
    own = getattr(spider, "edition", None)
    loader = get_spider_loader(settings)
    owners: dict[str, str] = {}
    for name in loader.list():
        edition = getattr(loader.load(name), "edition", None)
        if edition is not None and edition != own:
            owners.update({host: name for host in edition.hosts})
    return owners


class EditionOffsiteMiddleware(OffsiteMiddleware):
    def spider_opened(self, spider: Spider) -> None:
        super().spider_opened(spider)
        owners = other_editions(self.crawler.settings, spider)
        # -a urls hosts are among spider.hosts, but another edition's stay refused.
        edition = getattr(spider, "edition", None)
        site = urlsplit(getattr(spider, "site", "")).hostname
        own_hosts = {bare_host(host) for host in [*(edition.hosts if edition else ()), site,
                                                  *self.crawler.settings.getlist("EDITION_EXTRA_HOSTS")]}
        self.foreign = {host: name for host, name in owners.items() if host not in own_hosts}
        self.warned: set[str] = set()

    def should_follow(self, request: Request, spider: Spider) -> bool:
        if bare_host(urlparse_cached(request).hostname) in self.foreign:
            return False
        return super().should_follow(request, spider)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        try:
            super().process_request(request)
        except IgnoreRequest:
            self._report(request)
            raise

    def _report(self, request: Request) -> None:
        host = bare_host(urlparse_cached(request).hostname)
        case, advice = self._advice(request, host)
        self.stats.inc_value(f"offsite/filtered/{case}")
        if host in self.warned:
            return
        self.warned.add(host)
        redirected_from = (request.meta.get("redirect_urls") or [None])[0]
        origin = f" (redirected from {redirected_from})" if redirected_from else ""
        logger.warning("Not fetching %s%s: %s is not a host of this edition. %s",
                       request.url, origin, host, advice)

    def _advice(self, request: Request, host: str) -> tuple[str, str]:
        if host in self.foreign:
            name = self.foreign[host]
            return "other_edition", f"It belongs to {name}: run scrapy crawl {name}."
        if request.meta.get("redirect_urls"):
            return "redirect", f"To follow such redirects, add -s EDITION_EXTRA_HOSTS={host}."
        return "other_host", (f"To allow it, add -s EDITION_EXTRA_HOSTS={host} "
                              "(or give its root with -a site=).")
