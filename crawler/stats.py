"""Scrapy's in-memory stats collector, without the lookup shim of Scrapy 2.19.

Scrapy 2.19's StatsCollector sends every attribute lookup, its own
``self._stats`` included, through a Python ``__getattribute__`` that tries a
cached name first (an AttributeError for all but the public methods) and
wraps the public methods to warn about a ``spider`` argument: an
``inc_value`` costs 3.8 µs that way and 0.26 µs without. Scrapy's engine and
middlewares and ours make about fifteen such calls for every replayed
article. The methods are Scrapy's, unchanged; a caller still passing
``spider`` is served as before, only without the deprecation warning.
"""
from __future__ import annotations

from scrapy.statscollectors import MemoryStatsCollector


class PlainStatsCollector(MemoryStatsCollector):
    """MemoryStatsCollector with Python's own attribute lookup."""

    __getattribute__ = object.__getattribute__
