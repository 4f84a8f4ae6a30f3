import asyncio
import logging

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from crawler.spiders.sputnik_fr import SputnikFrSpider
from pipelines.dedupe import DedupePipeline
from pipelines.validate import ValidatePipeline
from tests.test_exporters import article


def build(pipeline_cls):
    crawler = get_crawler(SputnikFrSpider)
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
    other = run(pipeline.process_item(article(url="https://fr.sputniknews.com/20211228/x-1054083999.html")))
    assert changed.body == "Corrigé." and other.url.endswith("1054083999.html")
    assert stats.get_value("dedupe/duplicate") is None
