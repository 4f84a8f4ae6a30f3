from datetime import date

import pytest

from crawler.urls import article_id_from_url, is_article_url, is_forbidden_path, publication_date_from_url

FR = "https://fr.sputniknews.com"


@pytest.mark.parametrize("url,article_id,day", [
    (f"{FR}/20211227/lavrov-precise-1054083153.html", "1054083153", date(2021, 12, 27)),
    ("https://fr.sputniknews.africa/20220315/titre-1055000001.html", "1055000001", date(2022, 3, 15)),
    (f"{FR}/international/201903151040353449-slug-du-titre/", "1040353449", date(2019, 3, 15)),
    (f"{FR}/france/201605021024760123-titre/", "1024760123", date(2016, 5, 2)),
    (f"{FR}/international/201903151040353449/", "1040353449", date(2019, 3, 15)),
])
def test_article_urls_give_id_and_day(url, article_id, day):
    assert article_id_from_url(url) == article_id
    assert publication_date_from_url(url) == day
    assert is_article_url(url)


@pytest.mark.parametrize("url", [
    f"{FR}/", f"{FR}/international/", f"{FR}/20211227/", f"{FR}/robots.txt",
    f"{FR}/sitemap_article.xml?date_start=20211201&date_end=20211231",
    f"{FR}/services/20211227/share-1054083153.html",
    f"{FR}/20211227/lavrov-1054083153-print.html",
    f"{FR}/search/?query=otan",
])
def test_other_urls_are_not_articles(url):
    assert not is_article_url(url)
    assert article_id_from_url(url) is None


@pytest.mark.parametrize("url", [
    f"{FR}/20211345/impossible-date-1054083153.html",
    f"{FR}/international/201913451054083153-slug/",
])
def test_impossible_day_keeps_the_id_but_gives_no_day(url):
    # The URL has an article's shape and id (urls.py reads "article or not",
    # the id and the day as separate facts); only the day cannot be read, and
    # discovery skips such a URL for want of a day.
    assert is_article_url(url)
    assert article_id_from_url(url) == "1054083153"
    assert publication_date_from_url(url) is None


@pytest.mark.parametrize("url,forbidden", [
    (f"{FR}/services/x/", True), (f"{FR}/search/?q=a", True),
    (f"{FR}/20211227/a-1054083153-print.html", True), (f"{FR}/20211227/a-1054083153.html", False),
])
def test_forbidden_paths(url, forbidden):
    assert is_forbidden_path(url) is forbidden
