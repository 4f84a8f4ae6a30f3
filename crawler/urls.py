"""What the platform's URLs say: article or not, its id, its publication day."""
from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

# 2021+ layout: /20211227/slug-1054083153.html
_DAILY = re.compile(r"^/(?P<day>\d{8})/(?:[^/]*-)?(?P<id>\d{6,})\.html$")
# 2016-2020 layout: /international/201903151040353449-slug/. The digits are often
# read as a 12-digit timestamp and an id, but the platform's ids of that era are
# ten digits starting with 10 (1040353449, as in the page's own markup): the
# run is the day (8 digits) then the id, and "1040" is not a time of day.
_STAMPED = re.compile(r"^/(?:[\w-]+/)+(?P<stamp>\d{8})(?P<id>\d{7,})(?:-[^/]*)?/?$")
# robots.txt of the real site keeps crawlers out of these.
_NEVER = re.compile(r"^/(?:services|search)/|-print\.html$")


def _path(url: str) -> str:
    try:
        return urlsplit(url).path or "/"
    except ValueError:
        return ""


def is_forbidden_path(url: str) -> bool:
    return bool(_NEVER.search(_path(url)))


def article_id_from_url(url: str) -> str | None:
    path = _path(url)
    if _NEVER.search(path):
        return None
    match = _DAILY.match(path) or _STAMPED.match(path)
    return match.group("id") if match else None


def is_article_url(url: str) -> bool:
    return article_id_from_url(url) is not None


def publication_date_from_url(url: str) -> date | None:
    """The day the URL was minted, which is the publication day."""
    path = _path(url)
    match = _DAILY.match(path)
    digits = match.group("day") if match else None
    if digits is None:
        match = _STAMPED.match(path)
        digits = match.group("stamp")[:8] if match else None
    if digits is None:
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None
