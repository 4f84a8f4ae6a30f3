"""Hostile arguments and settings: usage errors up front, and no output path
built from unsanitised input. (Bad dates and a non-http site end to end:
tests/test_live_crawl.py::test_bad_arguments_are_usage_errors_before_any_request.)"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path

import pytest
from scrapy.exceptions import UsageError
from scrapy.utils.test import get_crawler

from crawler.arguments import CrawlArguments
from crawler.editions import SPUTNIK_FR
from crawler.feeds import uri_params
from crawler.replay import ReplayPlan
from crawler.spiders.sputnik_fr import SputnikFrSpider
from tests.crawl import run_crawl
from tests.test_hostile_html import PROJECT_SETTINGS
from warc.files import FileNamer, sanitise
from warc.writer import WarcArchive

HOSTILE = ["../../etc/passwd", "..", "/abs/path", "a/../../b", "..\\..\\win", "\x00nul", "~root",
           ".hidden", "x" * 3 + "/" + ".." * 10, "", "名前/../..", "a\nb"]


@pytest.mark.parametrize("kwargs,message", [
    ({"since": "2021-13-01"}, "expected a date"),
    ({"since": "yesterday"}, "expected a date"),
    ({"until": "0000-01-01"}, "expected a date"),
    ({"site": "ftp://fr.sputniknews.com"}, "http:// or https://"),
    ({"site": "javascript:alert(1)"}, "http:// or https://"),
    ({"site": "http://"}, "http:// or https://"),
    ({"urls": "file:///etc/passwd"}, "http:// or https://"),
    ({"replay": ","}, "needs at least one"),
])
def test_bad_arguments_are_usage_errors(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        CrawlArguments.parse(SPUTNIK_FR, **kwargs)


def test_replay_path_that_does_not_exist_is_counted_and_skipped(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    crawler = get_crawler(SputnikFrSpider, PROJECT_SETTINGS)
    spider = SputnikFrSpider.from_crawler(crawler)
    crawler.stats.open_spider()
    with caplog.at_level(logging.ERROR):
        assert ReplayPlan(spider, spider.urls).paths([str(tmp_path / "nope.warc.gz"),
                                                       str(tmp_path / "../../x*.warc")]) == []
    assert crawler.stats.get_value("replay/errors/missing_path") == 2
    assert len(caplog.records) == 2


@pytest.mark.parametrize("part", HOSTILE)
def test_sanitise_never_leaves_a_separator_or_dot_dot(part: str) -> None:
    cleaned = sanitise(part)
    assert cleaned and "/" not in cleaned and "\\" not in cleaned and ".." not in cleaned
    assert not cleaned.startswith(".") and "\x00" not in cleaned and "\n" not in cleaned


@pytest.mark.parametrize("part", HOSTILE)
def test_warc_file_names_stay_in_the_warc_directory(tmp_path: Path, part: str) -> None:
    name = FileNamer(part, part, part or None).name(datetime(2021, 12, 27, tzinfo=timezone.utc), 0)
    assert (tmp_path / name).resolve().parent == tmp_path.resolve()
    assert "/" not in name and ".." not in name


def test_hostile_warc_settings_write_inside_warc_dir(tmp_path: Path) -> None:
    archive = WarcArchive(tmp_path, prefix="../../evil", host="../host", max_size=10**6,
                          warcinfo={}, operator=None, worker_id="../../w")
    archive.close()
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written and all(p.resolve().is_relative_to(tmp_path.resolve()) for p in written)
    assert not list(tmp_path.parent.glob("evil*"))


@pytest.mark.parametrize("name,worker", [("../../../tmp/evil", "../../w"), ("..", "/etc"),
                                         ("", None)])
def test_feed_uri_params_are_sanitised(name: str, worker: str | None) -> None:
    settings = {**PROJECT_SETTINGS, "WARC_WORKER_ID": worker}
    crawler = get_crawler(SputnikFrSpider, settings)
    spider = SputnikFrSpider.from_crawler(crawler)
    crawler.stats.open_spider()
    params = uri_params({"name": name, "time": "x"}, spider)
    for key in ("name", "worker"):
        assert "/" not in params[key] and ".." not in params[key], key
    assert params["name"] == (sanitise(name) if sanitise(name, "") else "sputnik_fr")


def test_spider_name_argument_cannot_move_the_feeds(tmp_path: Path) -> None:
    """Scrapy lets ``-a name=`` rename a spider; here it is refused as unknown,
    and the feed names would be sanitised anyway (test_feed_uri_params_are_sanitised)."""
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    sample = Path(__file__).resolve().parents[1] / "samples" / "sputnik-sample.warc.gz"
    result = run_crawl(work, args={"replay": str(sample), "name": "../../../escaped"},
                       default_feeds=True, settings={"WARC_WORKER_ID": "../../w"})
    assert result.returncode == 2, result.log[-2000:]
    assert "'name' is not an argument of this spider" in result.log
    assert not list(tmp_path.rglob("*.jsonl"))
    assert not (tmp_path / "escaped").exists()
