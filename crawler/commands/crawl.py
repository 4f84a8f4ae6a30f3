"""``scrapy crawl`` with these changes for this project.

- Spider arguments are checked before the crawl starts. Scrapy builds the
  spider inside the running crawl, so a bad ``-a since=`` would surface as a
  traceback; here it is a usage error (one line, exit status 2) and nothing
  is fetched.
- ``-o``/``-O`` replace the project's default FEEDS instead of adding to
  them: asking for one output file should not also write two others.
- With settings.distributed, a missing CRAWL_ID is a usage error too.
"""
from __future__ import annotations

import argparse
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawlCommand


class Command(ScrapyCrawlCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        if (opts.output or opts.overwrite_output) and self.settings is not None:
            # Scrapy merges command-line feeds into FEEDS; clear the defaults first.
            del self.settings["FEEDS"]
            self.settings.set("FEEDS", {}, priority="default")
        super().process_options(args, opts)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) == 1 and self.crawler_process is not None:
            spider_class = self.crawler_process.spider_loader.load(args[0])
            check = getattr(spider_class, "check_arguments", None)
            if check is not None:
                check(**opts.spargs)
            _check_distributed(self.settings, opts.spargs)
        super().run(args, opts)


def _check_distributed(settings: Any, spargs: dict[str, str]) -> None:
    """A shared crawl without a crawl id is a usage error, before any Redis call."""
    # Only settings.distributed defines DISTRIBUTED_KEY_PREFIX; replay keeps a local scheduler.
    if settings.get("DISTRIBUTED_KEY_PREFIX") and not spargs.get("replay"):
        from crawler.distributed.keys import check_crawl_id
        check_crawl_id(settings)
