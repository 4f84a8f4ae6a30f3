"""``scrapy crawl`` with these changes for this project.

- Spider arguments are checked before the crawl starts. Scrapy builds the
  spider inside the running crawl, so a bad ``-a since=`` would surface as a
  traceback; here it is a usage error (one line, exit status 2) and nothing
  is fetched. So is an unknown spider name, an unknown ``-a`` argument, and a
  ``-s`` value that cannot be read as its setting's type; a misspelt ``-s``
  name gets a WARNING naming the closest known setting.
- ``--help`` lists the spider arguments, their meaning and defaults.
- ``-o``/``-O`` replace the project's default FEEDS instead of adding to
  them: asking for one output file should not also write two others.
- With settings.distributed, a missing CRAWL_ID is a usage error too.
- The exit status tells how the crawl went (crawler.outcome): 0 every source
  reached, 1 failed, 2 usage error, 3 partial.
"""
from __future__ import annotations

import argparse
import asyncio
import difflib
import logging
from typing import Any
from urllib.parse import urlsplit

from scrapy import Spider
from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from twisted.internet.defer import Deferred

from crawler import logsafety
from crawler.arguments import arguments_help, parse_flag
from crawler.outcome import EXIT_STATUS_STAT, FAILED, exit_status
from crawler.settings_check import check_settings

logger = logging.getLogger(__name__)


class Command(ScrapyCrawlCommand):
    crawler: Crawler | None = None

    def long_desc(self) -> str:
        return (f"{super().long_desc()}.\n\nSpider arguments (-a NAME=VALUE); any other "
                f"name is a usage error:\n{arguments_help()}\n\nExit status: 0 every source "
                "reached; 1 failed (nothing fetched or read, stopped early, feed not stored);\n"
                "2 usage error; 3 partial (some source unreachable).")

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        # Keep the argument table's lines as written.
        parser.formatter_class = type("ArgumentTableFormatter", (
            argparse.RawDescriptionHelpFormatter, parser.formatter_class), {})

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        if (opts.output or opts.overwrite_output) and self.settings is not None:
            # Scrapy merges command-line feeds into FEEDS; clear the defaults first.
            del self.settings["FEEDS"]
            self.settings.set("FEEDS", {}, priority="default")
        super().process_options(args, opts)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        logsafety.install()
        if len(args) == 1 and self.crawler_process is not None:
            spider_class = self._spider_class(args[0])
            check = getattr(spider_class, "check_arguments", None)
            if check is not None:
                check(**opts.spargs)
            check_settings(self.settings)
            _check_distributed(self.settings, opts.spargs)
            _check_recheck(self.settings, opts.spargs)
        if len(args) != 1 or self.crawler_process is None:
            super().run(args, opts)
            return
        # Scrapy's run, but a crawl that cannot start (an unreachable store,
        # a component that refuses its settings) is one ERROR line, not a
        # chained traceback from asyncio; the traceback goes to DEBUG.
        started = self.crawler_process.crawl(self._create_crawler(args[0]), **opts.spargs)
        _log_start_failure(started)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = FAILED
        elif self.crawler is not None:
            self.exitcode = _exit_status(self.crawler)

    def _create_crawler(self, spidercls: type[Spider] | str) -> Crawler:
        self.crawler = super()._create_crawler(spidercls)
        return self.crawler

    def _spider_class(self, name: str) -> type[Spider]:
        loader = self.crawler_process.spider_loader
        try:
            return loader.load(name)
        except KeyError:
            known = loader.list()
            closest = difflib.get_close_matches(name, known, n=1)
            hint = f" Did you mean {closest[0]}?" if closest else ""
            raise UsageError(f"No spider named {name!r}.{hint} "
                             f"Spiders: {', '.join(sorted(known))}") from None


def _log_start_failure(started: Any) -> None:
    def log(error: BaseException) -> None:
        logger.error("The crawl could not start: %s", error or type(error).__name__)
        logger.debug("Why the crawl could not start", exc_info=error)

    if isinstance(started, asyncio.Future):
        started.add_done_callback(
            lambda task: None if task.cancelled() or not task.exception() else log(task.exception()))
    elif isinstance(started, Deferred):
        started.addErrback(lambda failure: log(failure.value))


def _exit_status(crawler: Crawler) -> int:
    if crawler.stats is None:
        return FAILED
    stats = crawler.stats.get_stats()
    recorded = stats.get(EXIT_STATUS_STAT)
    return recorded if isinstance(recorded, int) else exit_status(stats)[0]


def _check_recheck(settings: Any, spargs: dict[str, str]) -> None:
    """``-a recheck=1`` lists the window's archived articles from the SQLite
    store: without one it could only run a normal crawl, so it is a usage
    error before anything is fetched."""
    if spargs.get("recheck") is None or not parse_flag(spargs["recheck"], "recheck"):
        return
    if not settings.getbool("STATE_ENABLED"):
        raise UsageError("-a recheck=1 needs the article store, and STATE_ENABLED is False")
    if urlsplit(settings.get("STATE_URI") or "").scheme != "sqlite":
        raise UsageError("-a recheck=1 needs an SQLite store (STATE_URI=sqlite:///…): "
                         "a Redis store keeps no version history to list the archived articles from")


def _check_distributed(settings: Any, spargs: dict[str, str]) -> None:
    """A shared crawl without a crawl id, or with a queue class the shared
    scheduler cannot use, is a usage error, before any Redis call."""
    # Only settings.distributed defines DISTRIBUTED_KEY_PREFIX; replay keeps a local scheduler.
    if settings.get("DISTRIBUTED_KEY_PREFIX") and not spargs.get("replay"):
        from scrapy_redis import defaults

        from crawler.distributed.atomic import check_queue_class
        from crawler.distributed.keys import check_crawl_id
        check_crawl_id(settings)
        check_queue_class(settings.get("SCHEDULER_QUEUE_CLASS") or defaults.SCHEDULER_QUEUE_CLASS)
