"""Log lines for dropped items that name the article, not its whole text."""
from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult


class ArticleLogFormatter(LogFormatter):
    """Scrapy's default prints the item after the reason: a whole article body
    per duplicate. The reason already names the URL."""

    def dropped(self, item: Any, exception: BaseException, response: Response | None,
                spider: Spider) -> LogFormatterResult:
        result = super().dropped(item, exception, response, spider)
        result["msg"] = "Dropped: %(exception)s"
        result["args"] = {"exception": exception, "url": ItemAdapter(item).get("url")}
        return result
