"""Runs every edition's spider, live against the test site and on a replay,
all in one Scrapy process, for tests/test_edition_spiders.py.

One process instead of one ``scrapy crawl`` per edition and mode: Python and
Scrapy start once (66 subprocesses would take minutes), yet each crawl is a
crawler of its own with the project's settings, middlewares and pipelines and
its spider's arguments (the ``scrapy crawl`` command itself is exercised by
tests/test_edition_spiders.py for one generated spider).

    python -m tests.edition_crawls WORKDIR SITE_URL ARTICLE_PATH WARC

writes ``WORKDIR/<mode>/<edition>.jsonl`` (the items) and
``WORKDIR/outcome.json`` (each crawl's finish reason and stats).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.utils.project import get_project_settings

from crawler.spiders.editions import SPIDER_CLASSES

# Politeness off: the site is local, the archive a file.
FAST = {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0, "LOG_LEVEL": "WARNING",
        "CONCURRENT_REQUESTS_PER_DOMAIN": 64, "DOWNLOAD_TIMEOUT": 10}


def crawl_arguments(site: str, article_path: str, warc: str) -> dict[str, dict[str, str]]:
    return {"live": {"site": site, "urls": site + article_path}, "replay": {"replay": warc}}


def main(workdir: Path, site: str, article_path: str, warc: str) -> None:
    settings = get_project_settings()
    settings.setdict(FAST, priority="cmdline")
    process = CrawlerProcess(settings, install_root_handler=False)
    outcome: dict[str, dict[str, Any]] = {}
    first = True
    for mode, arguments in crawl_arguments(site, article_path, warc).items():
        for name, spidercls in SPIDER_CLASSES.items():
            own = settings.copy()
            own.set("FEEDS", {str(workdir / mode / f"{name}.jsonl"): {"format": "jsonlines"}},
                    priority="cmdline")
            # As CrawlerProcess does for the crawlers it makes: the first installs the reactor.
            crawler, first = Crawler(spidercls, own, init_reactor=first), False
            _record_outcome(crawler, outcome, f"{mode}/{name}")
            process.crawl(crawler, **arguments)
    process.start()
    (workdir / "outcome.json").write_text(json.dumps(outcome, default=str, indent=1), encoding="utf-8")


def _record_outcome(crawler: Crawler, outcome: dict[str, dict[str, Any]], key: str) -> None:
    def closed(spider: Any, reason: str) -> None:
        outcome[key] = {"reason": reason, "stats": dict(crawler.stats.get_stats())}
    crawler.signals.connect(closed, signal=signals.spider_closed, weak=False)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4])
