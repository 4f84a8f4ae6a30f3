"""Where a spider's outputs live, for the commands that read them after a crawl.

``crawler.history``, ``crawler.report`` and ``crawler.export`` run outside
Scrapy but must find what a crawl wrote: they read the project's settings
(``SPUTNIK_OUTPUT_DIR``, ``STATE_URI``, ``WARC_DIR``, ``REPORT_DIR``) as a
crawl would, and fill in ``%(spider)s`` the same way.
"""
from __future__ import annotations

import glob
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from crawler.state import StateURIError
from crawler.state.versions import HistoryUnsupported, VersionHistory

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
    return list(dict.fromkeys([*found, *sorted(feeds_dir(settings, spider).rglob("*.jsonl"))]))


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
