"""Public web archives as sources of captures (``-a source=commoncrawl,wayback``).

Each source is a class built with the spider and the run (crawler.sources.run)
that combines them; its ``requests()`` async generator starts reading its
index, and the run yields the requests that fetch the chosen captures. Their responses reach the
spider's ``parse_article`` through the same middlewares and pipelines as live
and replayed pages.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

from scrapy import Request, Spider
from scrapy.utils.misc import load_object

SOURCE_CLASSES = {
    "commoncrawl": "crawler.sources.commoncrawl.CommonCrawlSource",
    "wayback": "crawler.sources.wayback.WaybackSource",
}


class ArchiveSource(Protocol):
    def requests(self) -> AsyncIterator[Request]: ...


def archive_source(name: str, spider: Spider, run: Any) -> Any:
    return load_object(SOURCE_CLASSES[name])(spider, run)
