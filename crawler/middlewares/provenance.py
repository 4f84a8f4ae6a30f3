"""Stamps live responses with when they were fetched and how."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

from warc.fields import normalise_date

# Responses whose provenance was set where they came from: replayed WARC
# records, and captures of public web archives (crawler.middlewares.webarchive).
STAMPED = frozenset({"replay", "web_archive"})


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class LiveProvenanceMiddleware:
    """Sits next to the downloader, so the time is that of the download.

    Replayed responses and web-archive captures keep the provenance their
    middleware gave them.
    Live ones are always stamped anew: a redirected request inherits the
    meta of the request before it, with the wrong time and URL.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        # Named as a replay of WARC_DIR names it, so both give the same source.
        self.warc_dir = Path(crawler.settings.get("WARC_DIR") or ".")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LiveProvenanceMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if not STAMPED & set(response.flags):
            source = {"mode": "live", "fetched_url": response.url}
            capture = request.meta.get("warc_record")
            if capture is not None:
                # The same moment and place a later replay of the archive reports.
                source.update(warc_file=str(self.warc_dir / capture.warc_file),
                              warc_offset=capture.offset, warc_record_id=capture.record_id)
            request.meta["fetched_at"] = normalise_date(capture.warc_date) if capture else utc_now_iso()
            request.meta["source"] = source
        return response

