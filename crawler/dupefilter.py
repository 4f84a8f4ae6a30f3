"""Scrapy's duplicate filter, remembering requests for one run only.

With JOBDIR, Scrapy's filter persists every fingerprint the moment a request
is scheduled, and its request queue only when the crawl closes cleanly. After
a SIGKILL the queue is gone but the fingerprints stay, so the next run would
filter out exactly the articles that were never fetched. Here what a run has
archived is known from the state store (crawler.state), which is written only
after an item reached the feeds; fingerprints need not outlive the run.

The fingerprints of a run are kept as a ``DigestSet`` (about 50 bytes each,
not 100 in a set of bytes): a replay of millions of records remembers one
per article.
"""
from __future__ import annotations

import hashlib
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.dupefilters import RFPDupeFilter

from crawler.digestset import DigestSet

# Scrapy's fingerprinter gives SHA-1 digests; another one's are hashed to this size.
FINGERPRINT_SIZE = 20


class RunDupeFilter(RFPDupeFilter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seen = DigestSet(FINGERPRINT_SIZE)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunDupeFilter:
        return cls(None, crawler.settings.getbool("DUPEFILTER_DEBUG"),
                   fingerprinter=crawler.request_fingerprinter)

    def request_seen(self, request: Request) -> bool:
        fingerprint = self.fingerprinter.fingerprint(request)
        if len(fingerprint) != FINGERPRINT_SIZE:
            fingerprint = hashlib.blake2b(fingerprint, digest_size=FINGERPRINT_SIZE).digest()
        return not self.seen.add(fingerprint)
