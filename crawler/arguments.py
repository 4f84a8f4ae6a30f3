"""The spider arguments (``-a``) every edition's spider takes, checked once."""
from __future__ import annotations

import difflib
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from scrapy.exceptions import UsageError

from crawler.editions import Edition
from crawler.window import DateWindow

LIVE_DEFAULT_DAYS = 2


@dataclass(frozen=True)
class ArgumentSpec:
    """One ``-a`` argument: its name, what it means and its default, as
    ``scrapy crawl SPIDER --help`` and ``python -m crawler.arguments`` show it."""

    name: str
    meaning: str
    default: str


# Every argument the spiders take, one a line: the parser, the unknown-argument
# check and --help all read this table.
ARGUMENTS: tuple[ArgumentSpec, ...] = (
    ArgumentSpec("replay", "WARC files, directories or globs (comma-separated), or @FILE "
                 "listing them one a line; replayed with no network", "none: fetch from the source"),
    ArgumentSpec("since", "first publication day of the window, YYYY-MM-DD, inclusive",
                 "live: yesterday; other sources: no limit"),
    ArgumentSpec("until", "last publication day of the window, YYYY-MM-DD, inclusive",
                 "live: today; other sources: no limit"),
    ArgumentSpec("site", "root URL of the edition (a mirror or a test site)", "the edition's own"),
    ArgumentSpec("urls", "comma-separated article URLs to fetch instead of discovering them; "
                 "their hosts are allowed", "none: discover"),
    ArgumentSpec("refresh", "1: re-fetch articles the store already holds unchanged "
                 "(from web archives: the newest new text)", "0"),
    ArgumentSpec("source", "where articles come from: live, replay, or commoncrawl and/or "
                 "wayback, comma-separated", "live (replay when -a replay is given)"),
    ArgumentSpec("crawls", "Common Crawl crawl names, comma-separated (CC-MAIN-2021-49), or all: "
                 "every crawl that can hold the window", "none; required by source=commoncrawl"),
    ArgumentSpec("captures", "archive captures per article: newest, or all (one per distinct text)",
                 "newest"),
    ArgumentSpec("shard", "K/N: replay only the K-th (1-based) of N shares of the files", "all files"),
    ArgumentSpec("prefer", "web archives in the order a capture is taken from",
                 "commoncrawl,wayback"),
    ArgumentSpec("discover", "sitemaps: add the ids the live sitemaps list for the window to an "
                 "archive run's coverage report", "none"),
    ArgumentSpec("recheck", "1: ask the live site again for the window's archived articles (from "
                 "the store) to find removed ones", "0"),
)
ARGUMENT_NAMES = tuple(spec.name for spec in ARGUMENTS)
# scrapyd adds these to every job it launches (job id, project version); not
# ours, accepted and ignored.
SCRAPYD_ARGUMENTS = ("_job", "_version")
# A value with a line break or other control character could forge log lines.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Where articles come from: the live edition, local WARC files, or public web archives.
SOURCES = ("live", "replay", "commoncrawl", "wayback")
# The web archives, cheapest first: the default order of ``-a prefer``.
ARCHIVE_SOURCES = ("commoncrawl", "wayback")
CAPTURES = ("newest", "all")
DISCOVERY = ("sitemaps",)
# ``-a crawls=all``: every Common Crawl crawl whose period can hold the window.
ALL_CRAWLS = "all"
CRAWL_NAME = re.compile(r"^CC-MAIN-\d{4}-\d{2}$")
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("", "0", "false", "no", "off")


def split_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def expand_list_files(parts: list[str]) -> list[str]:
    """Each ``@FILE`` part becomes the paths or globs that FILE lists."""
    specs: list[str] = []
    for part in parts:
        specs.extend(read_list_file(part[1:]) if part.startswith("@") else [part])
    return specs


def read_list_file(name: str) -> list[str]:
    """One path or glob per line; blank lines and ``#`` comments are skipped.

    A relative line is taken from the list's own directory, so a list and its
    archives can move together, and scrapyd jobs (whose working directory is
    scrapyd's) find them."""
    path = Path(name).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"-a replay=@{name}: cannot read the list: {e}") from e
    lines = [line.strip() for line in text.splitlines()]
    entries = [line for line in lines if line and not line.startswith("#")]
    if not entries:
        raise UsageError(f"-a replay=@{name}: the list names no WARC file, directory or glob")
    return [str(path.parent / os.path.expanduser(entry)) for entry in entries]


def site_root(site: str) -> str:
    parts = urlsplit(site)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"-a site={site!r}: expected an http:// or https:// URL")
    return site.rstrip("/")


@dataclass(frozen=True)
class CrawlArguments:
    """The checked spider arguments; ARGUMENTS says what each means."""

    replay_specs: tuple[str, ...]
    article_urls: tuple[str, ...]
    site: str
    window: DateWindow
    refresh: bool = False
    source: str = "live"
    crawls: tuple[str, ...] = ()
    captures: str = "newest"
    shard: tuple[int, int] | None = None
    sources: tuple[str, ...] = ()
    prefer: tuple[str, ...] = ARCHIVE_SOURCES
    discover: tuple[str, ...] = ()

    @property
    def from_archives(self) -> bool:
        """Whether captures come from public web archives (``sources``)."""
        return bool(self.sources)
    # Ask the live site again for the window's archived articles, to find removals.
    recheck: bool = False

    @classmethod
    def parse(cls, edition: Edition, **given: str | None) -> CrawlArguments:
        """Raises UsageError for an unknown or bad argument."""
        check_names_and_values(given)
        replay = given.get("replay")
        replay_specs = tuple(expand_list_files(split_list(replay)))
        if replay is not None and not replay_specs:
            raise UsageError("-a replay= needs at least one WARC file, directory or glob")
        chosen = parse_source(given.get("source"), bool(replay_specs))
        article_urls = tuple(split_list(given.get("urls")))
        for url in article_urls:
            site_root(url)
        default_days = LIVE_DEFAULT_DAYS if chosen == "live" else None
        return cls(replay_specs, article_urls, site_root(given.get("site") or edition.default_site),
                   DateWindow.from_arguments(given.get("since"), given.get("until"),
                                             default_days=default_days),
                   parse_flag(given.get("refresh"), "refresh"), chosen,
                   parse_crawls(given.get("crawls"), chosen),
                   parse_choice(given.get("captures") or "newest", "captures", CAPTURES),
                   parse_shard(given.get("shard"), chosen), archive_sources(chosen),
                   parse_prefer(given.get("prefer"), chosen),
                   parse_discover(given.get("discover"), chosen),
                   parse_recheck(given.get("recheck"), chosen))


def check_names_and_values(given: dict[str, str | None]) -> None:
    """An unknown name is a usage error naming the closest known one, so a
    misspelt ``-a sinse=`` never becomes a crawl of everything."""
    for name, value in given.items():
        if name not in ARGUMENT_NAMES and name not in SCRAPYD_ARGUMENTS:
            raise UsageError(unknown_argument_message(name))
        if value is not None and CONTROL_CHARACTERS.search(str(value)):
            raise UsageError(f"-a {name}={value!r}: control characters (line breaks, tabs, "
                             "escapes) are not allowed in arguments")


def unknown_argument_message(name: str) -> str:
    closest = difflib.get_close_matches(name.lower(), ARGUMENT_NAMES, n=1, cutoff=0.5)
    hint = f" Did you mean -a {closest[0]}?" if closest else ""
    return (f"-a {name!r} is not an argument of this spider.{hint} "
            f"Known: {', '.join(ARGUMENT_NAMES)} (scrapy crawl SPIDER --help explains each).")


def arguments_help(edition: Edition | None = None) -> str:
    """The argument table as text, for --help."""
    width = max(len(spec.name) for spec in ARGUMENTS) + 3
    lines = []
    for spec in ARGUMENTS:
        default = spec.default
        if edition is not None and spec.name == "site":
            default = edition.default_site
        lines.append(f"  -a {spec.name:<{width}}{spec.meaning}\n  {'':<{width + 3}}default: {default}")
    return "\n".join(lines)


def parse_source(source: str | None, replaying: bool) -> str:
    """One of live, replay; or archive sources, comma-separated, in the order given."""
    if source is None:
        return "replay" if replaying else "live"
    names = [parse_choice(name, "source", SOURCES) for name in split_list(source) or [source]]
    if len(names) > 1 and not set(names) <= set(ARCHIVE_SOURCES):
        raise UsageError(f"-a source={source!r}: only {' and '.join(ARCHIVE_SOURCES)} combine")
    chosen = ",".join(dict.fromkeys(names))
    if replaying != (chosen == "replay"):
        raise UsageError("-a replay=PATH goes with -a source=replay (or no source) only")
    return chosen


def archive_sources(source: str) -> tuple[str, ...]:
    names = tuple(split_list(source))
    return names if set(names) <= set(ARCHIVE_SOURCES) else ()


def parse_prefer(value: str | None, source: str) -> tuple[str, ...]:
    """The archives in order of preference; those not named follow in the default order."""
    if value is None:
        return ARCHIVE_SOURCES
    if not archive_sources(source):
        raise UsageError("-a prefer goes with web-archive sources (-a source=commoncrawl,wayback) only")
    named = [parse_choice(name, "prefer", ARCHIVE_SOURCES) for name in split_list(value) or [value]]
    return tuple(dict.fromkeys([*named, *ARCHIVE_SOURCES]))


def parse_discover(value: str | None, source: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not archive_sources(source):
        raise UsageError("-a discover goes with web-archive sources (-a source=commoncrawl,wayback) only")
    return tuple(dict.fromkeys(parse_choice(name, "discover", DISCOVERY)
                               for name in split_list(value) or [value]))


def parse_choice(value: str, argument: str, choices: tuple[str, ...]) -> str:
    if value.strip().lower() not in choices:
        raise UsageError(f"-a {argument}={value!r}: expected one of {', '.join(choices)}")
    return value.strip().lower()


def parse_crawls(value: str | None, source: str) -> tuple[str, ...]:
    crawls = tuple(split_list(value))
    reading = "commoncrawl" in archive_sources(source)
    if crawls == (ALL_CRAWLS,):
        if not reading:
            raise UsageError("-a crawls goes with -a source=commoncrawl only")
        return (ALL_CRAWLS,)
    for name in crawls:
        if not CRAWL_NAME.match(name):
            raise UsageError(f"-a crawls: {name!r} is not a crawl name like CC-MAIN-2021-49, or all")
    if reading and not crawls:
        raise UsageError("-a source=commoncrawl needs -a crawls=CC-MAIN-YYYY-WW[,...] or -a crawls=all")
    if crawls and not reading:
        raise UsageError("-a crawls goes with -a source=commoncrawl only")
    return crawls


def parse_shard(value: str | None, source: str) -> tuple[int, int] | None:
    if value is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", value)
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise UsageError(f"-a shard={value!r}: expected K/N with 1 <= K <= N, e.g. 2/4")
    if source != "replay":
        raise UsageError("-a shard goes with -a replay only")
    return int(match.group(1)), int(match.group(2))


def parse_recheck(value: str | None, source: str) -> bool:
    recheck = parse_flag(value, "recheck")
    if recheck and source != "live":
        raise UsageError("-a recheck=1 asks the live site: it does not go with replay or archives")
    return recheck


def parse_flag(value: str | None, argument: str) -> bool:
    word = (value or "").strip().lower()
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
    raise UsageError(f"-a {argument}={value!r}: expected 1 or 0")


def main(argv: list[str]) -> int:
    """``python -m crawler.arguments [SPIDER]``: the spider arguments and their defaults."""
    edition = None
    if argv:
        from scrapy.spiderloader import get_spider_loader
        from scrapy.utils.project import get_project_settings
        try:
            edition = getattr(get_spider_loader(get_project_settings()).load(argv[0]), "edition", None)
        except KeyError:
            print(f"Unknown spider {argv[0]!r}", file=sys.stderr)
            return 2
    print(f"Spider arguments (-a NAME=VALUE) of {argv[0] if argv else 'every edition spider'}:")
    print(arguments_help(edition))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
