"""The site's discovery documents: robots.txt, sitemaps, RSS, a section page.

Every URL in them is built on ``base``, the scheme and host the request came
in on, so a crawl started on ``localhost:PORT`` stays there, as a crawl of
the real edition stays on its own host.
"""
from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

from tests.site.pages import Article

SITEMAP_INDEX = "/sitemap_article_index.xml"
SITEMAP = "/sitemap_article.xml"
RSS = "/export/rss2/archive/index.xml"
SECTION = "/international/"
# Links the section page offers and robots.txt forbids: a crawl must not follow them.
FORBIDDEN_LINKS = ("/services/newsletter/subscribe/", "/search/?query=otan",
                   "/international/version-imprimable-print.html")
_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


def robots_txt(base: str) -> bytes:
    lines = ["User-agent: *", "Disallow: /services/", "Disallow: /search/",
             "Disallow: /*-print.html", "", f"Sitemap: {base}{SITEMAP_INDEX}", ""]
    return "\n".join(lines).encode()


def month_bounds(day: date) -> tuple[date, date]:
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


def sitemap_url(base: str, start: date, end: date) -> str:
    """Unescaped: the caller escapes it for XML (``&`` becomes ``&amp;``)."""
    return f"{base}{SITEMAP}?date_start={start:%Y%m%d}&date_end={end:%Y%m%d}"


def sitemap_index(base: str, days: Iterable[date]) -> bytes:
    """One monthly sitemap per month with an article, oldest first, no lastmod
    (the platform's index gives none)."""
    months = sorted({month_bounds(day) for day in days})
    entries = "".join(
        f"<sitemap><loc>{escape(sitemap_url(base, start, end))}</loc></sitemap>\n"
        for start, end in months
    )
    return f'{_XML_HEAD}<sitemapindex xmlns="{_SITEMAP_NS}">\n{entries}</sitemapindex>\n'.encode()


def lastmod_text(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def url_set(base: str, entries: Iterable[tuple[str, datetime]]) -> bytes:
    """``entries`` are (path, lastmod) pairs, written in the order given."""
    urls = "".join(
        f"<url><loc>{escape(base + path)}</loc><lastmod>{lastmod_text(moment)}</lastmod></url>\n"
        for path, moment in entries
    )
    return f'{_XML_HEAD}<urlset xmlns="{_SITEMAP_NS}">\n{urls}</urlset>\n'.encode()


def parse_range(query: dict[str, list[str]]) -> tuple[date, date] | None:
    """``date_start``/``date_end`` as YYYYMMDD, inclusive; None when malformed."""
    try:
        start, end = (query[name][0] for name in ("date_start", "date_end"))
        first = datetime.strptime(start, "%Y%m%d").date()
        last = datetime.strptime(end, "%Y%m%d").date()
    except (KeyError, IndexError, ValueError):
        return None
    return (first, last) if first <= last else None


def _rss_item(base: str, article: Article) -> str:
    url = escape(base + article.path)
    published = format_datetime(article.published or article.lastmod)
    return (f"<item><title>{escape(article.title)}</title><link>{url}</link>"
            f"<guid isPermaLink=\"true\">{url}</guid><pubDate>{published}</pubDate></item>\n")


def rss(base: str, articles: Iterable[Article], built: datetime) -> bytes:
    """RSS 2.0, newest first, as the platform's archive feed."""
    ordered = sorted(articles, key=lambda a: a.published or a.lastmod, reverse=True)
    items = "".join(_rss_item(base, article) for article in ordered)
    channel = (f"<title>Sputnik France</title><link>{escape(base)}/</link>"
               "<description>Sputnik France : toute l'actualité</description>"
               f"<language>fr</language><lastBuildDate>{format_datetime(built)}</lastBuildDate>\n")
    return f'{_XML_HEAD}<rss version="2.0"><channel>{channel}{items}</channel></rss>\n'.encode()


def section_page(base: str, articles: Iterable[Article]) -> bytes:
    """A section listing: links to articles, plus links robots.txt forbids."""
    links = "".join(
        f'<li class="list__item"><a class="list__title" href="{escape(base + a.path)}">'
        f"{escape(a.title)}</a></li>\n" for a in articles
    )
    traps = "".join(f'<a href="{escape(base + path)}">{escape(path)}</a>\n'
                    for path in FORBIDDEN_LINKS)
    page = (f'<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
            f"<title>International - Sputnik France</title></head>\n<body>\n"
            f'<ul class="list">\n{links}</ul>\n<nav>\n{traps}</nav>\n</body></html>\n')
    return page.encode("utf-8")
