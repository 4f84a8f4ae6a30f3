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


class _Break:
    """Marks a paragraph boundary while walking (never confused with text)."""


_BREAK = _Break()


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


def has_class(element: Element, name: str) -> bool:
    return name in (element.get("class") or "").split()


def _never(element: Element) -> bool:
    return False


def _inside(node: Element, skip: Skip, block: bool = False) -> Iterator[str | _Break]:
    """Text and breaks under ``node`` in document order. A loop with its own
    stack, not recursion: hostile pages nest elements thousands deep."""
    if block:
        yield _BREAK
    if node.text:
        yield node.text
    # Each level: its children still to walk, and what follows them (break, tail).
    stack: list[tuple[Iterator[Element], tuple[str | _Break, ...]]] = [(iter(node), ())]
    while stack:
        children, after = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            yield from after
            continue
        tag = child.tag.lower() if isinstance(child.tag, str) else None
        if tag is not None and tag not in SKIPPED_TAGS and not skip(child):
            if tag != "br":
                inner = (_BREAK,) if tag in BLOCK_TAGS else ()
                yield from inner
                if child.text:
                    yield child.text
                stack.append((iter(child), inner + ((child.tail,) if child.tail else ())))
                continue
            yield _BREAK
        if child.tail:  # comments and skipped elements still have a tail
            yield child.tail
    if block:
        yield _BREAK


def paragraphs(element: Element | None, skip: Skip = _never) -> list[str]:
    """The element's text as a reader sees it, split where the markup breaks
    lines (block elements, ``<br>``); links and inline markup kept as text."""
    if element is None:
        return []
    result: list[str] = []
    current: list[str] = []
    for piece in (*_inside(element, skip), _BREAK):
        if isinstance(piece, _Break):
            text = clean_text("".join(current))
            if text:
                result.append(text)
            current = []
        else:
            current.append(piece)
    return result


def element_text(element: Element | None, skip: Skip = _never) -> str | None:
    """All the element's text on one line (titles, dates, microdata values)."""
    return clean_text(" ".join(paragraphs(element, skip))) if element is not None else None


def texts(elements: list[Element]) -> list[str]:
    """Text of every element, empty ones dropped (tags, author names)."""
    return [text for text in map(element_text, elements) if text]
