"""Which sitemap, RSS and listed URLs of an edition a live crawl fetches."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from crawler.normalize import normalize_datetime
from crawler.urls import bare_host, url_facts
from crawler.window import DateWindow


def monthly_sitemap_range(url: str) -> tuple[date, date] | None:
    """The days a monthly sitemap covers, from its ``date_start``/``date_end``."""
    query = parse_qs(urlsplit(url).query)
    try:
        first = datetime.strptime(query["date_start"][0], "%Y%m%d").date()
        last = datetime.strptime(query["date_end"][0], "%Y%m%d").date()
    except (KeyError, IndexError, ValueError):
        return None
    return first, last


class DiscoveryFilter:
    """Decides, from the URL alone, whether a listed page is worth a request."""

    def __init__(self, hosts: Iterable[str], window: DateWindow) -> None:
        self.hosts = frozenset(bare_host(host) for host in hosts)
        self.window = window

    def skip_reason_for_article(self, url: str) -> str | None:
        facts = url_facts(url)
        if facts.host not in self.hosts:
            return "other_host"
        if facts.forbidden:
            return "forbidden_path"
        if facts.day is None:
            return "not_article_url"
        if facts.day not in self.window:
            return "out_of_window"
        return None

    def wants_sitemap(self, url: str) -> bool:
        """A monthly sitemap is fetched only when its month meets the window;
        one whose range cannot be read is fetched, to miss nothing."""
        days = monthly_sitemap_range(url)
        return days is None or self.window.overlaps(*days)


def is_newer(lastmod: str | None, archived: str | None, tz: str) -> bool:
    """Whether a listing's lastmod is later than what the archive holds; when
    either date cannot be read, it is taken as newer, so nothing is missed."""
    listed, held = normalize_datetime(lastmod, tz), normalize_datetime(archived, tz)
    if listed is None or held is None:
        return True
    return datetime.fromisoformat(listed) > datetime.fromisoformat(held)


def is_index(entries: Any) -> bool:
    return getattr(entries, "type", None) == "sitemapindex"
