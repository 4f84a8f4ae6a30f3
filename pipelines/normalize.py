"""Normalises every field of every item, whatever spider or source made it."""
from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from crawler.editions import EDITIONS, UNKNOWN_EDITION, Edition, edition_for_host
from crawler.normalize import host_of, normalize_fields


class NormalizePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalizePipeline:
        return cls(crawler)

    def edition_of(self, adapter: ItemAdapter) -> Edition:
        """The item's own edition, else the owner of its host, else the spider's."""
        return (
            EDITIONS.get(adapter.get("edition") or "")
            or edition_for_host(adapter.get("site") or host_of(adapter.get("url")))
            or getattr(self.crawler.spider, "edition", None)
            or UNKNOWN_EDITION
        )

    async def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        names = list(adapter.field_names())
        fields = {name: adapter.get(name) for name in names}
        edition = self.edition_of(adapter)
        for name, value in normalize_fields(fields, edition).items():
            if name in fields:
                adapter[name] = value
        if "edition" in names and not adapter.get("edition") and edition.name:
            adapter["edition"] = edition.name
        self.crawler.stats.inc_value("normalize/items")
        return item
