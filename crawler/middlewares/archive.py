"""Stores every HTTP exchange of a live crawl in WARC files, as it came off the wire.

A downloader middleware next to the downloader: its ``process_response`` runs
before HttpCompressionMiddleware (590) has decoded the body, so the payload is
stored still gzip/br-encoded with its ``Content-Encoding``. Responses that were
replayed from an archive or served from the HTTP cache are not captures and are
skipped. Each article item also gets a ``metadata`` record (the item as the JSON
feed has it) referring to the response it was extracted from.

Records are digested, compressed and written on the reactor thread, before
the response goes on. A writer thread was tried: in the bench's live crawl
it spent 1.3-1.5 s of CPU on work that takes 0.9-1.0 s inline, and each
record's hand-over and return (thread switches, a loop wake-up) cost the
reactor besides; with ISA-L's deflate (``warc.output``) what is left on the
reactor is about 1 ms of CPU a page (docs/benchmarks.md).
"""
from __future__ import annotations

import json
import logging
import socket
from datetime import datetime, timezone
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro

from crawler import __version__
from crawler.exporters import feed_item
from crawler.ownarchive import hosts_field
from warc.writer import HttpExchange, WarcArchive, WarcWriteError, WrittenRecord

logger = logging.getLogger(__name__)

META_KEY = "warc_record"
NOT_CAPTURES = frozenset({"replay", "cached"})
# A capture another archive made (crawler.sources.records): it writes itself,
# keeping its own time and headers. ``dont_archive`` marks requests whose
# answers are not captures at all (web-archive index queries).
FOREIGN_KEY = "foreign_capture"
DONT_ARCHIVE = "dont_archive"
# Settings worth knowing when reading an archive later: how politely and how
# completely it was made.
WARCINFO_SETTINGS = ("ROBOTSTXT_OBEY", "DOWNLOAD_DELAY", "AUTOTHROTTLE_ENABLED",
                     "CONCURRENT_REQUESTS_PER_DOMAIN", "USER_AGENT", "DOWNLOAD_MAXSIZE")


def exchange_from(request: Request, response: Response, when: datetime) -> HttpExchange:
    return HttpExchange(
        url=response.url,
        method=request.method,
        request_headers=header_pairs(request.headers),
        request_body=request.body,
        status=response.status,
        reason="",
        protocol=status_line_protocol(response.protocol),
        response_headers=header_pairs(response.headers),
        body=response.body,
        date=when,
        ip_address=str(response.ip_address) if response.ip_address else None,
    )


def header_pairs(headers: Any) -> list[tuple[str, str]]:
    """Scrapy Headers as (name, value) pairs, every value of a repeated header kept."""
    return [(name.decode("latin-1"), value.decode("latin-1"))
            for name, values in headers.items() for value in values]


def status_line_protocol(protocol: str | None) -> str:
    """What the stored status line starts with. Scrapy's HTTP/2 handler says
    ``h2``, which no WARC reader takes for an HTTP status line."""
    if not protocol:
        return "HTTP/1.1"
    if protocol.upper().startswith("HTTP/"):
        return protocol
    return "HTTP/2" if protocol.lower() == "h2" else "HTTP/1.1"


class WarcArchiveMiddleware:
    def __init__(self, crawler: Crawler, archive: WarcArchive | None) -> None:
        self.crawler = crawler
        self.archive = archive
        self.failed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcArchiveMiddleware:
        settings = crawler.settings
        if not settings.getbool("WARC_ENABLED") or settings.getbool("REPLAY_OFFLINE"):
            raise NotConfigured
        try:
            archive = WarcArchive(
                settings["WARC_DIR"],
                prefix=settings.get("WARC_PREFIX") or crawler.spidercls.name,
                host=settings.get("WARC_HOST") or socket.gethostname(),
                max_size=settings.getint("WARC_MAX_SIZE"),
                warcinfo={**cls._warcinfo(settings), **hosts_field(crawler.spider)},
                operator=settings.get("WARC_OPERATOR"), worker_id=settings.get("WARC_WORKER_ID"),
                gzip_level=settings.getint("WARC_GZIP_LEVEL"))
        except WarcWriteError as e:
            return cls._unusable(crawler, e)
        middleware = cls(crawler, archive)
        crawler.signals.connect(middleware.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    @classmethod
    def _unusable(cls, crawler: Crawler, error: WarcWriteError) -> WarcArchiveMiddleware:
        """An archive that cannot be opened (a damaged digest index): nothing
        may be fetched, since nothing could be stored; the crawl stops at once."""
        middleware = cls(crawler, None)
        crawler.signals.connect(lambda: middleware._stop(error), signal=signals.spider_opened, weak=False)
        return middleware

    @staticmethod
    def _warcinfo(settings: Any) -> dict[str, str]:
        info = {"software": f"sputnik-archive/{__version__} (Scrapy)",
                "format": "WARC File Format 1.1",
                "conformsTo": "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"}
        info.update({f"scrapy-{name.lower()}": str(settings.get(name)) for name in WARCINFO_SETTINGS})
        return info

    def process_response(self, request: Request, response: Response) -> Response:
        # A redirected or retried request inherits the meta of the one before:
        # its capture must not be taken for this response's.
        request.meta.pop(META_KEY, None)
        if NOT_CAPTURES & set(response.flags) or request.meta.get(DONT_ARCHIVE):
            return response
        if self.archive is None:
            raise IgnoreRequest(f"no usable archive, capture not stored: {response.url}")
        try:
            written = self._write(request, response)
        except WarcWriteError as e:
            self._stop(e)
            raise IgnoreRequest(f"capture not stored: {response.url}") from e
        request.meta[META_KEY] = written[0]
        for record in written:
            self.crawler.stats.inc_value(f"warc/records_written/{record.record_type}")
        return response

    def _write(self, request: Request, response: Response) -> list[WrittenRecord]:
        """The records of one response: the exchange, or the foreign capture."""
        foreign = request.meta.get(FOREIGN_KEY)
        if foreign is not None:
            return foreign.write(self.archive)
        exchange = exchange_from(request, response, datetime.now(timezone.utc))
        return [self.archive.write_exchange(exchange)]

    def item_scraped(self, item: Any, response: Response, spider: Spider) -> None:
        written: WrittenRecord | None = response.meta.get(META_KEY) if response else None
        if written is None or self.failed or self.archive is None:
            return
        payload = json.dumps(feed_item(item), ensure_ascii=False).encode("utf-8")
        try:
            self.archive.write_metadata(written, payload)
        except WarcWriteError as e:
            self._stop(e)
            return
        self.crawler.stats.inc_value("warc/records_written/metadata")

    def spider_closed(self, spider: Spider) -> None:
        try:
            self.archive.close()
        except OSError:
            self.crawler.stats.inc_value("warc/errors/close")
            logger.error("Could not close the WARC archive cleanly", exc_info=True)
        # Repairs of the archive's derived files (warc.index): warc/index/bad_lines, ...
        for key, count in self.archive.counts.items():
            self.crawler.stats.set_value(f"warc/{key}", count)

    def _stop(self, error: WarcWriteError) -> None:
        self.crawler.stats.inc_value("warc/errors/write")
        if self.failed:
            return
        self.failed = True
        # No item may be written whose capture was not stored: stop the crawl.
        logger.error("WARC write failed, stopping the crawl: %s", error)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="warc_write_error"))
