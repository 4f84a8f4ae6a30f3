"""Writes the report directory: ``index.html`` and a diff page per changed article."""
from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from crawler.atomic import write_text as write_atomically
from crawler.history.diffs import html_history, page_name
from crawler.report.data import LAST_RUN_STATS, ReportData, gather
from crawler.report.page import render
from crawler.state.versions import VersionHistory

logger = logging.getLogger(__name__)


def save_run_stats(report_dir: Path, stats: dict[str, Any]) -> None:
    """Keeps a run's final stats for the next ``python -m crawler.report``."""
    jsonable = {key: value.isoformat() if isinstance(value, datetime) else value
                for key, value in stats.items()}
    write_atomically(report_dir / LAST_RUN_STATS, json.dumps(jsonable, indent=1, sort_keys=True))


def write_diff_pages(history: VersionHistory, data: ReportData, report_dir: Path) -> None:
    for changed in data.changed:
        page = html_history(history.versions(changed.article_id))
        write_atomically(report_dir / "diffs" / page_name(changed.article_id), page)


def write_report(spider: str, report_dir: Path, feeds: list[Path],
                 history: VersionHistory | None, warc_dir: Path,
                 stats: dict[str, Any] | None = None) -> Path:
    """Gathers, draws and writes the report; returns the path of its page."""
    data = gather(spider, feeds, history, report_dir, warc_dir, stats)
    if history is not None:
        write_diff_pages(history, data, report_dir)
    index = report_dir / "index.html"
    write_atomically(index, render(data))
    logger.info("Report written: %s (%s articles, %s changed, %s removed)", index,
                len(data.articles), len(data.changed), len(data.removals))
    return index
