"""Article extraction: one pure function from a response to the item's fields.

The layout is chosen from the page's markup: AMP copies first (they repeat a
desktop layout's classes), then the desktop layouts newest first, so captures
of every era parse with the class written for them; pages that only say in
their metadata that they are articles fall to the generic layout.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scrapy.http import HtmlResponse, TextResponse, XmlResponse

from crawler.editions import Edition
from crawler.extract.base import ArticleLayout
from crawler.extract.errors import NotAnArticle
from crawler.extract.layout_2014 import Layout2014
from crawler.extract.layout_2016 import Layout2016
from crawler.extract.layout_2021 import Layout2021
from crawler.extract.layout_amp import LayoutAmp2016, LayoutAmp2021
from crawler.extract.layout_generic import LayoutGeneric
from crawler.extract.page import Page

__all__ = ["LAYOUTS", "ExtractedArticle", "NotAnArticle", "choose_layout", "extract_article",
           "read_article"]

# Layout2014 before Layout2016: both are div.b-article, 2014 has no b-article__text.
LAYOUTS: tuple[type[ArticleLayout], ...] = (
    LayoutAmp2021, LayoutAmp2016, Layout2021, Layout2014, Layout2016, LayoutGeneric,
)


@dataclass(frozen=True)
class ExtractedArticle:
    """The item fields of a page and the name of the layout that read them
    (``source.layout``: ``2021``, ``2016``, ``2014``, ``amp``, ``generic``)."""

    fields: dict[str, Any]
    layout: str


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


def read_article(response: TextResponse, edition: Edition) -> ExtractedArticle:
    """The article fields of ``response`` (keys: ``normalize.ARTICLE_FIELDS``)
    and the layout that read them.

    Pure: reads only the response and the edition. Raises NotAnArticle when the
    page is empty (truncated capture), not HTML, of no known article layout, or
    yields no title, or no body (and, for live, podcast, gallery, video and
    infographic pages, none of their entries, audio, pictures, video or image).
    """
    if isinstance(response, TextResponse) and not response.body.strip():
        raise NotAnArticle("empty", response.url)
    if not _is_html(response):
        raise NotAnArticle("not_html", getattr(response, "url", ""))
    page = Page.from_response(response)
    layout = choose_layout(page)
    return ExtractedArticle(layout(page, edition).extract(), layout.NAME)


def extract_article(response: TextResponse, edition: Edition) -> dict[str, Any]:
    """The article fields of ``response``; see read_article."""
    return read_article(response, edition).fields
