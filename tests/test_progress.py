"""Progress of runs: bytes of the replayed files, requests of live runs, ETA from politeness, bar on a TTY."""
from __future__ import annotations

import io
import re
import sys
from types import SimpleNamespace

from scrapy import Spider
from scrapy.utils.test import get_crawler

from crawler.extensions.progress import Progress, Snapshot, politeness_eta
from tests.crawl import ROOT, run_crawl
from tests.site.faults import Redirect
from tests.site.server import SputnikSite
from tests.test_archive_history import BOTH, _articles, crawl, serve

SAMPLE = ROOT / "samples" / "sputnik-sample.warc.gz"


def progress_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if "[crawler.extensions.progress] INFO: Progress" in line]


def test_replay_progress_is_in_bytes_of_the_given_files(tmp_path):
    result = run_crawl(tmp_path, args={"replay": str(SAMPLE)}, settings={"PROGRESS_INTERVAL": "0.01"})
    assert result.returncode == 0
    size = SAMPLE.stat().st_size
    assert result.stats["replay/progress/bytes_total"] == size
    assert result.stats["replay/progress/bytes_done"] == size
    lines = progress_lines(result.log)
    assert lines[-1].endswith(f"Progress at the end: {size / 1e3:.1f} kB of {size / 1e3:.1f} kB (100%), "
                              + lines[-1].split("(100%), ")[1])
    assert re.search(r"kB/s, ETA \d+:\d\d:\d\d$", lines[-1])


def test_live_progress_counts_requests_done_of_known(tmp_path):
    with SputnikSite(fresh=0) as site:
        # A redirect is a second request for one page: both known, both done.
        site.add_fault(site.sample_paths[0], Redirect(host="localhost"))
        result = run_crawl(tmp_path, args={"site": site.url, "since": "2017-01-01"},
                           settings={"PROGRESS_INTERVAL": "0.05", "DOWNLOAD_DELAY": "0.05",
                                     "AUTOTHROTTLE_ENABLED": "False"})
    assert result.returncode == 0
    lines = progress_lines(result.log)
    assert len(lines) >= 2
    final = re.search(r"at the end: (\d+) requests of (\d+) requests \(100%\)", lines[-1])
    assert final, lines[-1]
    assert int(final.group(1)) == int(final.group(2)) == result.stats["scheduler/enqueued"]
    assert result.stats["downloader/response_status_count/301"] == 1


def test_archive_run_progress_ends_at_all_requests_done(tmp_path):
    # Every archive request sets dont_obey_robotstxt: they are counted all the same.
    (tmp_path / "fakes").mkdir()
    for fakes in serve(_articles(), tmp_path / "fakes"):
        result = crawl(fakes, tmp_path, {**BOTH, "discover": "sitemaps"},
                       PROGRESS_INTERVAL="0.05")
    final = re.search(r"at the end: (\d+) requests of (\d+) requests \(100%\)", progress_lines(result.log)[-1])
    assert final, progress_lines(result.log)[-1]
    assert int(final.group(1)) == int(final.group(2)) == result.stats["scheduler/enqueued"] > 7


def test_eta_is_the_slowest_slot_by_its_delay():
    # With a delay, Scrapy starts one request per delay whatever the concurrency.
    slots = {"fr.example": SimpleNamespace(delay=1.0, concurrency=2),
             "wayback": SimpleNamespace(delay=4.0, concurrency=1)}
    assert politeness_eta({"fr.example": 10, "wayback": 4}, slots, 1.0) == 16.0
    assert politeness_eta({"fr.example": 10, "wayback": 1}, slots, 1.0) == 10.0
    # A slot not opened yet gets DOWNLOAD_DELAY.
    assert politeness_eta({"other": 6}, {}, 0.5) == 3.0
    # ... or its DOWNLOAD_SLOTS delay.
    assert politeness_eta({"wayback": 6}, {}, 0.5, {"wayback": {"delay": 4.0}}) == 24.0


def test_snapshot_line():
    line = Snapshot(done=25, total=100, unit="requests", rate=2.5, eta=30).line()
    assert line == "25 requests of 100 requests (25%), 2.5 requests/s, ETA 0:00:30"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_only_when_stderr_is_a_terminal(monkeypatch):
    crawler = get_crawler(Spider, {"PROGRESS_ENABLED": True, "PROGRESS_BAR": True})
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert Progress.from_crawler(crawler).want_bar is False
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert Progress.from_crawler(crawler).want_bar is True
    off = get_crawler(Spider, {"PROGRESS_ENABLED": True, "PROGRESS_BAR": False})
    assert Progress.from_crawler(off).want_bar is False
