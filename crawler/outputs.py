"""Where a spider's outputs live, and reading its feeds, for the commands that
read them after a crawl.

``crawler.history``, ``crawler.report`` and ``crawler.export`` run outside
Scrapy but must find what a crawl wrote: they read the project's settings
(``SPUTNIK_OUTPUT_DIR``, ``STATE_URI``, ``WARC_DIR``, ``REPORT_DIR``) as a
crawl would, and fill in ``%(spider)s`` the same way.
"""
from __future__ import annotations

import argparse
import glob
import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from crawler.state import StateURIError
from crawler.state.versions import HistoryUnsupported, VersionHistory

logger = logging.getLogger(__name__)

DEFAULT_SPIDER = "sputnik_fr"


def project_settings() -> Settings:
    settings = get_project_settings()
    if settings.get("STATE_URI") is None:
        # Run away from scrapy.cfg: the project's own settings still apply.
        settings.setmodule("settings.base", priority="project")
    return settings


def for_spider(template: str, spider: str) -> str:
    return template.replace("%(spider)s", spider)


def state_uri(settings: Settings, spider: str) -> str:
    return for_spider(settings["STATE_URI"], spider)


def report_dir(settings: Settings, spider: str) -> Path:
    return Path(for_spider(settings["REPORT_DIR"], spider))


def feeds_dir(settings: Settings, spider: str) -> Path:
    return Path(settings["OUTPUT_DIR"]) / "feeds" / spider


JSON_LINES = frozenset({"jsonlines", "jsonl", "jl"})


def jsonl_feed_files(settings: Settings, spider: str) -> list[Path]:
    """The local JSON Lines files FEEDS names, every run's: ``%(name)s`` is the
    spider, other placeholders (the run's time, worker) match anything."""
    found: list[Path] = []
    for uri, options in settings.getdict("FEEDS").items():
        parts = urlsplit(str(uri))
        if (options or {}).get("format") not in JSON_LINES or parts.scheme not in ("", "file"):
            continue
        path = unquote(parts.path) if parts.scheme == "file" else str(uri)
        pattern = re.sub(r"%\([a-z_]+\)s", "*", path.replace("%(name)s", spider))
        found.extend(Path(match) for match in sorted(glob.glob(pattern)))
    return list(dict.fromkeys([*found, *jsonl_files(feeds_dir(settings, spider))]))


def feed_items(paths: Iterable[Path]) -> Iterator[dict[str, Any]]:
    """Items of JSON Lines feeds; a line that is not an item is logged and skipped."""
    for path in paths:
        with path.open(encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, 1):
                try:
                    item = json.loads(line)
                except ValueError:
                    logger.warning("Not a JSON line, skipped: %s line %s", path, number)
                    continue
                if isinstance(item, dict):
                    yield item


def jsonl_files(directory: Path) -> list[Path]:
    return sorted(directory.rglob("*.jsonl")) if directory.is_dir() else []


def feed_paths(given: list[Path]) -> list[Path]:
    """JSON Lines files named or below named directories; a missing path is logged."""
    found: list[Path] = []
    for path in given:
        if path.is_dir():
            found.extend(jsonl_files(path))
        elif path.is_file():
            found.append(path)
        else:
            logger.warning("No feed file or directory at %s", path)
    return found


def open_history(uri: str) -> VersionHistory:
    """The edit history of a ``sqlite:///`` store; other stores keep none."""
    try:
        return VersionHistory.open(history_path(uri))
    except StateURIError as e:
        raise HistoryUnsupported(str(e)) from e


def existing_history(uri: str) -> VersionHistory | None:
    """The history if the store exists: readers must not create an empty store."""
    try:
        path = history_path(uri)
    except (StateURIError, HistoryUnsupported):
        return None
    return VersionHistory.open(path) if path.exists() else None


def history_path(uri: str) -> Path:
    from crawler.state.sqlite import path_from_uri
    if not uri.startswith("sqlite:"):
        raise HistoryUnsupported("only a sqlite:/// STATE_URI keeps edit histories")
    return path_from_uri(uri)


def store_arguments() -> argparse.ArgumentParser:
    """``--spider`` and ``--state``, for every command that reads a spider's store."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--spider", default=DEFAULT_SPIDER, help="whose outputs (default %(default)s)")
    parent.add_argument("--state", help="store URI (default: STATE_URI of the settings)")
    return parent


def corpus_arguments() -> argparse.ArgumentParser:
    """The store's arguments and ``--feeds``, for the commands that read the whole corpus."""
    parent = argparse.ArgumentParser(add_help=False, parents=[store_arguments()])
    parent.add_argument("--feeds", nargs="*", type=Path,
                        help="JSON Lines files or directories (default: the JSON Lines FEEDS, "
                             "and OUTPUT_DIR/feeds/SPIDER)")
    return parent


@dataclass(frozen=True)
class CorpusInputs:
    settings: Settings
    feeds: list[Path]
    history: VersionHistory | None


def corpus_inputs(args: argparse.Namespace) -> CorpusInputs:
    """The feeds and the edit history that ``corpus_arguments`` name; a store
    without a history to read is said once, and the feeds are read alone."""
    settings = project_settings()
    feeds = feed_paths(args.feeds) if args.feeds else jsonl_feed_files(settings, args.spider)
    uri = args.state or state_uri(settings, args.spider)
    history = existing_history(uri)
    if history is None and not uri.startswith("sqlite:"):
        # The scheme only: a Redis URI may hold a password.
        logger.warning("Edit history not read from the %s store: only a sqlite:/// store keeps "
                       "versions and removals", urlsplit(uri).scheme or uri)
    elif history is None:
        logger.warning("No edit history found at %s: no versions or removals from the store", uri)
    return CorpusInputs(settings, feeds, history)
