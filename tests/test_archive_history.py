"""Rebuilding a month from both archives in one run, against local fakes.

The month (December 2021) has seven articles, made from one 2021-layout
sample page (tests.site.fresh): Common Crawl holds 1-4, the Wayback Machine
3-6 (3 and 4 with the same payloads as Common Crawl's; 5 in an old and a
newer text), the live sitemaps list all seven, and 7 is in no archive. Each
scenario runs ``scrapy crawl`` in its own directory; the fakes count every
request.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from datetime import date, time as clock
from pathlib import Path

import pytest

from tests.archive_fakes import Archives, ArchiveServer, WaybackPage, sha1_base32
from tests.crawl import CrawlResult, crawl_command, read_jsonl, run_crawl
from tests.site.fresh import fresh_article, pick_template
from tests.site.pages import Article, append_paragraph, load_pages
from tests.warc_builders import build_warc, html_response, warcinfo

CRAWL = "CC-MAIN-2021-52"
FILE = f"crawl-data/{CRAWL}/segments/1/warc/{CRAWL}-00000.warc.gz"
MONTH = {"since": "2021-12-01", "until": "2021-12-31"}
BOTH = {**MONTH, "source": "wayback,commoncrawl", "crawls": CRAWL}
FAST = {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "DOWNLOAD_SLOTS": "{}",
        "RETRY_BACKOFF_BASE": "0.05", "WARC_HOST": "archive-test"}
HOST = "https://fr.sputniknews.com"
IDS = [str(1_099_100_001 + n) for n in range(7)]
CC_IDS, WB_IDS = IDS[:4], IDS[2:6]
OLD, NEW, ERROR_PAGE = "20211220080000", "20220110080000", "20220201080000"


def _articles() -> dict[str, Article]:
    template = pick_template(load_pages())
    assert template is not None
    return {article_id: fresh_article(template, date(2021, 12, n + 1), int(article_id), f"article-{n}",
                                      clock(9, 0))
            for n, article_id in enumerate(IDS)}


def _build(archives: Archives, articles: dict[str, Article], tmp: Path, error_page: bool) -> None:
    """Common Crawl: 1-4 captured 2021-12-20; Wayback: 3-6 on 2022-01-10, 5 also
    on 2021-12-20 in an older text (and with ``error_page``, 6 on 2022-02-01 as
    an error page served with status 200); sitemaps: all seven."""
    cc = [(articles[i], articles[i].body) for i in CC_IDS]
    specs = [warcinfo()] + [html_response(HOST + a.path, body, date="2021-12-20T08:00:00Z")
                            for a, body in cc]
    offsets = build_warc(tmp / "cc.warc.gz", specs) + [(tmp / "cc.warc.gz").stat().st_size]
    archives.cc_files[FILE] = (tmp / "cc.warc.gz").read_bytes()
    archives.cc_index[CRAWL] = [
        {"urlkey": "k", "timestamp": OLD, "url": HOST + a.path, "mime": "text/html", "status": "200",
         "digest": sha1_base32(body), "offset": str(offsets[n + 1]),
         "length": str(offsets[n + 2] - offsets[n + 1]), "filename": FILE}
        for n, (a, body) in enumerate(cc)]
    archives.collinfo = [{"id": CRAWL, "name": "December 2021 Index", "to": "2021-12-28T00:00:00"},
                         {"id": "CC-MAIN-2021-43", "name": "October 2021 Index", "to": "2021-10-28"}]
    archives.cdx_rows = [["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]]
    for article_id in WB_IDS:
        add_capture(archives, articles[article_id], NEW, articles[article_id].body)
    add_capture(archives, articles[IDS[4]], OLD, old_text(articles[IDS[4]]))
    if error_page:
        add_capture(archives, articles[IDS[5]], ERROR_PAGE, b"<html><body><h1>Page introuvable</h1></body></html>")
    archives.site["/sitemap_article_index.xml"] = sitemap_index()
    archives.site["/sitemap_article.xml"] = sitemap([HOST + articles[i].path for i in IDS])


def old_text(article: Article) -> bytes:
    return append_paragraph(article.body, "Version initiale, corrigée depuis.")


def add_capture(archives: Archives, article: Article, timestamp: str, body: bytes) -> None:
    url = HOST + article.path
    archives.cdx_rows.append(["k", timestamp, url, "text/html", "200", sha1_base32(body), "1"])
    archives.pages[(timestamp, url)] = WaybackPage(body, {"Content-Type": "text/html; charset=utf-8"})


def sitemap_index() -> bytes:
    loc = "http://SITE/sitemap_article.xml?date_start=20211201&amp;date_end=20211231"
    return (f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{loc}</loc></sitemap></sitemapindex>").encode()


def sitemap(urls: list[str]) -> bytes:
    entries = "".join(f"<url><loc>{url}</loc></url>" for url in urls)
    return (f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{entries}</urlset>").encode()


@pytest.fixture(scope="module")
def articles() -> dict[str, Article]:
    return _articles()


def serve(articles: dict[str, Article], tmp: Path, error_page: bool = False):
    archives = Archives()
    _build(archives, articles, tmp, error_page)
    with ArchiveServer(archives) as server:
        index = archives.site["/sitemap_article_index.xml"]
        archives.site["/sitemap_article_index.xml"] = index.replace(b"http://SITE", server.url.encode())
        yield server


@pytest.fixture
def fakes(articles, tmp_path):
    """Fakes of one test's own, which it may change."""
    yield from serve(articles, tmp_path)


@pytest.fixture(scope="module")
def combined(articles, tmp_path_factory):
    """A first combined run with sitemap discovery, then the same run again, in one
    directory; Wayback's newest capture of 6 is an error page."""
    for server in serve(articles, tmp_path_factory.mktemp("fakes"), error_page=True):
        workdir = tmp_path_factory.mktemp("combined")
        first = crawl(server, workdir, {**BOTH, "discover": "sitemaps"})
        first.requests = server.log.entries()  # type: ignore[attr-defined]
        server.log.clear()
        second = crawl(server, workdir, {**BOTH, "discover": "sitemaps"})
        second.requests = server.log.entries()  # type: ignore[attr-defined]
        yield first, second


def settings(fakes: ArchiveServer, **more: str) -> dict[str, str]:
    return {**FAST, **fakes.settings(), "EDITION_EXTRA_HOSTS": "[]", **more}


def crawl(fakes: ArchiveServer, workdir: Path, args: dict[str, str], status: int = 0,
          **more: str) -> CrawlResult:
    result = run_crawl(workdir, args={"site": fakes.url, **args}, settings=settings(fakes, **more))
    assert result.returncode == status, result.log
    return result


# --- what the fakes were asked ------------------------------------------------------------

def logged(asked) -> list:
    return asked.log.entries() if isinstance(asked, ArchiveServer) else asked.requests


def record_fetches(asked) -> list[tuple[str, str]]:
    """Captures answered (by the fakes, or in a run's requests): Common Crawl ranges and Wayback id_ pages."""
    return [(r.target, r.headers.get("Range", "")) for r in logged(asked)
            if r.path.startswith(("/cc-data/", "/web/")) and r.status in (200, 206)]


def index_requests(asked, prefix: str) -> list[str]:
    return [r.target for r in logged(asked) if r.path.startswith(prefix) and r.status is not None]


def sources_of(items: list[dict]) -> dict[str, str]:
    return {item["article_id"]: item["source"]["mode"] for item in items}


# --- one run over both archives ---------------------------------------------------------------

def test_combined_run_takes_one_capture_per_article_from_the_preferred_archive(combined):
    result, _ = combined
    assert sources_of(result.items) == {**{i: "commoncrawl" for i in CC_IDS},
                                        IDS[4]: "wayback", IDS[5]: "wayback"}
    assert len(result.items) == 6
    # The newest of 5's two texts; 3 and 4 from Common Crawl, not again from Wayback.
    five = next(item for item in result.items if item["article_id"] == IDS[4])
    assert five["fetched_at"] == "2022-01-10T08:00:00Z"
    # 6's newest capture is no article: remembered, and its older capture fetched instead.
    assert len(record_fetches(result)) == 7
    stats = result.stats
    unusable = sum(v for k, v in stats.items() if k.startswith("archive/unusable/"))
    assert unusable == stats["archive/fallback/wayback"] == 1
    assert (stats["archive/skipped/other_source"], stats["archive/skipped/older"]) == (2, 2)
    assert (stats["commoncrawl/captures/chosen"], stats["wayback/captures/chosen"]) == (4, 2)
    # The sitemaps give ids only: no article page is asked of the live site.
    assert len([r for r in result.requests if r.path == "/sitemap_article.xml"]) == 1
    assert not [r for r in result.requests if r.path.startswith("/2021")]
    assert "Indexes read: 6 articles listed; 6 captures to fetch (wayback 2, commoncrawl 4)" in result.log
    assert "Archive run finished: fetched 7 (wayback 3, commoncrawl 4)" in result.log


def test_prefer_wayback_takes_its_captures_first(fakes, tmp_path):
    result = crawl(fakes, tmp_path, {**BOTH, "prefer": "wayback"})
    assert sources_of(result.items) == {IDS[0]: "commoncrawl", IDS[1]: "commoncrawl",
                                        **{i: "wayback" for i in WB_IDS}}


def test_coverage_report_counts_equal_the_fakes(combined):
    first, second = combined
    tmp_path = first.workdir
    path = report_of(first)
    report = json.loads(path.read_text())
    (december,) = report["months"]
    assert december["month"] == "2021-12" and report["store_read"] is True
    assert december["known"] == {"commoncrawl": 4, "wayback": 4, "sitemaps": 7, "any": 7}
    assert december["archived"] == {"commoncrawl": 4, "wayback": 2, "live": 0, "earlier": 0, "any": 6}
    assert december["missing"] == 1
    assert december["versions"] == {"listed": 8, "archived": 6}  # the error page is a text listed
    assert report["total"] == {k: v for k, v in december.items() if k != "month"}
    assert json.loads(report_of(second).read_text())["months"] == report["months"]
    missing = path.with_name(report["missing_ids_file"]).read_text()
    assert missing.split("\t")[:2] == ["2021-12", IDS[6]]
    assert "| 2021-12 | 4 | 4 | 7 | 7 | 6 | 4 | 2 | 0 | 0 | 1 | 8 | 6 |" in path.with_suffix(".md").read_text()
    # On demand, from disk alone, the same counts.
    done = subprocess.run([*coverage_command(), "--since", "2021-12-01", "--until", "2021-12-31"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env=crawl_command(tmp_path)[1])
    assert done.returncode == 0, done.stderr
    reports = set((tmp_path / "output" / "reports" / "sputnik_fr").glob("coverage-*.json"))
    (on_demand,) = reports - {report_of(first), report_of(second)}
    assert json.loads(on_demand.read_text())["months"] == report["months"]
    # And as a Scrapy command.
    command = [coverage_command()[0], "-m", "scrapy", "coverage", "sputnik_fr", "--since", "2021-12-01"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env=crawl_command(tmp_path)[1])
    assert done.returncode == 0, done.stderr
    assert "| 2021-12 | 4 | 4 | 7 | 7 | 6 | 4 | 2 | 0 | 0 | 1 | 8 | 6 |" in done.stdout


def report_of(result: CrawlResult) -> Path:
    run = result.stats["start_time"][:19].replace(":", "-")
    return result.workdir / "output" / "reports" / "sputnik_fr" / f"coverage-{run}.json"


def coverage_command() -> list[str]:
    return [crawl_command(Path("."))[0][0], "-m", "crawler.coverage", "--spider", "sputnik_fr"]


# --- never fetch what is held -------------------------------------------------------------------

def test_second_run_fetches_no_record_and_asks_no_common_crawl_index(combined):
    _, second = combined
    assert second.items == []
    assert record_fetches(second) == [] and index_requests(second, "/cc-index/") == []
    # A finished Wayback answer younger than WAYBACK_CDX_REFRESH_AFTER is not asked again either.
    assert index_requests(second, "/cdx") == []
    # Ten captures listed: nine of payloads held (3 and 4 twice, 6's error page), and 5's older text.
    assert second.stats["archive/skipped/held_digest"] == 9
    assert second.stats["archive/skipped/held_article"] == 1  # 5's older text


def test_a_new_wayback_text_is_the_only_fetch_with_captures_all(fakes, tmp_path, articles):
    every = {**BOTH, "captures": "all"}
    first = crawl(fakes, tmp_path, every, WAYBACK_CDX_REFRESH_AFTER="0")
    assert len(first.items) == 7  # six articles, 5 in two texts
    six = articles[IDS[5]]
    add_capture(fakes.archives, six, "20220301080000", append_paragraph(six.body, "Correction."))
    fakes.log.clear()
    second = crawl(fakes, tmp_path, every, WAYBACK_CDX_REFRESH_AFTER="0")
    assert record_fetches(fakes) == [(f"/web/20220301080000id_/{HOST}{six.path}", "")]
    assert [(item["article_id"], item["version"]) for item in second.items] == [(IDS[5], 2)]
    # Wayback is asked only from the last capture time it listed; Common Crawl not at all.
    cdx = index_requests(fakes, "/cdx")
    assert [target for target in cdx if "url=fr.sputniknews.com%2F" in target and f"from={NEW}" in target]
    # The edition's other hosts listed nothing: asked from when they answered, not the window's start.
    assert cdx and all("from=20211201&" not in target for target in cdx)
    assert index_requests(fakes, "/cc-index/") == []


def test_crawls_all_reads_the_crawls_that_can_hold_the_window_and_keeps_the_list(fakes, tmp_path):
    result = crawl(fakes, tmp_path, {**BOTH, "crawls": "all"})
    asked = index_requests(fakes, "/cc-index/")
    assert asked[0] == "/cc-index/collinfo.json"
    assert all(CRAWL in target for target in asked[1:])  # October 2021 ended before the window
    assert result.stats["commoncrawl/crawls"] == 1 and len(result.items) == 6
    fakes.log.clear()
    crawl(fakes, tmp_path, {**BOTH, "crawls": "all"})
    assert index_requests(fakes, "/cc-index/") == []


# --- killed and resumed ---------------------------------------------------------------------------

def run_until_held(fakes: ArchiveServer, workdir: Path, feed: str, ready) -> None:
    """Starts a crawl, waits until ``ready(feed lines)`` once a request is held, then SIGKILLs it."""
    command, env = crawl_command(workdir, args={"site": fakes.url, **BOTH}, settings=settings(fakes),
                                 default_feeds=True)
    command += ["-O", f"{workdir / feed}:jsonlines"]
    fakes.released.clear()
    process = subprocess.Popen(command, cwd=workdir, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        assert fakes.log.wait_for(lambda entries: any(r.status is None for r in entries[-3:]), 60)
        deadline = time.time() + 30
        while not ready(len(read_jsonl(workdir / feed))) and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # the store is written as the item goes out: let the last one land
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(30)
        fakes.release()


def held_after(prefix: str, answered: int):
    def hold(entries, target: str) -> bool:
        done = [r for r in entries if r.path.startswith(prefix) and r.status is not None]
        return target.startswith(prefix) and len(done) >= answered
    return hold


def test_sigkill_then_resume_asks_no_index_page_and_fetches_no_record_twice(fakes, tmp_path):
    # 1: killed in Common Crawl's index pass (its second page held).
    fakes.hold = held_after("/cc-index/", 2)
    run_until_held(fakes, tmp_path, "run1.jsonl", lambda lines: True)
    # 2: killed while fetching captures (the third held), two items out.
    fakes.hold = lambda entries, target: (target.startswith(("/cc-data/", "/web/"))
                                          and len(record_fetches(fakes)) >= 2)
    run_until_held(fakes, tmp_path, "run2.jsonl", lambda lines: lines >= len(record_fetches(fakes)))
    # 3: to the end.
    result = run_crawl(tmp_path, args={"site": fakes.url, **BOTH}, settings=settings(fakes))
    assert result.returncode == 0, result.log
    feeds = [read_jsonl(tmp_path / name) for name in ("run1.jsonl", "run2.jsonl", "items.jsonl")]
    ids = Counter(item["article_id"] for feed in feeds for item in feed)
    assert ids == Counter(IDS[:6])
    fetched = record_fetches(fakes)
    assert len(fetched) == len(set(fetched)) == 6
    for prefix in ("/cc-index/", "/cdx"):
        asked = index_requests(fakes, prefix)
        assert asked and len(asked) == len(set(asked)), prefix
    assert [r for r in fakes.log.entries() if r.status is None]  # the kills did happen mid-request


# --- throttling and outages ---------------------------------------------------------------------------

def test_a_429_burst_slows_the_archive_down_and_the_run_completes(fakes, tmp_path, articles):
    targets = [f"/web/{NEW}id_/{HOST}{articles[i].path}" for i in WB_IDS]
    fakes.archives.throttle_once.update((target, "") for target in targets[:2])
    # One request at a time, as the project's slots have it, a short delay to begin
    # with (the middleware reads a 429 a moment after the slot is free again: a
    # fast server could answer one more in between), no jitter (Scrapy's ±50%).
    result = crawl(fakes, tmp_path, {**MONTH, "source": "wayback"}, ARCHIVE_SLOWDOWN_MAX_DELAY="1",
                   DOWNLOAD_SLOTS='{"wayback": {"concurrency": 1, "delay": 0.3, "jitter": 0}}')
    assert len(result.items) == 4
    assert result.stats["archive/slowdown/wayback"] == 2
    assert result.stats["archive/slot_delay/wayback"] == 1.0
    asked = [r for r in fakes.log.entries() if r.path.startswith("/web/")]
    assert len(asked) == 6  # four captures, two of them twice
    first_429 = next(n for n, r in enumerate(asked) if r.status == 429)
    # The slot sends its next request 0.3 s after the 429's, before any middleware
    # has read the 429; from that one on, one request a second at most: the new delay.
    after = [r.at for r in asked[first_429 + 1:]]
    assert len(after) >= 3 and min(b - a for a, b in zip(after, after[1:])) >= 0.95


def test_an_archive_that_stays_down_is_reported_and_the_others_take_over(fakes, tmp_path):
    fakes.archives.down = ("/cc-data/",)
    # Partial (3): the run went on, but one source it was given could not be read.
    result = crawl(fakes, tmp_path, BOTH, status=3, ARCHIVE_SOURCE_DOWN_AFTER="3",
                   RETRY_TIMES="1", ARCHIVE_SLOWDOWN_MAX_DELAY="0.1")
    # 1 and 2 are in Common Crawl only; 3 and 4 come from Wayback instead.
    assert sources_of(result.items) == {i: "wayback" for i in WB_IDS}
    assert result.stats["archive/source_down/commoncrawl"] == 1
    assert result.stats["archive/fallback/wayback"] == 2
    assert len([line for line in result.log_lines("WARNING") if "taken as down" in line]) == 1
    assert sum(v for k, v in result.stats.items() if k.startswith("article/failed/")) == 2
    assert result.stats["finish_reason"] == "finished"
