"""PlainStatsCollector keeps Scrapy's stats as Scrapy's own collector does."""
from __future__ import annotations

import warnings

from scrapy import Spider
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawler.stats import PlainStatsCollector


def _exercise(stats: MemoryStatsCollector, spider: Spider) -> tuple[dict, dict]:
    stats.open_spider()
    stats.inc_value("replay/records/response")
    stats.inc_value("replay/records/response", 4)
    stats.inc_value("items", start=10)
    stats.set_value("replay/progress/bytes_total", 7_000)
    stats.max_value("peak", 3)
    stats.max_value("peak", 2)
    stats.min_value("least", 3)
    stats.min_value("least", 5)
    # A caller from before Scrapy 2.14 still passes the spider.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats.inc_value("old/caller", spider=spider)
    during = dict(stats.get_stats())
    assert stats.get_value("missing", "default") == "default"
    stats.close_spider(reason="finished")
    return during, dict(stats.spider_stats)


def test_the_same_stats_as_scrapys_collector():
    crawler = get_crawler(Spider)
    spider = Spider("sputnik_fr")
    ours = _exercise(PlainStatsCollector(crawler), spider)
    scrapys = _exercise(MemoryStatsCollector(crawler), spider)
    assert ours == scrapys
    assert ours[0]["replay/records/response"] == 5 and ours[0]["items"] == 11
    assert (ours[0]["peak"], ours[0]["least"]) == (3, 3)


def test_the_project_collects_stats_with_it():
    from scrapy.utils.misc import load_object
    from scrapy.utils.project import get_project_settings

    assert load_object(get_project_settings()["STATS_CLASS"]) is PlainStatsCollector
