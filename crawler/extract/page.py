"""What every field method reads, computed once per page.

``Page`` holds the parsed document, the ``<meta>`` tags by name/property, the
``<link rel>`` targets, the schema.org microdata of the article and its JSON-LD.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Union

from scrapy.http import TextResponse

from lxml import etree

from crawler.extract.blocks import Element, element_text, first, xpath
from crawler.extract.jsonld import json_ld_objects
from crawler.normalize import clean_text

# A microdata property value: text, or a nested item (author, publisher …).
Value = Union[str, "MicroItem"]

_ARTICLE_TYPES = ("article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle",
                  "opinionnewsarticle", "blogposting")
# Where the value of an itemprop element lives (WHATWG microdata, "property value").
_URL_ATTRIBUTES = {"a": "href", "area": "href", "link": "href", "img": "src", "audio": "src",
                   "embed": "src", "iframe": "src", "source": "src", "video": "src",
                   "track": "src", "object": "data"}


@dataclass
class MicroItem:
    """One microdata item: property name → values, in document order."""

    properties: dict[str, list[Value]] = field(default_factory=dict)
    itemid: str | None = None

    def values(self, name: str, sub: str = "name") -> list[str]:
        """Text values of ``name``; a nested item gives its ``sub`` property."""
        found: list[str] = []
        for value in self.properties.get(name, []):
            if isinstance(value, MicroItem):
                value = next(iter(value.values(sub)), value.itemid or "")
            text = clean_text(value)
            if text:
                found.append(text)
        return found


def _property_value(element: Element) -> str:
    tag = element.tag.lower() if isinstance(element.tag, str) else ""
    if tag == "meta":
        return element.get("content") or ""
    if tag in _URL_ATTRIBUTES:
        return element.get(_URL_ATTRIBUTES[tag]) or ""
    if tag in ("data", "meter"):
        return element.get("value") or ""
    if tag == "time" and element.get("datetime"):
        return element.get("datetime") or ""
    return element_text(element) or ""


def _collect(element: Element, item: MicroItem) -> None:
    """Add the itemprops under ``element`` that belong to ``item``, in document
    order. A loop, not recursion: hostile pages nest elements thousands deep."""
    stack = [iter(element)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            continue
        if not isinstance(child.tag, str):
            continue
        names = (child.get("itemprop") or "").split()
        nested = child.get("itemscope") is not None
        if names:
            value: Value = read_item(child) if nested else _property_value(child)
            for name in names:
                item.properties.setdefault(name, []).append(value)
        if not nested:  # a nested item's own properties are not ours
            stack.append(iter(child))


def read_item(scope: Element) -> MicroItem:
    item = MicroItem(itemid=scope.get("itemid"))
    _collect(scope, item)
    return item


_SCOPES = xpath("//*[@itemscope][@itemtype]")
_METAS = xpath("//meta[@content]")
_LINKS = xpath("//link[@rel][@href]")
_HTML_LANG = xpath("/html/@lang")


def _article_scope(root: Element) -> Element | None:
    for scope in _SCOPES(root):
        kind = (scope.get("itemtype") or "").rstrip("/").rsplit("/", 1)[-1].lower()
        if kind in _ARTICLE_TYPES and scope.get("itemprop") is None:
            return scope
    return None


def _metas(root: Element) -> dict[str, list[str]]:
    metas: defaultdict[str, list[str]] = defaultdict(list)
    for meta in _METAS(root):
        # One tag may carry both name= and property= (og:title here does).
        keys = {(meta.get(attr) or "").strip().lower() for attr in ("name", "property")}
        for key in keys - {""}:
            metas[key].append(meta.get("content") or "")
    return dict(metas)


def _links(root: Element) -> dict[str, list[str]]:
    links: defaultdict[str, list[str]] = defaultdict(list)
    for link in _LINKS(root):
        for rel in (link.get("rel") or "").lower().split():
            links[rel].append(link.get("href") or "")
    return dict(links)


@dataclass
class Page:
    response: TextResponse
    root: Element
    metas: dict[str, list[str]]
    links: dict[str, list[str]]
    article: MicroItem
    # Layout containers, found once: choosing the layout and reading it both need them.
    _found: dict[etree.XPath, Element | None] = field(default_factory=dict, repr=False,
                                                      compare=False)

    @classmethod
    def from_response(cls, response: TextResponse) -> Page:
        root = response.selector.root
        scope = _article_scope(root)
        article = read_item(scope) if scope is not None else MicroItem()
        return cls(response, root, _metas(root), _links(root), article)

    @cached_property
    def json_ld(self) -> list[dict[str, Any]]:
        """The page's JSON-LD objects (read on first use: most layouts need none)."""
        return json_ld_objects(self.root)

    def first(self, selector: etree.XPath) -> Element | None:
        """The first match of ``selector`` in the document, looked up once per page."""
        if selector not in self._found:
            self._found[selector] = first(selector, self.root)
        return self._found[selector]

    def meta(self, key: str) -> str | None:
        """First non-empty ``<meta name|property=key>`` content, cleaned."""
        return next(iter(self.meta_all(key)), None)

    def meta_all(self, key: str) -> list[str]:
        return [text for text in map(clean_text, self.metas.get(key.lower(), [])) if text]

    def link(self, rel: str) -> str | None:
        hrefs = [href.strip() for href in self.links.get(rel.lower(), []) if href.strip()]
        return self.response.urljoin(hrefs[0]) if hrefs else None

    def microdata(self, name: str, sub: str = "name") -> str | None:
        """First value of the article's itemprop ``name`` (see MicroItem.values)."""
        return next(iter(self.article.values(name, sub)), None)

    def microdata_all(self, name: str, sub: str = "name") -> list[str]:
        return self.article.values(name, sub)

    def html_lang(self) -> str | None:
        return clean_text(next(iter(_HTML_LANG(self.root)), None))

    def absolute(self, url: str | None) -> str | None:
        """A URL from the page, resolved against the page's address."""
        return self.response.urljoin(url.strip()) if url and url.strip() else None
