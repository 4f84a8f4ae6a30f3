"""Drops items that are not complete articles, saying which field is missing."""
from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

REQUIRED_FIELDS = ("url", "title", "body", "published")


class ValidatePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    async def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        for name in REQUIRED_FIELDS:
            if not adapter.get(name):
                self.crawler.stats.inc_value(f"validate/dropped/missing_{name}")
                raise DropItem(
                    f"Article without {name}: {adapter.get('url') or adapter.get('source')}",
                    log_level="WARNING",
                )
        return item
