"""Writes the HTML report (crawler/report/) at the end of every run.

Enabled unless REPORT_ENABLED is False. It runs on ``engine_stopped``, when
the feeds are closed and the stats final, before RunSummary (whose lines end
the log) and records the page's path for its Output line; it first keeps the run's stats in
REPORT_DIR (``last-run-stats.json``) for later ``python -m crawler.report``
runs. A report that cannot be written is one ERROR line: the crawl's own
outputs are already safe, and the run's outcome does not change.
"""
from __future__ import annotations

import logging
from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.outcome import REPORT_PATH_STAT
from crawler.outputs import existing_history, for_spider, jsonl_feed_files

logger = logging.getLogger(__name__)


class ReportAtClose:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.spider_name = crawler.spidercls.name
        self.report_dir = Path(for_spider(crawler.settings["REPORT_DIR"], self.spider_name))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ReportAtClose:
        if not crawler.settings.getbool("REPORT_ENABLED"):
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.write, signal=signals.engine_stopped)
        return extension

    def write(self) -> None:
        # Imported here: matplotlib costs a second, paid once at the end only.
        from crawler.report.writer import save_run_stats, write_report
        settings = self.crawler.settings
        try:
            save_run_stats(self.report_dir, self.crawler.stats.get_stats())
            history = existing_history(for_spider(settings["STATE_URI"], self.spider_name))
            feeds = jsonl_feed_files(settings, self.spider_name)
            index = write_report(self.spider_name, self.report_dir, feeds, history,
                                 Path(settings["WARC_DIR"]))
            # For the summary's Output line (crawler.extensions.summary).
            self.crawler.stats.set_value(REPORT_PATH_STAT, str(index))
            if history is not None:
                history.db.close()
        except Exception:
            # Bad data must not turn a finished crawl into a crash at its very end.
            logger.error("Could not write the report in %s", self.report_dir, exc_info=True)
