"""Scrapy's retry with waiting between tries.

Scrapy retries at once; a server that failed or asked us to slow down
(429/503 with Retry-After) deserves a pause first. The pause is awaited in the
middleware, so it holds one download slot, which also slows the crawl down
while the server struggles.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response

logger = logging.getLogger(__name__)


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        middleware = super().from_crawler(crawler)
        middleware.backoff_base = crawler.settings.getfloat("RETRY_BACKOFF_BASE")
        middleware.backoff_max = crawler.settings.getfloat("RETRY_BACKOFF_MAX")
        return middleware

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        result = super().process_response(request, response)
        if isinstance(result, Request):
            asked = retry_after_seconds(response.headers.get(b"Retry-After"))
            await self._pause(result, asked, f"status {response.status}")
        return result

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await self._pause(result, None, type(exception).__name__)
        return result

    def delay_for(self, retry: Request, asked: float | None) -> float:
        tries = retry.meta.get("retry_times", 1)
        delay = self.backoff_base * 2 ** (tries - 1)
        if asked is not None:
            self.crawler.stats.inc_value("retry/retry_after_honoured")
            delay = max(delay, asked)
        return min(delay, self.backoff_max)

    async def _pause(self, retry: Request, asked: float | None, reason: str) -> None:
        delay = self.delay_for(retry, asked)
        # At INFO: a server that stalls would otherwise look like a hang.
        logger.info("Retrying %s in %.1fs (%s; retry %s of %s)", retry.url, delay, reason,
                    retry.meta.get("retry_times", 1),
                    retry.meta.get("max_retry_times", self.max_retry_times))
        if delay > 0:
            await asyncio.sleep(delay)
