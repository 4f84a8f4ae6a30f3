"""Every edition's spider, generated from the registry, crawls the local test
site and replays an archive of its own (one Scrapy process for all of them:
tests/edition_crawls.py), and ``scrapy list`` shows them all."""
from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from crawler.editions import EDITIONS, Edition
from crawler.sources.run import ArchiveRun
from crawler.spiders.editions import SPIDER_CLASSES
from tests import warc_builders as wb
from tests.crawl import ROOT, crawl_command, read_json, read_jsonl, run_crawl
from tests.site.server import SputnikSite

FIXTURE = ROOT / "samples" / "pages" / "article-1054083153.html"
FIXTURE_ID = "1054083153"
FIXTURE_URL = re.search(r'<link rel="canonical" href="([^"]+)"', FIXTURE.read_text("utf-8")).group(1)
# What the page says of its publisher and language goes, so the registry's
# values can be seen taking over.
SAYS_WHO = ('property="og:site_name"', 'itemprop="publisher"', 'property="og:locale"',
            'itemprop="inLanguage"')
# An AMP capture that names no canonical URL: its item's URL must come from
# the URL it was fetched at.
SAYS_WHERE = ('rel="canonical"', 'property="og:url"', 'itemprop="mainEntityOfPage"', '<a itemprop="url"')
NAMES = sorted(EDITIONS)


def article_url(edition: Edition) -> str:
    """The fixture article as published at the edition's newest host, in a year it used it."""
    use = [use for use in edition.host_uses if use.mobile_of is None][-1]
    day = date(max(use.years.since or 2021, 2021), 12, 27)
    return f"https://{use.host}/{day:%Y%m%d}/article-{FIXTURE_ID}.html"


def amp_url(url: str) -> str:
    scheme, _, host, path = url.split("/", 3)
    return f"{scheme}//{host}/amp/{path}?__twitter_impression=true"


def edition_page(url: str, *, amp: bool = False) -> bytes:
    dropped = SAYS_WHO + (SAYS_WHERE if amp else ())
    lines = [line for line in FIXTURE.read_text("utf-8").splitlines()
             if not any(marker in line for marker in dropped)]
    return "\n".join(lines).replace(FIXTURE_URL, url).replace('<html lang="fr"', "<html").encode()


def build_archive(path: Path) -> Path:
    """Every edition's article, as a desktop and as an AMP capture, in one file."""
    records = []
    for edition in EDITIONS.values():
        url = article_url(edition)
        records += [wb.html_response(url, edition_page(url)),
                    wb.html_response(amp_url(url), edition_page(url, amp=True))]
    wb.build_warc(path, records)
    return path


@pytest.fixture(scope="module")
def crawls(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("editions")
    warc = build_archive(workdir / "editions.warc.gz")
    with SputnikSite(fresh=0) as site:
        (article,) = [a for a in site.articles() if a.article_id == FIXTURE_ID]
        _, env = crawl_command(workdir)
        done = subprocess.run(
            [sys.executable, "-m", "tests.edition_crawls", str(workdir), site.url, article.path, str(warc)],
            cwd=workdir, env={**env, "SPUTNIK_OUTPUT_DIR": str(workdir / "output")},
            capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return workdir, read_json(workdir / "outcome.json"), done.stderr


@pytest.mark.parametrize("name", NAMES)
def test_spider_crawls_the_test_site(crawls, name):
    workdir, outcome, log = crawls
    assert outcome[f"live/{name}"]["reason"] == "finished", log[-2000:]
    (item,) = read_jsonl(workdir / "live" / f"{name}.jsonl")
    assert item["edition"] == name
    assert item["article_id"] == FIXTURE_ID and item["source"]["mode"] == "live"
    assert outcome[f"live/{name}"]["stats"]["item_scraped_count"] == 1


@pytest.mark.parametrize("name", NAMES)
def test_spider_replays_its_own_article_once_with_registry_values(crawls, name):
    workdir, outcome, log = crawls
    edition = EDITIONS[name]
    url = article_url(edition)
    stats = outcome[f"replay/{name}"]["stats"]
    assert outcome[f"replay/{name}"]["reason"] == "finished", log[-2000:]
    # The AMP capture is the same article: deduplicated against the desktop one.
    (item,) = read_jsonl(workdir / "replay" / f"{name}.jsonl")
    assert stats["dedupe/duplicate"] == 1
    assert stats["replay/skipped/other_host"] == 2 * (len(EDITIONS) - 1)
    assert (item["url"], item["site"], item["edition"]) == (url, url.split("/")[2], name)
    assert item["source"]["fetched_url"] in (url, amp_url(url))
    day = date(int(url.split("/")[3][:4]), 12, 27)
    assert item["publisher"] == edition.publisher_for(item["site"], day) is not None
    assert item["language"] == edition.language_for(item["site"])


def test_amp_capture_alone_gives_the_desktop_article(tmp_path):
    edition = EDITIONS["sputnik_en"]
    url = article_url(edition)
    warc = tmp_path / "amp.warc.gz"
    wb.build_warc(warc, [wb.html_response(amp_url(url), edition_page(url, amp=True))])
    result = run_crawl(tmp_path, spider="sputnik_en", args={"replay": str(warc)})
    (item,) = result.items
    assert item["url"] == url == "https://sputnikglobe.com/20221227/article-1054083153.html"
    assert item["source"]["fetched_url"] == amp_url(url)
    assert item["publisher"] == "Sputnik International" and item["edition"] == "sputnik_en"
    # The English newsroom shows GMT: the page's 10:25 +01:00 is given in UTC.
    assert item["published"] == "2021-12-27T09:25:00+00:00"


def test_mobile_capture_of_2015_gives_the_desktop_article_in_that_years_zone(tmp_path):
    # A real mobile URL (issue 12); the page is the fixture's markup moved there.
    mobile = "http://m.sputniknews.com/russia/20150724/1024986748.html"
    page = edition_page(mobile, amp=True).replace(FIXTURE_ID.encode(), b"1024986748")
    warc = tmp_path / "mobile.warc.gz"
    wb.build_warc(warc, [wb.html_response(mobile, page)])
    (item,) = run_crawl(tmp_path, spider="sputnik_en", args={"replay": str(warc)}).items
    assert (item["url"], item["site"]) == ("http://sputniknews.com/russia/20150724/1024986748.html",
                                           "sputniknews.com")
    assert item["article_id"] == "1024986748" and item["source"]["fetched_url"] == mobile
    # The newsroom showed Moscow time then: the page's 10:25 +01:00 is rendered in it.
    assert item["published"] == "2021-12-27T12:25:00+03:00"


def test_scrapy_list_shows_one_spider_per_edition(tmp_path):
    command, env = crawl_command(tmp_path)
    done = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == NAMES
    assert len(NAMES) == 33 and {"sputnik_fr", "sputnik_en"} <= set(NAMES)
    assert "same name" not in done.stderr  # no edition's spider found twice


def test_africa_pages_are_never_sputnik_france():
    france = EDITIONS["sputnik_fr"]
    for year in range(2014, 2027):
        assert france.publisher_for("fr.sputniknews.africa", date(year, 6, 1)) == "Sputnik Afrique"
    assert france.publisher_for("fr.sputniknews.com", date(2021, 12, 27)) == "Sputnik France"
    assert france.publisher_for("fr.sputniknews.com", date(2023, 1, 2)) == "Sputnik Afrique"


def test_json_of_outcome_is_per_crawl(crawls):
    _, outcome, _ = crawls
    assert sorted(outcome) == sorted(f"{mode}/{name}" for mode in ("live", "replay") for name in NAMES)



def _spider_with_source(name: str, **arguments: str):
    # The project's settings, the reactor left as the test run has it.
    settings = {key: value for key, value in get_project_settings().copy_to_dict().items()
                if not key.startswith("TWISTED")}
    cls = SPIDER_CLASSES[name]
    return cls.from_crawler(get_crawler(cls, settings), **arguments)


@pytest.mark.parametrize("name", NAMES)
def test_web_archive_sources_ask_for_every_host_of_the_edition(name):
    hosts = sorted(EDITIONS[name].hosts)
    spider = _spider_with_source(name, source="commoncrawl,wayback", crawls="CC-MAIN-2021-49")
    sources = ArchiveRun(spider).sources
    assert sources["wayback"].hosts == hosts
    commoncrawl = sources["commoncrawl"]
    commoncrawl._use_crawls(None)
    assert commoncrawl.queries == [("CC-MAIN-2021-49", host) for host in hosts]
