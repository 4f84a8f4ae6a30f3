"""A Scrapy extension for `make bench`: CPU time of the crawl itself, as a stat.

Also the process's own peak RSS. On a shared machine a crawl's wall time is
mostly other processes' turn on the cores. ``bench/cpu_seconds`` is the process's user + system time from
engine start to spider close: interpreter and Scrapy start-up left out, as
``elapsed_time_seconds`` leaves them out of the wall time, and every thread
of the process counted (the WARC writer's included).
"""
from __future__ import annotations

import resource

from scrapy import signals
from scrapy.crawler import Crawler

STAT = "bench/cpu_seconds"
PEAK_RSS = "bench/peak_rss_mb"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class CpuTime:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.started = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CpuTime:
        extension = cls(crawler)
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        # StatsFile writes the stats later, at engine_stopped.
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def engine_started(self) -> None:
        self.started = cpu_seconds()

    def spider_closed(self) -> None:
        self.crawler.stats.set_value(STAT, cpu_seconds() - self.started)
        self.crawler.stats.set_value(PEAK_RSS, peak_rss_mb())


def peak_rss_mb() -> float | None:
    """This process's peak RSS (Linux VmHWM). The parent's ``ru_maxrss`` of a
    child counts the RSS the parent had when it forked, so it is read here."""
    try:
        status = open("/proc/self/status", encoding="ascii").read()
    except OSError:
        return None
    return int(status.split("VmHWM:")[1].split()[0]) / 1024
