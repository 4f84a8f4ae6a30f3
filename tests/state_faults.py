"""A test-only extension: the article store's connection may not grow, as on a full disk.

SQLite's ``max_page_count`` makes the next write that needs a new page fail
with SQLITE_FULL ("database or disk is full"), exactly the error a full disk
gives, while the WARC files and feeds beside it are written normally.
"""
from __future__ import annotations

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from pipelines.dedupe import DedupePipeline


class FullStore:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FullStore:
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        store = self.crawler.get_item_pipeline(DedupePipeline).store
        pages = store.db.execute("PRAGMA page_count").fetchone()[0]
        store.db.execute(f"PRAGMA max_page_count = {pages}")


class StoreGoneMidCrawl(FullStore):
    """The store's connection is closed once the crawl runs: every lookup then
    fails inside the sitemap callbacks, as on a page damaged after opening."""

    def spider_opened(self, spider: Spider) -> None:
        self.crawler.get_item_pipeline(DedupePipeline).store.db.close()
