"""Every URL era of the platform, AMP and mobile copies, on every edition that
used the form (crawler/urls.py), and their canonical desktop URLs."""
from __future__ import annotations

from datetime import date

import pytest

from crawler.discovery import DiscoveryFilter
from crawler.editions import EDITIONS, Edition, edition_for_host
from crawler.urls import canonical_article_url, url_facts
from crawler.window import DateWindow

# Real URLs, copied from public code and stored pages found with the search
# tool (issue 12 quotes several of them): (url, id, day, edition).
REAL = [
    ("https://sputniknews.com/news/20160512/1039528652/911-saudi-obama-terror-fbi.html",
     "1039528652", date(2016, 5, 12), "sputnik_en"),
    ("http://m.sputniknews.com/russia/20150724/1024986748.html", "1024986748", date(2015, 7, 24), "sputnik_en"),
    ("http://fr.sputniknews.com/international/20150331/1015401831.html",
     "1015401831", date(2015, 3, 31), "sputnik_fr"),
    ("https://sputniknews.com/amp/radio_the_critical_hour/202009051080370875-covid-19-model-predicts-"
     "us-death-toll-will-surpass-410000-by-january-1/?__twitter_impression=true",
     "1080370875", date(2020, 9, 5), "sputnik_en"),
    ("https://sputniknews.com/asia/202001291078167767-significant-breakthrough-australian-scientists-"
     "succeeded-to-recreate-coronavirus-outside-china", "1078167767", date(2020, 1, 29), "sputnik_en"),
    ("https://sputniknews.com/20220101/shedding-of-the-soul-new-book-reveals-aviciis-journal-entries-on-"
     "inner-demons-health-issues---1091954582.html", "1091954582", date(2022, 1, 1), "sputnik_en"),
    ("https://sputniknews.com/news/201905141074980145-US-Law-Enforcement-Officials-Raid-Venezuelan-"
     "Embassy-Washington-DC", "1074980145", date(2019, 5, 14), "sputnik_en"),
    ("https://de.sputniknews.com/politik/20190411324661444-wikileaks-assange-london-festnahme",
     "324661444", date(2019, 4, 11), "sputnik_de"),
    ("https://sputniknews.cn/20241222/1063319016.html", "1063319016", date(2024, 12, 22), "sputnik_zh"),
    ("https://sputniknews.lat/20231224/los-hechos-mas-destacados-del-2023-1146854920.html",
     "1146854920", date(2023, 12, 24), "sputnik_es"),
    ("https://noticiabrasil.net.br/amp/20241126/bem-vinda-a-venezuela-sputnik-maduro-recebe-e-"
     "cumprimenta-a-midia-russa-37500142.html", "37500142", date(2024, 11, 26), "sputnik_pt"),
    ("https://anlatilaninotesi.com.tr/20250112/1092593845.html", "1092593845", date(2025, 1, 12), "sputnik_tr"),
    ("https://sputnikportal.rs/20250420/dina-blagojevic-spartak-moskva-intervju-sport-tenis-1184223394.html",
     "1184223394", date(2025, 4, 20), "sputnik_sr"),
    # From stored pages: short ids of other editions in the 2016-2020 form
    # (6 digits on it. in 2015, 8 on br. in 2021), old articles served at a
    # later host, percent-encoded Arabic slugs, the platform's overlay arguments.
    ("https://it.sputniknews.com/italia/20150705683718/", "683718", date(2015, 7, 5), "sputnik_it"),
    ("https://br.sputniknews.com/hoje-atualizado/2021090317967559-manha-com-sputnik-brasil-destaques-desta-"
     "sexta-feira-3-de-setembro/", "17967559", date(2021, 9, 3), "sputnik_pt"),
    ("https://sputniknewsbr.com.br/amp/20200928/manha-com-sputnik-brasil-destaques-desta-segunda-feira-28-de-"
     "setembro--16138659.html", "16138659", date(2020, 9, 28), "sputnik_pt"),
    ("https://tr.sputniknews.com/rusya/201606021023122687-rusya-zaharova-basin-toplantisi/",
     "1023122687", date(2016, 6, 2), "sputnik_tr"),
    ("https://sarabic.ae/20150209/1013373307.html", "1013373307", date(2015, 2, 9), "sputnik_ar"),
    ("https://arabic.sputniknews.com/radio_event/201707261025304468-%D9%84%D8%A8%D9%86%D8%A9-%D8%AC%D8%AF%D9"
     "%8A%D8%AF%D8%A9/", "1025304468", date(2017, 7, 26), "sputnik_ar"),
    ("https://lat.sputnikportal.rs/20220228/vucic-o-zahtevu-pristine-da-postane-clanica-nato-a-ideja-lobista-"
     "u-sad-i-eu-1134867050.html?modal=feedback", "1134867050", date(2022, 2, 28), "sputnik_sr"),
    ("https://anlatilaninotesi.com.tr/20210830/rusyada-gagarin-anitinin-copte-bulundugu-kentin-belediye-"
     "baskan-yardimcisi-yargilanacak-1048441956.html?chat_room_id=1048441956", "1048441956",
     date(2021, 8, 30), "sputnik_tr"),
]


@pytest.mark.parametrize("url,article_id,day,edition", REAL)
def test_real_urls(url, article_id, day, edition):
    facts = url_facts(url)
    assert (facts.article_id, facts.day, facts.edition) == (article_id, day, edition)


# The forms of issue 12, with {id} a 10-digit id (6 to 10 on other editions).
DAILY = "/20211227/lavrov-precise-{id}.html"
SLUGLESS = "/20250701/{id}.html"
STAMPED = "/international/20190315{id}-slug/"
STAMPED_NO_SLASH = "/international/20190315{id}-slug"
STAMPED_NO_SLUG = "/international/20190315{id}/"
DIRECTORY_2015 = "/international/20150331/{id}.html"
DIRECTORY_SLUG = "/news/20160512/{id}/911-saudi-obama-terror-fbi.html"
AMP_DAILY = "/amp/20240313/slug-{id}.html"
AMP_STAMPED = "/amp/radio_the_critical_hour/20200905{id}-slug/?__twitter_impression=true"
FORM_DAYS = {DAILY: date(2021, 12, 27), SLUGLESS: date(2025, 7, 1), STAMPED: date(2019, 3, 15),
             STAMPED_NO_SLASH: date(2019, 3, 15), STAMPED_NO_SLUG: date(2019, 3, 15),
             DIRECTORY_2015: date(2015, 3, 31), DIRECTORY_SLUG: date(2016, 5, 12),
             AMP_DAILY: date(2024, 3, 13), AMP_STAMPED: date(2020, 9, 5)}
ERAS = {(2021, 2030): (DAILY, SLUGLESS, AMP_DAILY),
        (2016, 2020): (STAMPED, STAMPED_NO_SLASH, STAMPED_NO_SLUG, AMP_STAMPED),
        (2014, 2016): (DIRECTORY_2015, DIRECTORY_SLUG)}


def cases() -> list[tuple[str, str, str]]:
    """(edition, host, form) for each host in use during the form's era."""
    found = []
    for edition in EDITIONS.values():
        for use in edition.host_uses:
            for (first, last), forms in ERAS.items():
                if (use.years.since or 2014) <= last and (use.years.until or 2030) >= first:
                    found += [(edition.name, use.host, form) for form in forms]
    return found


@pytest.mark.parametrize("edition,host,form", cases())
@pytest.mark.parametrize("article_id", ["1054083153", "324661444", "3750014", "683718"])
def test_every_form_on_every_edition_that_used_it(edition, host, form, article_id):
    facts = url_facts("https://" + host + form.format(id=article_id))
    assert (facts.article_id, facts.day, facts.edition) == (article_id, FORM_DAYS[form], edition)


def test_every_edition_has_forms_to_test():
    assert {edition for edition, _, _ in cases()} == set(EDITIONS)


@pytest.mark.parametrize("url,canonical", [
    ("https://sputnikglobe.com/amp/20240313/slug-1065524510.html",
     "https://sputnikglobe.com/20240313/slug-1065524510.html"),
    (REAL[3][0], "https://sputniknews.com/radio_the_critical_hour/202009051080370875-covid-19-model-"
     "predicts-us-death-toll-will-surpass-410000-by-january-1/"),
    (REAL[1][0], "http://sputniknews.com/russia/20150724/1024986748.html"),
    ("https://m.fr.sputniknews.com/amp/20151227/1020000000.html?utm_source=x&page=2",
     "https://fr.sputniknews.com/20151227/1020000000.html?page=2"),
    ("https://www.sputniknews.lat/20231224/x-1146854920.html?fbclid=abc",
     "https://www.sputniknews.lat/20231224/x-1146854920.html"),
    (REAL[-2][0], REAL[-2][0].split("?")[0]),  # the platform's overlays are views of the article
    (REAL[-1][0], REAL[-1][0].split("?")[0]),
    # Not articles, or not the platform's: left alone.
    ("https://m.sputniknews.com/amp/", "https://m.sputniknews.com/amp/"),
    ("https://m.example.com/20211227/x-1054083153.html", "https://m.example.com/20211227/x-1054083153.html"),
])
def test_canonical_article_url(url, canonical):
    assert canonical_article_url(url) == canonical
    assert canonical_article_url(canonical) == canonical


@pytest.mark.parametrize("edition", EDITIONS.values(), ids=list(EDITIONS))
def test_each_host_is_owned_by_its_edition_and_mobile_hosts_map_home(edition: Edition):
    for use in edition.host_uses:
        assert edition_for_host(use.host) is edition
        assert edition_for_host("www." + use.host.upper() + ".") is edition
        assert edition.desktop_host(use.host) == (use.mobile_of or use.host)
    assert edition_for_host("example.com") is None


@pytest.mark.parametrize("url", [
    "http://m.sputniknews.com/russia/20150724/1024986748.html",
    "https://sputniknews.com/amp/radio_the_critical_hour/202009051080370875-slug/?__twitter_impression=true",
    "https://sputnikglobe.com/amp/20240313/slug-1065524510.html",
    "https://sputniknews.com/news/20160512/1039528652/911-saudi-obama-terror-fbi.html",
])
def test_discovery_accepts_amp_and_mobile_forms_of_the_edition(url):
    english = DiscoveryFilter(EDITIONS["sputnik_en"].hosts, DateWindow(None, None))
    french = DiscoveryFilter(EDITIONS["sputnik_fr"].hosts, DateWindow(None, None))
    assert english.skip_reason_for_article(url) is None
    assert french.skip_reason_for_article(url) == "other_host"
