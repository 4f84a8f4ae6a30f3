"""What each path of the test site answers, faults aside (those act before)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from tests.site import documents
from tests.site.pages import PARIS

if TYPE_CHECKING:
    from tests.site.server import SputnikSite

Answer = tuple[int, dict[str, str], bytes]
Route = Callable[["SputnikSite", str, str], Answer]

HTML = "text/html; charset=utf-8"
XML = "application/xml; charset=utf-8"
NOT_FOUND_PAGE = b"<!DOCTYPE html>\n<html><body><h1>404 Not Found</h1></body></html>\n"


def _ok(content_type: str, body: bytes) -> Answer:
    return 200, {"Content-Type": content_type}, body


def not_found() -> Answer:
    return 404, {"Content-Type": HTML}, NOT_FOUND_PAGE


def robots(site: SputnikSite, query: str, base: str) -> Answer:
    return _ok("text/plain; charset=utf-8", documents.robots_txt(base))


def sitemap_index(site: SputnikSite, query: str, base: str) -> Answer:
    days = [day for _, day, _ in site.listing()]
    return _ok(XML, documents.sitemap_index(base, days))


def monthly_sitemap(site: SputnikSite, query: str, base: str) -> Answer:
    bounds = documents.parse_range(parse_qs(query))
    if bounds is None:
        return not_found()
    first, last = bounds
    entries = [(path, lastmod) for path, day, lastmod in site.listing() if first <= day <= last]
    return _ok(XML, documents.url_set(base, entries))


def rss(site: SputnikSite, query: str, base: str) -> Answer:
    built = datetime.now(PARIS).replace(microsecond=0)
    return _ok("application/rss+xml; charset=utf-8",
               documents.rss(base, site.fresh_articles(), built))


def section(site: SputnikSite, query: str, base: str) -> Answer:
    return _ok(HTML, documents.section_page(base, site.articles()))


ROUTES: dict[str, Route] = {
    "/robots.txt": robots,
    documents.SITEMAP_INDEX: sitemap_index,
    documents.SITEMAP: monthly_sitemap,
    documents.RSS: rss,
    documents.SECTION: section,
}


def answer(site: SputnikSite, target: str, base: str) -> Answer:
    """The normal answer for ``target`` (path and query) reached at ``base``."""
    served = site.document(target)
    if served is not None:
        return served
    parts = urlsplit(target)
    route = ROUTES.get(parts.path)
    if route is not None:
        return route(site, parts.query, base)
    article = site.article(parts.path)
    return _ok(HTML, article.body) if article is not None else not_found()
