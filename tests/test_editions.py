"""The edition registry (crawler/editions.toml via crawler/editions.py) and the
spider classes generated from it."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from crawler.editions import EDITIONS, Edition, RegistryError, parse_registry
from crawler.normalize import normalize_language
from crawler.spiders import editions as generated
from crawler.spiders.platform import PlatformSpider
from crawler.spiders.sputnik_en import SputnikEnSpider
from crawler.spiders.sputnik_fr import SputnikFrSpider

ALL = pytest.mark.parametrize("edition", EDITIONS.values(), ids=list(EDITIONS))


@ALL
def test_every_value_says_where_it_comes_from(edition: Edition):
    marks = [edition.language_provenance] + [use.provenance for use in edition.host_uses] + \
        [name.provenance for name in edition.publishers] + [zone.provenance for zone in edition.zones]
    assert all(mark.note for mark in marks)


@ALL
def test_values_are_well_formed(edition: Edition):
    assert re.fullmatch(r"sputnik_[a-z]+", edition.name)
    assert normalize_language(edition.language, "und") == edition.language  # BCP 47 spelling
    for use in edition.zones:
        ZoneInfo(use.zone)
    assert edition.owns(urlsplit(edition.default_site).hostname)
    assert all(edition.owns(use.mobile_of) for use in edition.host_uses if use.mobile_of)
    assert edition.publisher_for(edition.hosts[-1], date.today()) is not None


@ALL
def test_each_edition_has_its_spider(edition: Edition):
    cls = generated.SPIDER_CLASSES[edition.name]
    assert issubclass(cls, PlatformSpider) and cls.name == edition.name and cls.edition is edition
    assert getattr(generated, cls.__name__) is cls and cls.__module__ == generated.__name__


def test_old_spider_modules_name_the_generated_classes():
    assert SputnikFrSpider is generated.SputnikFrSpider and SputnikFrSpider.name == "sputnik_fr"
    assert SputnikEnSpider is generated.SputnikEnSpider and SputnikEnSpider.name == "sputnik_en"


def test_zones_and_publishers_by_year():
    english, german = EDITIONS["sputnik_en"], EDITIONS["sputnik_de"]
    assert english.zone_on(date(2019, 8, 27)) == "Europe/Moscow"
    assert english.zone_on(date(2022, 1, 1)) == english.timezone == "UTC"
    assert german.publisher_for("de.sputniknews.com", date(2018, 2, 9)) == "Sputnik Deutschland"
    assert german.publisher_for("snanews.de", date(2021, 5, 1)) == "SNA"
    serbian = EDITIONS["sputnik_sr"]
    assert serbian.language_for("lat.sputnikportal.rs") == "sr-Latn"
    assert serbian.language_for("sputnikportal.rs") == "sr-Cyrl"
    assert serbian.publisher_for("sputnikportal.rs", date(2023, 5, 31)) == "Sputnik Србија"
    assert serbian.publisher_for("lat.sputnikportal.rs", date(2023, 5, 31)) == "Sputnik Srbija"


GOOD = """
[source]
a = "a source"
[edition.sputnik_xx]
language = { tag = "xx", seen = "a" }
hosts = [{ host = "xx.example", since = 2020, seen = "a" }]
publishers = [{ name = "Sputnik XX", guess = "usual name" }]
zones = [{ zone = "UTC", guess = "none seen" }]
"""


def test_one_table_is_one_edition():
    (edition,) = parse_registry(GOOD).values()
    assert (edition.name, edition.hosts, edition.default_site) == ("sputnik_xx", ("xx.example",), "https://xx.example")
    assert edition.language_provenance.verified and not edition.publishers[0].provenance.verified


@pytest.mark.parametrize("broken,message", [
    (GOOD.replace(', seen = "a" }]', ' }]'), "exactly one of seen= or guess="),
    (GOOD.replace('a = "a source"', 'a = "a source'), "not valid TOML"),
    (GOOD.replace('tag = "xx", seen = "a"', 'tag = "xx", seen = "b"'), "is not a [source]"),
    (GOOD.replace("zones = ", "zone = "), "missing or malformed 'zones'"),
    (GOOD + GOOD.split("\n", 3)[3].replace("sputnik_xx", "sputnik_yy"), "listed by sputnik_xx and sputnik_yy"),
])
def test_a_broken_registry_says_where(broken, message):
    with pytest.raises(RegistryError, match=re.escape(message)):
        parse_registry(broken)


def test_readme_lists_every_edition_with_its_hosts_and_language():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for edition in EDITIONS.values():
        hosts = ", ".join(use.host for use in edition.host_uses if use.mobile_of is None)
        assert re.search(rf"^\| `{edition.name}` \| {re.escape(hosts)}( \(\+ `m\.`\))? \| "
                         rf"{re.escape(edition.language)} \|$", readme, re.M), edition.name
