"""Field conventions (teaser suffix, credits, section), page kinds and the
layouts added for issue 12: AMP, 2014–2016 and the generic fallback."""
from __future__ import annotations

import json
from pathlib import Path

import lxml.html
import pytest
from scrapy.http import HtmlResponse

from crawler.editions import SPUTNIK_EN, SPUTNIK_FR
from crawler.extract import NotAnArticle, read_article
from crawler.extract.conventions import (
    agency_name, section_from_url, split_credits, strip_teaser_suffix,
)
from crawler.extract.jsonld import breadcrumb_section
from crawler.extract.kinds import is_slugless, kind_from_url
from crawler.extract.media import live_time
from crawler.extract.page import Page
from crawler.normalize import normalize_duration, normalize_fields
from tests.test_extract import article_2021, with_microdata

PAGES = Path(__file__).resolve().parents[1] / "samples" / "pages"
ARTICLE = "https://fr.sputniknews.africa/20240101/le-titre-1065000000.html"


def sample(stem: str, url: str, edition=SPUTNIK_FR):
    response = HtmlResponse(url, body=(PAGES / f"{stem}.html").read_bytes(), encoding="utf-8")
    article = read_article(response, edition)
    return article.layout, normalize_fields(article.fields, edition)


# --- description: the lead, else the teaser without its signature -------------

@pytest.mark.parametrize("text,expected", [
    ("Les négociations … de la diplomatie... 27.12.2021, Sputnik France",
     "Les négociations … de la diplomatie..."),
    ("Le Mali et la Russie signent un accord. 01.11.2024, Sputnik Afrique",
     "Le Mali et la Russie signent un accord."),
    ("Moscow said on Monday... 13.03.2024, Sputnik International", "Moscow said on Monday..."),
    ("Текст новости... 5.7.2023, Sputnik Србија", "Текст новости..."),
    ("A lead without signature.", "A lead without signature."),
    ("Dates inside 27.12.2021, like this one, stay.", "Dates inside 27.12.2021, like this one, stay."),
    (None, None),
])
def test_strip_teaser_suffix(text, expected) -> None:
    assert strip_teaser_suffix(text) == expected


def test_description_prefers_the_visible_lead() -> None:
    page = article_2021(head='<meta property="og:description" content="Cut... 05.07.2021, Sputnik France">')
    response = HtmlResponse("https://fr.sputniknews.com/20210705/t-1054100001.html", body=page,
                            encoding="utf-8")
    assert read_article(response, SPUTNIK_FR).fields["description"] == \
        "Le texte d’annonce, plus court que la description."


def test_description_without_lead_loses_the_signature() -> None:
    page = article_2021(head='<meta property="og:description" content="Cut... 05.07.2021, Sputnik France">')
    page = page.replace(b'class="article__announce-text"', b'class="other"')
    response = HtmlResponse("https://fr.sputniknews.com/20210705/t-1054100001.html", body=page,
                            encoding="utf-8")
    assert read_article(response, SPUTNIK_FR).fields["description"] == "Cut..."


# --- authors are people; agencies are credits ----------------------------------

@pytest.mark.parametrize("names,people,credits", [
    (["Anastasia Patts"], ["Anastasia Patts"], []),
    (["avec Reuters"], [], ["Reuters"]),
    (["AFP", "Marie Dupont"], ["Marie Dupont"], ["AFP"]),
    (["Marie Dupont, avec AFP"], ["Marie Dupont"], ["AFP"]),
    (["Jean Martin avec Reuters"], ["Jean Martin"], ["Reuters"]),
    (["Sputnik"], [], ["Sputnik"]),
    (["RIA Novosti", "with Reuters"], [], ["RIA Novosti", "Reuters"]),
    (["Dupont, Marie"], ["Dupont, Marie"], []),
    (["Afpy Reutersson"], ["Afpy Reutersson"], []),
])
def test_split_credits(names, people, credits) -> None:
    assert split_credits(names) == (people, credits)


def test_agency_name_reads_the_with_word_of_several_languages() -> None:
    assert [agency_name(text) for text in ("avec AFP", "con EFE", "mit dpa", "(TASS)", "Pierre")] \
        == ["AFP", "EFE", "dpa", "TASS", None]


# --- section: the rubric, the URL's section, the microdata last ----------------

@pytest.mark.parametrize("url,section", [
    ("http://fr.sputniknews.com/international/20150331/1015401831.html", "international"),
    ("https://sputniknews.com/news/20160512/1039528652/911-saudi-obama-terror-fbi.html", "news"),
    ("http://m.sputniknews.com/russia/20150724/1024986748.html", "russia"),
    ("https://fr.sputniknews.com/international/201903151040353449-slug/", "international"),
    ("https://sputniknews.com/amp/radio_the_critical_hour/202009051080370875-slug/",
     "radio_the_critical_hour"),
    ("https://fr.sputniknews.com/20211227/slug-1054083153.html", None),
    ("https://fr.sputniknews.africa/amp/20240313/slug-1065524510.html", None),
    ("https://fr.sputniknews.africa/20250701/1074925676.html", None),
])
def test_section_from_url(url, section) -> None:
    assert section_from_url(url) == section


def test_section_prefers_the_rubric_over_the_first_articlesection() -> None:
    # The fixture's microdata lists "international" then tags; the head says International.
    _, fields = sample("article-1054083153",
                       "https://fr.sputniknews.com/20211227/x-1054083153.html")
    assert fields["section"] == "international"


def test_section_falls_back_to_microdata_only_when_nothing_else_says() -> None:
    _, fields = sample("podcast-1072150321",
                       "https://fr.sputniknews.africa/20250207/x-1072150321.html")
    assert fields["section"] == "zone de contact"


# --- page kinds --------------------------------------------------------------------

def test_live_page_keeps_every_entry_in_page_order_with_its_time() -> None:
    layout, fields = sample("live-1095109728", "https://sputnikglobe.com/20220427/x-1095109728.html",
                            SPUTNIK_EN)
    assert (layout, fields["kind"]) == ("2021", "live")
    times = [entry["time"] for entry in fields["live_entries"]]
    # The visible "19:58 GMT 27.04.2022" of the entry without data-unixtime is read as GMT.
    assert times == ["2022-04-28T03:57:00+00:00", "2022-04-27T19:58:00+00:00",
                     "2022-04-27T09:50:00+00:00"]
    for entry in fields["live_entries"]:
        assert entry["text"] in fields["body"]
    assert fields["body"].index("Over 1 Million") < fields["body"].index("Kiev Preparing")
    assert "Related:" not in fields["body"] and "Advertisement" not in fields["body"]


def test_story_banner_and_related_cards_never_reach_the_body() -> None:
    _, fields = sample("article-1100247631", "https://sputniknews.com/20220831/x-1100247631.html",
                       SPUTNIK_EN)
    assert "Special Operation" not in fields["body"]
    assert "Western Arms Deliveries" not in fields["body"]
    assert "Kremlin Comments" not in fields["body"]
    assert fields["body"].count("\n\n") == 2
    assert (fields["authors"], fields["credits"]) == ([], ["Sputnik"])


def test_podcast_episode_has_show_audio_url_and_duration() -> None:
    _, fields = sample("podcast-1072150321",
                       "https://fr.sputniknews.africa/20250207/x-1072150321.html")
    assert fields["kind"] == "podcast"
    assert fields["audio"] == {"url": "https://nfw.ria.ru/flv/file.aspx?type=mp3&ID=1072150300",
                               "duration": 3541, "show": "Zone de contact"}


def test_podcast_without_text_is_still_an_article() -> None:
    player = ('<div class="article__announce"><div class="audioplayer" '
              'data-media="https://cdn.example/e.mp3" data-duration="61"></div></div>')
    page = article_2021(blocks="").replace(b'<div class="article__announce">', player.encode(), 1)
    response = HtmlResponse("https://fr.sputniknews.com/20210705/t-1054100001.html", body=page,
                            encoding="utf-8")
    fields = read_article(response, SPUTNIK_FR).fields
    assert (fields["kind"], fields["body"]) == ("podcast", None)


def test_gallery_captions_in_order_in_body_and_list() -> None:
    _, fields = sample("gallery-1056912345",
                       "https://fr.sputniknews.africa/20220922/x-1056912345.html")
    captions = [picture["caption"] for picture in fields["gallery"]]
    assert fields["kind"] == "gallery"
    assert captions[0].startswith("Le défilé") and captions[2].startswith("La foule")
    assert fields["body"] == "\n\n".join(captions)
    assert "© Sputnik" not in fields["body"]


def test_video_page() -> None:
    _, fields = sample("video-1058123456",
                       "https://fr.sputniknews.africa/20231220/x-1058123456.html")
    assert fields["kind"] == "video"
    assert fields["video"] == {"url": "https://cdn1.img.sputniknews.africa/video/1058123400.mp4",
                               "duration": 102}
    assert (fields["authors"], fields["credits"]) == (["Léa Martin"], ["Reuters"])


def test_infographic_is_its_picture() -> None:
    block = ('<div class="article__block" data-type="infographics"><div class="media">'
             '<img src="https://cdn.example/infographie.png" alt=""></div></div>')
    page = article_2021(blocks=block, head='<meta property="og:image" content="https://cdn.example/i.png">')
    response = HtmlResponse("https://fr.sputniknews.com/20210705/t-1054100001.html", body=page,
                            encoding="utf-8")
    fields = read_article(response, SPUTNIK_FR).fields
    assert (fields["kind"], fields["body"], fields["image"]) == (
        "infographic", None, "https://cdn.example/i.png")


@pytest.mark.parametrize("url,kind", [
    ("https://sputniknews.com/radio_the_critical_hour/202009051080370875-x/", "podcast"),
    ("https://fr.sputniknews.com/photo/201905051041000000-x/", "gallery"),
    ("https://fr.sputniknews.com/infographie/201905051041000000-x/", "infographic"),
    ("https://fr.sputniknews.com/international/201905051041000000-x/", None),
])
def test_kind_from_url_hints(url, kind) -> None:
    assert kind_from_url(url) == kind


def test_slugless_urls() -> None:
    assert is_slugless("https://fr.sputniknews.africa/20250701/1074925676.html")
    assert not is_slugless("https://fr.sputniknews.africa/20250701/slug-1074925676.html")


@pytest.mark.parametrize("title,kind", [
    ("En direct: la situation en Ukraine", "live"),
    ("UPDATES: Russian MoD briefing", "live"),
    ("LIVE UPDATES: Air raid alerts", "live"),
    ("Newsfeed", "live"),
    ("Une directive européenne", "article"),
])
def test_live_title_is_a_hint_when_the_markup_has_no_entries(title, kind) -> None:
    page = article_2021(title=f'<h1 class="article__title">{title}</h1>', head=(
        f'<meta property="og:title" content="{title}">'))
    response = HtmlResponse("https://fr.sputniknews.com/20210705/t-1054100001.html", body=page,
                            encoding="utf-8")
    assert read_article(response, SPUTNIK_FR).fields["kind"] == kind


# --- AMP, 2014–2016, generic ----------------------------------------------------------

def test_amp_capture_reads_as_its_desktop_article() -> None:
    amp = ("https://sputniknews.com/amp/radio_the_critical_hour/202009051080370875-covid-19-model-"
           "predicts-us-death-toll-will-surpass-410000-by-january-1/?__twitter_impression=true")
    layout, fields = sample("amp-1080370875", amp, SPUTNIK_EN)
    assert layout == "amp"
    assert fields["url"] == amp.replace("/amp/", "/").split("?")[0]
    assert fields["article_id"] == "1080370875"


def test_2015_page_is_read_by_the_2014_layout() -> None:
    layout, fields = sample("article-1015401831",
                            "http://fr.sputniknews.com/international/20150331/1015401831.html")
    assert layout == "2014"
    assert (fields["article_id"], fields["section"]) == ("1015401831", "international")
    assert "Lire aussi" not in fields["body"] and "© AFP" not in fields["body"]


def test_generic_layout_skips_the_hidden_schema_copy_of_the_body() -> None:
    layout, fields = sample("generic-1063456789",
                            "https://fr.sputniknews.africa/20231110/x-1063456789.html")
    assert layout == "generic"
    assert "Mali.Le trajet" not in fields["body"]
    assert fields["body"].count("\n\n") == 2
    assert (fields["authors"], fields["credits"]) == (["Moussa Traoré"], ["AFP"])


def test_generic_layout_page_without_text_is_counted_not_dropped() -> None:
    page = ('<html><head><meta property="og:type" content="article">'
            '<meta property="og:title" content="Un titre"></head><body></body></html>')
    response = HtmlResponse("https://fr.sputniknews.com/20210705/t-1054100001.html",
                            body=page.encode(), encoding="utf-8")
    with pytest.raises(NotAnArticle) as caught:
        read_article(response, SPUTNIK_FR)
    assert caught.value.reason == "no_body"


# --- normalising the new fields ---------------------------------------------------------

@pytest.mark.parametrize("value,seconds", [
    ("PT1H55M12S", 6912), ("00:01:42", 102), ("59:01", 3541), ("3541", 3541), (61, 61),
    ("PT", None), ("soon", None), (-1, None), (float("nan"), None), (None, None),
])
def test_normalize_duration(value, seconds) -> None:
    assert normalize_duration(value) == seconds


def test_new_fields_are_normalised_and_idempotent() -> None:
    fields = {"kind": " Live ", "credits": ["AFP", "afp", " Reuters "],
              "live_entries": [{"time": "1651118220", "text": " Un \n\n deux "}, {"text": ""}, "x"],
              "audio": {"url": "https://cdn.example/a b.mp3", "duration": "PT1M", "show": " Show "},
              "gallery": [{"image": None, "caption": None}, {"image": "/x.jpg", "caption": "C"}],
              "video": {"url": "javascript:alert(1)"}}
    out = normalize_fields(fields, SPUTNIK_FR)
    assert out["kind"] == "live"
    assert out["credits"] == ["AFP", "Reuters"]
    assert out["live_entries"] == [{"time": "2022-04-28T05:57:00+02:00", "text": "Un\n\ndeux"}]
    assert out["audio"] == {"url": "https://cdn.example/a%20b.mp3", "duration": 60, "show": "Show"}
    assert out["gallery"] == [{"image": None, "caption": "C"}]
    assert out["video"] is None
    assert normalize_fields(out, SPUTNIK_FR) == out
    assert json.loads(json.dumps(out)) == out


@pytest.mark.parametrize("markup,instant", [
    ('<div><span>19:58 GMT 27.04.2022</span></div>', "2022-04-27T21:58:00+02:00"),
    ('<div><span>19:58 27.04.2022</span></div>', "2022-04-27T19:58:00+02:00"),
    ('<div><span data-unixtime="1651089480">19:58</span></div>', "2022-04-27T21:58:00+02:00"),
    ('<div>bientôt</div>', None),
])
def test_live_entry_time_reads_gmt_when_the_page_says_so(markup, instant) -> None:
    element = lxml.html.fragment_fromstring(markup)
    assert live_time(element, "Europe/Paris") == instant


@pytest.mark.parametrize("scripts,section", [
    ([{"@type": "BreadcrumbList", "itemListElement": [
        {"position": 1, "item": {"name": "Sputnik Afrique", "@id": "https://fr.sputniknews.africa/"}},
        {"position": 2, "item": {"name": "Afrique", "@id": "https://fr.sputniknews.africa/afrique/"}},
        {"position": 3, "item": {"name": "Le titre", "@id": ARTICLE}}]}], "Afrique"),
    ([{"@graph": [{"@type": "BreadcrumbList", "itemListElement": [
        {"position": 2, "name": "Économie", "item": "https://fr.sputniknews.africa/economie/"},
        {"position": 1, "name": "Sputnik Afrique", "item": "https://fr.sputniknews.africa/"}]}]}],
     "Économie"),
    ([{"@type": "BreadcrumbList", "itemListElement": [{"position": 1, "name": "Accueil"}]}], None),
    (["{not json", {"@type": "NewsArticle"}], None),
])
def test_breadcrumb_section(scripts, section) -> None:
    head = "".join(f'<script type="application/ld+json">{s if isinstance(s, str) else json.dumps(s)}'
                   "</script>" for s in scripts)
    page = Page.from_response(HtmlResponse(ARTICLE, body=f"<html><head>{head}</head></html>".encode(),
                                           encoding="utf-8"))
    assert breadcrumb_section(page.json_ld, ARTICLE) == section


def test_breadcrumb_comes_before_the_head_and_microdata() -> None:
    trail = {"@type": "BreadcrumbList", "itemListElement": [
        {"position": 1, "name": "Sputnik France"}, {"position": 2, "name": "Défense"}]}
    head = (f'<script type="application/ld+json">{json.dumps(trail)}</script>'
            '<meta property="article:section" content="International">')
    page = with_microdata(article_2021(head=head), '<div itemprop="articleSection">otan</div>')
    response = HtmlResponse("https://fr.sputniknews.com/20210705/t-1054100001.html", body=page,
                            encoding="utf-8")
    assert read_article(response, SPUTNIK_FR).fields["section"] == "Défense"
