"""Selectors skip pages whose source rules out a match, and only those."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scrapy.http import HtmlResponse

from crawler.editions import SPUTNIK_FR
from crawler.extract import read_article
from crawler.extract.page import Page
from crawler.extract.selectors import PageSource, Selector

PAGES = Path(__file__).resolve().parents[1] / "samples" / "pages"
# Each kind of page and each layout whose selectors have something to skip.
SAMPLES = ["live-1095109728", "podcast-1072150321", "gallery-1056912345", "video-1058123456",
           "article-1015401831", "article-1054083153", "amp-1065524510"]


URL = "https://fr.sputniknews.com/20211227/1054083153.html"


def response(body: bytes, url: str = URL) -> HtmlResponse:
    return HtmlResponse(url=url, body=body, encoding="utf-8")


@pytest.mark.parametrize("css, source, expected", [
    (".article__body", '<div class="article__body">', True),
    (".article__body", '<div class="b-article__text">', False),
    ("div.article:has(.article__body, h1.article__title)", '<div class="article"><h1 class="article__title">', True),
    ("div.article:has(.article__body, h1.article__title)", '<div class="b-article b-article__text">', False),
    (".article__announce audio", '<div class="article__announce"><AUDIO src=a>', True),
    (".article__announce audio", '<div class="article__announce"><video>', False),
    ("[data-type=photolenta] img", '<div data-type="photolenta"><img>', True),
    ("[data-type=photolenta] img", '<div data-type="text"><img>', False),
    ("div:not(.boxed)", "<div>", True),  # what :not() excludes is never required
    ("[data-type!=banner]", "<div>", True),
    (":is(.article__body, .b-article__text)", '<div class="b-article__text">', True),
    ("p.lead", 'text <b class="lead">', True),  # the parser adds <p> of its own
    # Class names are looked for as a class attribute could hold them.
    (".video[data-src]", '<a href="/video/">x</a><img data-src=a.jpg>', False),
    (".video[data-src]", '<b class="x\tvideo" data-src=a>', True),
    (".video[data-src]", "<b class='video' data-src=a>", True),
    (".video[data-src]", "<b class=video data-src=a>", True),
    (".video", "<b class=videox>", False),
    (".video", '<b class="a&#32;video&#9;b">', True),  # whitespace by reference
    (".video", '<b class="videos a-video video_x">', False),
    (".video", "video", True),  # the whole body
])
def test_a_selector_needs_what_it_names(css: str, source: str, expected: bool) -> None:
    assert Selector(css).may_match(PageSource(source.encode(), "utf-8")) is expected


@pytest.mark.parametrize("source, expected", [
    ('<div class="article__announce"><AUDIO src=a>', True),
    ('<div class="article__announce"><aUdIo src=a>', True),
    ('<div class="article__announce"><script>var p = "<audio>";</script>', False),  # no element
    ('<div class="article__announce"><video>', False),
])
def test_tags_are_looked_for_in_the_tree_when_there_is_one(source: str, expected: bool) -> None:
    from lxml import etree

    body = source.encode()
    tree = PageSource(body, "utf-8", etree.fromstring(body, etree.HTMLParser()))
    assert Selector(".article__announce audio").may_match(tree) is expected


@pytest.mark.parametrize("source, exact", [
    ("<p>l&#39;OTAN &#x27;x&#x27; &amp; &nbsp; &#8212; &#0039;</p>", True),
    ('<div class="&#0097;rticle__body">', False),
    ('<div class="article&#X5f;_body">', False),
    ('<div class="&#97;rticle__body">', False),
    ('<div class="article&#x5F;_body">', False),
    ('<div class="article&#45;body">', False),
    ('<div class="article\x00__body">', False),
])
def test_names_hidden_by_references_or_nul_make_every_selector_run(source: str, exact: bool) -> None:
    page_source = PageSource(source.encode(), "utf-8")
    assert page_source.exact is exact
    assert Selector(".article__body").may_match(page_source) is (not exact or "article__body" in source)


def test_names_in_an_encoding_that_is_not_ascii_based_are_not_ruled_out() -> None:
    source = '<div class="b-article">'
    assert Selector(".article__body").may_match(PageSource(source.encode("utf-16"), "utf-16"))
    assert not Selector(".article__body").may_match(PageSource(source.encode("cp1251"), "cp1251"))
    assert Selector(".статья").may_match(PageSource(source.encode(), "utf-8"))


def test_a_page_in_utf16_reads_the_same_as_in_utf8() -> None:
    text = (PAGES / "article-1054083153.html").read_text("utf-8").replace('charset="utf-8"', "")
    utf8 = read_article(HtmlResponse(url=URL, body=text.encode("utf-8"), encoding="utf-8"),
                        SPUTNIK_FR)
    utf16 = read_article(HtmlResponse(url=URL, body=text.encode("utf-16"), encoding="utf-16"),
                         SPUTNIK_FR)
    assert utf16 == utf8


def _hide(body: bytes, spell) -> bytes:
    """Every class attribute's value respelled by ``spell``."""
    return re.sub(rb'class="([^"]*)"', lambda m: b'class="' + spell(m.group(1)) + b'"', body)


@pytest.mark.parametrize("name", SAMPLES)
@pytest.mark.parametrize("spell", [
    lambda value: b"".join(b"&#%d;" % byte if 97 <= byte <= 122 else bytes([byte]) for byte in value),
    lambda value: value.replace(b"__", b"_\x00_"),
], ids=["references", "nul"])
def test_pages_spelling_class_names_oddly_read_the_same(name: str, spell) -> None:
    body = (PAGES / f"{name}.html").read_bytes()
    plain = read_article(response(body), SPUTNIK_FR)
    odd = read_article(response(_hide(body, spell)), SPUTNIK_FR)
    assert odd == plain


@pytest.mark.parametrize("name", SAMPLES)
def test_skipping_changes_no_field(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    body = (PAGES / f"{name}.html").read_bytes()
    skipping = read_article(response(body), SPUTNIK_FR)
    monkeypatch.setattr(Page, "may_match", lambda self, selector: True)
    assert read_article(response(body), SPUTNIK_FR) == skipping


def test_an_ordinary_article_skips_the_parts_it_has_not() -> None:
    page = Page.from_response(response((PAGES / "article-1054083153.html").read_bytes()))
    from crawler.extract.layout_2021 import Layout2021

    assert page.may_match(Layout2021._BLOCKS)
    for part in (Layout2021._LIVE_ENTRIES, Layout2021._PHOTOS, Layout2021._PLAYER):
        assert not page.may_match(part), part


@pytest.mark.parametrize("code", range(0, 300))
def test_a_reference_makes_the_page_inexact_iff_it_spells_a_name_character(code: int) -> None:
    spells_name = re.fullmatch(r"[A-Za-z0-9_-]", chr(code)) is not None
    for reference in (f"&#{code};", f"&#00{code}", f"&#x{code:x};", f"&#X{code:04X}"):
        source = f'<div class="x{reference}y">'.encode()
        assert (not PageSource(source, "utf-8").exact) is spells_name, reference


def test_has_asking_for_one_match_and_first_select_what_parsels_translation_selects() -> None:
    from lxml import etree
    from parsel.csstranslator import HTMLTranslator

    from crawler.extract import LAYOUTS

    selectors = {value for layout in LAYOUTS for kind in layout.__mro__
                 for value in vars(kind).values() if isinstance(value, Selector)}
    selectors |= {Selector(css) for css in (
        "div:has(> p)", "div:has(p, span)", "section:has(div p)", "div:not(:has(span))")}
    pages = [*sorted(PAGES.glob("*.html")),
             Path(__file__).resolve().parents[2] / "shared/fixtures/sputnik_fr/article-1054083153.html"]
    nested = b"<html><body>" + b"<div><section><p>x</p><span>y</span></section></div>" * 3 + b"</body></html>"
    for body in [page.read_bytes() for page in pages if page.exists()] + [nested]:
        root = response(body).selector.root
        # Where extraction asks: the document, and parts of it of every depth.
        contexts = [root, *list(root.iter("div", "section", "article"))[::7]]
        for selector in selectors:
            plain = etree.XPath(HTMLTranslator().css_to_xpath(selector.expression))
            assert selector(root) == plain(root), selector
            for context in contexts:
                assert selector.first(context) is next(iter(plain(context)), None), selector


@settings(max_examples=500)
@example(b"&#&#65;")
@example(b"&#x&#x5f;")
@given(st.binary() | st.lists(st.sampled_from(
    [b"&", b"#", b"&#", b"x", b"X", b"0", b"4", b"5", b"9", b"1", b"2", b"6", b"a", b"F", b";", b" "]),
    max_size=20).map(b"".join))
def test_references_are_looked_for_where_the_pattern_would_find_them(body: bytes) -> None:
    from crawler.extract.selectors import _NAME_REFERENCE, _spells_a_name_by_reference

    assert _spells_a_name_by_reference(body) is (_NAME_REFERENCE.search(body) is not None)
