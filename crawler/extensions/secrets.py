"""Keeps secrets given as settings out of Scrapy's "Overridden settings" log line.

Scrapy logs every overridden setting of its own at INFO when a crawl starts,
values included, so ``-s AWS_SECRET_ACCESS_KEY=...`` would land in the job
log. This extension is built just before that line is logged and puts a
filter on its logger that rewrites the line with such values masked: those
of settings whose names look secret, and passwords inside URLs. Building it
also installs crawler.logsafety for the process, which masks URL passwords
in every other line.
"""
from __future__ import annotations

import logging
import pprint
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings, overridden_settings

from crawler import logsafety
from crawler.logsafety import MASK, mask_credentials
from warc.warcinfo import is_secret_key

OVERRIDDEN = "Overridden settings"


def mask_value(name: str, value: Any) -> Any:
    """``value`` fit for a log: masked if ``name`` looks secret, URL passwords hidden."""
    if (is_secret_key(name) or "ACCESS_KEY" in name.upper()) and value not in (None, "", False):
        return MASK
    if isinstance(value, str):
        return mask_credentials(value)
    return value


def masked_overrides(settings: BaseSettings) -> dict[str, Any]:
    return {name: mask_value(name, value) for name, value in overridden_settings(settings)}


class _OverriddenSettingsFilter(logging.Filter):
    def __init__(self, settings: BaseSettings) -> None:
        super().__init__()
        self.settings = settings

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith(OVERRIDDEN):
            record.args = {"settings": pprint.pformat(masked_overrides(self.settings))}
        return True


class SecretMasking:
    def __init__(self, crawler: Crawler) -> None:
        # Credentials in any other line (feed URIs, errors) are masked process-wide.
        logsafety.install()
        self.logger = logging.getLogger("scrapy.crawler")
        self.filter = _OverriddenSettingsFilter(crawler.settings)
        self.logger.addFilter(self.filter)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SecretMasking:
        return cls(crawler)

    def engine_stopped(self) -> None:
        self.logger.removeFilter(self.filter)
