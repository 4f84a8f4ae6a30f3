"""Archive requests get the archive timeouts whatever the download slots (crawler.middlewares.archivetimeout)."""
from __future__ import annotations

from scrapy import Request, Spider
from scrapy.utils.test import get_crawler

from crawler.middlewares.archivetimeout import ArchiveTimeoutMiddleware
from crawler.sources.captures import archive_meta


def middleware(**settings: object) -> ArchiveTimeoutMiddleware:
    crawler = get_crawler(Spider, {"ARCHIVE_DOWNLOAD_TIMEOUT": 10, "ARCHIVE_RETRY_TIMES": 2, **settings})
    return ArchiveTimeoutMiddleware.from_crawler(crawler)


def test_a_users_own_download_slots_keep_the_archive_timeouts():
    # docs/web-archives.md tells users to set DOWNLOAD_SLOTS: a slot of another name,
    # or none at all, must not make archive requests wait the crawl's 30 s x 4.
    for slots in ({"my-wayback": {"delay": 8}}, {}):
        request = Request("https://web.archive.org/cdx/search/cdx",
                          meta=archive_meta("wayback-cdx", "wayback"))
        middleware(DOWNLOAD_SLOTS=slots).process_request(request)
        assert (request.meta["download_timeout"], request.meta["max_retry_times"]) == (10, 2)


def test_page_requests_and_a_requests_own_values_are_left_alone():
    page = Request("https://fr.sputniknews.africa/", meta={"download_slot": "wayback"})
    own = Request("https://index.commoncrawl.org/", meta=archive_meta("commoncrawl-index", "commoncrawl",
                                                                      download_timeout=60))
    tool = middleware()
    tool.process_request(page)
    tool.process_request(own)
    assert "download_timeout" not in page.meta and "max_retry_times" not in page.meta
    assert own.meta["download_timeout"] == 60
