"""What every layout of the platform shares: the head (OpenGraph, ``article:*``,
``analytics:*`` meta tags), schema.org microdata and the field order.

A layout subclass names its article container (``ROOT``) and reads its own
visible markup in the ``_visible_*`` methods; each field method below shows
its whole fallback chain, best source first.
"""
from __future__ import annotations

from datetime import date
from functools import cached_property
from typing import Any, ClassVar

from lxml import etree

from crawler.editions import Edition
from crawler.extract.blocks import Element, element_text, texts
from crawler.extract.conventions import section_from_url, split_credits, strip_teaser_suffix
from crawler.extract.errors import NotAnArticle
from crawler.extract.jsonld import breadcrumb_section
from crawler.extract.kinds import classify, has_media
from crawler.extract.media import media_of
from crawler.extract.page import Page
from crawler.extract.selectors import Selector
from crawler.normalize import (
    ARTICLE_FIELDS, canonical_url, host_of, normalize_datetime, normalize_language,
    split_list,
)
from crawler.urls import article_id_from_url, publication_date_from_url


class ArticleLayout:
    """One page layout of the platform.

    Subclasses set ROOT, the selectors of their visible parts (relative to
    ROOT; None where the layout has no such part) and read their own body
    and datelines.
    """

    # What source.layout records for items this layout read.
    NAME: ClassVar[str]
    ROOT: ClassVar[etree.XPath]
    _TITLE: ClassVar[etree.XPath | None] = None
    _LEAD: ClassVar[etree.XPath | None] = None
    _SECTION: ClassVar[etree.XPath | None] = None
    _TAGS: ClassVar[etree.XPath | None] = None
    _AUTHORS: ClassVar[etree.XPath | None] = None
    _IMAGES: ClassVar[etree.XPath | None] = None
    # Page kinds: an episode's player and show title, a video page's main video.
    _PLAYER: ClassVar[etree.XPath | None] = None
    _SHOW: ClassVar[etree.XPath | None] = None
    _MAIN_VIDEO: ClassVar[etree.XPath | None] = None

    def __init__(self, page: Page, edition: Edition) -> None:
        self.page = page
        self.edition = edition
        self.root: Element | None = page.first(self.ROOT)

    @classmethod
    def matches(cls, page: Page) -> bool:
        return page.first(cls.ROOT) is not None

    def extract(self) -> dict[str, Any]:
        fields = {name: getattr(self, name)() for name in ARTICLE_FIELDS}
        if not fields["title"]:
            raise NotAnArticle("no_title", self.page.response.url)
        if not fields["body"] and not has_media(fields):
            raise NotAnArticle("no_body", self.page.response.url)
        return fields

    # --- identity ----------------------------------------------------------

    def url(self) -> str | None:
        return self._canonical_url

    @cached_property
    def _canonical_url(self) -> str | None:
        # Found once: article_id and site read it too.
        page = self.page
        return self._first_url(
            page.link("canonical"),
            page.meta("og:url"),
            page.microdata("mainEntityOfPage", sub="url"),
            page.microdata("url"),
            page.response.url,
        )

    def article_id(self) -> str | None:
        # The container's data-id is the CMS id; URLs of both eras end with it too.
        data_id = (self.root.get("data-id") or "").strip() if self.root is not None else ""
        return data_id or article_id_from_url(self.url() or "")

    def site(self) -> str | None:
        return host_of(self.url())

    def publisher(self) -> str | None:
        return (
            self.page.meta("og:site_name")
            or self.page.microdata("publisher")
            or self.edition.publisher_for(self.site(), self._url_day)
        )

    def language(self) -> str:
        raw = self.page.microdata("inLanguage") or self.page.meta("og:locale") or self.page.html_lang()
        return normalize_language(raw, self.edition.language_for(self.site()))

    # --- text fields -------------------------------------------------------

    def title(self) -> str | None:
        # Not <title>: it carries a " - 27.12.2021, Sputnik France" suffix.
        return (
            self.page.microdata("headline")
            or self.page.meta("og:title")
            or self.page.meta("analytics:title")
            or self._visible_title()
        )

    def description(self) -> str | None:
        # The lead readers see is the whole sentence; the published
        # descriptions are teasers cut by the CMS and signed with date and name.
        return (
            self._visible_lead()
            or strip_teaser_suffix(self.page.microdata("description"))
            or strip_teaser_suffix(self.page.meta("og:description"))
            or strip_teaser_suffix(self.page.meta("description"))
        )

    def section(self) -> str | None:
        # The rubric: visible, the breadcrumb trail, the head, the URL.
        # Microdata's first articleSection comes last: on 2022+ pages it is
        # often a tag ("afrique subsaharienne") or a show ("avenir souverain").
        return (
            self._visible_section()
            or breadcrumb_section(self.page.json_ld, self.url())
            or self.page.meta("article:section")
            or self.page.meta("analytics:rubric")
            or section_from_url(self.url())
            or self.page.microdata("articleSection")
        )

    def keywords(self) -> list[str]:
        # Sources that list keywords one by one come before comma-joined ones,
        # which cannot hold a keyword containing a comma.
        return (
            self.page.meta_all("article:tag")
            or self._visible_tags()
            or split_list(self.page.microdata("keywords"))
            or split_list(self.page.meta("keywords"))
        )

    def authors(self) -> list[str]:
        return self._people_and_credits[0]

    def credits(self) -> list[str]:
        """Agencies credited in the author block (``avec Reuters`` → ``Reuters``)."""
        return self._people_and_credits[1]

    @cached_property
    def _people_and_credits(self) -> tuple[list[str], list[str]]:
        return split_credits(
            self.page.microdata_all("author")
            or [name for name in self.page.meta_all("article:author") if "://" not in name]
            or split_list(self.page.meta("analytics:authors"))
            or self._visible_authors()
        )

    def image(self) -> str | None:
        # The pictures in the markup are looked for only when the head names none.
        return self._first_url(
            self.page.meta("og:image"),
            self.page.microdata("image", sub="url"),
        ) or self._first_url(self._visible_image())

    def body(self) -> str | None:
        # The microdata copy runs paragraphs together: only when nothing is visible.
        return "\n\n".join(self._visible_body()) or self.page.microdata("articleBody")

    # --- page kinds (see kinds.py) -----------------------------------------

    def kind(self) -> str:
        return classify(self)

    def live_entries(self) -> list[dict[str, str]]:
        """Entries of a live page in page order: ``{"time", "text"}``."""
        return []

    def audio(self) -> dict[str, Any] | None:
        """The episode of a podcast page: ``{"url", "duration", "show"}``."""
        return dict(self._audio) if self._audio else None

    @cached_property
    def _audio(self) -> dict[str, Any] | None:
        # Found once: kind() asks too.
        audio = media_of(self._visible(self._PLAYER), self.page) or self._microdata_media("audio")
        if audio is None:
            return None
        # The show: the page's own show title, else the rubric it is filed under.
        show = self._visible_text(self._SHOW) or self.page.microdata("partOfSeries")
        return {**audio, "show": show or self.section()}

    def gallery(self) -> list[dict[str, str | None]]:
        """Pictures of a photo gallery in order: ``{"image", "caption"}``."""
        return []

    def video(self) -> dict[str, Any] | None:
        """The main video of a video page: ``{"url", "duration"}``."""
        return dict(self._video) if self._video else None

    @cached_property
    def _video(self) -> dict[str, Any] | None:
        return media_of(self._visible(self._MAIN_VIDEO), self.page) or self._microdata_media("video")

    def _microdata_media(self, name: str) -> dict[str, Any] | None:
        # schema.org AudioObject/VideoObject in the article's microdata.
        url = self.page.microdata(name, sub="contentUrl")
        if not url:
            return None
        return {"url": self.page.absolute(url), "duration": self.page.microdata(name, sub="duration")}

    def _og_type(self) -> str | None:
        return self.page.meta("og:type")

    def _is_infographic(self) -> bool:
        return False

    # --- dates -------------------------------------------------------------

    def published(self) -> str | None:
        return (
            self._date(self.page.microdata("datePublished"))
            or self._date(self.page.meta("article:published_time"))
            or self._first_date(self._visible_published())
        )

    def modified(self) -> str | None:
        return (
            self._date(self.page.microdata("dateModified"))
            or self._date(self.page.meta("article:modified_time"))
            or self._first_date(self._visible_modified())
        )

    def _first_url(self, *candidates: str | None) -> str | None:
        """The first candidate that makes an http(s) URL, resolved against the page."""
        urls = (canonical_url(self.page.absolute(candidate)) for candidate in candidates)
        return next(filter(None, urls), None)

    @cached_property
    def _url_day(self) -> date | None:
        # The registry's publisher name and newsroom zone depend on the year.
        return publication_date_from_url(self.url() or "")

    def _date(self, value: str | None) -> str | None:
        return normalize_datetime(value, self.edition.zone_on(self._url_day))

    def _first_date(self, candidates: list[str | None]) -> str | None:
        return next(filter(None, map(self._date, candidates)), None)

    # --- the visible page, per layout ------------------------------------------

    def _visible_title(self) -> str | None:
        return self._visible_text(self._TITLE)

    def _visible_lead(self) -> str | None:
        return self._visible_text(self._LEAD)

    def _visible_section(self) -> str | None:
        return self._visible_text(self._SECTION)

    def _visible_tags(self) -> list[str]:
        return texts(self._all(self._TAGS, self.root))

    def _visible_authors(self) -> list[str]:
        return texts(self._all(self._AUTHORS, self.root))

    def _visible_image(self) -> str | None:
        image = self._first(self._IMAGES, self.root)
        return image.get("src") if image is not None else None

    def _visible_text(self, selector: Selector | None) -> str | None:
        return element_text(self._visible(selector))

    def _visible(self, selector: Selector | None) -> Element | None:
        return self._first(selector, self.root)

    # --- looking things up -----------------------------------------------------

    def _all(self, selector: etree.XPath | Selector | None,
             context: Element | None) -> list[Element]:
        """Every match under ``context`` (``Page.find``)."""
        return self.page.find(selector, context)

    def _first(self, selector: etree.XPath | Selector | None,
               context: Element | None) -> Element | None:
        # Every match, not Selector.first: inside the article the walks are
        # short, and "(path)[1]" gained nothing callgrind could tell apart.
        found = self._all(selector, context)
        return found[0] if found else None

    def _visible_body(self) -> list[str]:
        """The article's paragraphs, sub-headings included, boxes and ads left out."""
        raise NotImplementedError

    def _visible_published(self) -> list[str | None]:
        """Date candidates from the dateline, best first."""
        raise NotImplementedError

    def _visible_modified(self) -> list[str | None]:
        raise NotImplementedError
