"""Units of archive-history runs: digests, the choice of captures, crawls for a
window, the index cache and the capture store."""
from __future__ import annotations

import base64
import hashlib
from datetime import date

import pytest
from scrapy.exceptions import UsageError

from crawler.arguments import CrawlArguments
from crawler.editions import SPUTNIK_FR
from crawler.sources.cache import CommonCrawlCache, WaybackCache
from crawler.sources.captures import Capture
from crawler.sources.crawls import crawl_end, crawls_for_window
from crawler.sources.selection import CaptureSelector, Listed
from crawler.state.captures import HeldCapture, SqliteCaptureStore, normalise_digest, open_capture_store
from crawler.window import DateWindow
from tests.redis_server import redis_server

RAW = hashlib.sha1(b"payload").digest()
B32 = base64.b32encode(RAW).decode()


def test_digests_compare_in_one_form_whatever_the_index_wrote():
    assert normalise_digest(B32) == f"sha1:{B32}"
    assert normalise_digest(f"sha1:{B32.lower()}") == f"sha1:{B32}"
    assert normalise_digest(RAW.hex()) == f"sha1:{B32}"
    assert normalise_digest("sha256:" + B32) == ""
    assert normalise_digest("D2021") == "" and normalise_digest(None) == ""


def listed(article: str, source: str, timestamp: str, digest: str) -> Listed:
    return Listed(article, source, Capture(f"https://x/{article}", timestamp, digest))


def digest(text: str) -> str:
    return base64.b32encode(hashlib.sha1(text.encode()).digest()).decode()


def selector(keep_all: bool = False, refresh: bool = False,
             prefer: tuple[str, ...] = ("commoncrawl", "wayback")) -> CaptureSelector:
    chooser = CaptureSelector(prefer, keep_all, refresh)
    for capture in [listed("1", "wayback", "20220101000000", digest("b")),
                    listed("1", "commoncrawl", "20200101000000", digest("a")),
                    listed("1", "commoncrawl", "20210101000000", digest("b")),
                    listed("1", "commoncrawl", "20210101000000", digest("b")),  # listed twice
                    listed("2", "wayback", "20220101000000", digest("c"))]:
        chooser.offer(capture)
    return chooser


def chosen(chooser: CaptureSelector, held: dict[str, set[str]] | None = None,
           holds: set[str] = frozenset()) -> list[tuple[str, str, str]]:
    choices = chooser.choose(lambda a: (held or {}).get(a, set()), lambda a: a in holds)
    return [(c.chosen.article_id, c.chosen.source, c.chosen.capture.timestamp) for c in choices]


def test_newest_capture_of_the_preferred_archive_and_every_capture_in_one_bucket():
    chooser = selector()
    assert chosen(chooser) == [("1", "commoncrawl", "20210101000000"), ("2", "wayback", "20220101000000")]
    assert +chooser.buckets == {"older": 1, "other_source": 1, "chosen": 2}
    assert sum(chooser.buckets.values()) == 4  # the capture listed twice counts once


def test_prefer_changes_the_archive_asked_first():
    assert chosen(selector(prefer=("wayback", "commoncrawl")))[0] == ("1", "wayback", "20220101000000")


def test_captures_all_takes_each_text_once_from_the_preferred_archive():
    chooser = selector(keep_all=True)
    assert chosen(chooser) == [("1", "commoncrawl", "20210101000000"), ("1", "commoncrawl", "20200101000000"),
                               ("2", "wayback", "20220101000000")]
    assert chooser.buckets["same_payload"] == 1  # text b, from Wayback too


def test_held_digests_and_held_articles_are_not_fetched():
    held = {"1": {f"sha1:{digest('b')}"}}
    chooser = selector()
    # Text b is held (say, a capture that gave no article); the article is not: text a is next.
    assert chosen(chooser, held) == [("1", "commoncrawl", "20200101000000"), ("2", "wayback", "20220101000000")]
    assert (chooser.buckets["held_digest"], chooser.buckets["held_article"]) == (2, 0)
    chooser = selector()
    assert chosen(chooser, held, {"1"}) == [("2", "wayback", "20220101000000")]
    assert chooser.buckets["held_article"] == 1
    # A new text of a held article: only with captures=all or refresh.
    assert chosen(selector(refresh=True), held, {"1"})[0] == ("1", "commoncrawl", "20200101000000")
    assert chosen(selector(keep_all=True), held, {"1"})[0] == ("1", "commoncrawl", "20200101000000")
    assert chosen(selector(), {}, {"1", "2"}) == []


def test_the_captures_left_aside_are_fallbacks_in_order_of_preference():
    (first, _) = selector().choose(lambda a: set(), lambda a: False)
    assert [(f.source, f.capture.timestamp) for f in first.fallbacks] == [
        ("commoncrawl", "20200101000000"), ("wayback", "20220101000000")]


def test_crawls_that_can_hold_a_window_end_on_or_after_its_first_day():
    collinfo = [{"id": "CC-MAIN-2022-05", "to": "2022-01-29T00:00:00"},
                {"id": "CC-MAIN-2021-49"},  # no period: the Sunday of week 49
                {"id": "CC-MAIN-2021-43", "to": "2021-10-28T00:00:00Z"},
                {"id": "CC-MAIN-2012"}, "junk"]
    assert crawl_end({"id": "CC-MAIN-2021-49"}) == date(2021, 12, 12)
    window = DateWindow(date(2021, 12, 1), date(2021, 12, 31))
    assert crawls_for_window(collinfo, window) == ["CC-MAIN-2022-05", "CC-MAIN-2021-49"]
    assert len(crawls_for_window(collinfo, DateWindow())) == 3


def test_several_archive_sources_in_one_argument():
    arguments = CrawlArguments.parse(SPUTNIK_FR, source="wayback, commoncrawl", crawls="all",
                                     prefer="wayback", discover="sitemaps")
    assert arguments.sources == ("wayback", "commoncrawl") and arguments.crawls == ("all",)
    assert arguments.prefer == ("wayback", "commoncrawl") and arguments.discover == ("sitemaps",)
    assert CrawlArguments.parse(SPUTNIK_FR).prefer == ("commoncrawl", "wayback")


@pytest.mark.parametrize("kwargs,message", [
    ({"source": "live,wayback"}, "only commoncrawl and wayback combine"),
    ({"source": "wayback", "crawls": "all"}, "goes with -a source=commoncrawl"),
    ({"prefer": "wayback"}, "goes with web-archive sources"),
    ({"source": "wayback", "prefer": "ia"}, "expected one of"),
    ({"discover": "sitemaps"}, "goes with web-archive sources"),
    ({"source": "wayback", "discover": "rss"}, "expected one of"),
])
def test_bad_archive_arguments_are_usage_errors(kwargs, message):
    with pytest.raises(UsageError, match=message):
        CrawlArguments.parse(SPUTNIK_FR, **kwargs)


def test_cache_files_are_trusted_only_when_whole(tmp_path):
    cache = CommonCrawlCache(tmp_path, "CC-MAIN-2021-49", "fr.sputniknews.com")
    cache.save_num_pages(2)
    cache.save_page(0, '{"url": "x"}\n')
    assert not cache.complete() and cache.page(0) == '{"url": "x"}\n'
    cache.page_path(1).write_bytes(b"\x1f\x8b cut")  # a torn write by some other tool
    assert cache.page(1) is None
    assert not list(cache.dir.glob(".*part"))
    wayback = WaybackCache(tmp_path, "fr.sputniknews.com", "20211201")
    wayback.save(0, "20211201", ["timestamp"], [["20211202000000"]], "3")
    (wayback.dir / "00001.json").write_text("{not json")
    assert [(p.asked, p.resume_key) for p in wayback.pages()] == [("20211201", "3")]


def test_capture_store_keeps_the_first_source_of_a_digest(tmp_path):
    store = SqliteCaptureStore(tmp_path / "state.sqlite3")
    capture = HeldCapture("1", f"sha1:{B32}", "commoncrawl", "https://x/1", "2021-12-20T08:00:00Z")
    assert store.add(capture, "now") and not store.add(HeldCapture("1", f"sha1:{B32}", "wayback",
                                                                   "https://x/1", ""), "later")
    assert store.held("1") == {f"sha1:{B32}"} and store.held("2") == set()
    assert [c.source for c in store.all()] == ["commoncrawl"]
    store.close()


def test_redis_stores_keep_digests_apart_from_the_articles(tmp_path):
    with redis_server(tmp_path) as url:
        store = open_capture_store(f"{url}?prefix=sputnik:state:sputnik_fr")
        capture = HeldCapture("1", f"sha1:{B32}", "wayback", "https://x/1", "2021-12-20T08:00:00Z")
        assert store.add(capture, "now") and not store.add(capture, "later")
        assert store.held("1") == {f"sha1:{B32}"} and store.held("2") == set()
        assert list(store.all()) == [capture]
        # The article store's count scans <prefix>:*, which these keys never match.
        assert not list(store.client.scan_iter(match="sputnik:state:sputnik_fr:*"))
        store.close()
