"""Scrapy's duplicate filter, remembering requests for one run only.

With JOBDIR, Scrapy's filter persists every fingerprint the moment a request
is scheduled, and its request queue only when the crawl closes cleanly. After
a SIGKILL the queue is gone but the fingerprints stay, so the next run would
filter out exactly the articles that were never fetched. Here what a run has
archived is known from the state store (crawler.state), which is written only
after an item reached the feeds; fingerprints need not outlive the run.
"""
from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.dupefilters import RFPDupeFilter


class RunDupeFilter(RFPDupeFilter):
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunDupeFilter:
        return cls(None, crawler.settings.getbool("DUPEFILTER_DEBUG"),
                   fingerprinter=crawler.request_fingerprinter)
