"""What the platform's URLs say: article or not, its id, its publication day."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from urllib.parse import urlsplit

# 2021+ layout: /20211227/slug-1054083153.html
_DAILY = re.compile(r"^/(?P<day>\d{8})/(?:[^/]*-)?(?P<id>\d{6,})\.html$")
# 2016-2020 layout: /international/201903151040353449-slug/. The digits are often
# read as a 12-digit timestamp and an id, but the platform's ids of that era are
# ten digits starting with 10 (1040353449, as in the page's own markup): the
# run is the day (8 digits) then the id, and "1040" is not a time of day.
_STAMPED = re.compile(r"^/(?:[\w-]+/)+(?P<day>\d{8})(?P<id>\d{7,})(?:-[^/]*)?/?$")
# robots.txt of the real site keeps crawlers out of these.
_NEVER = re.compile(r"^/(?:services|search)/|-print\.html$")


@dataclass(frozen=True)
class UrlFacts:
    """Everything the URL rules read from one URL, parsed once."""

    host: str
    forbidden: bool
    article_id: str | None
    day: date | None


def bare_host(host: str | None) -> str:
    """A host as the edition lists it: lowercase, no trailing dot, no ``www.``."""
    host = (host or "").lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


@lru_cache(maxsize=8192)
def url_facts(url: str) -> UrlFacts:
    # Discovery asks several questions of each listed URL in a row: cached.
    try:
        parts = urlsplit(url)
    except ValueError:
        return UrlFacts("", False, None, None)
    path = parts.path or "/"
    if _NEVER.search(path):
        return UrlFacts(bare_host(parts.hostname), True, None, None)
    match = _DAILY.match(path) or _STAMPED.match(path)
    if match is None:
        return UrlFacts(bare_host(parts.hostname), False, None, None)
    return UrlFacts(bare_host(parts.hostname), False, match.group("id"), _day(match.group("day")))


def _day(digits: str) -> date | None:
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def is_forbidden_path(url: str) -> bool:
    return url_facts(url).forbidden


def article_id_from_url(url: str) -> str | None:
    return url_facts(url).article_id


def is_article_url(url: str) -> bool:
    return url_facts(url).article_id is not None


def publication_date_from_url(url: str) -> date | None:
    """The day the URL was minted, which is the publication day."""
    return url_facts(url).day
