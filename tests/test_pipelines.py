import asyncio

import pytest
from scrapy import signals
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawler.feeds import FEED_WRITE_ERRORS
from crawler.spiders.sputnik_fr import SputnikFrSpider
from crawler.state import open_store
from pipelines.dedupe import DedupePipeline
from pipelines.normalize import NormalizePipeline
from pipelines.validate import ValidatePipeline
from tests.test_exporters import article


def build(pipeline_cls, settings=None):
    crawler = get_crawler(SputnikFrSpider, settings)
    crawler.spider = crawler._create_spider()
    crawler.stats.open_spider()
    return pipeline_cls.from_crawler(crawler), crawler.stats


def run(coro):
    return asyncio.run(coro)


@pytest.mark.parametrize("field", ["url", "title", "body", "published"])
def test_validate_drops_item_missing_a_required_field(field):
    pipeline, stats = build(ValidatePipeline)
    with pytest.raises(DropItem, match=f"without {field}"):
        run(pipeline.process_item(article(**{field: None})))
    assert stats.get_value(f"validate/dropped/missing_{field}") == 1


def test_validate_keeps_complete_item():
    pipeline, stats = build(ValidatePipeline)
    item = article(modified=None, authors=[])
    assert run(pipeline.process_item(item)) is item
    assert not any(key.startswith("validate/") for key in stats.get_stats())


PODCAST = {"url": "https://fr.sputniknews.africa/audio/episode.mp3", "duration": 1520,
           "show": "Zone de contact"}
LIVE = [{"time": "2022-04-28T03:57:00+00:00", "text": "Une entrée"}]
GALLERY = [{"image": "https://cdn.example/1.jpg", "caption": "Une légende"}]


@pytest.mark.parametrize("kind,payload", [
    ("podcast", {"audio": PODCAST}), ("live", {"live_entries": LIVE}),
    ("gallery", {"gallery": GALLERY}), ("video", {"video": {"url": "https://cdn.example/v.mp4"}}),
])
def test_validate_keeps_media_page_without_body(kind, payload):
    pipeline, stats = build(ValidatePipeline)
    item = article(body=None, kind=kind, **payload)
    assert run(pipeline.process_item(item)) is item
    assert stats.get_value(f"validate/kept_without_body/{kind}") == 1


@pytest.mark.parametrize("kind,payload", [
    ("podcast", {}), ("article", {"audio": PODCAST}), ("live", {"gallery": GALLERY}),
])
def test_validate_drops_page_without_body_or_its_own_payload(kind, payload):
    pipeline, stats = build(ValidatePipeline)
    with pytest.raises(DropItem, match="without body"):
        run(pipeline.process_item(article(body=None, kind=kind, **payload)))
    assert stats.get_value("validate/dropped/missing_body") == 1


def test_validate_still_needs_title_and_date_on_media_pages():
    pipeline, stats = build(ValidatePipeline)
    with pytest.raises(DropItem, match="without published"):
        run(pipeline.process_item(article(body=None, kind="podcast", audio=PODCAST, published=None)))


def test_dedupe_same_url_same_body_once():
    pipeline, stats = build(DedupePipeline)
    first = run(pipeline.process_item(article()))
    assert first.url == article().url
    with pytest.raises(DropItem, match="Duplicate"):
        run(pipeline.process_item(article(fetched_at="2022-01-01T00:00:00Z")))
    assert stats.get_value("dedupe/duplicate") == 1


def test_dedupe_keeps_changed_body_and_other_urls():
    pipeline, stats = build(DedupePipeline)
    run(pipeline.process_item(article()))
    changed = run(pipeline.process_item(article(body="Corrigé.")))
    other = run(pipeline.process_item(article(url="https://fr.sputniknews.com/20211228/x-1054083999.html",
                                              article_id="1054083999")))
    assert changed.body == "Corrigé." and other.url.endswith("1054083999.html")
    assert stats.get_value("dedupe/duplicate") is None


# --- DedupePipeline with a state store: each build is one run -----------------


def state_uri(tmp_path):
    return f"sqlite:///{tmp_path}/s.sqlite3"


def run_with_store(tmp_path):
    return build(DedupePipeline, {"STATE_ENABLED": True, "STATE_URI": state_uri(tmp_path)})


def feed_written(pipeline, item):
    """What the engine does once the feed exporter has written the item."""
    crawler = pipeline.crawler
    results = crawler.signals.send_catch_log(signals.item_scraped, item=item, response=None,
                                             spider=crawler.spider)
    failures = [result for _, result in results if isinstance(result, Failure)]
    assert not failures, failures


def finish(pipeline):
    pipeline.crawler.signals.send_catch_log(signals.spider_closed, spider=pipeline.crawler.spider,
                                            reason="finished")


def stored_row(tmp_path, article_id="1054083153"):
    store = open_store(state_uri(tmp_path))
    try:
        return store.get(article_id)
    finally:
        store.close()


def test_dedupe_first_archived_article_is_version_1_and_stored_once_written(tmp_path):
    pipeline, stats = run_with_store(tmp_path)
    item = run(pipeline.process_item(article()))
    assert item.version == 1
    assert stored_row(tmp_path) is None  # not before the feed holds it
    feed_written(pipeline, item)
    finish(pipeline)
    assert stats.get_value("dedupe/stored") == 1
    row = stored_row(tmp_path)
    assert (row.versions, row.url, row.published) == (1, item.url, item.published)
    assert row.first_seen == row.last_seen == item.fetched_at


def test_dedupe_unchanged_article_of_an_earlier_run_is_dropped(tmp_path):
    first, _ = run_with_store(tmp_path)
    feed_written(first, run(first.process_item(article())))
    finish(first)
    pipeline, stats = run_with_store(tmp_path)
    with pytest.raises(DropItem, match="Unchanged"):
        run(pipeline.process_item(article(fetched_at="2022-01-05T06:00:00Z")))
    finish(pipeline)
    assert stats.get_value("dedupe/unchanged") == 1
    assert stats.get_value("dedupe/stored") is None
    row = stored_row(tmp_path)
    assert (row.versions, row.first_seen, row.last_seen) == (
        1, "2021-12-28T06:00:00Z", "2022-01-05T06:00:00Z")


def test_dedupe_changed_article_of_an_earlier_run_is_the_next_version(tmp_path):
    first, _ = run_with_store(tmp_path)
    feed_written(first, run(first.process_item(article())))
    finish(first)
    pipeline, stats = run_with_store(tmp_path)
    item = run(pipeline.process_item(article(body="Corrigé.", fetched_at="2022-01-05T06:00:00Z")))
    assert item.version == 2
    feed_written(pipeline, item)
    finish(pipeline)
    assert stats.get_value("dedupe/stored") == 1 and stats.get_value("dedupe/unchanged") is None
    row = stored_row(tmp_path)
    assert (row.versions, row.first_seen, row.last_seen) == (
        2, "2021-12-28T06:00:00Z", "2022-01-05T06:00:00Z")


def test_dedupe_media_page_with_a_changed_audio_is_the_next_version(tmp_path):
    episode = {"kind": "podcast", "body": None,
               "audio": {"url": "https://cdn.example/1.mp3", "duration": 610, "show": "Zone de contact"}}
    first, _ = run_with_store(tmp_path)
    feed_written(first, run(first.process_item(article(**episode))))
    finish(first)
    pipeline, stats = run_with_store(tmp_path)
    with pytest.raises(DropItem, match="Unchanged"):
        run(pipeline.process_item(article(**episode, fetched_at="2022-01-05T06:00:00Z")))
    recut = {**episode, "audio": {**episode["audio"], "duration": 480}}
    item = run(pipeline.process_item(article(**recut, fetched_at="2022-01-05T06:00:00Z")))
    finish(pipeline)
    assert item.version == 2
    assert stats.get_value("dedupe/unchanged") == 1


def test_dedupe_item_dropped_before_the_feed_is_not_stored(tmp_path):
    pipeline, stats = run_with_store(tmp_path)
    assert run(pipeline.process_item(article())).version == 1
    finish(pipeline)  # a later pipeline dropped it: no item_scraped
    assert stored_row(tmp_path) is None
    assert stats.get_value("dedupe/stored") is None
    again, _ = run_with_store(tmp_path)  # so the next run emits it, as the first version
    assert run(again.process_item(article())).version == 1
    finish(again)


def test_dedupe_item_is_not_stored_after_a_feed_write_failed(tmp_path):
    pipeline, stats = run_with_store(tmp_path)
    item = run(pipeline.process_item(article()))
    stats.inc_value(FEED_WRITE_ERRORS)
    feed_written(pipeline, item)
    finish(pipeline)
    assert stored_row(tmp_path) is None
    assert stats.get_value("dedupe/stored") is None


def test_normalize_takes_publisher_language_zone_and_edition_from_the_registry():
    pipeline, _ = build(NormalizePipeline)  # a French crawl, but the item says where it is from
    item = run(pipeline.process_item(article(
        url="http://m.de.sputniknews.com/politik/20200413326900079-corona/?utm_source=x", site=None,
        article_id=None, publisher=None, language=None, published="10:25 13.04.2020")))
    assert item.url == "http://de.sputniknews.com/politik/20200413326900079-corona/"
    assert (item.site, item.article_id, item.edition) == ("de.sputniknews.com", "326900079", "sputnik_de")
    assert (item.publisher, item.language) == ("Sputnik Deutschland", "de-DE")
    assert item.published == "2020-04-13T10:25:00+02:00"  # Berlin summer time


def test_normalize_keeps_what_the_page_says_and_the_items_own_edition():
    pipeline, _ = build(NormalizePipeline)
    item = run(pipeline.process_item(article(url="https://fr.sputniknews.africa/20240101/x-1054083153.html",
                                             site=None, publisher=None, edition="sputnik_fr")))
    assert (item.site, item.publisher, item.edition) == ("fr.sputniknews.africa", "Sputnik Afrique", "sputnik_fr")
    said = run(pipeline.process_item(article(publisher="Sputnik France")))
    assert said.publisher == "Sputnik France" and said.edition == "sputnik_fr"
