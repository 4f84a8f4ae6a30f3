"""CSS selectors that know what a page's source must contain for them to match.

Every layout asks a page for a dozen parts (player, gallery, live entries,
main video …) that an ordinary article does not have, and lxml answers
"none" only after walking the whole article; on a page of the wrong era the
layout's container is looked for in vain too. Those walks were a third of
extraction (docs/benchmarks.md). A class, id or attribute value the
selector names can only be in the parsed tree if it is spelled out in the
source, so a substring test on the page's raw body rules most of them out
first (bytes: a search of the decoded text was slower than the walks it saved).
A class name must be found as a class attribute could hold it, between
separators, not as a word of a URL or of the text (``_has_token``).

That holds unless the source spells such a name with character references
(``&#97;rticle``), hides it behind NUL characters (the parser drops them), or
is in an encoding that does not write ASCII as ASCII (UTF-16): then
``PageSource.exact`` is false, and every selector is evaluated. Names outside
ASCII are never ruled out. Tag names are looked for among the parsed tree's
elements when the page has one (else in the lowercased body), and the tags
the HTML parser adds on its own (``html``, ``head``, ``body``, ``p``) are
never required.
"""
from __future__ import annotations

import re
from functools import cache, cached_property
from typing import Any

import cssselect
from cssselect import parser as css_parser
from lxml import etree
from parsel.csstranslator import HTMLTranslator

from crawler.extract.bytesearch import contains


class _FirstMatchTranslator(HTMLTranslator):
    """parsel's translator, with ``:has()`` asking for one match, not all.

    ``:has(x)`` is a test that a match exists; written ``descendant::x[1]``,
    libxml2 stops at the first one instead of collecting every match under
    each candidate (the layout containers, ``div.article:has(…)``, were the
    dearest lookups of a page). The same elements match either way."""

    def xpath_relation_descendant_combinator(self, right: Any) -> str:
        return f"{super().xpath_relation_descendant_combinator(right)}[1]"

    def xpath_relation_child_combinator(self, right: Any) -> str:
        return f"{super().xpath_relation_child_combinator(right)}[1]"


_TRANSLATOR = _FirstMatchTranslator()
# Added by libxml2's HTML parser where the source has none.
_IMPLIED_TAGS = frozenset({"html", "head", "body", "p"})
# A numeric character reference to a letter, digit, "_" or "-" (leading zeros allowed).
_NAME_REFERENCE = re.compile(
    rb"&#0*(?:45|4[89]|5[0-7]|6[5-9]|[78][0-9]|9[05789]|1[01][0-9]|12[0-2])(?![0-9])"
    rb"|&#[xX]0*(?:2[dD]|3[0-9]|4[1-9a-fA-F]|5[0-9aAfF]|6[1-9a-fA-F]|7[0-9aA])(?![0-9a-fA-F])"
)
# Every character a name can be spelled with, and "<": an encoding that writes
# them as these very bytes (UTF-8 and every other ASCII-based one) lets
# PageSource search the raw body, bytes being much quicker to search than text.
_NAME_PROBE = "<ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
_ATTRIBUTE_OPERATORS = frozenset({"=", "~=", "|=", "^=", "$=", "*="})


class PageSource:
    """The page's raw body, asked whether a name can be in its parsed tree.

    Given the tree itself (``root``), tags are looked for in it: lxml walks
    it by tag name in C, where the body had to be lowercased whole first
    (50 KB, 0.3 M instructions a page) for the case-blind search.
    """

    def __init__(self, body: bytes, encoding: str, root: Any = None) -> None:
        self.body = body
        self.root = root
        self._found: dict[str, bool] = {}
        self.exact = (_writes_names_as_ascii(encoding) and b"\x00" not in body
                      and not _spells_a_name_by_reference(body))

    @cached_property
    def lowered(self) -> bytes:
        return self.body.lower()

    def has(self, name: str) -> bool:
        """Whether the ASCII ``name`` (a tag as ``<tag``, a class as ``.class``)
        may be in the page."""
        if not self.exact:
            return True
        found = self._found.get(name)
        if found is None:  # selectors share names: search the body once for each
            if name.startswith("."):
                found = _has_token(self.body, name[1:].encode("ascii"))
            elif name.startswith("<") and self.root is not None:
                found = next(self.root.iter(name[1:]), None) is not None
            else:
                text = self.lowered if name.startswith("<") else self.body
                found = contains(text, name.encode("ascii"))
            self._found[name] = found
        return found


# What may stand either side of a class name in a class attribute's source:
# the whitespace that separates tokens, the quotes or "=" around the value,
# and the ";" or "&" of a character reference that spells whitespace. A
# superset: "/" and ">" end an unquoted value, "\f" is no separator at all.
_BEFORE_TOKEN = frozenset(b" \t\n\r\f\"'=;")
_AFTER_TOKEN = frozenset(b" \t\n\r\f\"'&/>")


def _has_token(body: bytes, name: bytes) -> bool:
    """Whether ``name`` is in ``body`` as a class attribute could hold it.

    A class name is also a word of URLs and text ("video" in ``/video/``
    menus); found only as such, the selector's walk (100 µs for the main
    video of a 2021 page) is skipped."""
    if not contains(body, name):
        return False
    start = body.find(name)
    while start != -1:
        end = start + len(name)
        if ((start == 0 or body[start - 1] in _BEFORE_TOKEN)
                and (end == len(body) or body[end] in _AFTER_TOKEN)):
            return True
        start = body.find(name, start + 1)
    return False


def _spells_a_name_by_reference(body: bytes) -> bool:
    """Whether ``_NAME_REFERENCE`` is found in ``body``.

    Tried only where "&#" is: the C search for it runs over the body several
    times quicker than the pattern's own scan, which stops at every "&"."""
    at = body.find(b"&#")
    while at != -1:
        if _NAME_REFERENCE.match(body, at):
            return True
        at = body.find(b"&#", at + 2)
    return False


@cache  # one answer per encoding, asked once per page
def _writes_names_as_ascii(encoding: str) -> bool:
    try:
        return _NAME_PROBE.encode(encoding) == _NAME_PROBE.encode("ascii")
    except (LookupError, UnicodeError):
        return False


class Selector:
    """A CSS selector compiled once to an lxml XPath, callable like one, that
    knows whether a page's source can hold a match at all."""

    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.xpath = etree.XPath(_TRANSLATOR.css_to_xpath(expression))
        # Ways to match, each a set of names the source must spell (all of them).
        self.needs = _any([_needs_of(selector.parsed_tree)
                           for selector in cssselect.parse(expression)])

    def __call__(self, context: Any) -> Any:
        return self.xpath(context)

    @cached_property
    def _first_xpath(self) -> etree.XPath:
        # libxml2 stops walking at the first match of "(path)[1]": a layout's
        # container is found a fifth to a quarter quicker than by taking the
        # first of every match.
        return etree.XPath(f"({self.xpath.path})[1]")

    def first(self, context: Any) -> Any:
        """The first match under ``context`` in document order, or None."""
        found = self._first_xpath(context)
        return found[0] if found else None

    def __repr__(self) -> str:
        return f"Selector({self.expression!r})"

    def may_match(self, source: PageSource | None) -> bool:
        return source is None or any(all(map(source.has, names)) for names in self.needs)


# A selector's needs: the sets of names of which one must be all in the source.
# Tag names are written "<tag". Kept short: the selectors are a few parts each.
Needs = frozenset[frozenset[str]]
ALWAYS: Needs = frozenset({frozenset()})


def _all(parts: list[Needs]) -> Needs:
    combined: set[frozenset[str]] = {frozenset()}
    for needs in parts:
        combined = {names | more for names in combined for more in needs}
    return ALWAYS if frozenset() in combined else frozenset(combined)


def _any(parts: list[Needs]) -> Needs:
    union = frozenset().union(*parts) if parts else ALWAYS
    return ALWAYS if frozenset() in union else union


def _name(literal: str, prefix: str = "") -> Needs:
    # A name outside ASCII may be spelled by references PageSource does not
    # look for: it is never required.
    if not literal or not literal.isascii():
        return ALWAYS
    return frozenset({frozenset({prefix + literal})})


def _needs_of(node: Any) -> Needs:
    """What the parsed selector ``node`` needs; anything not understood needs nothing."""
    if isinstance(node, css_parser.Element):
        tag = (node.element or "*").lower()
        unsure = tag == "*" or node.namespace or tag in _IMPLIED_TAGS
        return ALWAYS if unsure else _name(f"<{tag}")
    if isinstance(node, css_parser.Class):
        return _all([_needs_of(node.selector), _name(node.class_name, prefix=".")])
    if isinstance(node, css_parser.Hash):
        return _all([_needs_of(node.selector), _name(node.id)])
    if isinstance(node, css_parser.Attrib):
        value = getattr(node.value, "value", node.value)
        needed = value and node.operator in _ATTRIBUTE_OPERATORS and not node.flag
        return _all([_needs_of(node.selector), _name(value) if needed else ALWAYS])
    if isinstance(node, css_parser.CombinedSelector):
        return _all([_needs_of(node.selector), _needs_of(node.subselector)])
    if isinstance(node, css_parser.Relation):  # :has(a, b): one of them
        inner = _any([_needs_of(selector.parsed_tree) for _, selector in node.arguments])
        return _all([_needs_of(node.selector), inner])
    if isinstance(node, (css_parser.Matching, css_parser.SpecificityAdjustment)):
        inner = _any([_needs_of(selector) for selector in node.selector_list])
        return _all([_needs_of(node.selector), inner])
    if isinstance(node, (css_parser.Negation, css_parser.Pseudo, css_parser.Function)):
        return _needs_of(node.selector)  # what :not() excludes is not needed
    return ALWAYS
