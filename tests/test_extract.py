"""Extraction of article fields from sample pages of both platform layouts."""
from __future__ import annotations

import codecs
import gc
import json
import weakref
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from scrapy.http import HtmlResponse, TextResponse, XmlResponse

from crawler.editions import SPUTNIK_FR
from scripts.regen_expected import edition_for
from crawler.extract import NotAnArticle, choose_layout, extract_article, read_article
from crawler.extract.page import Page, parse_document
from crawler.normalize import ARTICLE_FIELDS, normalize_fields

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "samples" / "pages"
SHARED = ROOT.parent / "shared" / "fixtures" / "sputnik_fr"
FIXTURE = "article-1054083153"
FR = "https://fr.sputniknews.com"


def response_for(url: str, body: bytes, **kwargs: Any) -> HtmlResponse:
    kwargs.setdefault("encoding", "utf-8")
    return HtmlResponse(url=url, body=body, **kwargs)


def extracted(response: TextResponse) -> dict[str, Any]:
    return normalize_fields(extract_article(response, SPUTNIK_FR), SPUTNIK_FR)


def expected_path(stem: str) -> Path:
    # The shared fixture's expected values are authoritative; the copy in
    # samples/pages stands in when the shared directory is not there.
    shared = SHARED / f"{stem}.expected.json"
    return shared if shared.exists() else PAGES / f"{stem}.expected.json"


def assert_fields(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    for name, value in expected.items():
        assert actual[name] == value, f"field {name!r}"


SAMPLES = sorted(PAGES.glob("*.html"))


def test_samples_are_there() -> None:
    layouts = {choose_layout(Page.from_response(response_for(FR + "/", p.read_bytes()))).NAME
               for p in SAMPLES}
    kinds = {json.loads(expected_path(p.stem).read_text(encoding="utf-8")).get("kind")
             for p in SAMPLES}
    assert len(SAMPLES) >= 16
    assert layouts == {"2014", "2016", "2021", "amp", "generic"}
    assert {"article", "live", "podcast", "gallery", "video", "post"} <= kinds


@pytest.mark.parametrize("page", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_sample_page(page: Path) -> None:
    expected = json.loads(expected_path(page.stem).read_text(encoding="utf-8"))
    # Fetched with a tracking query: the page's canonical link must win.
    response = response_for(expected["url"] + "?utm_source=rss#comments", page.read_bytes())
    edition = edition_for(expected["url"])
    article = read_article(response, edition)
    fields = article.fields
    assert tuple(fields) == ARTICLE_FIELDS
    normalized = normalize_fields(fields, edition)
    source = expected.pop("source", None)
    assert_fields(normalized, expected)
    if source is not None:  # the shared fixture predates source.layout
        assert article.layout == source["layout"]
    assert normalize_fields(normalized, edition) == normalized


def test_shared_fixture() -> None:
    expected_file = SHARED / f"{FIXTURE}.expected.json"
    if not expected_file.exists():
        pytest.skip(f"shared fixture not mounted at {SHARED}")
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    response = response_for(expected["url"], (SHARED / f"{FIXTURE}.html").read_bytes())
    fields = extracted(response)
    assert_fields(fields, expected)
    assert fields["article_id"] == "1054083153"
    assert fields["site"] == "fr.sputniknews.com"


def test_sample_copy_of_fixture_is_unchanged() -> None:
    if not SHARED.exists():
        pytest.skip(f"shared fixture not mounted at {SHARED}")
    for suffix in (".html", ".expected.json"):
        name = FIXTURE + suffix
        assert (PAGES / name).read_bytes() == (SHARED / name).read_bytes()


# --- pages that are not articles ------------------------------------------------

LISTING = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">
<title>International - Sputnik France</title>
<meta property="og:title" content="International"></head>
<body><div class="layout-rubric"><h1 class="rubric__title">International</h1>
<div class="list"><div class="list__item"><a class="list__title" href="/20211227/a-1054083153.html">Lavrov précise</a>
<div class="list__date" data-unixtime="1640597100">10:25</div></div></div></div></body></html>"""

ARTICLE_2021 = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">{head}</head><body>
<div class="article " data-id="1054100001">
<div class="article__header">{title}
<div class="article__info"><div class="article__info-date">{dateline}</div>{authors}</div>
<div class="article__announce"><div class="media"><img src="/img/1054100000.jpg" alt=""></div></div>
<div class="article__announce-text">Le texte d’annonce, plus court que la description.</div>
</div>
<div class="article__body">{blocks}</div>
<div class="article__footer"><ul class="tags">{tags}</ul></div>
</div></body></html>"""

TEXT_BLOCK = '<div class="article__block" data-type="text"><div class="article__text">{}</div></div>'
ADS_ONLY = (
    '<div class="article__block" data-type="banner"><div class="banner"><span>Publicité</span></div></div>'
    '<div class="article__block" data-type="article"><a href="/20211226/x-1054077000.html">Lire aussi</a></div>'
)


def article_2021(**parts: str) -> bytes:
    defaults = {
        "head": "",
        "title": '<h1 class="article__title">Un titre visible</h1>',
        "dateline": '<a href="/20210705/" data-unixtime="1625472000">10:00 05.07.2021</a>',
        "authors": "",
        "blocks": TEXT_BLOCK.format("Un premier paragraphe."),
        "tags": "",
    }
    return ARTICLE_2021.format(**{**defaults, **parts}).encode("utf-8")


def with_microdata(body: bytes, properties: str) -> bytes:
    """The page with a hidden div.article__meta block before its header."""
    block = ('<div class="article__meta" itemscope itemtype="http://schema.org/Article">'
             f"{properties}</div>")
    header = b'<div class="article__header">'
    return body.replace(header, block.encode() + header)


URL_2021 = f"{FR}/20210705/un-titre-visible-1054100001.html"


@pytest.mark.parametrize("body,reason", [
    (LISTING.encode(), "unknown_layout"),
    (b"", "empty"),
    (b"  \n", "empty"),
    (article_2021(blocks=ADS_ONLY), "no_body"),
    (article_2021(blocks=""), "no_body"),
    (article_2021(title=""), "no_title"),
    ('<html><body><div class="b-article"><div class="b-article__header-title"><h1>Titre</h1></div>'
     '<div class="b-article__text"><div class="b-inject">Lire aussi</div></div></div></body></html>'
     .encode(), "no_body"),
], ids=["listing", "empty", "blank", "ads-only", "no-blocks", "no-title", "2016-no-body"])
def test_not_an_article(body: bytes, reason: str) -> None:
    with pytest.raises(NotAnArticle) as caught:
        extract_article(response_for(URL_2021, body), SPUTNIK_FR)
    assert caught.value.reason == reason


@pytest.mark.parametrize("response", [
    TextResponse(url=f"{FR}/api/article.json", body=b'{"id": 1}', encoding="utf-8"),
    XmlResponse(url=f"{FR}/export/rss2/archive/index.xml", body=b"<rss><channel/></rss>",
                encoding="utf-8"),
], ids=["json", "rss"])
def test_not_html(response: TextResponse) -> None:
    with pytest.raises(NotAnArticle) as caught:
        extract_article(response, SPUTNIK_FR)
    assert caught.value.reason == "not_html"


# --- the 2021 layout without microdata nor head tags ----------------------------


def test_2021_layout_from_visible_markup_only() -> None:
    body = article_2021(
        authors='<div class="article__author"><a class="article__author-name">Léa Martin</a>'
                '<a class="article__author-name">Paul Roux</a></div>',
        dateline='<a href="/20210705/" data-unixtime="1625472000">10:00 05.07.2021</a>'
                 '<span class="article__info-date-modified" data-unixtime="1625479200">'
                 ' (mis à jour: 12:00 05.07.2021)</span>',
        blocks=TEXT_BLOCK.format("Premier paragraphe.") + ADS_ONLY
        + '<div class="article__block" data-type="h2"><h2>Un intertitre</h2></div>'
        + '<div class="article__block" data-type="quote"><div class="article__quote-text">'
          '«&nbsp;Une citation&nbsp;»</div></div>',
        tags='<li class="tag"><a>Otan</a></li><li class="tag"><a>otan</a></li><li class="tag"><a>ukraine</a></li>',
    )
    fields = extracted(response_for(URL_2021, body))
    assert fields["title"] == "Un titre visible"
    assert fields["description"] == "Le texte d’annonce, plus court que la description."
    assert fields["published"] == "2021-07-05T10:00:00+02:00"
    assert fields["modified"] == "2021-07-05T12:00:00+02:00"
    assert fields["authors"] == ["Léa Martin", "Paul Roux"]
    assert fields["keywords"] == ["Otan", "ukraine"]
    assert fields["body"] == "Premier paragraphe.\n\nUn intertitre\n\n« Une citation »"
    assert fields["image"] == f"{FR}/img/1054100000.jpg"
    assert fields["article_id"] == "1054100001"
    assert fields["url"] == URL_2021
    assert fields["site"] == "fr.sputniknews.com"
    assert fields["section"] is None
    assert fields["language"] == "fr-FR"
    assert fields["publisher"] == "Sputnik France"


def test_2021_dateline_text_when_no_unixtime() -> None:
    body = article_2021(dateline='<a href="/20210105/">08:05 05.01.2021</a>'
                                 '<span class="article__info-date-modified"> (mis à jour: 09:40 06.01.2021)</span>')
    fields = extracted(response_for(URL_2021, body))
    assert fields["published"] == "2021-01-05T08:05:00+01:00"
    assert fields["modified"] == "2021-01-06T09:40:00+01:00"


def test_microdata_body_is_the_last_resort() -> None:
    head = '<meta property="article:section" content="Sport">'
    body = with_microdata(article_2021(head=head, blocks=ADS_ONLY),
                          '<div itemprop="articleBody">Un texte sans paragraphes.Il suit.</div>'
                          '<div itemprop="articleSection">sport</div>'
                          '<div itemprop="articleSection">rugby</div>')
    fields = extracted(response_for(URL_2021, body))
    assert fields["body"] == "Un texte sans paragraphes.Il suit."
    assert fields["section"] == "sport"


def test_microdata_text_is_read_when_asked_and_once() -> None:
    body = with_microdata(article_2021(), '<div itemprop="articleBody"><p>Un.</p><p>Deux.</p></div>')
    page = Page.from_response(response_for(URL_2021, body))
    values = page.article.properties["articleBody"]
    assert not isinstance(values[0], str)  # the visible body wins: not read at all
    assert page.microdata("articleBody") == "Un. Deux."
    assert values == ["Un. Deux."]


def test_bad_microdata_date_falls_back_to_head() -> None:
    head = '<meta property="article:published_time" content="20210705T1015+0200">'
    body = with_microdata(article_2021(head=head), '<div itemprop="datePublished">hier</div>')
    assert extracted(response_for(URL_2021, body))["published"] == "2021-07-05T10:15:00+02:00"


# --- charset ------------------------------------------------------------------------

PAGE_1252 = """<html lang="fr"><head><title>x</title></head><body>
<div class="b-article">
<div class="b-article__header-title"><h1>L’été à Nîmes: 25 € la nuit</h1></div>
<time class="b-article__refs-date" datetime="2018-08-14T07:30">07:30 14.08.2018</time>
<div class="b-article__text"><p>Des hôtels «&nbsp;complets&nbsp;» dès juillet.</p><p>Deuxième paragraphe, œuvre.</p></div>
</div></body></html>"""


def test_windows_1252_page_decoded_from_http_header() -> None:
    response = HtmlResponse(
        url=f"{FR}/france/201808141037654321-ete-nimes/",
        body=PAGE_1252.encode("cp1252"),
        headers={"Content-Type": "text/html; charset=windows-1252"},
    )
    assert response.encoding == "cp1252"
    fields = extracted(response)
    assert fields["title"] == "L’été à Nîmes: 25 € la nuit"
    assert fields["body"] == "Des hôtels « complets » dès juillet.\n\nDeuxième paragraphe, œuvre."
    assert fields["published"] == "2018-08-14T07:30:00+02:00"
    assert fields["article_id"] == "1037654321"


# --- the 2016-2020 layout from its visible markup ---------------------------------

PAGE_2016 = """<html lang="fr"><head><meta property="og:image" content="data:image/gif;base64,R0lGOD">
</head><body><div class="b-article" itemscope itemtype="http://schema.org/NewsArticle">
<div itemprop="image" itemscope itemtype="http://schema.org/ImageObject">
<meta itemprop="url" content="/img/103765/43/1037654300.jpg"></div>
<div class="b-article__header"><div class="b-article__header-title"><h1>Un titre <b>visible</b></h1></div>
<div class="b-article__refs"><a class="b-article__refs-rubric" href="/sport/">Sport</a>
<time class="b-article__refs-date">07:30 14.08.2018</time>
<span class="b-article__refs-update">(mis à jour 21:02 15.08.2018)</span>
<div class="b-article__refs-author">Par <a href="/authors/a/">Léa Martin</a>, <a href="/authors/b/">Paul Roux</a></div>
</div></div>
<div class="b-article__lead"><p>Le chapeau.</p></div>
<div class="b-article__text">Texte nu<br>sur deux lignes.<p>Un paragraphe.</p><style>p{}</style>
<figure><img src="/x.jpg"><figcaption>© Crédit</figcaption></figure><div class="b-banner">Pub</div></div>
</div></body></html>"""


def test_2016_layout_from_visible_markup() -> None:
    url = f"{FR}/sport/201808141037654321-titre/"
    fields = extracted(response_for(url, PAGE_2016.encode()))
    assert fields["title"] == "Un titre visible"
    assert fields["description"] == "Le chapeau."
    assert fields["section"] == "sport"
    assert fields["published"] == "2018-08-14T07:30:00+02:00"
    assert fields["modified"] == "2018-08-15T21:02:00+02:00"
    assert fields["authors"] == ["Léa Martin", "Paul Roux"]
    assert fields["image"] == f"{FR}/img/103765/43/1037654300.jpg"  # data: URI skipped
    assert fields["body"] == "Texte nu\n\nsur deux lignes.\n\nUn paragraphe."
    assert fields["keywords"] == []
    assert fields["article_id"] == "1037654321"
    assert fields["publisher"] == "Sputnik France"


@pytest.mark.parametrize("page", SAMPLES[:3], ids=[p.stem for p in SAMPLES[:3]])
def test_reading_a_page_leaves_no_reference_cycle(page: Path) -> None:
    # A cycle (response.selector points back at its response) kept every
    # page's tree until the collector's next full pass: 20+ MB in a replay.
    response = response_for(FR + "/", page.read_bytes())
    read_article(response, SPUTNIK_FR)
    gone = weakref.ref(response)
    gc.disable()
    try:
        del response
        assert gone() is None, "the response outlived its last reference"
    finally:
        gc.enable()


@pytest.mark.parametrize("response_class", [HtmlResponse, TextResponse])
def test_page_document_is_what_scrapy_parses(response_class: type[TextResponse]) -> None:
    body = SAMPLES[0].read_bytes()
    ours = Page.from_response(response_class(url=FR + "/", body=body, encoding="utf-8")).root
    scrapys = response_class(url=FR + "/", body=body, encoding="utf-8").selector.root
    assert etree.tostring(ours) == etree.tostring(scrapys)


_DOC = "<html><head><title>t</title></head><body><p>é {}</p></body></html>"


@pytest.mark.parametrize("body,encoding", [
    *[(page.read_bytes(), "utf-8") for page in SAMPLES],
    (codecs.BOM_UTF8 + _DOC.format("bom").encode(), "utf-8"),
    (("\u00a0" + _DOC.format("nbsp") + "\u3000").encode(), "utf-8"),
    (("\x1c" + _DOC.format("separator") + "\x1f").encode(), "utf-8"),
    (("  \n" + _DOC.format("spaces") + "\n\t ").encode(), "utf-8"),
    (_DOC.format("nul\x00byte").encode(), "utf-8"),
    (b"\x00" + _DOC.format("leading nul").encode(), "utf-8"),
    (_DOC.format("bad").encode() + b"\xff\xfe<p>after</p>", "utf-8"),
    (_DOC.format("latin").encode("latin-1"), "latin-1"),
    (_DOC.format("\ufffd given").encode(), "utf-8"),
    (b"", "utf-8"),
    (b"   ", "utf-8"),
    (b"<!-- only a comment -->", "utf-8"),
    (b"plain text, no markup", "utf-8"),
    (b"<p>" * 3000 + b"deep", "utf-8"),
], ids=[*(page.stem for page in SAMPLES), "bom", "nbsp", "separators", "spaces", "nul",
        "leading-nul", "invalid", "latin-1", "replacement", "empty", "blank", "comment",
        "no-markup", "deep"])
def test_html_document_is_scrapys_whether_parsed_from_bytes_or_text(body: bytes,
                                                                   encoding: str) -> None:
    # UTF-8 pages are handed to lxml as bytes; every page must still give
    # the very tree Scrapy's response.selector gives.
    ours = parse_document(HtmlResponse(url=FR + "/", body=body, encoding=encoding))
    scrapys = HtmlResponse(url=FR + "/", body=body, encoding=encoding).selector.root
    assert etree.tostring(ours) == etree.tostring(scrapys)


def test_microdata_scopes_are_every_element_with_itemscope_and_itemtype() -> None:
    from crawler.extract.page import _SCOPES

    plain = etree.XPath("descendant-or-self::*[@itemscope][@itemtype]")
    made = etree.fromstring(b'<html itemscope itemtype="t"><body><div itemscope itemtype="u">'
                            b'<p itemscope>x</p><span itemtype="v">y</span>'
                            b'<b ITEMSCOPE itemtype="w"></b></div></body></html>', etree.HTMLParser())
    assert [e.tag for e in _SCOPES(made)] == ["html", "div", "b"]
    for page in SAMPLES:
        root = Page.from_response(HtmlResponse("https://fr.sputniknews.com/", body=page.read_bytes(),
                                               encoding="utf-8")).root
        assert _SCOPES(root) == plain(root), page.name
        inner = root.find(".//body")
        assert _SCOPES(inner) == plain(inner), page.name
