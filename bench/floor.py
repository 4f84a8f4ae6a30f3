"""Scrapy's own floor: what one response and one item cost with no project code.

A spider of N requests, each answered at once by a downloader middleware
with the same page of the bench (an HtmlResponse: Scrapy's default
middlewares, MetaRefresh included, see it like any page), whose callback
yields one item of an article's size, written by the built-in JSON Lines
exporter with ``CONCURRENT_ITEMS=1`` as the project sets it. No parsing, no
extraction, no pipeline: the part of replay's time per article that only a
lighter framework could remove (docs/benchmarks.md).

``python -m bench.floor N WARC TRUTH.jsonl`` answers with the WARC's first
page and yields the truth's first article; it prints
``{"seconds": …, "cpu_seconds": …, "items": …}``, engine start to close.
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from fastwarc.warc import ArchiveIterator, WarcRecordType
from scrapy.http import HtmlResponse

FLOOR: dict[str, float] = {}


class CannedPage:
    """Answers every request with the bench page, as a cache or replay would."""

    body = b""

    def process_request(self, request: scrapy.Request) -> HtmlResponse:
        return HtmlResponse(url=request.url, body=self.body, encoding="utf-8", request=request)


class FloorSpider(scrapy.Spider):
    name = "floor"
    count = 0
    item: dict[str, Any] = {}

    async def start(self):
        for number in range(self.count):
            yield scrapy.Request(f"http://floor.invalid/{number}", dont_filter=True)

    def parse(self, response):
        yield {**self.item, "url": response.url}


class EngineClock:
    """Engine start to spider close, in seconds and CPU seconds (as bench.cpu)."""

    @classmethod
    def from_crawler(cls, crawler):
        clock = cls()
        crawler.signals.connect(clock.started, signals.engine_started)
        crawler.signals.connect(clock.closed, signals.spider_closed)
        return clock

    def started(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def closed(self, spider) -> None:
        FLOOR.update(seconds=time.perf_counter() - self.wall, cpu_seconds=time.process_time() - self.cpu)


def first_page(warc: Path) -> bytes:
    with warc.open("rb") as stream:
        for record in ArchiveIterator(stream, record_types=WarcRecordType.response,
                                      parse_http=True):
            return record.reader.read()
    raise ValueError(f"no response record in {warc}")


def run(count: int, page: bytes, item: dict[str, Any]) -> dict[str, float]:
    CannedPage.body = page
    FloorSpider.count, FloorSpider.item = count, item
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "items.jsonl"
        process = CrawlerProcess({
            "DOWNLOADER_MIDDLEWARES": {f"{__name__}.CannedPage": 1},
            "EXTENSIONS": {f"{__name__}.EngineClock": 0},
            "FEEDS": {str(out): {"format": "jsonlines"}},
            "CONCURRENT_ITEMS": 1, "ROBOTSTXT_OBEY": False, "LOG_LEVEL": "WARNING",
            "TELNETCONSOLE_ENABLED": False,
        })
        process.crawl(FloorSpider)
        process.start()
        items = sum(1 for _ in out.open())
    return {**FLOOR, "items": items}


if __name__ == "__main__":
    count, warc, truth = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    with truth.open() as lines:
        first = json.loads(lines.readline())
    print(json.dumps(run(count, first_page(warc), first)))
