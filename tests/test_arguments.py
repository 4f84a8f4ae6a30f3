import pytest
from scrapy.exceptions import UsageError

from crawler.arguments import CrawlArguments
from crawler.editions import SPUTNIK_FR


def parse(**kwargs):
    return CrawlArguments.parse(SPUTNIK_FR, **kwargs)


def test_defaults_are_a_live_crawl_of_the_edition():
    arguments = parse()
    assert (arguments.source, arguments.site, arguments.captures) == ("live", "https://fr.sputniknews.africa", "newest")
    assert arguments.window.since is not None and arguments.window.until is not None


def test_replay_implies_its_source_and_an_open_window():
    arguments = parse(replay="a.warc.gz, b/ ", shard="2/4")
    assert arguments.replay_specs == ("a.warc.gz", "b/")
    assert (arguments.source, arguments.shard) == ("replay", (2, 4))
    assert arguments.window.since is None and arguments.window.until is None


def test_commoncrawl_takes_crawl_names():
    arguments = parse(source="commoncrawl", crawls="CC-MAIN-2021-49,CC-MAIN-2021-43", captures="all")
    assert arguments.crawls == ("CC-MAIN-2021-49", "CC-MAIN-2021-43")
    assert arguments.captures == "all"


@pytest.mark.parametrize("kwargs,message", [
    ({"source": "ftp"}, "expected one of"),
    ({"source": "commoncrawl"}, "needs -a crawls"),
    ({"source": "commoncrawl", "crawls": "2021-49"}, "not a crawl name"),
    ({"crawls": "CC-MAIN-2021-49"}, "goes with -a source=commoncrawl"),
    ({"source": "wayback", "replay": "a.warc"}, "goes with -a source=replay"),
    ({"replay": "a.warc", "shard": "0/4"}, "1 <= K <= N"),
    ({"replay": "a.warc", "shard": "5/4"}, "1 <= K <= N"),
    ({"shard": "1/2"}, "goes with -a replay"),
    ({"captures": "some"}, "expected one of"),
    ({"refresh": "maybe"}, "expected 1 or 0"),
    ({"replay": " , "}, "at least one"),
    ({"urls": "javascript:alert(1)"}, "http:// or https://"),
])
def test_bad_arguments_are_usage_errors(kwargs, message):
    with pytest.raises(UsageError, match=message):
        parse(**kwargs)
