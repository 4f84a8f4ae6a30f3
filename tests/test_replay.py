"""End to end: ``scrapy crawl sputnik_fr -a replay=...`` on archives built here and found elsewhere."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest

from crawler.editions import SPUTNIK_FR
from crawler.urls import is_article_url
from scripts.build_sample_warc import CAPTURED_AT, capture_url
from tests import warc_builders as wb
from tests.crawl import ROOT, SHARED, run_crawl
from tests.jsonfeed_schema import JSON_FEED_1_1

PAGES = ROOT / "samples" / "pages"
FIXTURE = PAGES / "article-1054083153.html"
FIXTURE_URL = ("https://fr.sputniknews.com/20211227/lavrov-precise-quand-se-tiendront-les-"
               "pourparlers-avec-lotan-et-les-usa-sur-la-securite-1054083153.html")
OLD_URL = "https://fr.sputniknews.com/france/201906241041472563-canicule-vigilance-orange-departements/"


def page_id(path: Path) -> str:
    """``live-1095109728.html`` → ``1095109728``."""
    return path.name.split(".")[0].rsplit("-", 1)[1]


def expected(article_id: str) -> dict:
    path = next(PAGES.glob(f"*-{article_id}.expected.json"))
    return json.loads(path.read_text(encoding="utf-8"))


def assert_item_matches(item: dict, article_id: str) -> None:
    for field, value in expected(article_id).items():
        if field == "source":  # the sample records the layout; replay adds where it came from
            assert item["source"]["layout"] == value["layout"]
        else:
            assert item[field] == value, field


def replayable_by_sputnik_fr() -> list[str]:
    """Ids of the bundled sample's pages that sputnik_fr replays: captured on
    one of its hosts at a URL its rules recognise as an article."""
    ids = []
    for page in PAGES.glob("*.html"):
        url = capture_url(page, page.read_bytes())
        if SPUTNIK_FR.owns(urlsplit(url).hostname) and is_article_url(url):
            ids.append(page_id(page))
    return sorted(ids)


AMP_CAPTURE = CAPTURED_AT["amp-1065524510"]
CAPTURE_2015 = "http://fr.sputniknews.com/international/20150331/1015401831.html"


EXTRA_PARAGRAPH = "Ça coûte 10 € — « vraiment » — à l’Otan."


def cp1252_fixture() -> bytes:
    """The fixture page, one paragraph longer, with no charset of its own,
    encoded as windows-1252."""
    html = FIXTURE.read_text(encoding="utf-8").replace('<meta charset="utf-8">\n', "")
    block = f'<div class="article__block" data-type="text"><div class="article__text">{EXTRA_PARAGRAPH}</div></div>\n'
    footer = '</div>\n<div class="article__footer">'
    assert footer in html
    return html.replace(footer, block + footer).encode("cp1252")


@pytest.fixture(scope="module")
def built_archives(tmp_path_factory):
    """Two files covering every payload case, and a file that is no WARC."""
    folder = tmp_path_factory.mktemp("warcs")
    old_page = (PAGES / "article-1041472563.html").read_bytes()
    original = wb.html_response(OLD_URL, old_page, date="2019-06-25T06:00:00Z")
    gz_records = [
        wb.warcinfo(),
        wb.html_response(FIXTURE_URL, FIXTURE.read_bytes(), chunk=True, gzip=True,
                         date="2021-12-28T06:00:00Z"),
        wb.http_request(FIXTURE_URL),
        original,
        wb.revisit(OLD_URL, original, date="2019-07-25T06:00:00Z"),
        wb.html_response("https://example.org/20211227/other-site-1054083153.html", b"<html></html>"),
    ]
    gz_path = folder / "a-gzip.warc.gz"
    wb.build_warc(gz_path, gz_records)
    plain_records = [
        wb.http_response(FIXTURE_URL, cp1252_fixture(),
                         headers=[("Content-Type", "text/html; charset=windows-1252")],
                         date="2021-12-29T06:00:00Z"),
        wb.html_response("https://fr.sputniknews.com/20211227/tronque-1054083999.html", b"x" * 5000),
    ]
    plain_path = folder / "b-plain.warc"
    wb.build_warc(plain_path, plain_records, gzip=False)
    wb.truncate(plain_path, 2000)
    (folder / "c-notes.warc").write_text("These are notes, not an archive.\n")
    return folder


@pytest.fixture(scope="module")
def built_replay(built_archives, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("replay")
    return run_crawl(workdir, args={"replay": str(built_archives)})


def test_built_archives_replay_to_items(built_replay):
    # c-notes.warc is not a WARC file: a partial run (crawler.outcome).
    assert built_replay.returncode == 3, built_replay.log
    by_file = {(item["url"], Path(item["source"]["warc_file"]).name): item for item in built_replay.items}
    assert set(by_file) == {(FIXTURE_URL, "a-gzip.warc.gz"), (OLD_URL, "a-gzip.warc.gz"),
                            (FIXTURE_URL, "b-plain.warc")}
    assert_item_matches(by_file[FIXTURE_URL, "a-gzip.warc.gz"], "1054083153")
    assert_item_matches(by_file[OLD_URL, "a-gzip.warc.gz"], "1041472563")


def test_chunked_gzip_payload_and_provenance(built_replay, built_archives):
    item = next(i for i in built_replay.items if i["url"] == FIXTURE_URL
                and i["source"]["warc_file"].endswith("a-gzip.warc.gz"))
    assert item["fetched_at"] == "2021-12-28T06:00:00Z"
    assert item["source"]["mode"] == "replay"
    assert item["source"]["warc_offset"] > 0
    assert item["source"]["warc_record_id"].startswith("<urn:uuid:")
    assert built_replay.stats["httpcompression/response_count"] >= 1


def test_windows_1252_page_with_charset_only_in_header(built_replay):
    items = [i for i in built_replay.items if i["source"]["warc_file"].endswith("b-plain.warc")]
    assert len(items) == 1
    assert items[0]["title"] == expected("1054083153")["title"]
    assert items[0]["body"] == expected("1054083153")["body"] + "\n\n" + EXTRA_PARAGRAPH
    assert items[0]["fetched_at"] == "2021-12-29T06:00:00Z"


def test_revisit_resolved_without_second_item(built_replay):
    assert built_replay.stats["replay/revisit/resolved"] == 1
    assert [i["url"] for i in built_replay.items].count(OLD_URL) == 1
    assert built_replay.stats["dedupe/duplicate"] == 1


def test_truncated_record_and_non_warc_file_are_reported_once(built_replay):
    warnings = [line for line in built_replay.log_lines("WARNING") if "b-plain.warc" in line]
    errors = [line for line in built_replay.log_lines("ERROR") if "c-notes.warc" in line]
    assert len(warnings) == 1 and "offset" in warnings[0]
    assert len(errors) == 1
    assert built_replay.stats["replay/errors/not_warc"] == 1
    assert built_replay.stats.get("replay/errors/truncated", 0) + \
        built_replay.stats.get("replay/errors/corrupt", 0) == 1
    assert built_replay.stats["finish_reason"] == "finished"


def test_other_hosts_are_counted_not_replayed(built_replay):
    assert built_replay.stats["replay/skipped/other_host"] == 1
    assert not any("example.org" in i["url"] for i in built_replay.items)


def test_window_limits_replay(built_archives, tmp_path):
    result = run_crawl(tmp_path, args={"replay": str(built_archives), "since": "2021-12-01",
                                       "until": "2021-12-31"})
    # Two captures of the December article, one with a longer body: two versions.
    assert [i["url"] for i in result.items] == [FIXTURE_URL, FIXTURE_URL]
    assert result.stats["replay/skipped/out_of_window"] >= 2


def test_missing_path_is_reported_and_others_replayed(built_archives, tmp_path):
    missing = tmp_path / "nowhere.warc.gz"
    result = run_crawl(tmp_path, args={"replay": f"{missing},{built_archives / 'a-gzip.warc.gz'}"})
    assert result.returncode == 3  # partial: one path missing
    assert result.stats["replay/errors/missing_path"] == 1
    assert {i["url"] for i in result.items} == {FIXTURE_URL, OLD_URL}
    assert any("nowhere.warc.gz" in line for line in result.log_lines("ERROR"))


@pytest.mark.skipif(not (SHARED / "samples" / "warc").is_dir(), reason="../shared/samples/warc not present")
def test_real_archives_from_other_tools_give_no_items_and_no_errors(tmp_path):
    result = run_crawl(tmp_path, args={"replay": str(SHARED / "samples" / "warc")})
    assert result.returncode == 0
    assert result.items == []
    assert result.log_lines("ERROR") == []
    # One WARNING says why there is nothing, and how to include another host.
    [warning] = result.log_lines("WARNING")
    assert "no record was of this edition's hosts" in warning and "EDITION_EXTRA_HOSTS=" in warning
    assert result.stats["replay/files"] == 4
    assert result.stats["replay/skipped/other_host"] >= 18
    assert not any(key.startswith("replay/errors/") for key in result.stats)


def test_bundled_sample_writes_both_feeds(tmp_path):
    shutil.copy(ROOT / "samples" / "sputnik-sample.warc.gz", tmp_path / "sample.warc.gz")
    result = run_crawl(tmp_path, args={"replay": "sample.warc.gz"}, default_feeds=True)
    assert result.returncode == 0, result.log
    feeds = tmp_path / "output" / "feeds" / "sputnik_fr"
    jsonl = sorted(feeds.glob("*.jsonl"))
    feed = sorted(feeds.glob("*.feed.json"))
    assert len(jsonl) == 1 and len(feed) == 1
    assert jsonl[0].name.removesuffix(".jsonl") == feed[0].name.removesuffix(".feed.json")
    lines = [json.loads(line) for line in jsonl[0].read_text(encoding="utf-8").splitlines()]
    document = json.loads(feed[0].read_text(encoding="utf-8"))
    jsonschema.validate(document, JSON_FEED_1_1)
    page_ids = replayable_by_sputnik_fr()
    assert len(page_ids) >= 9
    assert sorted(item["article_id"] for item in lines) == page_ids
    for item in lines:
        assert_item_matches(item, item["article_id"])
    assert [entry["id"] for entry in document["items"]] == [item["url"] for item in lines]
    assert result.stats["replay/revisit/resolved"] == 1
    assert result.stats["replay/skipped/status_404"] == 1
    # The English samples (live page, banner page, old radio AMP) are sputnik_en's.
    assert result.stats["replay/skipped/other_host"] >= 3


def test_amp_and_2015_captures_replay_into_items_with_canonical_urls(tmp_path):
    shutil.copy(ROOT / "samples" / "sputnik-sample.warc.gz", tmp_path / "sample.warc.gz")
    result = run_crawl(tmp_path, args={"replay": "sample.warc.gz"})
    assert result.returncode == 0, result.log
    by_id = {item["article_id"]: item for item in result.items}
    amp, old = by_id["1065524510"], by_id["1015401831"]
    assert amp["url"] == ("https://fr.sputniknews.africa/20240313/"
                          "le-niger-et-la-russie-signent-un-accord-sur-lenergie-solaire-1065524510.html")
    assert amp["source"]["layout"] == "amp"
    assert amp["source"]["fetched_url"] == AMP_CAPTURE
    assert (amp["edition"], amp["publisher"]) == ("sputnik_fr", "Sputnik Afrique")
    assert old["url"] == CAPTURE_2015
    assert old["source"]["layout"] == "2014"
    assert old["published"] == "2015-03-31T17:05:00+02:00"


def test_bundled_sample_english_pages_replay_with_sputnik_en(tmp_path):
    shutil.copy(ROOT / "samples" / "sputnik-sample.warc.gz", tmp_path / "sample.warc.gz")
    result = run_crawl(tmp_path, spider="sputnik_en", args={"replay": "sample.warc.gz"})
    assert result.returncode == 0, result.log
    by_id = {item["article_id"]: item for item in result.items}
    assert sorted(by_id) == ["1080370875", "1095109728", "1100247631"]
    for article_id, item in by_id.items():
        assert_item_matches(item, article_id)
    assert [by_id[i]["kind"] for i in sorted(by_id)] == ["podcast", "live", "article"]
    assert by_id["1080370875"]["source"]["fetched_url"] == CAPTURED_AT["amp-1080370875"]
    assert result.stats["article/layout/amp"] == 1 and result.stats["article/layout/2021"] == 2


@pytest.mark.parametrize("url", [
    "https://fr.sputniknews.com/20211227/slug-1054083153.html",
    "https://WWW.FR.SPUTNIKNEWS.COM/20211227/slug-1054083153.html",
    "http://user:pw@fr.sputniknews.com:8080/20211227/slug-1054083153.html",
    "https://fr.sputniknews.com./20211227/slug-1054083153.html",
    "https://www.site17.example/news/1.html",
    "https://example.org?u=https://fr.sputniknews.com/20211227/slug-1054083153.html",
    "https://[::1]/x", "dns:fr.sputniknews.com", "https://fr.sputniknews.com",
    "HTTPS://fr.sputniknews.com/services/x", "https://fr.sputniknews.com#frag",
])
def test_replay_url_filter_agrees_with_the_spiders(url: str) -> None:
    from crawler.discovery import DiscoveryFilter
    from crawler.replay import ReplayUrlFilter
    from crawler.window import DateWindow

    urls = DiscoveryFilter(["fr.sputniknews.com"], DateWindow())
    assert ReplayUrlFilter(urls)(url) == urls.skip_reason_for_article(url)


def test_replay_url_filter_remembers_few_answers_and_counts_every_call() -> None:
    from crawler.discovery import DiscoveryFilter
    from crawler.replay import RECENT_URLS, ReplayUrlFilter
    from crawler.window import DateWindow

    urls = ReplayUrlFilter(DiscoveryFilter(["fr.sputniknews.com"], DateWindow()))
    article = "https://fr.sputniknews.com/20211227/slug-1054083153.html"
    others = [f"https://site{number}.example/news/1.html" for number in range(10)]
    for first, then in zip([article, *others], [*others, article]):
        assert urls.may_take(first) is (first == article)
        assert urls(then) == (None if then == article else "other_host")
        assert len(urls._recent) <= RECENT_URLS
    assert urls.other_hosts == {f"site{number}.example": 1 for number in range(10)}
    assert urls.edition_records == 1
