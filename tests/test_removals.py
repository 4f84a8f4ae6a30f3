"""Archived articles found gone later: 404/410 or a redirect off the article, with -a recheck=1."""
from __future__ import annotations

import asyncio

import pytest
from scrapy.exceptions import UsageError

from crawler.arguments import CrawlArguments
from crawler.editions import SPUTNIK_FR
from crawler.history.__main__ import main as history_main
from crawler.outputs import open_history
from tests.crawl import run_crawl
from tests.site.faults import Redirect, Status
from tests.site.server import SputnikSite

FAST = {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "DOWNLOAD_TIMEOUT": "2",
        "RETRY_BACKOFF_BASE": "0.05", "REPORT_ENABLED": "False",
        "EDITION_EXTRA_HOSTS": "localhost"}
SINCE = "2017-01-01"


@pytest.fixture(scope="module")
def rechecked(tmp_path_factory):
    """Crawled once; then one article 404s, one 410s, one redirects to the home
    page and one moves to the edition's other host; then crawled with recheck=1."""
    workdir = tmp_path_factory.mktemp("removals")
    (workdir / "later").mkdir()
    with SputnikSite(fresh=0) as site:
        first = run_crawl(workdir, args={"site": site.url, "since": SINCE}, settings=FAST)
        assert first.returncode == 0, first.log
        gone, deleted, elsewhere, moved = site.sample_paths[:4]
        site.add_fault(gone, Status(status=404))
        site.add_fault(deleted, Status(status=410))
        site.serve(elsewhere, b"", headers={"Location": "/"}, status=301)
        site.add_fault(moved, Redirect())
        site.log.clear()
        again = run_crawl(workdir, args={"site": site.url, "since": SINCE, "recheck": "1"},
                          settings=FAST)
        requested = set(site.log.requested_paths())
        ids = {path: site.article(path).article_id for path in (gone, deleted, elsewhere, moved)}
        # Seen gone again: the removals are not emitted a second time.
        again.later = run_crawl(workdir / "later", args={"site": site.url, "since": SINCE, "recheck": "1"},
                                settings={**FAST, "STATE_URI": f"sqlite:///{workdir / 'output/state/sputnik_fr.sqlite3'}"})
    return workdir, first, again, ids, requested, (gone, deleted, elsewhere, moved)


def test_recheck_asks_again_for_every_archived_article(rechecked):
    _, first, again, _, requested, _ = rechecked
    assert again.returncode == 0, again.log
    assert again.stats["recheck/requested"] == len(first.items)
    assert {item["url"].split("://", 1)[1].split("/", 1)[1] for item in first.items} <= \
        {path.lstrip("/") for path in requested}


def test_gone_articles_are_marked_removed_with_the_time_and_reason(rechecked):
    workdir, _, again, ids, _, (gone, deleted, elsewhere, moved) = rechecked
    history = open_history(f"sqlite:///{workdir / 'output/state/sputnik_fr.sqlite3'}")
    removals = {removal.article_id: removal for removal in history.removals()}
    assert set(removals) == {ids[gone], ids[deleted], ids[elsewhere]}
    assert removals[ids[gone]].reason == "status_404"
    assert removals[ids[deleted]].reason == "status_410"
    assert removals[ids[elsewhere]].reason == "redirect"
    assert removals[ids[elsewhere]].location.endswith("/")
    assert removals[ids[gone]].first_gone.endswith("Z")
    assert again.stats["removals/found/status_404"] == 1
    assert again.stats["removals/found/status_410"] == 1
    assert again.stats["removals/found/redirect"] == 1


def test_a_second_sighting_keeps_the_first_time(rechecked):
    workdir, _, _, ids, _, (gone, *_rest) = rechecked
    history = open_history(f"sqlite:///{workdir / 'output/state/sputnik_fr.sqlite3'}")
    first = history.removal(ids[gone])
    assert not history.mark_removed(ids[gone], first.url, "2999-01-01T00:00:00Z", "status_404")
    later = history.removal(ids[gone])
    assert later.first_gone == first.first_gone and later.last_checked == "2999-01-01T00:00:00Z"


def test_history_show_says_removed(rechecked, capsys):
    workdir, _, _, ids, _, (gone, *_rest) = rechecked
    state = f"sqlite:///{workdir / 'output/state/sputnik_fr.sqlite3'}"
    assert history_main(["--state", state, "show", ids[gone]]) == 0
    assert "removed: first seen gone" in capsys.readouterr().out


def test_recheck_is_for_live_crawls_only(tmp_path):
    assert CrawlArguments.parse(SPUTNIK_FR, recheck="1").recheck is True
    assert CrawlArguments.parse(SPUTNIK_FR).recheck is False
    with pytest.raises(UsageError, match="recheck"):
        CrawlArguments.parse(SPUTNIK_FR, replay=str(tmp_path), recheck="1")


def test_a_store_error_is_counted_and_the_answer_still_goes_on(tmp_path, caplog):
    from scrapy import Request, Spider
    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler
    from crawler.middlewares.removals import RemovalMiddleware
    crawler = get_crawler(type("Named", (Spider,), {"name": "x"}),
                          {"STATE_URI": f"sqlite:///{tmp_path / 's.sqlite3'}", "STATE_ENABLED": True,
                           "HISTORY_ENABLED": True})
    middleware = RemovalMiddleware.from_crawler(crawler)
    middleware.history.db.close()
    request = Request("https://fr.sputniknews.com/20211227/lavrov-1054083153.html")
    response = HtmlResponse(request.url, status=404, request=request)
    assert asyncio.run(middleware.process_response(request, response)) is response
    assert crawler.stats.get_value("removals/errors/store") == 1
    assert any("Could not record the removal" in r.getMessage() for r in caplog.records)


def test_the_next_run_emits_each_removal_once_as_its_last_version(rechecked):
    workdir, first, again, ids, _, (gone, deleted, elsewhere, moved) = rechecked
    history = open_history(f"sqlite:///{workdir / 'output/state/sputnik_fr.sqlite3'}")
    removed = {item["article_id"]: item for item in again.items if item.get("removed")}
    assert set(removed) == {ids[gone], ids[deleted], ids[elsewhere]}
    assert again.stats["removals/emitted"] == 3
    archived = {item["article_id"]: item for item in first.items}
    for article_id, item in removed.items():
        removal = history.removal(article_id)
        assert item["removed"] == item["fetched_at"] == removal.first_gone
        assert item["source"]["mode"] == "live" and item["source"]["fetched_url"].endswith(
            removal.url.split("/", 3)[3])
        last = archived[article_id]
        for name in ("url", "title", "body", "published", "keywords", "edition", "kind", "version"):
            assert item[name] == last[name], name
    assert not [item for item in again.items if item.get("removed") is None and item["article_id"] in removed]
    assert again.later.returncode == 0, again.later.log
    assert not [item for item in again.later.items if item.get("removed")]
    assert "removals/emitted" not in again.later.stats
    assert again.later.stats["removals/seen_again/status_404"] == 1


def test_a_removal_without_a_stored_text_has_its_url_id_and_time_only(tmp_path):
    from crawler.exporters import feed_item
    from crawler.middlewares.removals import removal_item
    from crawler.state import open_store
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite3'}")
    url = "https://fr.sputniknews.com/20211227/lavrov-1054083153.html"
    store.record_version("1054083153", url, "2021-12-27T10:25:00+01:00", None, b"d", "2021-12-28T06:00:00Z")
    history = open_history(f"sqlite:///{tmp_path / 's.sqlite3'}")
    item = removal_item(history, "1054083153", url + "?x", "2022-03-01T00:00:00Z", {"mode": "live"})
    assert (item.url, item.article_id, item.removed, item.title, item.body, item.version) == (
        url, "1054083153", "2022-03-01T00:00:00Z", None, None, None)
    assert feed_item(item)["_sputnik"]["removed"] == "2022-03-01T00:00:00Z"


def test_emitting_removals_logs_no_error(rechecked):
    _, _, again, _, _, _ = rechecked
    assert again.log_lines("ERROR") == []


def _middleware_with_archived(tmp_path, url: str):
    from scrapy import Spider
    from scrapy.utils.test import get_crawler
    from crawler.middlewares.removals import RemovalMiddleware
    from crawler.state import open_store
    uri = f"sqlite:///{tmp_path / 's.sqlite3'}"
    open_store(uri).record_version("1054083153", url, "2021-12-27T10:25:00+01:00", None, b"d",
                                   "2021-12-28T06:00:00Z")
    crawler = get_crawler(type("Named", (Spider,), {"name": "x"}),
                          {"STATE_URI": uri, "STATE_ENABLED": True, "HISTORY_ENABLED": True})
    return crawler, RemovalMiddleware.from_crawler(crawler)


def test_only_the_archived_page_says_an_article_is_gone(tmp_path):
    # A listing naming the id under a wrong slug or with stray arguments (seen in
    # a hostile RSS feed) answers 404 while the article stands.
    from scrapy import Request
    from scrapy.http import HtmlResponse
    archived = ("https://fr.sputniknews.com/20211227/"
                "lavrov-precise-quand-se-tiendront-les-pourparlers-1054083153.html")
    crawler, middleware = _middleware_with_archived(tmp_path, archived)

    def answer_404(url: str) -> None:
        request = Request(url)
        asyncio.run(middleware.process_response(request, HtmlResponse(url, status=404, request=request)))

    answer_404("https://fr.sputniknews.com/20211227/lavrov-1054083153.html?x=")
    assert crawler.stats.get_value("removals/ignored/other_url") == 1
    assert middleware.history.removal("1054083153") is None


def test_the_amp_page_of_an_archived_article_speaks_for_it():
    from crawler.middlewares.removals import same_article_path
    archived = "https://fr.sputniknews.africa/20240313/le-niger-1065524510.html"
    assert same_article_path("https://fr.sputniknews.africa/amp/20240313/le-niger-1065524510.html", archived)
    assert not same_article_path("https://fr.sputniknews.africa/20240313/niger-1065524510.html", archived)
    assert not same_article_path(archived, None)
    # The archived page on the edition's other host, or on a mirror, is the article's own.
    assert same_article_path(archived.replace("fr.sputniknews.africa", "fr.sputniknews.com"), archived)
    assert same_article_path("http://127.0.0.1:8080/20240313/le-niger-1065524510.html", archived)


# --- recorded only once the removal item is in the feeds --------------------------


ARCHIVED = "https://fr.sputniknews.com/20211227/lavrov-1054083153.html"


class Pipelines:
    """The engine's item path, reduced to what the middleware needs: each item
    either reaches the feeds (item_scraped) or is dropped on the way."""

    def __init__(self, crawler, deliver: bool) -> None:
        self.crawler, self.deliver, self.items = crawler, deliver, []

    async def start_itemproc_async(self, item, response):
        from scrapy import signals
        from scrapy.exceptions import DropItem
        self.items.append(item)
        if self.deliver:
            self.crawler.signals.send_catch_log(signals.item_scraped, item=item, response=response,
                                                spider=None)
        else:
            self.crawler.signals.send_catch_log(signals.item_dropped, item=item, response=response,
                                                exception=DropItem("test"), spider=None)


def _answer_gone(middleware, deliver: bool) -> list:
    from types import SimpleNamespace
    from scrapy import Request
    from scrapy.http import HtmlResponse
    pipelines = Pipelines(middleware.crawler, deliver)
    middleware.crawler.engine = SimpleNamespace(scraper=pipelines)
    request = Request(ARCHIVED, meta={"fetched_at": "2022-03-01T06:00:00Z"})
    asyncio.run(middleware.process_response(request, HtmlResponse(ARCHIVED, status=404, request=request)))
    return pipelines.items


def test_a_removal_is_recorded_once_its_item_reached_the_feeds(tmp_path):
    crawler, middleware = _middleware_with_archived(tmp_path, ARCHIVED)
    assert len(_answer_gone(middleware, deliver=True)) == 1
    assert middleware.history.removal("1054083153").first_gone == "2022-03-01T06:00:00Z"
    assert crawler.stats.get_value("removals/found/status_404") == 1
    assert _answer_gone(middleware, deliver=True) == [], "seen gone again: no second item"
    assert crawler.stats.get_value("removals/seen_again/status_404") == 1
    assert middleware.pending == {}


def test_a_removal_item_that_never_reached_the_feeds_is_emitted_again(tmp_path, caplog):
    crawler, middleware = _middleware_with_archived(tmp_path, ARCHIVED)
    assert len(_answer_gone(middleware, deliver=False)) == 1
    assert middleware.history.removal("1054083153") is None, "not recorded before the feeds have it"
    assert crawler.stats.get_value("removals/not_recorded") == 1
    assert any("not recorded" in r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert len(_answer_gone(middleware, deliver=True)) == 1, "the next sighting says it again"
    assert middleware.history.removal("1054083153") is not None


def test_a_removal_is_not_recorded_after_a_feed_write_failed(tmp_path):
    from crawler.feeds import FEED_WRITE_ERRORS
    crawler, middleware = _middleware_with_archived(tmp_path, ARCHIVED)
    crawler.stats.set_value(FEED_WRITE_ERRORS, 1)
    assert len(_answer_gone(middleware, deliver=True)) == 1
    assert middleware.history.removal("1054083153") is None
    assert crawler.stats.get_value("removals/not_recorded") == 1


def test_a_removal_still_on_its_way_when_the_crawl_ends_is_not_recorded(tmp_path):
    crawler, middleware = _middleware_with_archived(tmp_path, ARCHIVED)
    middleware.pending["1054083153"] = (ARCHIVED, "2022-03-01T06:00:00Z", "status_404", None)
    middleware.spider_closed()
    assert crawler.stats.get_value("removals/not_recorded") == 1
    assert open_history(crawler.settings["STATE_URI"]).removal("1054083153") is None
