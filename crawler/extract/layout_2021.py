"""The platform's article layout from 2021 on: ``div.article`` with ``article__*`` parts.

The body is a run of ``div.article__block`` elements typed by ``data-type``.
A hidden ``div.article__meta`` holds schema.org microdata as element text; some
pages lack it, and then the head and the visible markup give every field.
"""
from __future__ import annotations

from crawler.extract.base import ArticleLayout
from crawler.extract.blocks import Element, css, element_text, first, paragraphs
from crawler.normalize import find_visible_datetime


class Layout2021(ArticleLayout):
    ROOT = css("div.article:has(.article__body, h1.article__title)")

    _TITLE = css("h1.article__title")
    _LEAD = css(".article__announce-text")
    _TAGS = css("li.tag")
    # No _SECTION: the dateline names no rubric here; the head always does.
    _AUTHORS = css(".article__author-name")
    _BLOCKS = css(".article__body > .article__block")
    _DATELINE = css(".article__info-date > a")
    _DATELINE_MODIFIED = css(".article__info-date-modified")
    _IMAGES = css(".article__announce img, .article__body img")

    # Block types that are the article's own text. Others are related-article
    # boxes ("article"), ads ("banner"), pictures and their credits ("media",
    # "photolenta"), embeds, polls …
    TEXT_BLOCKS = frozenset({"text", "quote", "h2", "h3"})

    def _visible_body(self) -> list[str]:
        if self.root is None:
            return []
        return [
            paragraph
            for block in self._BLOCKS(self.root)
            if self._is_text_block(block)
            for paragraph in paragraphs(block)
        ]

    def _is_text_block(self, block: Element) -> bool:
        return (block.get("data-type") or "").strip().lower() in self.TEXT_BLOCKS

    def _visible_published(self) -> list[str | None]:
        # data-unixtime is exact; the text is wall-clock time in the newsroom.
        return self._dateline(first(self._DATELINE, self.root))

    def _visible_modified(self) -> list[str | None]:
        return self._dateline(first(self._DATELINE_MODIFIED, self.root))

    @staticmethod
    def _dateline(element: Element | None) -> list[str | None]:
        if element is None:
            return []
        return [element.get("data-unixtime"), find_visible_datetime(element_text(element))]
