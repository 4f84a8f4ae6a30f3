"""What the report shows, read from a spider's outputs.

Articles come from the JSON Lines feeds (so a replay, which leaves the store
alone, is reported too) and from the edit history; one article counts once,
under its first version. Versions and removals come from the history; the run's
outcomes from the stats the last run left in the report directory; coverage
from the ``coverage-*.json`` files the web-archive runs write there.
"""
from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from crawler.outputs import feed_items
from crawler.state.versions import ArticleVersion, Removal, VersionHistory

logger = logging.getLogger(__name__)

LAST_RUN_STATS = "last-run-stats.json"
WARC_SUFFIXES = (".warc", ".warc.gz")


@dataclass(frozen=True)
class ArticleFacts:
    article_id: str
    day: date
    section: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class ChangedArticle:
    article_id: str
    title: str
    url: str
    versions: int
    last_change: str


@dataclass
class ReportData:
    spider: str
    articles: list[ArticleFacts] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)
    changed: list[ChangedArticle] = field(default_factory=list)
    removals: list[Removal] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    coverage: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    warc_files: int = 0
    warc_bytes: int = 0


def article_facts(fields: dict[str, Any]) -> ArticleFacts | None:
    article_id = fields.get("article_id") or fields.get("url")
    try:
        day = date.fromisoformat(str(fields.get("published") or "")[:10])
    except ValueError:
        return None
    if not article_id:
        return None
    return ArticleFacts(str(article_id), day, str(fields.get("section") or "(none)"),
                        tuple(str(keyword) for keyword in fields.get("keywords") or []))


def collect_articles(items: Iterable[dict[str, Any]]) -> list[ArticleFacts]:
    """One entry per article: the first seen wins (feeds are read oldest first)."""
    found: dict[str, ArticleFacts] = {}
    for item in items:
        facts = article_facts(item)
        if facts is not None:
            found.setdefault(facts.article_id, facts)
    return list(found.values())


def history_items(versions: Iterable[ArticleVersion]) -> Iterator[dict[str, Any]]:
    for version in versions:
        yield {**version.text, "article_id": version.article_id, "url": version.url}


def changed_articles(history: VersionHistory) -> tuple[list[ChangedArticle], list[str]]:
    """Articles with more than one version, and the capture time of every later version."""
    changed: list[ChangedArticle] = []
    times: list[str] = []
    last: ArticleVersion | None = None
    for version in history.all_versions():
        if version.version > 1:
            times.append(version.fetched_at or version.recorded_at)
        if last is not None and last.article_id != version.article_id and last.version > 1:
            changed.append(_changed(last))
        last = version
    if last is not None and last.version > 1:
        changed.append(_changed(last))
    return changed, times


def _changed(version: ArticleVersion) -> ChangedArticle:
    return ChangedArticle(version.article_id, str(version.text.get("title") or ""), version.url,
                          version.version, version.fetched_at or version.recorded_at)


def flatten(month: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"known": {"wayback": 4}}`` becomes ``{"known.wayback": 4}``: one column each."""
    flat: dict[str, Any] = {}
    for key, value in month.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def read_coverage(directory: Path) -> dict[str, list[dict[str, Any]]]:
    """The newest ``coverage-*.json`` (crawler/coverage.py on web-archive runs;
    docs/web-archives.md): its months, nested counts flattened into columns.
    The simplest shape read is ``{"months": [{"month", "known", "archived", "missing"}]}``."""
    for path in sorted(directory.glob("coverage-*.json"), reverse=True):
        try:
            months = json.loads(path.read_text(encoding="utf-8")).get("months")
        except (OSError, ValueError, AttributeError):
            logger.warning("Coverage file not readable, left out: %s", path)
            continue
        if isinstance(months, list):
            return {path.name: [flatten(m) for m in months if isinstance(m, dict)]}
    return {}


def read_stats(path: Path) -> dict[str, Any]:
    try:
        stats = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stats if isinstance(stats, dict) else {}


def warc_sizes(directory: Path) -> tuple[int, int]:
    """(files, bytes) of the closed and open WARC files below ``directory``."""
    if not directory.is_dir():
        return 0, 0
    sizes = [path.stat().st_size for path in directory.rglob("*")
             if path.is_file() and path.name.removesuffix(".open").endswith(WARC_SUFFIXES)]
    return len(sizes), sum(sizes)


def gather(spider: str, feeds: list[Path], history: VersionHistory | None, report_dir: Path,
           warc_dir: Path, stats: dict[str, Any] | None = None) -> ReportData:
    data = ReportData(spider)
    history_rows = history_items(history.all_versions()) if history is not None else ()
    data.articles = collect_articles(itertools.chain(feed_items(feeds), history_rows))
    if history is not None:
        data.changed, data.new_versions = changed_articles(history)
        data.removals = history.removals()
    data.stats = stats if stats is not None else read_stats(report_dir / LAST_RUN_STATS)
    data.coverage = read_coverage(report_dir)
    data.warc_files, data.warc_bytes = warc_sizes(warc_dir)
    return data
