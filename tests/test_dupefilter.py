"""RunDupeFilter: Scrapy's duplicate filter, for one run, fingerprints kept compact."""
from __future__ import annotations

from pathlib import Path

from scrapy import Request, Spider
from scrapy.utils.test import get_crawler

from crawler.dupefilter import RunDupeFilter


class UrlBytesFingerprinter:
    """Not SHA-1: the URL itself, of any length."""

    def fingerprint(self, request: Request) -> bytes:
        return request.url.encode()


def test_a_request_is_seen_once_as_scrapy_fingerprints_it() -> None:
    dupes = RunDupeFilter.from_crawler(get_crawler(Spider))
    assert not dupes.request_seen(Request("https://fr.sputniknews.com/a?x=1&y=2"))
    # Scrapy's fingerprint canonicalises the URL: the same request.
    assert dupes.request_seen(Request("https://fr.sputniknews.com/a?y=2&x=1"))
    assert not dupes.request_seen(Request("https://fr.sputniknews.com/b"))
    assert not dupes.request_seen(Request("https://fr.sputniknews.com/a?x=1&y=2", method="POST"))
    assert len(dupes.seen) == 3


def test_another_fingerprinters_digests_of_any_length_are_kept_apart() -> None:
    dupes = RunDupeFilter(fingerprinter=UrlBytesFingerprinter())
    urls = [f"https://fr.sputniknews.com/{'x' * n}" for n in range(200)]
    assert not any(dupes.request_seen(Request(url)) for url in urls)
    assert all(dupes.request_seen(Request(url)) for url in urls)
    assert len(dupes.seen) == len(urls)  # one 20-byte digest each, however long the URL


def test_nothing_is_written_to_the_job_directory(tmp_path: Path) -> None:
    crawler = get_crawler(Spider, {"JOBDIR": str(tmp_path)})
    dupes = RunDupeFilter.from_crawler(crawler)
    dupes.request_seen(Request("https://fr.sputniknews.com/a"))
    dupes.close("finished")
    assert list(tmp_path.iterdir()) == []
