"""Page kinds (the item's ``kind``): what sort of page an article page is.

Markup decides first: live entries make a live page, an episode player in the
page's header a podcast, a photo series a gallery, a main video a video page.
Where the markup says nothing, the title's live marker ("En direct:",
"UPDATES:", "Newsfeed"), ``og:type`` and the URL's rubric (``radio_…``,
``/photo/``, ``/infographie/``) are hints. Slugless URLs of pages with no
lead are the platform's short Telegram-style posts (``post``).
"""
from __future__ import annotations

import re
from typing import Any, Protocol

from crawler.urls import article_id_from_url

KINDS = ("article", "live", "podcast", "gallery", "video", "infographic", "post")
# Kinds whose own payload stands in for a body of text: such a page is kept
# (and validated) with a short or empty body when the payload is there.
MEDIA_FIELDS = {"live": "live_entries", "podcast": "audio", "gallery": "gallery",
                "video": "video", "infographic": "image"}

# Titles of live pages on the editions seen: fr "En direct:", en "UPDATES:",
# "LIVE UPDATES:", "Newsfeed", es "EN VIVO", de "LIVE-TICKER", pt "AO VIVO".
_LIVE_TITLE = re.compile(
    r"^\s*(?:en direct|live updates?|updates|newsfeed|en vivo|live-?ticker|ao vivo|live)\b",
    re.IGNORECASE,
)
# Rubric words in a URL's path (2014–2020 URLs and old AMP URLs carry the rubric).
_URL_HINTS = (
    (re.compile(r"/(?:radio_[^/]+|podcasts?|radio)/", re.IGNORECASE), "podcast"),
    (re.compile(r"/(?:photo|photos|foto|galer\w*|gallery)/", re.IGNORECASE), "gallery"),
    (re.compile(r"/(?:video|videos)/", re.IGNORECASE), "video"),
    (re.compile(r"/(?:infographi\w*|infografi\w*)/", re.IGNORECASE), "infographic"),
)
# /20250701/1074925676.html: a day and an id, no slug.
_SLUGLESS = re.compile(r"/\d{8}/\d{7,12}\.html$")


class PageFields(Protocol):
    """What a layout offers the classifier (ArticleLayout satisfies it)."""

    def url(self) -> str | None: ...
    def title(self) -> str | None: ...
    def live_entries(self) -> list[dict[str, str]]: ...
    def audio(self) -> dict[str, Any] | None: ...
    def gallery(self) -> list[dict[str, str | None]]: ...
    def video(self) -> dict[str, Any] | None: ...
    def _visible_lead(self) -> str | None: ...
    def _og_type(self) -> str | None: ...
    def _is_infographic(self) -> bool: ...


def classify(layout: PageFields) -> str:
    return kind_from_markup(layout) or kind_from_hints(layout) or "article"


def kind_from_markup(layout: PageFields) -> str | None:
    if layout.live_entries():
        return "live"
    if layout.audio():
        return "podcast"
    if layout.gallery():
        return "gallery"
    if layout.video():
        return "video"
    if layout._is_infographic():
        return "infographic"
    return None


def kind_from_hints(layout: PageFields) -> str | None:
    if _LIVE_TITLE.match(layout.title() or ""):
        return "live"
    og_type = (layout._og_type() or "").lower()
    if og_type.startswith("video"):
        return "video"
    if og_type.startswith("music"):
        return "podcast"
    return kind_from_url(layout.url()) or (
        "post" if is_slugless(layout.url()) and not layout._visible_lead() else None
    )


def kind_from_url(url: str | None) -> str | None:
    for pattern, kind in _URL_HINTS:
        if pattern.search(url or ""):
            return kind
    return None


def is_slugless(url: str | None) -> bool:
    path = (url or "").split("?", 1)[0]
    return bool(_SLUGLESS.search(path)) and article_id_from_url(path) is not None


def has_media(fields: dict[str, Any]) -> bool:
    """Whether a page of a media kind carries its own payload (entries, audio …)."""
    name = MEDIA_FIELDS.get(fields.get("kind") or "")
    return bool(name and fields.get(name))
