"""The platform's article layout of 2016–2020: ``div.b-article`` with ``b-article__*`` parts.

Microdata sits in the article as ``<meta itemprop=… content=…>``; the body is
plain paragraphs in ``div.b-article__text`` with injected boxes between them.
URLs of that era look like ``/international/201903151040353449-slug/``.
"""
from __future__ import annotations

from crawler.extract.base import ArticleLayout
from crawler.extract.blocks import Element, css, element_text, has_any_class, paragraphs
from crawler.normalize import find_visible_datetime


class Layout2016(ArticleLayout):
    NAME = "2016"
    ROOT = css("div.b-article:has(.b-article__text, .b-article__header-title h1)")

    _TITLE = css(".b-article__header-title h1")
    _LEAD = css(".b-article__lead")
    _TAGS = css(".b-article__tags li")
    _SECTION = css(".b-article__refs-rubric")
    _AUTHORS = css(".b-article__refs-author a")
    _TEXT = css(".b-article__text")
    _DATELINE = css("time.b-article__refs-date")
    _DATELINE_MODIFIED = css(".b-article__refs-update")
    _IMAGES = css(".b-article__announce img, .b-article__lead img, .b-article__text img")
    # Radio shows: the episode's player sits in the header picture's place.
    _PLAYER = css(".b-article__announce audio, .b-article__announce .b-podcast__player")
    _MAIN_VIDEO = css(".b-article__announce video")

    # Inside the text: "read also" boxes and ads (b-inject, b-banner) and
    # pictures with their captions and credits (figure).
    _SKIPPED_CLASSES = frozenset({"b-inject", "b-banner"})

    def _visible_body(self) -> list[str]:
        return paragraphs(self._first(self._TEXT, self.root), skip=self._is_boxed)

    def _is_boxed(self, element: Element) -> bool:
        if element.tag == "figure":
            return True
        return has_any_class(element, self._SKIPPED_CLASSES)

    def _visible_published(self) -> list[str | None]:
        # datetime= is newsroom wall-clock time without an offset, like the text.
        time = self._first(self._DATELINE, self.root)
        if time is None:
            return []
        return [time.get("datetime"), find_visible_datetime(element_text(time))]

    def _visible_modified(self) -> list[str | None]:
        return [find_visible_datetime(element_text(self._first(self._DATELINE_MODIFIED, self.root)))]
