"""How complete the archive is, month by month: the coverage report.

For each month of a window (by the publication day in the article URL):

- ``known``: article ids listed by each web-archive index kept on disk
  (``commoncrawl``, ``wayback``: the index cache) and by the live sitemaps
  (``sitemaps``), and by any of them (``any``);
- ``archived``: article ids the store holds, by where their captures came from
  (``commoncrawl``, ``wayback``, ``live``; ``earlier`` when archived before
  capture digests were kept), and in all (``any``);
- ``missing``: known but never archived (the ids are listed in a file);
- ``versions``: distinct texts (payload digests) the indexes list
  (``listed``), and versions the store holds (``archived``).

Written at the end of every live or archive run (crawler.extensions.coverage)
and on demand::

    python -m crawler.coverage --spider sputnik_fr --since 2021-01-01 --until 2021-12-31

as ``<COVERAGE_DIR>/<spider>/coverage-<run>.json``, ``.md`` and
``-missing.txt``. Everything is read from disk: the index cache, the sitemap
ids and the SQLite store; nothing is asked of the network.
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.discovery import DiscoveryFilter
from crawler.atomic import write_bytes as write_atomically
from crawler.sources.cache import CommonCrawlCache, SitemapIdCache, WaybackCache
from crawler.sources.captures import is_html_ok
from crawler.state import StateURIError
from crawler.state.captures import normalise_digest
from crawler.state.sqlite import path_from_uri
from crawler.outputs import for_spider, project_settings
from crawler.urls import url_facts
from crawler.window import DateWindow

KNOWN = ("commoncrawl", "wayback", "sitemaps")
ARCHIVED = ("commoncrawl", "wayback", "live", "earlier")
NO_STORE = (" No store could be read (none yet, the store is off, or Redis could not be reached):"
            " what is archived is not known, so no id is listed as missing.")


@dataclass
class Month:
    """Ids per source for one month; counted at the end."""

    known: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    archived: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    listed_texts: set[tuple[str, str]] = field(default_factory=set)
    archived_versions: int = 0
    urls: dict[str, str] = field(default_factory=dict)

    def missing(self) -> set[str]:
        known = set().union(*self.known.values()) if self.known else set()
        archived = set().union(*self.archived.values()) if self.archived else set()
        return known - archived

    def counts(self) -> dict[str, Any]:
        known = {name: len(self.known.get(name, ())) for name in KNOWN}
        known["any"] = len(set().union(*self.known.values())) if self.known else 0
        archived = {name: len(self.archived.get(name, ())) for name in ARCHIVED}
        archived["any"] = len(set().union(*self.archived.values())) if self.archived else 0
        return {"known": known, "archived": archived, "missing": len(self.missing()),
                "versions": {"listed": len(self.listed_texts), "archived": self.archived_versions}}


class Coverage:
    def __init__(self, hosts: Iterable[str], window: DateWindow) -> None:
        self.hosts = sorted(hosts)
        self.urls = DiscoveryFilter(self.hosts, window)
        self.window = window
        self.months: dict[str, Month] = defaultdict(Month)
        # False when no store could be read: then what is archived is unknown,
        # and the report says so rather than calling every known id missing.
        self.store_read = False

    def _month(self, url: str) -> tuple[Month, str] | None:
        """The month and article id of a URL of the window, else None."""
        if self.urls.skip_reason_for_article(url) is not None:
            return None
        facts = url_facts(url)
        return self.months[facts.day.strftime("%Y-%m")], facts.article_id or url

    def add_known(self, source: str, url: str, digest: str = "") -> None:
        found = self._month(url)
        if found is not None:
            month, article_id = found
            month.known[source].add(article_id)
            month.urls.setdefault(article_id, url)
            if digest:
                month.listed_texts.add((article_id, normalise_digest(digest) or digest))

    def add_archived(self, sources: Iterable[str], url: str, versions: int) -> None:
        found = self._month(url)
        if found is not None:
            month, article_id = found
            for source in sources:
                month.archived[source].add(article_id)
            month.archived_versions += versions

    def month_names(self) -> list[str]:
        present = sorted(self.months)
        first = self.window.since or (date.fromisoformat(present[0] + "-01") if present else None)
        last = self.window.until or (date.fromisoformat(present[-1] + "-01") if present else None)
        if first is None or last is None:
            return present
        names, year, month = [], first.year, first.month
        while (year, month) <= (last.year, last.month):
            names.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return names

    def report(self, spider: str, run: str) -> dict[str, Any]:
        total = Month()
        months = []
        for name in self.month_names():
            month = self.months.get(name, Month())
            months.append({"month": name, **month.counts()})
            _merge(total, month)
        totals = total.counts()
        if not self.store_read:
            for counts in (*months, totals):
                counts["missing"] = None
        return {"spider": spider, "run": run,
                "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "window": {"since": _iso(self.window.since), "until": _iso(self.window.until)},
                "hosts": self.hosts, "store_read": self.store_read, "months": months,
                "total": totals,
                "missing_ids_file": f"coverage-{run}-missing.txt" if self.store_read else None}

    def missing_lines(self) -> Iterator[str]:
        for name in self.month_names():
            month = self.months.get(name)
            if month is not None:
                for article_id in sorted(month.missing()):
                    yield f"{name}\t{article_id}\t{month.urls.get(article_id, '')}\n"


def _merge(total: Month, month: Month) -> None:
    for source, ids in month.known.items():
        total.known[source] |= ids
    for source, ids in month.archived.items():
        total.archived[source] |= ids
    total.listed_texts |= month.listed_texts
    total.archived_versions += month.archived_versions
    total.urls.update(month.urls)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


# --- reading what is on disk ---------------------------------------------------------


def read_index_cache(coverage: Coverage, root: Path) -> None:
    for host in coverage.hosts:
        for crawl_dir in sorted((root / "commoncrawl").glob("*")):
            _read_commoncrawl(coverage, CommonCrawlCache(root, crawl_dir.name, host))
        for since_dir in sorted((root / "wayback" / host).glob("from-*")):
            _read_wayback(coverage, WaybackCache(root, host, since_dir.name.removeprefix("from-")))
    for url in SitemapIdCache(root).urls():
        coverage.add_known("sitemaps", url)


def _read_commoncrawl(coverage: Coverage, cache: CommonCrawlCache) -> None:
    for path in sorted(cache.dir.glob("page-*.jsonl.gz")):
        text = cache.page(int(path.name[5:10])) or ""
        for line in text.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and is_html_ok(entry.get("status"), (entry.get("mime"),
                                                                            entry.get("mime-detected"))):
                coverage.add_known("commoncrawl", str(entry.get("url", "")), str(entry.get("digest", "")))


def _read_wayback(coverage: Coverage, cache: WaybackCache) -> None:
    for page in cache.pages():
        if not all(column in page.header for column in ("original", "statuscode", "digest")):
            continue
        at = {column: page.header.index(column) for column in ("original", "statuscode", "digest")}
        for row in page.rows:
            if len(row) == len(page.header) and row[at["statuscode"]] == "200":
                coverage.add_known("wayback", row[at["original"]], row[at["digest"]])


def read_store(coverage: Coverage, state_uri: str) -> bool:
    """Archived ids from the store (SQLite or Redis); False when there is none
    (no URI: the store is off; an SQLite file not there yet; Redis down)."""
    scheme = urlsplit(state_uri).scheme
    if scheme in ("redis", "rediss", "unix"):
        return read_redis_store(coverage, state_uri)
    if scheme != "sqlite":
        return False
    path = path_from_uri(state_uri)
    if not path.exists():
        return False
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        sources = _capture_sources(db)
        for article_id, url, versions in db.execute("SELECT article_id, url, versions FROM articles"):
            coverage.add_archived(sources.get(article_id, {"earlier"}), url, versions)
    finally:
        db.close()
    return True


def read_redis_store(coverage: Coverage, state_uri: str) -> bool:
    """Archived ids from a Redis store: every article hash, and the sources of its captures."""
    from crawler.state.captures import RedisCaptureStore
    from crawler.state.redis import RedisArticleStore

    try:
        articles = RedisArticleStore.from_uri(state_uri)
    except StateURIError:
        return False
    try:
        sources: dict[str, set[str]] = defaultdict(set)
        for capture in RedisCaptureStore(articles.client, articles.prefix).all():
            sources[capture.article_id].add(capture.source)
        for article_id, url, versions in articles.archived():
            coverage.add_archived(sources.get(article_id, {"earlier"}), url, versions)
    finally:
        articles.close()
    return True


def _capture_sources(db: sqlite3.Connection) -> dict[str, set[str]]:
    try:
        rows = db.execute("SELECT article_id, source FROM captures").fetchall()
    except sqlite3.OperationalError:
        return {}  # a store from before capture digests were kept
    sources: dict[str, set[str]] = defaultdict(set)
    for article_id, source in rows:
        sources[article_id].add(source)
    return sources


# --- writing --------------------------------------------------------------------------------


def write_report(coverage: Coverage, directory: Path, spider: str, run: str) -> tuple[Path, dict[str, Any]]:
    """Writes the JSON, Markdown and missing-ids files; returns the JSON's path and the report."""
    report = coverage.report(spider, run)
    base = directory / spider / f"coverage-{run}"
    if coverage.store_read:
        write_atomically(base.with_name(base.name + "-missing.txt"),
                         "".join(coverage.missing_lines()).encode("utf-8"))
    write_atomically(base.with_suffix(".md"), markdown(report).encode("utf-8"))
    write_atomically(base.with_suffix(".json"), json.dumps(report, indent=1).encode("utf-8"))
    return base.with_suffix(".json"), report


def markdown(report: dict[str, Any]) -> str:
    window = report["window"]
    head = ("| month | known: Common Crawl | known: Wayback | known: sitemaps | known | archived "
            "| from Common Crawl | from Wayback | live | earlier | missing | texts listed "
            "| versions archived |\n|" + " --- |" * 13 + "\n")
    rows = [_row(m["month"], m) for m in report["months"]] + [_row("**total**", report["total"])]
    return (f"# Coverage of {report['spider']}, {window['since'] or '…'} to {window['until'] or '…'}\n\n"
            f"Run {report['run']}, written {report['generated_at']}."
            + (f" Ids known but never archived: `{report['missing_ids_file']}`."
               if report["store_read"] else NO_STORE) + "\n\n"
            + head + "".join(rows))


def _row(label: str, counts: dict[str, Any]) -> str:
    known, archived = counts["known"], counts["archived"]
    cells = [label, known["commoncrawl"], known["wayback"], known["sitemaps"], known["any"],
             archived["any"], archived["commoncrawl"], archived["wayback"], archived["live"],
             archived["earlier"], counts["missing"], counts["versions"]["listed"],
             counts["versions"]["archived"]]
    return "| " + " | ".join("unknown" if cell is None else str(cell) for cell in cells) + " |\n"


def build(hosts: Iterable[str], window: DateWindow, cache_root: Path, state_uri: str) -> Coverage:
    coverage = Coverage(hosts, window)
    read_index_cache(coverage, cache_root)
    coverage.store_read = read_store(coverage, state_uri)
    return coverage


def write_on_demand(settings: Any, spider_name: str, since: str | None, until: str | None) -> Path:
    """The report of a window from what is on disk now; returns the JSON's path.
    Raises KeyError for an unknown spider, UsageError for a bad day."""
    from scrapy.spiderloader import SpiderLoader

    spider = SpiderLoader.from_settings(settings).load(spider_name)
    window = DateWindow.from_arguments(since, until)
    hosts = [*spider.edition.hosts, *settings.getlist("EDITION_EXTRA_HOSTS")]
    coverage = build(hosts, window, Path(settings["INDEX_CACHE_DIR"]),
                     for_spider(settings["STATE_URI"], spider_name)
                     if settings.getbool("STATE_ENABLED") else "")
    run = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H-%M-%S")
    path, _ = write_report(coverage, Path(settings["COVERAGE_DIR"]), spider_name, run)
    return path


def add_arguments(parser: Any) -> None:
    parser.add_argument("--since", help="first day of the window, YYYY-MM-DD (default: no limit)")
    parser.add_argument("--until", help="last day of the window, YYYY-MM-DD (default: no limit)")


def main(argv: list[str] | None = None) -> int:
    from scrapy.exceptions import UsageError

    parser = argparse.ArgumentParser(prog="python -m crawler.coverage", description=__doc__.split("\n\n")[0])
    parser.add_argument("--spider", required=True, help="edition spider, e.g. sputnik_fr")
    add_arguments(parser)
    options = parser.parse_args(argv)
    try:
        path = write_on_demand(project_settings(), options.spider, options.since, options.until)
    except (KeyError, UsageError) as e:
        parser.error(str(e))
    print(path.with_suffix(".md").read_text(encoding="utf-8"))
    print(f"Written: {path}, {path.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
