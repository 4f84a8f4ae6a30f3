"""``scrapy coverage SPIDER [--since DAY] [--until DAY]``: the coverage report on demand.

The same as ``python -m crawler.coverage --spider SPIDER``: per month of the
window, article ids known, archived and missing, from the index cache and the
store on disk (crawler.coverage). Nothing is fetched.
"""
from __future__ import annotations

import argparse

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.coverage import add_arguments, write_on_demand


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False

    def syntax(self) -> str:
        return "<spider> [--since YYYY-MM-DD] [--until YYYY-MM-DD]"

    def short_desc(self) -> str:
        return "Write the coverage report of a window from the index cache and the store"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        add_arguments(parser)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("name one spider, e.g. scrapy coverage sputnik_fr")
        try:
            path = write_on_demand(self.settings, args[0], opts.since, opts.until)
        except KeyError as e:
            raise UsageError(f"no spider named {args[0]!r}") from e
        print(path.with_suffix(".md").read_text(encoding="utf-8"))
        print(f"Written: {path}, {path.with_suffix('.md')}")
