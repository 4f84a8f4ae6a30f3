"""The fallback for article pages of an era no layout knows.

Metadata comes from what any news page publishes for machines: microdata,
OpenGraph and JSON-LD (all read once by ``Page``). The body comes from
trafilatura, a maintained main-text extractor.

Only pages that say they are articles (an ``og:type`` of article, a JSON-LD or
microdata ``Article``) are read; a listing or home page stays
``article/skipped/unknown_layout``. Items record ``source.layout = "generic"``
so users can tell these (less exact) records apart.
"""
from __future__ import annotations

import logging
from functools import cached_property
from typing import Any

from crawler.extract.base import ArticleLayout
from crawler.extract.blocks import css, xpath
from crawler.extract.conventions import split_credits
from crawler.extract.jsonld import article_object
from crawler.extract.page import Page
from crawler.normalize import clean_text

# trafilatura logs a warning for each page it cannot read; the spider's
# "Not an article (no_body)" line and counter already say it, once.
logging.getLogger("trafilatura").setLevel(logging.ERROR)

# Never the article's text: the platform's hidden schema.org copy of the body
# (trafilatura would take it, paragraphs run together, as the main text),
# hidden elements, related boxes and ads.
_PRUNED = [
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' article__meta ')]",
    "//*[@hidden] | //*[contains(translate(@style, ' ', ''), 'display:none')]",
    "//*[@itemprop='articleBody'][ancestor-or-self::*[@itemscope]][not(.//p)]",
    "//*[contains(@class, 'article__article') or contains(@class, 'b-inject')"
    " or contains(@class, 'banner')]",
]


def _names(value: Any) -> list[str]:
    """Names of JSON-LD people/organisations: a string, an object, a list of either."""
    values = value if isinstance(value, list) else [value]
    names = (item.get("name") if isinstance(item, dict) else item for item in values)
    return [text for text in (clean_text(str(name)) for name in names if name) if text]


def _text(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("url") or value.get("@id") or value.get("name")
    if isinstance(value, list):
        value = next(iter(value), None)
    return clean_text(str(value)) if value is not None else None


class LayoutGeneric(ArticleLayout):
    NAME = "generic"
    ROOT = xpath("/*")

    _TITLE = css("h1")

    @classmethod
    def matches(cls, page: Page) -> bool:
        return bool(
            (page.meta("og:type") or "").lower() == "article"
            or page.article.properties
            or article_object(page.json_ld)
        )

    @cached_property
    def _ld(self) -> dict[str, Any]:
        return article_object(self.page.json_ld)

    def title(self) -> str | None:
        return super().title() or _text(self._ld.get("headline")) or _text(self._ld.get("name"))

    def description(self) -> str | None:
        return super().description() or _text(self._ld.get("description"))

    def published(self) -> str | None:
        return self._date(_text(self._ld.get("datePublished"))) or super().published()

    def modified(self) -> str | None:
        return self._date(_text(self._ld.get("dateModified"))) or super().modified()

    def section(self) -> str | None:
        return super().section() or _text(self._ld.get("articleSection"))

    def keywords(self) -> list[str]:
        keywords = self._ld.get("keywords")
        listed = keywords if isinstance(keywords, list) else None
        return super().keywords() or [str(word) for word in listed or []]

    @cached_property
    def _people_and_credits(self) -> tuple[list[str], list[str]]:
        people, credits = super()._people_and_credits
        if people or credits:
            return people, credits
        return split_credits(_names(self._ld.get("author")))

    def image(self) -> str | None:
        return super().image() or self._first_url(_text(self._ld.get("image")))

    def _visible_body(self) -> list[str]:
        # Imported on first use: most runs never meet an unknown layout, and
        # the import costs a few tenths of a second in every Scrapy process.
        import trafilatura

        text = trafilatura.extract(
            self.page.response.text, url=self.page.response.url, include_comments=False,
            include_tables=False, favor_precision=True, prune_xpath=_PRUNED,
        )
        return [line for line in (text or "").split("\n") if line.strip()]

    def _visible_published(self) -> list[str | None]:
        return []

    def _visible_modified(self) -> list[str | None]:
        return []
