"""Drops items that are not complete articles, saying which field is missing.

Every article needs a URL, a title, a publication date and a body. Live,
podcast, gallery, video and infographic pages may carry little or no text of
their own: their entries, episode, pictures, video or image stand in for the body, so such an
item passes without one (counted as ``validate/kept_without_body/<kind>``).
A removal item (``removed`` set) needs only its URL.
"""
from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.extract.kinds import has_media

REQUIRED_FIELDS = ("url", "title", "body", "published")


class ValidatePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    async def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        # A removal item says an archived article is gone; its text may be
        # unknown (a store without version texts), its URL never is.
        required = ("url",) if adapter.get("removed") else REQUIRED_FIELDS
        for name in required:
            if adapter.get(name):
                continue
            if name == "body" and has_media(adapter.asdict()):
                self.crawler.stats.inc_value(f"validate/kept_without_body/{adapter.get('kind')}")
                continue
            self.crawler.stats.inc_value(f"validate/dropped/missing_{name}")
            raise DropItem(
                f"Article without {name}: {adapter.get('url') or adapter.get('source')}",
                log_level="WARNING",
            )
        return item
