"""CSS selectors that know what a page's source must contain for them to match.

Every layout asks a page for a dozen parts (player, gallery, live entries,
main video …) that an ordinary article does not have, and lxml answers
"none" only after walking the whole article; on a page of the wrong era the
layout's container is looked for in vain too. Those walks were a third of
extraction (docs/benchmarks.md). A class, id or attribute value the
selector names can only be in the parsed tree if it is spelled out in the
source, so a substring test on the page's text rules most of them out first.

That holds unless the source spells such a name with character references
(``&#97;rticle``) or hides it behind NUL characters (the parser drops them):
``PageSource.exact`` is false for such a page, and every selector is then
evaluated. Tag names are compared lowercased, and the tags the HTML parser
adds on its own (``html``, ``head``, ``body``, ``p``) are never required.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from functools import cached_property
from typing import Any

import cssselect
from cssselect import parser as css_parser
from lxml import etree
from parsel.csstranslator import HTMLTranslator

_TRANSLATOR = HTMLTranslator()
# Added by libxml2's HTML parser where the source has none.
_IMPLIED_TAGS = frozenset({"html", "head", "body", "p"})
_NUMERIC_REFERENCE = re.compile(r"&#([xX][0-9a-fA-F]{1,8}|[0-9]{1,9})")
_NAME_CHARACTER = re.compile(r"[A-Za-z0-9_-]")
# Attribute tests whose value must be in the attribute as written ("!=" is not one).
_CONTAINING_OPERATORS = frozenset({"=", "~=", "|=", "^=", "$=", "*="})

# What a selector needs: a test of the page's source.
Need = Callable[["PageSource"], bool]


class PageSource:
    """The page's text, asked whether a name can be in its parsed tree."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.exact = "\x00" not in text and not _spells_names_with_references(text)

    @cached_property
    def lowered(self) -> str:
        return self.text.lower()

    def has(self, literal: str) -> bool:
        return not self.exact or literal in self.text

    def has_tag(self, name: str) -> bool:
        return not self.exact or name in _IMPLIED_TAGS or f"<{name}" in self.lowered


def _spells_names_with_references(text: str) -> bool:
    """Whether a numeric character reference stands for a letter, digit, ``_`` or ``-``."""
    for match in _NUMERIC_REFERENCE.finditer(text):
        number = match.group(1)
        code = int(number[1:], 16) if number[0] in "xX" else int(number)
        if code < 128 and _NAME_CHARACTER.match(chr(code)):
            return True
    return False


class Selector:
    """A CSS selector compiled once to an lxml XPath, callable like one, and
    ``need``: whether a page's source can hold a match at all."""

    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.xpath = etree.XPath(_TRANSLATOR.css_to_xpath(expression))
        self.need = _any([_need_of(selector.parsed_tree)
                          for selector in cssselect.parse(expression)])

    def __call__(self, context: Any) -> Any:
        return self.xpath(context)

    def __repr__(self) -> str:
        return f"Selector({self.expression!r})"

    def may_match(self, source: PageSource | None) -> bool:
        return source is None or self.need(source)


def _always(source: PageSource) -> bool:
    return True


def _all(needs: list[Need]) -> Need:
    needs = [need for need in needs if need is not _always]
    if not needs:
        return _always
    return lambda source: all(need(source) for need in needs)


def _any(needs: list[Need]) -> Need:
    if not needs or any(need is _always for need in needs):
        return _always
    return lambda source: any(need(source) for need in needs)


def _literal(text: str) -> Need:
    return lambda source: source.has(text)


def _tag(name: str) -> Need:
    return lambda source: source.has_tag(name)


def _need_of(node: Any) -> Need:
    """What the parsed selector ``node`` needs; anything not understood needs nothing."""
    if isinstance(node, css_parser.Element):
        name = (node.element or "*").lower()
        return _always if name == "*" or node.namespace else _tag(name)
    if isinstance(node, css_parser.Class):
        return _all([_need_of(node.selector), _literal(node.class_name)])
    if isinstance(node, css_parser.Hash):
        return _all([_need_of(node.selector), _literal(node.id)])
    if isinstance(node, css_parser.Attrib):
        value = getattr(node.value, "value", node.value)
        needed = value and node.operator in _CONTAINING_OPERATORS and not node.flag
        literal = _literal(value) if needed else _always
        return _all([_need_of(node.selector), literal])
    if isinstance(node, css_parser.CombinedSelector):
        return _all([_need_of(node.selector), _need_of(node.subselector)])
    if isinstance(node, css_parser.Relation):  # :has(a, b): one of them
        inner = _any([_need_of(selector.parsed_tree) for _, selector in node.arguments])
        return _all([_need_of(node.selector), inner])
    if isinstance(node, (css_parser.Matching, css_parser.SpecificityAdjustment)):
        return _all([_need_of(node.selector), _any([_need_of(s) for s in node.selector_list])])
    if isinstance(node, (css_parser.Negation, css_parser.Pseudo, css_parser.Function)):
        return _need_of(node.selector)  # what :not() excludes is not needed
    return _always
