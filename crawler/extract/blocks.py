"""Shared parsing of page markup: compiled selectors, element text, paragraphs."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from lxml import etree

from crawler.extract.selectors import Selector
from crawler.normalize import clean_text

Element = Any  # lxml.html.HtmlElement; lxml ships no usable type stubs
Skip = Callable[[Element], bool]

# Never text a reader sees as part of the article.
SKIPPED_TAGS = frozenset({
    "script", "style", "noscript", "template", "iframe", "svg", "button",
    "figcaption", "form", "input", "select", "textarea", "video", "audio",
})
# Elements that start a new paragraph.
BLOCK_TAGS = frozenset({
    "p", "div", "section", "article", "aside", "header", "footer", "blockquote",
    "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd",
    "figure", "table", "tr", "pre", "hr",
})


def css(expression: str) -> Selector:
    """A CSS selector compiled once (use as class attribute); see extract.selectors."""
    return Selector(expression)


def xpath(expression: str) -> etree.XPath:
    return etree.XPath(expression)


def first(selector: etree.XPath | Selector, context: Element | None) -> Element | None:
    if context is None:
        return None
    found = selector(context)
    return found[0] if found else None


def has_any_class(element: Element, names: frozenset[str]) -> bool:
    """Whether one of ``names`` is among the element's classes. The attribute
    is read and split once: this runs on every element of an article's text."""
    classes = element.get("class")
    return bool(classes) and not names.isdisjoint(classes.split())


def _never(element: Element) -> bool:
    return False


def paragraphs(element: Element | None, skip: Skip = _never) -> list[str]:
    """The element's text as a reader sees it, split where the markup breaks
    lines (block elements, ``<br>``); links and inline markup kept as text.

    A loop with its own stack, not recursion: hostile pages nest elements
    thousands deep. Text is gathered straight into the paragraph it belongs
    to (this runs over every element of every article's text).
    """
    if element is None:
        return []
    result: list[str] = []
    current: list[str] = []

    def end_paragraph() -> None:
        if current:
            text = clean_text("".join(current))
            if text:
                result.append(text)
            current.clear()

    if element.text:
        current.append(element.text)
    # Each level: its children still to walk, whether it ends a paragraph, its tail.
    stack: list[tuple[Iterator[Element], bool, str | None]] = [(iter(element), False, None)]
    while stack:
        children, block, tail = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if block:
                end_paragraph()
            if tail:
                current.append(tail)
            continue
        tag = child.tag.lower() if isinstance(child.tag, str) else None
        if tag is not None and tag not in SKIPPED_TAGS and not skip(child):
            if tag != "br":
                block = tag in BLOCK_TAGS
                if block:
                    end_paragraph()
                if child.text:
                    current.append(child.text)
                stack.append((iter(child), block, child.tail))
                continue
            end_paragraph()
        if child.tail:  # comments and skipped elements still have a tail
            current.append(child.tail)
    end_paragraph()
    return result


def element_text(element: Element | None, skip: Skip = _never) -> str | None:
    """All the element's text on one line (titles, dates, microdata values)."""
    return clean_text(" ".join(paragraphs(element, skip))) if element is not None else None


def texts(elements: list[Element]) -> list[str]:
    """Text of every element, empty ones dropped (tags, author names)."""
    return [text for text in map(element_text, elements) if text]
