"""Faults of the server, the disk and the process: the crawl retries, stops
cleanly, and never writes an item whose capture or store row is missing.

Already proved elsewhere: a slow page times out after its retries and a reset
connection is retried (tests/test_live_crawl.py::test_slow_page_times_out_after_the_set_retries,
::test_retries_recover_transient_faults); SIGKILL mid-crawl
(tests/test_incremental.py::test_killed_crawl_resumes_with_every_article_exactly_once,
tests/test_warc_archiving.py::test_killed_crawl_replays_and_the_next_crawl_recovers_it).
"""
from __future__ import annotations

import resource
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.crawl import crawl_command, read_result, run_crawl
from tests.site.faults import ServerError, Slow, TooManyRequests
from tests.site.server import SputnikSite

FAST = {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "RETRY_BACKOFF_BASE": "0.05",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "8"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def warc_urls(directory: Path, kind: str = "response") -> set[str]:
    """Target URIs of complete records of ``kind``; a torn tail is where reading stops."""
    urls: set[str] = set()
    for path in sorted(directory.glob("*.warc.gz*")):
        with open(path, "rb") as stream:
            try:
                for record in ArchiveIterator(stream):
                    if record.rec_type == kind:
                        urls.add(record.rec_headers.get_header("WARC-Target-URI"))
            except Exception:  # noqa: BLE001 - the torn last record of a full disk
                pass
    return urls


def assert_source_names_its_record(workdir: Path, item: dict) -> None:
    """The item's ``source`` names the record stored at that offset: its id,
    and its target URI, which is the URL the item was fetched from."""
    source = item["source"]
    # warc_file is <WARC_DIR>/<name>, relative to the crawl's working directory.
    with open(workdir / source["warc_file"], "rb") as stream:
        stream.seek(source["warc_offset"])
        record = next(iter(ArchiveIterator(stream)))
        headers = record.rec_headers
        assert (headers.get_header("WARC-Record-ID"), headers.get_header("WARC-Target-URI")) == (
            source["warc_record_id"], source["fetched_url"]), item["url"]


def test_server_dies_mid_crawl_and_comes_back(tmp_path: Path) -> None:
    site = SputnikSite(fresh=2, port=free_port())
    site.start()
    restarted = threading.Event()

    def outage() -> None:
        site.log.wait_for(lambda entries: any(e.path == "/robots.txt" and e.status for e in entries), 30)
        site.stop()
        time.sleep(2.0)
        site.start()
        restarted.set()

    threading.Thread(target=outage, daemon=True).start()
    try:
        result = run_crawl(tmp_path, args={"site": site.url, "since": "2017-01-01"},
                           settings={**FAST, "RETRY_TIMES": "6", "RETRY_BACKOFF_BASE": "0.5"})
    finally:
        restarted.wait(10)
        site.stop()
    assert result.returncode == 0, result.log[-2000:]
    refused = [v for k, v in result.stats.items()
               if k.startswith("retry/reason_count/") and "ConnectionRefused" in k]
    assert refused and refused[0] >= 1
    assert sorted(i["article_id"] for i in result.items) == sorted(a.article_id for a in site.articles())
    assert f"exit status 0: every source was reached): {len(site.articles())} articles written" in result.log


@pytest.fixture(scope="module")
def faulty_urls(tmp_path_factory: pytest.TempPathFactory):
    site = SputnikSite(fresh=4)
    paths = [a.path for a in site.fresh_articles()]
    site.add_fault(paths[0], TooManyRequests(retry_after=2))
    site.add_fault(paths[1], ServerError(times=3))  # fails three times in a row
    site.add_fault(paths[2], Slow(seconds=3))
    with site:
        result = run_crawl(tmp_path_factory.mktemp("faults"), args={
            "site": site.url, "urls": ",".join(site.url + p for p in paths)},
            settings={**FAST, "RETRY_TIMES": "3", "DOWNLOAD_TIMEOUT": "1"})
    return site, paths, result


def test_retry_after_is_waited_for(faulty_urls) -> None:
    site, paths, result = faulty_urls
    first, second = site.log.for_path(paths[0])
    assert first.status == 429 and second.status == 200
    assert 2.0 <= second.at - first.at < 4.0  # RETRY_BACKOFF_BASE alone would be 0.05 s
    assert result.stats["retry/retry_after_honoured"] == 1


def test_three_failures_in_a_row_then_success(faulty_urls) -> None:
    site, paths, result = faulty_urls
    assert site.log.statuses(paths[1]) == [500, 500, 500, 200]
    assert result.stats["retry/reason_count/500 Internal Server Error"] == 3


def test_slow_page_times_out_and_the_others_are_in_the_feed(faulty_urls) -> None:
    site, paths, result = faulty_urls
    assert result.returncode == 0
    assert result.stats["article/failed/DownloadTimeoutError"] == 1
    assert sorted(i["article_id"] for i in result.items) == sorted(
        site.article(p).article_id for p in (paths[0], paths[1], paths[3]))
    assert len([line for line in result.log.splitlines()
                if "Article not fetched (DownloadTimeoutError)" in line]) == 1


def _small_disk() -> None:
    # No file may pass 100 KB: writes fail with EFBIG instead of killing the
    # process. The WARC file or the digest index beside it fills up first.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))


def test_full_disk_stops_the_crawl_and_no_item_lacks_its_capture(tmp_path: Path) -> None:
    site = SputnikSite(fresh=12)
    with site:
        result = run_crawl(tmp_path, args={"site": site.url, "since": "2017-01-01"},
                           settings={**FAST, "CONCURRENT_REQUESTS": "1"}, default_feeds=True,
                           preexec_fn=_small_disk)
    assert result.returncode == 1, result.log[-2000:]  # stopped early: a failed run
    # Whichever file passes the limit first stops the crawl: a WARC file or the
    # digest index (warc_write_error), or the article store, which holds the
    # version texts too (state_error). Each cause says so once.
    reason = result.stats["finish_reason"]
    assert reason in ("warc_write_error", "state_error")
    stops = {"WARC write failed, stopping": "warc/errors/write", "cannot be used": "state/errors"}
    lines = {text: [line for line in result.log_lines("ERROR") if text in line] for text in stops}
    assert all(len(found) <= 1 for found in lines.values()), lines
    cause = "WARC write failed, stopping" if reason == "warc_write_error" else "cannot be used"
    assert len(lines[cause]) == 1 and result.stats[stops[cause]] >= 1
    captured = warc_urls(tmp_path / "output" / "warc")
    assert captured  # the file is readable up to its last complete record
    assert 0 < len(result.items) < len(site.articles())
    for item in result.items:
        assert_source_names_its_record(tmp_path, item)


def test_sigterm_shuts_down_cleanly_with_files_closed_and_store_consistent(tmp_path: Path) -> None:
    site = SputnikSite(fresh=8)
    fresh = {a.path for a in site.fresh_articles()}
    for path in fresh:
        site.add_fault(path, Slow(seconds=2))
    with site:
        command, env = crawl_command(tmp_path, args={"site": site.url, "since": "2017-01-01"},
                                     settings={**FAST, "CONCURRENT_REQUESTS": "2"}, default_feeds=True)
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
        assert site.log.wait_for(lambda entries: sum(e.path in fresh for e in entries) >= 2, 30)
        process.send_signal(signal.SIGTERM)
        _, log = process.communicate(timeout=40)
    result = read_result(tmp_path, "sputnik_fr", process.returncode, log, default_feeds=True)
    assert result.returncode == 1, log[-2000:]  # stopped early (shutdown)
    assert result.stats["finish_reason"] == "shutdown"
    assert "Received SIGTERM, shutting down gracefully" in log
    assert 0 < len(result.items) < len(site.articles())
    warc_dir = tmp_path / "output" / "warc"
    assert not list(warc_dir.glob("*.open")) and list(warc_dir.glob("*.warc.gz"))
    indexed = (warc_dir / "index.cdxj").read_text()
    for item in result.items:
        assert_source_names_its_record(tmp_path, item)
        assert item["article_id"] in indexed
    (store,) = (tmp_path / "output" / "state").glob("*.sqlite3")
    with sqlite3.connect(store) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = {row[0] for row in db.execute("SELECT article_id FROM articles")}
    assert stored == {item["article_id"] for item in result.items}
