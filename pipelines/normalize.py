"""Normalises every field of every item, whatever spider or source made it."""
from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from crawler.editions import SPUTNIK_FR, Edition
from crawler.normalize import normalize_fields


class NormalizePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalizePipeline:
        return cls(crawler)

    @property
    def edition(self) -> Edition:
        return getattr(self.crawler.spider, "edition", SPUTNIK_FR)

    async def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        fields = {name: adapter.get(name) for name in adapter.field_names()}
        for name, value in normalize_fields(fields, self.edition).items():
            if name in adapter.field_names():
                adapter[name] = value
        self.crawler.stats.inc_value("normalize/items")
        return item
