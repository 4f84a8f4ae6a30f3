"""Field normalisers: dates, language tags, text, URLs and whole items."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.editions import SPUTNIK_EN, SPUTNIK_FR
from crawler.normalize import (
    _PLAIN_URL, ARTICLE_FIELDS, _canonical_url, _escaped_url, _normalize_datetime, canonical_url,
    clean_body, clean_text,
    find_visible_datetime, normalize_datetime, normalize_fields, normalize_language, unique_texts,
)

PARIS = "Europe/Paris"
WINTER = "2021-12-27T10:25:00+01:00"


# --- dates --------------------------------------------------------------------------


@pytest.mark.parametrize("value", [
    "2021-12-27T10:25+0100",      # microdata
    "20211227T1025+0100",         # article:published_time
    1640597100,                   # data-unixtime
    "1640597100",
    "10:25 27.12.2021",           # visible dateline, newsroom time
    "2021-12-27T10:25:00+01:00",  # already normal
    "2021-12-27T09:25:00Z",
    "2021-12-27T09:25Z",
    "2021-12-27T10:25+01:00",
    "2021-12-27T10:25+01",
    "2021-12-27T10:25",           # no offset: newsroom time
    "2021-12-27 10:25:00",
    "2021-12-27T10:25:00.000+01:00",
    "2021-12-27T12:25:00+03:00",  # another offset: same instant, publisher's offset
    "20211227T102500+0100",
    "  2021-12-27T10:25+0100\n",
])
def test_every_platform_date_form(value: str | int) -> None:
    assert normalize_datetime(value, PARIS) == WINTER


@pytest.mark.parametrize("value,expected", [
    ("2021-07-01T10:00", "2021-07-01T10:00:00+02:00"),
    ("10:00 01.07.2021", "2021-07-01T10:00:00+02:00"),
    ("2021-07-01T08:00:00Z", "2021-07-01T10:00:00+02:00"),
    (1625126400, "2021-07-01T10:00:00+02:00"),
    ("9:05 3.11.2017", "2017-11-03T09:05:00+01:00"),
    # Autumn change: the first 02:30 of the two is taken.
    ("2021-10-31T02:30", "2021-10-31T02:30:00+02:00"),
])
def test_summer_time_and_variants(value: str | int, expected: str) -> None:
    assert normalize_datetime(value, PARIS) == expected


def test_other_edition_zone() -> None:
    # The English newsroom shows GMT since 2020, Moscow time before.
    assert normalize_datetime(1640597100, SPUTNIK_EN.timezone) == "2021-12-27T09:25:00+00:00"
    assert normalize_datetime("19:20 27.08.2019", SPUTNIK_EN.zone_on(date(2019, 8, 27))) == \
        "2019-08-27T19:20:00+03:00"
    assert normalize_datetime("10:25 27.12.2021", "Europe/Moscow") == "2021-12-27T10:25:00+03:00"


@pytest.mark.parametrize("value", [
    None, "", "   ", "hier", "27 décembre 2021", "2021-12-27",  # a day is not a time
    "2021-02-30T10:00", "2021-13-01T10:00", "2021-12-27T25:00", "2021-12-27T10:61",
    "2021-12-27T10:25+2500", "2021-12-27T10:25+01:75", "99:99 27.12.2021",
    "2021-03-28T02:30",  # skipped by the spring change in Paris
    "10**30", "1" * 40, True, "20211227", "-1640597100",
])
def test_unparseable_dates_give_none(value: object) -> None:
    assert normalize_datetime(value, PARIS) is None  # type: ignore[arg-type]


def test_unknown_zone_gives_none() -> None:
    assert normalize_datetime("2021-12-27T10:25+0100", "Mars/Olympus") is None


def test_find_visible_datetime() -> None:
    assert find_visible_datetime(" (mis à jour: 12:01 27.12.2021)") == "12:01 27.12.2021"
    assert find_visible_datetime("mis à jour") is None
    assert find_visible_datetime(None) is None


ZONES = st.sampled_from([ZoneInfo(PARIS), ZoneInfo("Europe/Moscow"), ZoneInfo("America/New_York"),
                         timezone.utc])
MOMENTS = st.datetimes(min_value=datetime(1974, 1, 1), max_value=datetime(2100, 1, 1),
                       timezones=ZONES, allow_imaginary=False).map(lambda d: d.replace(microsecond=0))
FORMS = st.sampled_from([
    lambda d: d.isoformat(),
    lambda d: d.strftime("%Y%m%dT%H%M%S%z"),
    lambda d: d.strftime("%Y-%m-%dT%H:%M:%S%z"),
    lambda d: int(d.timestamp()),
    lambda d: str(int(d.timestamp())),
])


@settings(max_examples=300)
@given(MOMENTS, FORMS)
def test_datetime_round_trip(moment: datetime, form) -> None:  # type: ignore[no-untyped-def]
    normal = normalize_datetime(form(moment), PARIS)
    assert normal is not None
    parsed = datetime.fromisoformat(normal)
    # Instants compared as timestamps: Python never finds an ambiguous (fold)
    # wall-clock time equal to one in another zone.
    assert parsed.timestamp() == moment.timestamp()
    assert parsed.utcoffset() == moment.astimezone(ZoneInfo(PARIS)).utcoffset()
    assert normalize_datetime(normal, PARIS) == normal


WIDE_MOMENTS = st.datetimes(min_value=datetime(1850, 1, 1), max_value=datetime(2100, 1, 1),
                            timezones=ZONES, allow_imaginary=False).map(
                                lambda d: d.replace(microsecond=0))
TEXT_FORMS = st.sampled_from([
    lambda d: d.isoformat(),
    lambda d: d.strftime("%Y%m%dT%H%M%z"),
    lambda d: d.strftime("%Y-%m-%d %H:%M"),  # wall clock in the edition's zone
    lambda d: d.strftime("%H:%M %d.%m.%Y"),
    lambda d: str(int(d.timestamp())),
])


@settings(max_examples=300)
@given(WIDE_MOMENTS, TEXT_FORMS,
       st.sampled_from([PARIS, "Europe/Moscow", "Asia/Tokyo", "America/Sao_Paulo", "Mars/Olympus"]))
def test_remembered_dates_are_the_parsers_answers(moment: datetime, form, zone: str) -> None:  # type: ignore[no-untyped-def]
    # normalize_datetime remembers each answer as the answer to itself too:
    # true only because the parser's own output parses back to itself.
    value = form(moment)
    answer = _normalize_datetime(value, zone)
    assert normalize_datetime(value, zone) == answer
    if answer is not None:
        assert _normalize_datetime(answer, zone) == answer
        assert normalize_datetime(answer, zone) == answer


# --- language -----------------------------------------------------------------------


@pytest.mark.parametrize("value,default,expected", [
    ("fr_FR", "fr-FR", "fr-FR"),
    ("fr-fr", "fr-FR", "fr-FR"),
    ("fr", "fr-FR", "fr-FR"),
    ("FR", "fr-FR", "fr-FR"),
    (" fr_FR ", "fr-FR", "fr-FR"),
    ("en_US", "fr-FR", "en-US"),
    ("en", "fr-FR", "en"),
    ("en", "en-US", "en-US"),
    ("fr-CA", "fr-FR", "fr-CA"),
    ("zh-hant-tw", "zh-CN", "zh-Hant-TW"),
    (None, "fr-FR", "fr-FR"),
    ("", "fr-FR", "fr-FR"),
    ("français", "fr-FR", "fr-FR"),
    ("f", "fr-FR", "fr-FR"),
])
def test_language(value: str | None, default: str, expected: str) -> None:
    assert normalize_language(value, default) == expected
    assert normalize_language(expected, default) == expected


# --- text ---------------------------------------------------------------------------


@pytest.mark.parametrize("value,expected", [
    ("d&#x27;armements &quot;ne&quot; &amp; l&rsquo;Otan", "d'armements \"ne\" & l’Otan"),
    ("40&nbsp;°C et «\u00a0citation\u00a0»", "40 °C et « citation »"),
    ("Sergu\u200beï\ufeff Lavrov\u2060", "Sergueï Lavrov"),
    ("Serge\u0301i", "Sergéi"),                       # decomposed é → one code point
    ("  a\t\tb\r\n c  ", "a b c"),
    ("a\x00b\x07c\x9fd", "abcd"),                     # control characters
    ("d&amp;#x27;armements", "d'armements"),          # double-escaped by the CMS
    ("porte\u00admanteau", "portemanteau"),           # soft hyphen
    ("", None), ("  \u00a0 ", None), (None, None),
])
def test_clean_text(value: str | None, expected: str | None) -> None:
    assert clean_text(value) == expected


def test_clean_text_output_is_nfc() -> None:
    cleaned = clean_text("e\u0301te\u0301")
    assert cleaned == "\u00e9t\u00e9"
    assert len(cleaned) == 3


def test_clean_body() -> None:
    raw = "  Premier\u00a0paragraphe.\r\n\r\n\r\n  \n Deuxième\n  suite. \n\n\u200b\n\nTroisième &amp; fin."
    assert clean_body(raw) == "Premier paragraphe.\n\nDeuxième suite.\n\nTroisième & fin."
    assert clean_body("\n\n  \n") is None
    assert clean_body(None) is None


@settings(max_examples=500)
@given(st.text())
def test_clean_text_is_idempotent(text: str) -> None:
    once = clean_text(text)
    assert clean_text(once) == once
    if once is not None:
        assert once == once.strip() and "  " not in once and "\u200b" not in once


def _clean_slowly(text: str) -> str | None:
    """clean_text without its shortcut for text that is clean already."""
    from crawler.normalize import _clean_once

    while (cleaned := _clean_once(text)) != text and "&" in text:
        text = cleaned
    return cleaned or None


@settings(max_examples=500)
@given(st.one_of(st.text(), st.text(alphabet=st.sampled_from(
    list("ab é&amp;#;\n\r\t \u00a0\u200b\u200c\u0301\x85\x1c\u3000x")))))
def test_clean_text_shortcut_changes_nothing(text: str) -> None:
    assert clean_text(text) == _clean_slowly(text)


def test_clean_text_quick_check_agrees_with_its_pattern_on_every_character() -> None:
    # _is_clean trusts str.isprintable() for the pattern's character classes.
    from crawler.normalize import _UNCLEAN, _is_clean

    for code in range(0x10000):
        char = chr(code)
        for text in (char, f"a{char}b", f"{char}x", f"x{char}"):
            assert _is_clean(text) == (_UNCLEAN.search(text) is None), hex(code)


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from(list("ab é&amp;#;\n\r\t\u00a0\u200b\u0301x"))))
def test_clean_body_is_idempotent(text: str) -> None:
    once = clean_body(text)
    assert clean_body(once) == once


def test_unique_texts_keep_first_occurrence() -> None:
    values = ["Otan", " russie", "otan", "OTAN", "", None, "Russie", "ukraine", "russie "]
    assert unique_texts(values) == ["Otan", "russie", "ukraine"]


# --- URLs ---------------------------------------------------------------------------


@pytest.mark.parametrize("value,expected", [
    ("HTTPS://FR.SputnikNews.com/20211227/Slug-1054083153.html#comments",
     "https://fr.sputniknews.com/20211227/Slug-1054083153.html"),
    ("https://fr.sputniknews.com/search/?q=otan&b=2&a=1", "https://fr.sputniknews.com/search/?q=otan&b=2&a=1"),
    ("https://fr.sputniknews.com/états-unis/", "https://fr.sputniknews.com/%C3%A9tats-unis/"),
    ("https://fr.sputniknews.com/%C3%A9tats-unis/", "https://fr.sputniknews.com/%C3%A9tats-unis/"),
    ("  https://fr.sputniknews.com/a b/ ", "https://fr.sputniknews.com/a%20b/"),
    ("/20211227/relative-1054083153.html", None),
    ("mailto:feedback.fr@sputniknews.com", None),
    ("http://[::1", None),
    ("", None), (None, None),
])
def test_canonical_url(value: str | None, expected: str | None) -> None:
    assert canonical_url(value) == expected
    assert canonical_url(expected) == expected


# --- whole items ----------------------------------------------------------------------

MESSY = {
    "url": "HTTPS://FR.SPUTNIKNEWS.COM/20211227/lavrov-precise-1054083153.html#top",
    "title": "  Lavrov&nbsp;précise ",
    "description": None,
    "published": "20211227T1025+0100",
    "modified": 1640602860,
    "section": " International ",
    "keywords": ["russie", "Otan", "otan", " ", "russie"],
    "authors": "Anastasia Patts",
    "image": "https://cdnnfr1.img.sputniknews.com/img/a.jpg#x",
    "language": "fr_FR",
    "body": "Un.\n\n\n\nDeux.",
    "fetched_at": "2022-01-01T00:00:00Z",
    "source": {"kind": "live"},
}


def test_normalize_fields_fills_and_cleans() -> None:
    fields = normalize_fields(MESSY, SPUTNIK_FR)
    assert fields["url"] == "https://fr.sputniknews.com/20211227/lavrov-precise-1054083153.html"
    assert fields["article_id"] == "1054083153"
    assert fields["site"] == "fr.sputniknews.com"
    assert fields["title"] == "Lavrov précise"
    assert fields["description"] is None
    assert fields["published"] == WINTER
    assert fields["modified"] == "2021-12-27T12:01:00+01:00"
    assert fields["section"] == "international"
    assert fields["keywords"] == ["russie", "Otan"]
    assert fields["authors"] == ["Anastasia Patts"]
    assert fields["image"] == "https://cdnnfr1.img.sputniknews.com/img/a.jpg"
    assert fields["language"] == "fr-FR"
    assert fields["publisher"] == "Sputnik France"
    assert fields["body"] == "Un.\n\nDeux."
    assert fields["fetched_at"] == "2022-01-01T00:00:00Z" and fields["source"] == {"kind": "live"}
    assert MESSY["title"] == "  Lavrov&nbsp;précise "  # input left alone


def test_normalize_fields_of_nothing() -> None:
    fields = normalize_fields({}, SPUTNIK_FR)
    assert set(fields) == set(ARTICLE_FIELDS)
    assert fields["keywords"] == [] and fields["authors"] == []
    # Neither host nor day known: the edition's name today.
    assert fields["language"] == "fr-FR" and fields["publisher"] == "Sputnik Afrique"
    assert fields["url"] is None and fields["site"] is None and fields["article_id"] is None


def test_normalize_fields_keeps_given_values() -> None:
    fields = normalize_fields({"url": "https://fr.sputniknews.africa/20220915/x-1056789012.html",
                               "site": "FR.SPUTNIKNEWS.AFRICA", "article_id": 1056789012,
                               "publisher": "Sputnik Afrique"}, SPUTNIK_FR)
    assert fields["site"] == "fr.sputniknews.africa"
    assert fields["article_id"] == "1056789012"
    assert fields["publisher"] == "Sputnik Afrique"


def test_normalize_fields_is_idempotent() -> None:
    once = normalize_fields(MESSY, SPUTNIK_FR)
    assert normalize_fields(once, SPUTNIK_FR) == once


FIELD_VALUES = st.one_of(st.none(), st.text(max_size=40), st.integers(0, 2_000_000_000))


@settings(max_examples=200)
@given(st.fixed_dictionaries({
    name: FIELD_VALUES for name in ARTICLE_FIELDS if name not in ("keywords", "authors")
} | {"keywords": st.lists(st.text(max_size=10), max_size=5),
     "authors": st.lists(st.text(max_size=10), max_size=3)}))
def test_normalize_fields_idempotent_on_anything(fields: dict[str, object]) -> None:
    once = normalize_fields(fields, SPUTNIK_FR)
    assert normalize_fields(once, SPUTNIK_FR) == once


# Strings near the plain-URL shortcut's edge: hosts with upper case, IDNA,
# ports, odd labels; paths with dot segments, escapes, quotes, spaces.
URLISH = st.builds(
    "".join,
    st.lists(st.sampled_from([
        "http://", "https://", "HTTP://", "fr.", "sputniknews", ".com", ".africa", "xn--p1ai",
        "-", "a", "0", "..", ".", "/", "/.", "/..", "/a", "A", ":", ":80", "@", "%", "%2e",
        "%C3%A9", "é", " ", "?", "#", "~", "_", ",", "=", "+", "'", "|", "^", "{", "\\",
    ]), min_size=1, max_size=12),
)


@settings(max_examples=1500)
@given(st.one_of(st.from_regex(_PLAIN_URL, fullmatch=True), URLISH))
def test_plain_url_shortcut_gives_what_escaping_gives(url: str) -> None:
    if _PLAIN_URL.fullmatch(url):
        assert _escaped_url(url) == url
    assert _canonical_url(url) == _escaped_url(url)


def test_platform_urls_take_the_shortcut() -> None:
    for url in ("https://fr.sputniknews.com/20211227/lavrov-precise-1054083153.html",
                "https://cdnfr1.img.sputniknews.com/img/07e5/0c/1b/1054083153_0:0:3072:1728"
                "_1920x0_80_0_0_5c2e.jpg",
                "https://fr.sputniknews.africa/amp/20240313/slug-1065524510.html"):
        assert _PLAIN_URL.fullmatch(url)
    for url in ("https://fr.sputniknews.com/a/../b", "https://Fr.sputniknews.com/",
                "https://xn--80ak6aa92e.com/", "https://fr.sputniknews.com", "http://127.0.0.1/"):
        assert not _PLAIN_URL.fullmatch(url)


def test_canonical_url_answers_a_str_subclass_as_its_str() -> None:
    # lxml's text results are str subclasses; the cache must not keep them (and their tree).
    class Smart(str):
        pass

    url = "HTTPS://FR.SputnikNews.com/20211227/a-1054083153.html#x"
    assert canonical_url(Smart(url)) == canonical_url(url) == \
        "https://fr.sputniknews.com/20211227/a-1054083153.html"
    assert type(canonical_url(Smart(url))) is str
