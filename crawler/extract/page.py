"""What every field method reads, computed once per page.

``Page`` holds the parsed document, the ``<meta>`` tags by name/property, the
``<link rel>`` targets, the schema.org microdata of the article and its JSON-LD.
"""
from __future__ import annotations

import codecs
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Union

from lxml import etree
from parsel import Selector as ParselSelector
from scrapy.http import HtmlResponse, TextResponse, XmlResponse
from scrapy.utils.response import get_base_url

from crawler.extract.blocks import Element, element_text, xpath
from crawler.extract.bytesearch import contains
from crawler.extract.jsonld import json_ld_objects
from crawler.extract.selectors import PageSource, Selector
from crawler.normalize import clean_text

# A microdata property value: text, a nested item (author, publisher …), or
# the element whose text it is, until first asked for (``MicroItem.values``).
Value = Union[str, "MicroItem", Element]

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
        values = self.properties.get(name, [])
        for number, value in enumerate(values):
            if isinstance(value, MicroItem):
                value = next(iter(value.values(sub)), value.itemid or "")
            elif not isinstance(value, str):
                value = values[number] = element_text(value) or ""
            text = clean_text(value)
            if text:
                found.append(text)
        return found


def _property_value(element: Element) -> str | Element:
    """The value in the element's attribute, else the element, whose text is
    read only when asked for: the hidden articleBody's text took 150 µs a
    page on pages whose visible body is what the item gets."""
    tag = element.tag.lower() if isinstance(element.tag, str) else ""
    if tag == "meta":
        return element.get("content") or ""
    if tag in _URL_ATTRIBUTES:
        return element.get(_URL_ATTRIBUTES[tag]) or ""
    if tag in ("data", "meter"):
        return element.get("value") or ""
    if tag == "time" and element.get("datetime"):
        return element.get("datetime") or ""
    return element


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


# Elements with itemscope and itemtype, from the root element down. Reached
# through their itemscope attributes: libxml2 tests one attribute name per
# element that way, where [@itemscope] built a node-set for every element
# (152 against 213 µs a bench page). "//" would walk every node twice over.
_SCOPES = xpath("descendant-or-self::*/attribute::itemscope/parent::*[@itemtype]")
_HTML_LANG = xpath("/html/@lang")
# Where every valid AMP page loads the AMP runtime from.
_AMP_RUNTIME = "https://cdn.ampproject.org/"


@dataclass
class HeadTags:
    """The ``<meta content>``, ``<link rel href>`` and ``<script>`` elements of a
    page, gathered in one walk of the tree by tag name: lxml's ``iter`` does
    that walk in C, where three ``//tag[@attr]`` XPaths walked it three times
    (profiled: a tenth of extraction)."""

    metas: list[Element]
    links: list[Element]
    scripts: list[Element]

    @classmethod
    def of(cls, root: Element) -> HeadTags:
        tags: dict[str, list[Element]] = {"meta": [], "link": [], "script": []}
        for element in root.iter("meta", "link", "script"):
            tags[element.tag].append(element)
        return cls(
            metas=[meta for meta in tags["meta"] if meta.get("content") is not None],
            links=[link for link in tags["link"]
                   if link.get("rel") is not None and link.get("href") is not None],
            scripts=tags["script"],
        )


def _article_scope(root: Element) -> Element | None:
    for scope in _SCOPES(root):
        kind = (scope.get("itemtype") or "").rstrip("/").rsplit("/", 1)[-1].lower()
        if kind in _ARTICLE_TYPES and scope.get("itemprop") is None:
            return scope
    return None


def _metas(tags: HeadTags) -> dict[str, list[str]]:
    metas: defaultdict[str, list[str]] = defaultdict(list)
    for meta in tags.metas:
        # One tag may carry both name= and property= (og:title here does).
        name = (meta.get("name") or "").strip().lower()
        prop = (meta.get("property") or "").strip().lower()
        content = meta.get("content") or ""
        if name:
            metas[name].append(content)
        if prop and prop != name:
            metas[prop].append(content)
    return dict(metas)


def _links(tags: HeadTags) -> dict[str, list[str]]:
    links: defaultdict[str, list[str]] = defaultdict(list)
    for link in tags.links:
        for rel in (link.get("rel") or "").lower().split():
            links[rel].append(link.get("href") or "")
    return dict(links)


def parse_document(response: TextResponse) -> Element:
    """The response's document, parsed as Scrapy's ``response.selector`` parses it.

    Not through ``response.selector``: the Selector it caches on the response
    points back at the response (scrapy/scrapy#2977), so every page's tree
    outlived it until the garbage collector's next full pass, about every
    2,700 pages of a replay: over 20 MB of trees held for nothing. Parsed
    here, the tree goes when the Page and the response go.

    HTML is parsed into lxml's plain elements, not lxml.html's as parsel
    does: lxml.html picks each element's class with a Python callback, about
    a hundred calls a page, and extraction uses nothing but the etree API.
    The bytes handed to libxml2 and its options are parsel's, so the tree is
    the same (tests/test_extract.py compares them).
    """
    base_url = get_base_url(response)
    if not isinstance(response, HtmlResponse) or isinstance(response, XmlResponse):
        kind = "xml" if isinstance(response, XmlResponse) else None
        return ParselSelector(text=response.text, type=kind, base_url=base_url).root
    if _utf8_as_decoded(response):
        document = response.body.strip()
    else:
        document = response.text.strip().replace("\x00", "").encode("utf-8")
    parser = etree.HTMLParser(recover=True, encoding="utf-8", huge_tree=True)
    root = etree.fromstring(document or b"<html/>", parser=parser, base_url=base_url)
    if root is None:  # a document of comments or blanks only, as parsel does
        root = etree.fromstring(b"<html/>", parser=parser, base_url=base_url)
    return root


def _utf8_as_decoded(response: TextResponse) -> bool:
    """Whether the stripped body is the very bytes parsel makes of the decoded text.

    parsel strips the text, drops NUL characters and encodes it to UTF-8
    again: 0.1-0.2 ms a bench page. The body stripped is those bytes when
    it is UTF-8 decoded without a replacement (the text has no U+FFFD),
    holds no NUL and no BOM, and ends on both sides in ASCII that
    str.strip() and bytes.strip() agree is not whitespace (str.strip() also
    strips NBSP and the ASCII separators 0x1C-0x1F).
    """
    body = response.body
    if codecs.lookup(response.encoding).name != "utf-8" or contains(body, b"\x00"):
        return False
    ends = body.strip()
    return (bool(ends) and 0x20 <= ends[0] < 0x80 and 0x20 <= ends[-1] < 0x80
            and "\ufffd" not in response.text)


@dataclass
class Page:
    response: TextResponse
    root: Element
    metas: dict[str, list[str]]
    links: dict[str, list[str]]
    article: MicroItem
    tags: HeadTags
    # Layout containers, found once: choosing the layout and reading it both need them.
    _found: dict[etree.XPath, Element | None] = field(default_factory=dict, repr=False,
                                                      compare=False)

    @classmethod
    def from_response(cls, response: TextResponse) -> Page:
        root = parse_document(response)
        scope = _article_scope(root)
        article = read_item(scope) if scope is not None else MicroItem()
        tags = HeadTags.of(root)
        return cls(response, root, _metas(tags), _links(tags), article, tags)

    @cached_property
    def json_ld(self) -> list[dict[str, Any]]:
        """The page's JSON-LD objects (read on first use: most layouts need none)."""
        return json_ld_objects(self.tags.scripts)

    @cached_property
    def is_amp(self) -> bool:
        """``<html amp>`` or ``<html ⚡>``, or the AMP runtime loaded."""
        html = self.root if self.root.tag == "html" else None
        if html is not None and any(name in ("amp", "⚡") for name in html.attrib):
            return True
        return any((script.get("src") or "").startswith(_AMP_RUNTIME)
                   for script in self.tags.scripts)

    @cached_property
    def source(self) -> PageSource:
        return PageSource(self.response.body, self.response.encoding, self.root)

    def may_match(self, selector: etree.XPath | Selector) -> bool:
        """False when the page's source rules out any match (extract.selectors)."""
        return not isinstance(selector, Selector) or selector.may_match(self.source)

    def find(self, selector: etree.XPath | Selector | None,
             context: Element | None) -> list[Element]:
        """Every match under ``context``; none looked for where the page's
        source rules them out."""
        if selector is None or context is None or not self.may_match(selector):
            return []
        return selector(context)

    def first(self, selector: etree.XPath | Selector) -> Element | None:
        """The first match of ``selector`` in the document, looked up once per page.

        The walk stops at it (``Selector.first``): a layout's container is
        about halfway down a page."""
        if selector not in self._found:
            if isinstance(selector, Selector) and self.may_match(selector):
                found = selector.first(self.root)
            else:
                found = next(iter(self.find(selector, self.root)), None)
            self._found[selector] = found
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
