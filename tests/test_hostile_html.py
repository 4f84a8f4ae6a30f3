"""Hostile and broken article pages: extraction and the spider's callback keep
going, count what they skip, and never let markup into a text field."""
from __future__ import annotations

import logging
import os

import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings as hyp_settings, strategies as st
from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.test import get_crawler

from crawler.editions import SPUTNIK_FR
from crawler.extract import NotAnArticle, extract_article
from crawler.normalize import normalize_fields
from crawler.spiders.sputnik_fr import SputnikFrSpider
from settings import base
from tests.crawl import run_crawl
from tests.site.faults import Chunked
from tests.site.server import SputnikSite
from tests.test_extract import TEXT_BLOCK, URL_2021, article_2021, with_microdata

PROJECT_SETTINGS = {name: getattr(base, name) for name in dir(base) if name.isupper()}
NESTED = "<div>" * 10_000 + "profond" + "</div>" * 10_000
HUGE = 50 * 1024 * 1024


def fields_of(body: bytes, **kwargs: object) -> dict:
    response = HtmlResponse(URL_2021, body=body, **{"encoding": "utf-8", **kwargs})  # type: ignore[arg-type]
    return normalize_fields(extract_article(response, SPUTNIK_FR), SPUTNIK_FR)


@pytest.fixture
def spider() -> SputnikFrSpider:
    crawler = get_crawler(SputnikFrSpider, PROJECT_SETTINGS)
    built = SputnikFrSpider.from_crawler(crawler, site="https://fr.sputniknews.com",
                                         since="2017-01-01")
    built.__dict__["store"] = None  # no engine here, so no state store either
    crawler.stats.open_spider()
    return built


# --- the spider's callback: one counter and one log line per skipped page ------


@pytest.mark.parametrize("body,reason", [
    (b"", "empty"),
    (bytes(range(256)) * 40, "unknown_layout"),
    (article_2021()[:200], "no_body"),
    (article_2021(title='<h1 class="article__title">' + "<b>" * 10_000 + "T" + "</b>" * 10_000
                  + "</h1>"), "no_title"),
    # Too deep for the parser to keep the layout; the generic layout finds no text.
    (with_microdata(article_2021(), '<span itemprop="headline">H</span>' + NESTED),
     "no_body"),
], ids=["empty", "binary-junk", "truncated-head", "nested-title", "nested-microdata"])
def test_hostile_page_is_skipped_with_a_counter_and_one_line(
        spider: SputnikFrSpider, body: bytes, reason: str, caplog: pytest.LogCaptureFixture) -> None:
    response = HtmlResponse(URL_2021, body=body, encoding="utf-8", request=Request(URL_2021))
    with caplog.at_level(logging.INFO, logger="crawler.spiders.platform"):
        assert list(spider.parse_article(response)) == []
    assert spider.crawler.stats.get_value(f"article/skipped/{reason}") == 1
    assert [r.getMessage() for r in caplog.records] == [f"Not an article ({reason}): {URL_2021}"]


def test_binary_response_is_not_html(spider: SputnikFrSpider, caplog: pytest.LogCaptureFixture) -> None:
    response = Response(URL_2021, body=b"\x00\x89PNG\r\n" * 100, request=Request(URL_2021))
    with caplog.at_level(logging.INFO, logger="crawler.spiders.platform"):
        assert list(spider.parse_article(response)) == []
    assert spider.crawler.stats.get_value("article/skipped/not_html") == 1
    assert len(caplog.records) == 1


# --- extraction: lenient on the page, exact in the fields ------------------------


def test_truncated_body_keeps_what_arrived() -> None:
    page = article_2021(blocks=TEXT_BLOCK.format("Premier paragraphe.") + TEXT_BLOCK.format("Second"))
    cut = page[:page.index(b"Second") + 3]
    fields = fields_of(cut)
    assert fields["title"] == "Un titre visible"
    assert fields["body"] == "Premier paragraphe.\n\nSec"


def test_ten_thousand_nested_divs_in_the_body_do_not_crash() -> None:
    fields = fields_of(article_2021(blocks=TEXT_BLOCK.format("Un paragraphe.") + NESTED))
    assert fields["title"] == "Un titre visible"
    assert fields["body"].startswith("Un paragraphe.")


def test_title_with_markup_becomes_plain_text() -> None:
    fields = fields_of(article_2021(title='<h1 class="article__title">A <b>bold</b> &lt;script&gt;'
                                          "alert(1)&lt;/script&gt;</h1>"))
    assert fields["title"] == "A bold <script>alert(1)</script>"


def test_zero_width_and_control_characters_are_dropped() -> None:
    title = '<h1 class="article__title">Un\u200b ti\u00adtre\x07\x1b vi\ufeffsible\u2060</h1>'
    body = TEXT_BLOCK.format("Pa\x00ra\u200bgraphe\x0b final.")
    fields = fields_of(article_2021(title=title, blocks=body))
    assert fields["title"] == "Un titre visible"
    assert fields["body"] == "Paragraphe final."


def test_broken_and_contradictory_microdata_and_json_ld() -> None:
    head = ('<script type="application/ld+json">{"@type": "NewsArticle", "headline": '
            '"Pas ce titre", </script><script type="application/ld+json">[[[</script>')
    page = with_microdata(article_2021(head=head), (
        '<meta itemprop="headline" content="">'  # empty: the next source counts
        '<meta itemprop="headline" content="Titre des microdonnées">'
        '<meta itemprop="headline" content="Un autre titre">'
        '<meta itemprop="datePublished" content="hier soir">'
        '<div itemprop="author" itemscope><span itemprop="name"></span></div>'
        '<span itemprop="author" itemscope itemtype="http://schema.org/Person">'))
    fields = fields_of(page)
    assert fields["title"] == "Titre des microdonnées"
    # The unreadable microdata date falls back to the dateline (data-unixtime).
    assert fields["published"] == "2021-07-05T10:00:00+02:00"


@pytest.mark.parametrize("meta_date,published", [
    ("2099-01-01T10:00:00+01:00", "2099-01-01T10:00:00+01:00"),  # the page's word, kept
    ("2021-02-30T10:00", "2021-07-05T10:00:00+02:00"),  # impossible: dateline instead
    ("2021-12-27T10:25", "2021-12-27T10:25:00+01:00"),  # no offset: Paris wall time
    ("2021-12-27T10:25+25:00", "2021-07-05T10:00:00+02:00"),  # impossible offset
    ("99999999999999999999", "2021-07-05T10:00:00+02:00"),  # epoch overflow
], ids=["future", "february-30", "no-offset", "offset-25h", "overflow"])
def test_odd_dates(meta_date: str, published: str) -> None:
    head = f'<meta property="article:published_time" content="{meta_date}">'
    assert fields_of(article_2021(head=head))["published"] == published


def test_page_lying_about_its_charset_is_still_read() -> None:
    # Declared UTF-8, sent in windows-1252: the bad bytes become U+FFFD, the rest is intact.
    page = article_2021(title='<h1 class="article__title">Un titre visible</h1>',
                        blocks=TEXT_BLOCK.format("Été")).replace("Été".encode(), "Été".encode("cp1252"))
    fields = fields_of(page, encoding=None, headers={"Content-Type": "text/html; charset=utf-8"})
    assert fields["title"] == "Un titre visible"
    assert fields["body"] == "\ufffdt\ufffd"


def test_meta_charset_is_used_when_the_header_has_none() -> None:
    page = article_2021(blocks=TEXT_BLOCK.format("Café crème")).replace(
        b'<meta charset="utf-8">', b'<meta charset="iso-8859-1">').replace(
        "Café crème".encode(), "Café crème".encode("latin-1"))
    fields = fields_of(page, encoding=None, headers={"Content-Type": "text/html"})
    assert fields["body"] == "Café crème"


HTMLISH = st.lists(st.one_of(
    st.sampled_from(["<div class=\"article__body\">", "<div class=\"article\">", "</div>",
                     "<h1 class=\"article__title\">", "</h1>", "<meta itemprop=\"headline\" content=\"",
                     "\" itemscope itemtype=\"http://schema.org/Article\">", "<script>", "&lt;",
                     "<div class=\"article__block\" data-type=\"text\">", "<br>", "<!--", "<![CDATA[",
                     "<time datetime=\"", "\">", "\x00", "\u200b", "<html>", "<?xml ", "<b>"]),
    st.text(max_size=20)), max_size=40).map("".join)


@hyp_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=HTMLISH)
def test_random_htmlish_never_raises_anything_but_not_an_article(text: str) -> None:
    response = HtmlResponse(URL_2021, body=text.encode("utf-8", "surrogatepass"), encoding="utf-8")
    try:
        fields = extract_article(response, SPUTNIK_FR)
    except NotAnArticle as e:
        assert e.reason in {"empty", "unknown_layout", "no_title", "no_body", "not_html"}
        return
    assert fields["title"] and fields["body"]
    assert fields["title"] == " ".join(fields["title"].split())  # one clean line


# Inline markup only: a reader sees its text run on, so the title is exactly
# the h1's text content as lxml reads it. The markup's own spellings cannot
# be formed from the text and entities around it (no "/", "!", "=" or quotes).
INLINE_TAGS = ["b", "i", "em", "strong", "span", "small", "sup", "mark", "q"]
TITLE_TEXT = st.text(alphabet="abcXYZ019 éàç\t\n", max_size=8)
TITLE_LEAF = st.one_of(TITLE_TEXT, st.sampled_from(
    ["&lt;", "&gt;", "&#60;", "&#x3E;", "&nbsp;", "<!-- cache -->", '<img alt="illustration">']))
TITLE_MARKUP = st.recursive(TITLE_LEAF, lambda inner: st.tuples(
    st.sampled_from(INLINE_TAGS), st.lists(inner, max_size=4).map("".join)).map(
    lambda tag_inner: f'<{tag_inner[0]} class="markup">{tag_inner[1]}</{tag_inner[0]}>'), max_leaves=12)


@hyp_settings(max_examples=150, deadline=None)
@given(inner=st.lists(TITLE_MARKUP, max_size=5).map("".join))
def test_title_is_the_text_of_the_h1_without_its_markup(inner: str) -> None:
    body = article_2021(title=f'<h1 class="article__title">{inner}</h1>')
    (h1,) = lxml.html.fromstring(body).cssselect("h1.article__title")
    expected = " ".join(h1.text_content().split())
    if not expected:
        with pytest.raises(NotAnArticle) as caught:
            extract_article(HtmlResponse(URL_2021, body=body, encoding="utf-8"), SPUTNIK_FR)
        assert caught.value.reason == "no_title"
        return
    title = fields_of(body)["title"]
    assert title == expected
    for markup in ('class="markup"', "<!--", "cache", "illustration",
                   *(f"</{tag}>" for tag in INLINE_TAGS)):
        assert markup not in title


# --- end to end: the crawl goes on around hostile pages ---------------------------


@pytest.fixture(scope="module")
def hostile_crawl(tmp_path_factory: pytest.TempPathFactory) -> tuple[SputnikSite, object]:
    site = SputnikSite(fresh=1)
    good = site.sample_paths[:2]
    hostile = {
        "/20211227/page-vide-1054100101.html": b"",
        "/20211227/page-binaire-1054100102.html": os.urandom(4096),
        "/20211227/page-geante-1054100103.html": b"<html>" + b"x" * HUGE,
        "/20211227/page-geante-chunked-1054100104.html": b"<html>" + b"y" * HUGE,
        "/20211227/page-profonde-1054100105.html": article_2021(blocks=NESTED),
    }
    for path, body in hostile.items():
        site.serve(path, body)
    site.serve("/20211227/page-binaire-1054100102.html", hostile["/20211227/page-binaire-1054100102.html"],
               content_type="application/octet-stream")
    site.add_fault("/20211227/page-geante-chunked-1054100104.html", Chunked(chunk_size=1 << 20))
    with site:
        urls = ",".join(site.url + path for path in [*good, *hostile])
        result = run_crawl(tmp_path_factory.mktemp("hostile"), args={
            "site": site.url, "urls": urls}, settings={
            "AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "RETRY_TIMES": "0",
            "CONCURRENT_REQUESTS_PER_DOMAIN": "8"})
    return site, result


def test_good_articles_survive_hostile_neighbours(hostile_crawl) -> None:
    site, result = hostile_crawl
    assert result.returncode == 0, result.log[-3000:]
    assert result.stats["finish_reason"] == "finished"
    assert sorted(i["article_id"] for i in result.items) == sorted(
        site.article(path).article_id for path in site.sample_paths[:2])
    assert result.stats["article/skipped/empty"] == 1
    # Binary junk: Scrapy takes the .html URL's word for the type; no layout in it.
    assert result.stats["article/skipped/unknown_layout"] == 1
    assert result.stats["article/skipped/no_body"] == 1  # the 10,000 nested divs


def test_download_maxsize_stops_the_50_mb_pages_with_a_logged_reason(hostile_crawl) -> None:
    _, result = hostile_crawl
    assert result.stats["article/failed/DownloadCancelledError"] == 2
    assert result.stats["downloader/exception_type_count/scrapy.exceptions.DownloadCancelledError"] == 2
    # Scrapy names the limit: from Content-Length before reading, or once the chunks pass it.
    warnings = [line for line in result.log_lines("WARNING") if "download max size (8388608)" in line]
    assert len(warnings) == 2
    assert "Expected to receive 52428806 bytes" in warnings[0] + warnings[1]
    assert result.stats["downloader/response_bytes"] < 8388608
