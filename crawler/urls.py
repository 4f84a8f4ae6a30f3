"""What the platform's URLs say: article or not, its id, its day, its edition.

Every URL era of the platform is recognised, on every edition (the id is 6 to
10 digits: 6 on it.sputniknews.com in 2015, 8 on the Brazilian edition, 9 on
de.sputniknews.com, 10 elsewhere):

- 2021 on: ``/20211227/slug-1054083153.html``, slugless ``/20250701/1074925676.html``;
- 2016-2020: ``/international/201903151040353449-slug/`` (slash optional);
- 2014-2016: ``/international/20150331/1015401831.html``,
  ``/news/20160512/1039528652/911-saudi-obama-terror-fbi.html``;
- AMP copies of any of these under ``/amp/``, and mobile copies at ``m.`` hosts.

An AMP or mobile URL is the same article as its desktop URL:
``canonical_article_url`` gives the latter.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import url_query_cleaner

from crawler.editions import bare_host, desktop_host_of, edition_for_host

__all__ = ["UrlFacts", "article_id_from_url", "bare_host", "canonical_article_url", "edition_for_host",
           "is_article_url", "is_forbidden_path", "publication_date_from_url", "url_facts"]

# AMP copies prefix any form with /amp.
_AMP = re.compile(r"^/amp(?=/)")
# 2021+: /20211227/slug-1054083153.html, /20250701/1074925676.html
_DAILY = re.compile(r"^/(?P<day>\d{8})/(?:[^/]*-)?(?P<id>\d{6,10})\.html$")
# 2014-2016: /international/20150331/1015401831.html, and with a slug after
# the id: /news/20160512/1039528652/911-saudi-obama-terror-fbi.html
_DATED_DIRECTORY = re.compile(
    r"^/(?:[\w-]+/)+(?P<day>\d{8})/(?P<id>\d{6,10})(?:\.html|/(?:[^/]+\.html)?)$")
# 2016-2020: /international/201903151040353449-slug/. The digits are often
# read as a 12-digit timestamp and an id, but the platform's ids of that era are
# ten digits starting with 10 (1040353449, as in the page's own markup): the
# run is the day (8 digits) then the id, and "1040" is not a time of day. Other
# editions had shorter ids (9 digits on de.sputniknews.com, 8 on
# br.sputniknews.com, 6 on it.sputniknews.com in 2015), so the id is whatever
# follows the day, 6 to 10 digits.
_STAMPED = re.compile(r"^/(?:[\w-]+/)+(?P<day>\d{8})(?P<id>\d{6,10})(?:-[^/]*)?/?$")
_FORMS = (_DAILY, _DATED_DIRECTORY, _STAMPED)
# robots.txt of the real site keeps crawlers out of these.
_NEVER = re.compile(r"^/(?:services|search)/|-print\.html$")
# Query arguments that are not part of the article: where a reader came from
# (shared links), and the platform's own overlays on the article page
# (?modal=feedback, ?chat_room_id=<id>, seen on captured pages).
NON_ARTICLE_ARGUMENTS = ("__twitter_impression", "utm_source", "utm_medium", "utm_campaign",
                         "utm_term", "utm_content", "fbclid", "gclid", "yclid",
                         "modal", "chat_room_id")


@dataclass(frozen=True)
class UrlFacts:
    """Everything the URL rules read from one URL, parsed once."""

    host: str
    forbidden: bool
    article_id: str | None
    day: date | None
    edition: str | None = None  # the registry name of the edition owning the host
    amp: bool = False


# Small on purpose: the hits are the same URL asked about in a row (by the
# filter, the extraction and the pipeline), and 8,192 entries of URLs never
# seen again held about 10 MB more at the end of a 10k replay (the entries
# pin interpreter memory pools; docs/benchmarks.md, memory).
@lru_cache(maxsize=256)
def url_facts(url: str) -> UrlFacts:
    # Discovery asks several questions of each listed URL in a row: cached.
    try:
        parts = urlsplit(url)
        host = bare_host(parts.hostname)
    except ValueError:
        return UrlFacts("", False, None, None)
    owner = edition_for_host(host)
    edition = owner.name if owner is not None else None
    path = parts.path or "/"
    if _NEVER.search(path):
        return UrlFacts(host, True, None, None, edition)
    desktop_path = _AMP.sub("", path)
    match = next(filter(None, (form.match(desktop_path) for form in _FORMS)), None)
    if match is None:
        return UrlFacts(host, False, None, None, edition)
    return UrlFacts(host, False, match.group("id"), _day(match.group("day")), edition,
                    amp=desktop_path != path)


def _day(digits: str) -> date | None:
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


@lru_cache(maxsize=256)  # as url_facts
def canonical_article_url(url: str) -> str:
    """The desktop URL of an article's AMP or mobile URL, without tracking or
    overlay arguments; any other URL is returned as it is.

    Same scheme and host family: ``m.`` is dropped only where the registry
    lists the m. host as a mirror of the edition's desktop host.
    """
    facts = url_facts(url)
    if facts.article_id is None:
        return url
    parts = urlsplit(url)
    host = desktop_host_of(facts.host)
    netloc = parts.netloc if host == facts.host else _replace_host(parts.netloc, host)
    path = _AMP.sub("", parts.path) if facts.amp else parts.path
    query = urlsplit(url_query_cleaner(url, NON_ARTICLE_ARGUMENTS, remove=True, keep_fragments=True)).query
    return urlunsplit((parts.scheme, netloc, path, query, parts.fragment))


def _replace_host(netloc: str, host: str) -> str:
    userinfo, at, hostport = netloc.rpartition("@")
    _, colon, port = hostport.partition(":") if not hostport.startswith("[") else ("", "", "")
    return f"{userinfo}{at}{host}{colon}{port}"


def is_forbidden_path(url: str) -> bool:
    return url_facts(url).forbidden


def article_id_from_url(url: str) -> str | None:
    return url_facts(url).article_id


def is_article_url(url: str) -> bool:
    return url_facts(url).article_id is not None


def publication_date_from_url(url: str) -> date | None:
    """The day the URL was minted, which is the publication day."""
    return url_facts(url).day
