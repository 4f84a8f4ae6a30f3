"""The spider arguments (``-a``) every edition's spider takes, checked once."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from scrapy.exceptions import UsageError

from crawler.editions import Edition
from crawler.window import DateWindow

LIVE_DEFAULT_DAYS = 2
ARGUMENT_NAMES = ("replay", "since", "until", "site", "urls", "refresh")
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("", "0", "false", "no", "off")


def split_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def site_root(site: str) -> str:
    parts = urlsplit(site)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"-a site={site!r}: expected an http:// or https:// URL")
    return site.rstrip("/")


@dataclass(frozen=True)
class CrawlArguments:
    """``replay``: WARC files, directories or globs; ``urls``: article URLs;
    ``site``: root of the edition; ``since``/``until``: the window (YYYY-MM-DD);
    ``refresh``: re-fetch articles the store already holds unchanged.
    A live crawl defaults to the last two days, a replay to everything."""

    replay_specs: tuple[str, ...]
    article_urls: tuple[str, ...]
    site: str
    window: DateWindow
    refresh: bool = False

    @classmethod
    def parse(cls, edition: Edition, replay: str | None = None, since: str | None = None,
              until: str | None = None, site: str | None = None,
              urls: str | None = None, refresh: str | None = None) -> CrawlArguments:
        replay_specs = tuple(split_list(replay))
        if replay is not None and not replay_specs:
            raise UsageError("-a replay= needs at least one WARC file, directory or glob")
        article_urls = tuple(split_list(urls))
        for url in article_urls:
            site_root(url)
        default_days = None if replay_specs else LIVE_DEFAULT_DAYS
        return cls(replay_specs, article_urls, site_root(site or edition.default_site),
                   DateWindow.from_arguments(since, until, default_days=default_days),
                   parse_flag(refresh, "refresh"))


def parse_flag(value: str | None, argument: str) -> bool:
    word = (value or "").strip().lower()
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
    raise UsageError(f"-a {argument}={value!r}: expected 1 or 0")
