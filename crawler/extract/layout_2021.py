"""The platform's article layout from 2021 on: ``div.article`` with ``article__*`` parts.

The body is a run of ``div.article__block`` elements typed by ``data-type``.
A hidden ``div.article__meta`` holds schema.org microdata as element text; some
pages lack it, and then the head and the visible markup give every field.

Page kinds live in the same container: a live page's entries are
``.online__item`` elements (time in ``.online__item-top``), a gallery is a
``photolenta`` block of ``.article__photo-item`` pictures, a podcast episode
has its player in the header (``.article__announce``), as does a video page.
"""
from __future__ import annotations

from functools import cached_property
from typing import Any

from crawler.extract.base import ArticleLayout
from crawler.extract.blocks import Element, css, element_text, has_any_class, paragraphs
from crawler.extract.media import live_time
from crawler.normalize import find_visible_datetime


class Layout2021(ArticleLayout):
    NAME = "2021"
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

    _LIVE_ENTRIES = css(".online__item")
    _LIVE_TIME = css(".online__item-top")
    _LIVE_TITLE = css(".online__item-title")
    _LIVE_TEXT = css(".online__item-text")
    _PHOTOS = css(".article__block[data-type=photolenta] .article__photo-item")
    _PHOTO_CAPTION = css(".article__photo-item-text")
    _PHOTO_IMAGE = css("img")
    _PLAYER = css(".article__announce .audioplayer, .article__announce audio")
    _SHOW = css(".article__supertag-header-title, .article__podcast-title")
    _MAIN_VIDEO = css(".article__announce video, .article__announce .video[data-src]")
    _INFOGRAPHIC = css(".article__block[data-type=infographics]")

    # Block types that are the article's own text. Others are related-article
    # boxes ("article"), ads ("banner"), pictures and their credits ("media",
    # "photolenta"), embeds, polls …
    TEXT_BLOCKS = frozenset({"text", "quote", "h2", "h3"})
    # Inside text: related-article boxes and story banners ("Russia's Special
    # Operation in Ukraine") that English pages nest in entries and texts.
    _BOXES = frozenset({"article__article", "article__supertag", "article__story", "banner"})

    def _visible_body(self) -> list[str]:
        if self.root is None:
            return []
        text = [paragraph for block in self._all(self._BLOCKS, self.root)
                for paragraph in self._block(block)]
        return text + [f"{entry['time'] or ''} — {entry['text']}".lstrip(" —")
                       for entry in self._entries]

    def _block(self, block: Element) -> list[str]:
        kind = (block.get("data-type") or "").strip().lower()
        if kind in self.TEXT_BLOCKS:
            return paragraphs(block, skip=self._is_boxed)
        if kind == "photolenta" and self._pictures:
            # A gallery's captions are its text, in the order of the pictures.
            return [caption for caption in map(self._caption, self._all(self._PHOTOS, block)) if caption]
        return []

    def _is_boxed(self, element: Element) -> bool:
        return has_any_class(element, self._BOXES)

    # --- page kinds ---------------------------------------------------------

    def live_entries(self) -> list[dict[str, str]]:
        return [dict(entry) for entry in self._entries]

    @cached_property
    def _entries(self) -> list[dict[str, Any]]:
        entries = self._all(self._LIVE_ENTRIES, self.root)
        return [entry for entry in map(self._entry, entries) if entry["text"]]

    def _entry(self, item: Element) -> dict[str, Any]:
        title = element_text(self._first(self._LIVE_TITLE, item))
        text = paragraphs(self._first(self._LIVE_TEXT, item), skip=self._is_boxed)
        time = live_time(self._first(self._LIVE_TIME, item), self.edition.zone_on(self._url_day))
        return {"time": time, "text": "\n\n".join(filter(None, [title, *text]))}

    def gallery(self) -> list[dict[str, str | None]]:
        return [dict(picture) for picture in self._pictures]

    @cached_property
    def _pictures(self) -> list[dict[str, str | None]]:
        # Found once: kind() and the body ask too. One picture is an illustration.
        photos = self._all(self._PHOTOS, self.root)
        pictures = [{"image": self._photo_image(photo), "caption": self._caption(photo)}
                    for photo in photos]
        return pictures if len(pictures) > 1 else []

    def _caption(self, photo: Element) -> str | None:
        return element_text(self._first(self._PHOTO_CAPTION, photo))

    def _photo_image(self, photo: Element) -> str | None:
        image = self._first(self._PHOTO_IMAGE, photo)
        return self.page.absolute(image.get("src")) if image is not None else None

    def _is_infographic(self) -> bool:
        return self._first(self._INFOGRAPHIC, self.root) is not None

    # --- dates --------------------------------------------------------------

    def _visible_published(self) -> list[str | None]:
        # data-unixtime is exact; the text is wall-clock time in the newsroom.
        return self._dateline(self._first(self._DATELINE, self.root))

    def _visible_modified(self) -> list[str | None]:
        return self._dateline(self._first(self._DATELINE_MODIFIED, self.root))

    @staticmethod
    def _dateline(element: Element | None) -> list[str | None]:
        if element is None:
            return []
        return [element.get("data-unixtime"), find_visible_datetime(element_text(element))]
