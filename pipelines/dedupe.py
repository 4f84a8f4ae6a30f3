"""Emits each article once per run: the same URL with the same body is a duplicate.

A URL seen again with a different body is a new version of the article and is
kept. Only digests are remembered, so memory grows by a few dozen bytes per
article.
"""
from __future__ import annotations

import hashlib
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem


def content_digest(body: str | None) -> bytes:
    return hashlib.sha1((body or "").encode("utf-8")).digest()


class DedupePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.seen: set[tuple[str, bytes]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler)

    async def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        key = (adapter.get("url") or "", content_digest(adapter.get("body")))
        if key in self.seen:
            self.crawler.stats.inc_value("dedupe/duplicate")
            raise DropItem(f"Duplicate of an article already emitted: {key[0]}")
        self.seen.add(key)
        return item
