"""How far a long run is, and how long it has to go: one log line a minute, a bar on a terminal.

A replay is measured in bytes of the given files (crawler/replay.py publishes
``replay/progress/bytes_done`` and ``bytes_total``). Live and web-archive
runs are measured in requests, from the scheduler's own counts: known =
``scheduler/enqueued``, done = ``scheduler/dequeued`` less the requests still
in the downloader. So a request refused before the scheduler took it (the
offsite check, the duplicate filter) is not known, a redirect or retry is one
more request known and done, and requests that never pass the scheduler
(robots.txt) are neither; a disk queue (JOBDIR) is counted the same way.

Their ETA comes from the politeness in force: for each download slot, its
requests scheduled and not yet out of the downloader, times its delay
(AutoThrottle's current one, or DOWNLOAD_SLOTS'); the slowest slot decides,
unless the observed rate says longer (latency). The per-slot count follows
the request objects (weakly held, so one refused or dropped leaves no trace);
requests parked in a disk queue are new objects when they come back, so with
JOBDIR the slots undercount and the observed rate decides.

Settings: PROGRESS_ENABLED, PROGRESS_INTERVAL (seconds between log lines),
PROGRESS_BAR (a tqdm bar on stderr, only when stderr is a terminal).
"""
from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from dataclasses import dataclass
from weakref import WeakKeyDictionary
from datetime import timedelta
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from crawler.replay import BYTES_DONE, BYTES_TOTAL

logger = logging.getLogger(__name__)

BAR_REFRESH = 1.0


@dataclass(frozen=True)
class Snapshot:
    done: float
    total: float
    unit: str
    rate: float
    eta: float | None

    def eta_text(self) -> str:
        return str(timedelta(seconds=round(self.eta))) if self.eta is not None else "unknown"

    def line(self) -> str:
        share = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
        return (f"{_amount(self.done, self.unit)} of {_amount(self.total, self.unit)}{share}, "
                f"{_amount(self.rate, self.unit)}/s, ETA {self.eta_text()}")


def _amount(value: float, unit: str) -> str:
    if unit == "bytes":
        scale, name = next((s, n) for s, n in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB"), (1, "B"))
                           if value >= s or s == 1)
        return f"{value / scale:.1f} {name}"
    return f"{value:.1f} requests" if value != int(value) else f"{int(value)} requests"


def politeness_eta(remaining: dict[str, int], slots: dict[str, Any], default_delay: float,
                   slot_settings: dict[str, Any] | None = None) -> float:
    """The slowest slot's remaining requests × its delay.

    Not divided by the slot's concurrency: Scrapy's downloader starts one
    request per delay on a slot that has a delay, whatever its concurrency
    (scrapy/core/downloader, ``_process_queue``). A slot without a delay
    adds nothing here; the observed rate covers it."""
    longest = 0.0
    for key, count in remaining.items():
        slot = slots.get(key)
        configured = (slot_settings or {}).get(key, {}).get("delay", default_delay)
        delay = slot.delay if slot is not None else configured
        longest = max(longest, count * delay)
    return longest


class Progress:
    def __init__(self, crawler: Crawler, interval: float, bar: bool) -> None:
        self.crawler = crawler
        self.interval = interval
        self.want_bar = bar
        # Scheduled request → its download slot, until it leaves the downloader.
        self.pending: WeakKeyDictionary[Request, str] = WeakKeyDictionary()
        self.started = time.monotonic()
        self.tasks: list[Any] = []
        self.bar: Any = None
        # The terminal as it is now: Twisted's logging may replace sys.stderr later.
        self.terminal = sys.stderr

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        settings = crawler.settings
        if not settings.getbool("PROGRESS_ENABLED"):
            raise NotConfigured
        extension = cls(crawler, settings.getfloat("PROGRESS_INTERVAL"),
                        settings.getbool("PROGRESS_BAR") and sys.stderr.isatty())
        for handler, signal in ((extension.scheduled, signals.request_scheduled),
                                (extension.dropped, signals.request_dropped),
                                (extension.left, signals.request_left_downloader),
                                (extension.opened, signals.spider_opened),
                                (extension.closed, signals.spider_closed)):
            crawler.signals.connect(handler, signal=signal)
        return extension

    def slot_key(self, request: Request) -> str:
        return self.crawler.engine.downloader.get_slot_key(request)

    def scheduled(self, request: Request) -> None:
        self.pending[request] = self.slot_key(request)

    def dropped(self, request: Request) -> None:
        self.pending.pop(request, None)

    def left(self, request: Request) -> None:
        # Answered, failed or redirected: a robots.txt fetch was never pending.
        self.pending.pop(request, None)

    def remaining(self) -> dict[str, int]:
        return dict(Counter(self.pending.values()))

    def opened(self) -> None:
        self.started = time.monotonic()
        self._every(self.interval, self.log, now=False)
        if self.want_bar:
            self._every(BAR_REFRESH, self.draw, now=True)

    def _every(self, seconds: float, call: Any, now: bool) -> None:
        if seconds > 0:
            task = create_looping_call(call)
            task.start(seconds, now=now)
            self.tasks.append(task)

    def snapshot(self) -> Snapshot:
        stats = self.crawler.stats
        elapsed = max(time.monotonic() - self.started, 1e-6)
        total_bytes = stats.get_value(BYTES_TOTAL)
        if total_bytes is not None:
            done = stats.get_value(BYTES_DONE, 0)
            rate = done / elapsed
            eta = (total_bytes - done) / rate if rate else None
            return Snapshot(done, total_bytes, "bytes", rate, eta)
        return self._requests_snapshot(elapsed)

    def _requests_snapshot(self, elapsed: float) -> Snapshot:
        stats, downloader = self.crawler.stats, self.crawler.engine.downloader
        known = stats.get_value("scheduler/enqueued", 0)
        in_downloader = len(downloader.active)
        done = max(0, min(known, stats.get_value("scheduler/dequeued", 0) - in_downloader))
        rate = done / elapsed
        settings = self.crawler.settings
        eta = politeness_eta(self.remaining(), downloader.slots,
                             settings.getfloat("DOWNLOAD_DELAY"), settings.getdict("DOWNLOAD_SLOTS"))
        if known > done and rate:
            # Latency can make a run slower than its delays alone.
            eta = max(eta, (known - done) / rate)
        return Snapshot(done, known, "requests", rate, eta)

    def log(self) -> None:
        logger.info("Progress: %s", self.snapshot().line())

    def draw(self) -> None:
        from tqdm import tqdm
        snapshot = self.snapshot()
        if not snapshot.total:
            # Nothing known yet; a replay's size is known once its first request is.
            return
        if self.bar is None:
            self.bar = tqdm(total=snapshot.total, unit="B" if snapshot.unit == "bytes" else "req",
                            unit_scale=snapshot.unit == "bytes", file=self.terminal,
                            leave=False)
        self.bar.total = snapshot.total
        self.bar.n = snapshot.done
        # tqdm's own estimate knows nothing of the delays still to come.
        self.bar.set_postfix_str(f"ETA {snapshot.eta_text()}", refresh=False)
        self.bar.refresh()

    def closed(self) -> None:
        for task in self.tasks:
            if task.running:
                task.stop()
        if self.bar is not None:
            self.bar.close()
        logger.info("Progress at the end: %s", self.snapshot().line())
