"""Article extraction: one pure function from a response to the item's fields.

The layout is chosen from the page's markup, newest first, so captures of
every era parse with the class written for them.
"""
from __future__ import annotations

from typing import Any

from scrapy.http import HtmlResponse, TextResponse, XmlResponse

from crawler.editions import Edition
from crawler.extract.base import ArticleLayout
from crawler.extract.errors import NotAnArticle
from crawler.extract.layout_2016 import Layout2016
from crawler.extract.layout_2021 import Layout2021
from crawler.extract.page import Page

__all__ = ["LAYOUTS", "NotAnArticle", "choose_layout", "extract_article"]

LAYOUTS: tuple[type[ArticleLayout], ...] = (Layout2021, Layout2016)


def _is_html(response: Any) -> bool:
    if isinstance(response, HtmlResponse):
        return True
    if not isinstance(response, TextResponse) or isinstance(response, XmlResponse):
        return False
    # A bare TextResponse (unknown content type): trust the body's first byte.
    return response.text.lstrip().startswith("<")


def choose_layout(page: Page) -> type[ArticleLayout]:
    for layout in LAYOUTS:
        if layout.matches(page):
            return layout
    raise NotAnArticle("unknown_layout", page.response.url)


def extract_article(response: TextResponse, edition: Edition) -> dict[str, Any]:
    """The article fields of ``response`` (keys: ``normalize.ARTICLE_FIELDS``).

    Pure: reads only the response and the edition. Raises NotAnArticle when the
    page is empty (truncated capture), not HTML, of no known article layout, or
    yields no title or no body.
    """
    if isinstance(response, TextResponse) and not response.body.strip():
        raise NotAnArticle("empty", response.url)
    if not _is_html(response):
        raise NotAnArticle("not_html", getattr(response, "url", ""))
    page = Page.from_response(response)
    return choose_layout(page)(page, edition).extract()
