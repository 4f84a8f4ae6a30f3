"""The command line as a user runs it, each case a ``scrapy crawl`` subprocess:
strict arguments, off-edition warnings, own-archive replay, exit status, the
closing summary, quiet logs, safe feed files, credentials and forged lines in
the log."""
from __future__ import annotations

import csv
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.arguments import ARGUMENTS
from crawler.logsafety import SafeLogRecord
from tests.crawl import ROOT, crawl_command, read_jsonl, read_result, run_crawl
from tests.site import Redirect, Slow, SputnikSite

SAMPLE = ROOT / "samples" / "sputnik-sample.warc.gz"
# The French edition's articles in the bundled sample (samples/pages, built by scripts/build_sample_warc.py).
SAMPLE_ARTICLES = 13
FAST = {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "DOWNLOAD_TIMEOUT": "1",
        "RETRY_TIMES": "1", "RETRY_BACKOFF_BASE": "0.05", "CONCURRENT_REQUESTS_PER_DOMAIN": "8"}
EARLIEST = "2017-01-01"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def feed_files(workdir: Path) -> list[Path]:
    return sorted((workdir / "output" / "feeds" / "sputnik_fr").glob("*"))


@pytest.fixture(scope="module")
def site():
    with SputnikSite(fresh=2) as running:
        yield running


# --- 1. strict arguments; 17.13 control characters --------------------------------

@pytest.mark.parametrize("args,message", [
    ({"sinse": "2021-12-01"}, "Did you mean -a since?"),
    ({"untill": "2021-12-01"}, "Did you mean -a until?"),
    ({"help": "1"}, "'help' is not an argument of this spider"),
    ({"since": "20211201"}, "expected a date as YYYY-MM-DD"),
])
def test_misspelt_or_unknown_argument_is_a_usage_error(tmp_path, args, message):
    result = run_crawl(tmp_path, args=args)
    assert result.returncode == 2
    assert message in result.log
    assert result.stats == {}  # the crawl never started


def test_control_characters_in_an_argument_are_refused(tmp_path):
    forged = "http://127.0.0.1:18080/x\n2026-12-01 00:00:00 [scrapy.core.engine] ERROR: INJECTED"
    result = run_crawl(tmp_path, args={"site": forged})
    assert result.returncode == 2
    assert "control characters" in result.log
    assert not any(line.startswith("2026-12-01 00:00:00") for line in result.log.splitlines())


def test_logged_values_from_outside_stay_on_their_line():
    record = SafeLogRecord("x", logging.WARNING, __file__, 1, "Not fetching %s (title %r): %s",
                           ("http://a/\n2026-12-01 00:00:00 [x] ERROR: INJECTED", "t\r\x1b[2J",
                            ValueError("header\nvalue")), None)
    message = record.getMessage()
    assert "\n" not in message and "\r" not in message and "\x1b" not in message
    assert "http://a/\\n2026-12-01" in message and "header\\nvalue" in message


# --- 2. off-edition URLs -------------------------------------------------------------

def test_another_editions_url_gives_one_warning_naming_it(tmp_path):
    url = "https://fr.sputniknews.com/20211227/lavrov-1054083153.html"
    result = run_crawl(tmp_path, spider="sputnik_en", args={"urls": url})
    [warning] = result.log_lines("WARNING")
    assert url in warning and "scrapy crawl sputnik_fr" in warning
    assert result.stats["offsite/filtered/other_edition"] == 1
    assert result.returncode == 1  # nothing was fetched


def test_urls_host_is_allowed_and_a_redirect_off_it_warns(tmp_path):
    site = SputnikSite(fresh=1)
    article = site.articles()[0].path
    moved = site.add_fresh_article(slug="deplacee")
    site.add_fault(moved, Redirect(host="localhost"))
    with site:
        root = site.url
        result = run_crawl(tmp_path, args={"urls": f"{root}{article},{root}{moved}"}, settings=FAST)
    assert [item["url"].endswith(article) for item in result.items] == [True]
    [warning] = [line for line in result.log_lines("WARNING") if "Not fetching" in line]
    assert f"redirected from {root}{moved}" in warning
    assert "-s EDITION_EXTRA_HOSTS=localhost" in warning
    assert result.stats["offsite/filtered/redirect"] == 1


# --- 3. own-archive round trip ---------------------------------------------------------

def test_replay_of_our_own_test_site_archive_gives_the_live_items(site, tmp_path):
    live = run_crawl(tmp_path, args={"site": site.url, "since": EARLIEST}, settings=FAST)
    assert live.returncode == 0, live.log[-3000:]
    replayed = run_crawl(tmp_path / "output", args={"replay": "warc"})  # as the README says
    assert replayed.returncode == 0, replayed.log[-3000:]
    assert len(live.items) == len(site.articles())

    def without_source(items):
        return sorted(({k: v for k, v in item.items() if k != "source"} for item in items),
                      key=lambda item: item["article_id"])
    assert without_source(replayed.items) == without_source(live.items)
    assert "replay/skipped/other_host" not in replayed.stats


def test_replay_of_other_hosts_only_says_why_there_is_nothing(tmp_path):
    # The sample holds French and English pages, none of the German edition.
    result = run_crawl(tmp_path, spider="sputnik_de", args={"replay": str(SAMPLE)})
    [warning] = result.log_lines("WARNING")
    assert "no record was of this edition's hosts" in warning
    # The hosts are another edition's: adding them would label French articles
    # sputnik_de, so the advice is to replay as the edition they belong to.
    assert f"They belong to sputnik_fr: scrapy crawl sputnik_fr -a replay={SAMPLE}" in warning
    assert "EDITION_EXTRA_HOSTS" not in warning


# --- 4. exit status ----------------------------------------------------------------------

def test_replay_of_only_missing_paths_exits_1(tmp_path):
    result = run_crawl(tmp_path, args={"replay": f"{tmp_path}/nope.warc.gz,{tmp_path}/gone/"})
    assert result.returncode == 1
    assert result.stats["exit_status"] == 1
    assert "exit status 1: nothing could be fetched or read" in result.log


def test_archive_index_that_never_answers_exits_1_soon_with_retries_logged(tmp_path):
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        index = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        result = run_crawl(tmp_path, args={"source": "commoncrawl", "crawls": "CC-MAIN-2021-49",
                                           "since": "2021-12-01", "until": "2021-12-31"},
                           settings={"COMMONCRAWL_INDEX_URL": index, "COMMONCRAWL_DATA_URL": index,
                                     "ARCHIVE_DOWNLOAD_TIMEOUT": "1", "ARCHIVE_RETRY_TIMES": "1",
                                     "RETRY_BACKOFF_BASE": "0.1"})
        elapsed = time.monotonic() - started
    assert result.returncode == 1, result.log[-3000:]
    assert elapsed < 30
    retries = [line for line in result.log_lines("INFO") if "Retrying " + index in line]
    assert retries and "in 0.1s" in retries[0] and "retry 1 of 1" in retries[0]
    assert "archive index queries failed" in result.log


def test_unknown_crawl_exits_1(tmp_path):
    result = run_crawl(tmp_path, args={"source": "commoncrawl", "crawls": "CC-MAIN-2099-01"},
                       settings={"COMMONCRAWL_INDEX_URL": f"http://127.0.0.1:{closed_port()}",
                                 "ARCHIVE_RETRY_TIMES": "0"})
    assert result.returncode == 1
    assert result.stats["exit_status"] == 1



@pytest.mark.parametrize("store", [{"STATE_ENABLED": "False"},
                                   {"STATE_URI": "redis://127.0.0.1:1/0"}])
def test_recheck_without_an_sqlite_store_is_a_usage_error_before_any_fetch(tmp_path, store):
    # It used to log an ERROR and run an ordinary crawl, exit status 0.
    result = run_crawl(tmp_path, args={"site": f"http://127.0.0.1:{closed_port()}", "recheck": "1"},
                       settings=store)
    assert result.returncode == 2, result.log
    assert "-a recheck=1 needs" in result.log
    assert result.stats == {} and "Spider opened" not in result.log

# --- 5. the closing summary ---------------------------------------------------------------

def test_summary_is_the_last_lines_and_names_each_outcome(tmp_path):
    result = run_crawl(tmp_path, args={"replay": str(SAMPLE)}, default_feeds=True)
    assert result.returncode == 0
    lines = result.log.strip().splitlines()
    summary, output = lines[-2], lines[-1]
    assert result.log.index("Dumping Scrapy stats") < result.log.index("Run summary")
    written = len(result.items)
    assert written == result.stats["item_scraped_count"] > 0
    assert f"Run summary (finished, exit status 0: every source was reached): {written} articles written" in summary
    for outcome in ("unchanged (already archived)", "1 duplicates", "out of the date window",
                    "on other hosts", "4 pages not articles", "0 failed",
                    "archive index queries failed", "replay errors"):
        assert outcome in summary, outcome
    for path in feed_files(tmp_path):
        assert str(path.relative_to(tmp_path)) in output
    assert f"stats {tmp_path / 'stats.json'}" in output and "archive not written" in output



def test_summary_stays_last_after_the_report_and_names_it(tmp_path):
    # The report is written on engine_stopped too: its "Report written" line
    # must come before the summary, and the Output line must say where it went.
    result = run_crawl(tmp_path, args={"replay": str(SAMPLE)},
                       settings={"REPORT_ENABLED": "True", "REPORT_DIR": str(tmp_path / "report")})
    assert result.returncode == 0, result.log
    summary, output = result.log.strip().splitlines()[-2:]
    assert "Run summary (finished" in summary
    assert "] INFO: Output: feeds " in output
    assert f"report {tmp_path / 'report' / 'index.html'};" in output
    assert result.log.index("Report written") < result.log.index("Run summary")

# --- 6. quiet logs -------------------------------------------------------------------------

def test_unknown_spider_is_one_line(tmp_path):
    result = run_crawl(tmp_path, spider="sputnik_fx")
    assert result.returncode == 2
    assert "No spider named 'sputnik_fx'. Did you mean sputnik_fr?" in result.log
    assert "Traceback" not in result.log


def test_non_numeric_setting_is_one_line(tmp_path):
    result = run_crawl(tmp_path, settings={"DOWNLOAD_DELAY": "abc"})
    assert result.returncode == 2
    assert "-s DOWNLOAD_DELAY='abc': expected a number" in result.log
    assert "Traceback" not in result.log


def test_unreachable_store_is_one_line(tmp_path):
    result = run_crawl(tmp_path, args={"urls": "https://fr.sputniknews.com/20211227/x-1.html"},
                       settings={"STATE_URI": f"redis://127.0.0.1:{closed_port()}/0"})
    assert result.returncode == 1
    [error] = result.log_lines("ERROR")
    assert "The crawl could not start: STATE_URI" in error and "cannot reach Redis" in error
    assert "Traceback" not in result.log


def test_unchanged_articles_of_a_refresh_are_counted_not_logged(site, tmp_path):
    args = {"site": site.url, "since": EARLIEST}
    assert run_crawl(tmp_path, args=args, settings=FAST).returncode == 0
    again = run_crawl(tmp_path, args={**args, "refresh": "1"}, settings=FAST)
    unchanged = len(site.articles())
    assert again.stats["dedupe/unchanged"] == unchanged
    assert not [line for line in again.log_lines("INFO") if "Unchanged since" in line]
    assert f"{unchanged} unchanged (already archived)" in again.log


# --- 7. feed files; 17.6 -----------------------------------------------------------------------

def test_two_runs_started_together_leave_two_valid_pairs(tmp_path):
    command, env = crawl_command(tmp_path, args={"replay": str(SAMPLE)}, default_feeds=True)
    runs = [subprocess.Popen(command, cwd=tmp_path, env=env, stderr=subprocess.DEVNULL)
            for _ in range(2)]
    assert [run.wait(timeout=120) for run in runs] == [0, 0]
    jsonl = [p for p in feed_files(tmp_path) if p.suffix == ".jsonl"]
    feeds = [p for p in feed_files(tmp_path) if p.name.endswith(".feed.json")]
    assert len(jsonl) == len(feeds) == 2
    for path in jsonl:
        assert len(read_jsonl(path)) == SAMPLE_ARTICLES
    for path in feeds:
        assert len(json.loads(path.read_text())["items"]) == SAMPLE_ARTICLES


def test_killed_run_leaves_a_valid_json_feed_or_none(tmp_path):
    site = SputnikSite(fresh=6)
    for path in [p for p in (a.path for a in site.articles()) if p not in site.sample_paths][2:]:
        site.add_fault(path, Slow(seconds=30))
    with site:
        command, env = crawl_command(tmp_path, args={"site": site.url, "since": EARLIEST},
                                     settings={**FAST, "DOWNLOAD_TIMEOUT": "60"}, default_feeds=True)
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(
                p.stat().st_size for p in feed_files(tmp_path) if p.suffix == ".jsonl"):
            time.sleep(0.1)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    assert [p for p in feed_files(tmp_path) if p.suffix == ".jsonl"][0].stat().st_size
    for path in feed_files(tmp_path):
        if path.name.endswith(".feed.json"):
            json.loads(path.read_text())  # complete, or not there at all
    assert any(p.name.endswith(".feed.json.part") for p in feed_files(tmp_path))


def test_run_that_emits_nothing_leaves_no_feed_files(tmp_path):
    result = run_crawl(tmp_path, args={"replay": str(SAMPLE), "since": "2030-01-01"}, default_feeds=True)
    assert result.returncode == 0
    assert feed_files(tmp_path) == []
    assert "feeds none written" in result.log


def test_all_jsonl_keeps_each_article_once_in_its_newest_version(tmp_path):
    feeds = tmp_path / "feeds" / "sputnik_fr"
    feeds.mkdir(parents=True)
    lines = {"2021-01-01T00-00-00Z-aaaaaa.jsonl": [{"article_id": "1", "version": 1, "body": "a"},
                                                    {"article_id": "2", "version": 1, "body": "b"}],
             "2021-01-02T00-00-00Z-bbbbbb.jsonl": [{"article_id": "1", "version": 2, "body": "a2"}]}
    for name, items in lines.items():
        (feeds / name).write_text("".join(json.dumps(item) + "\n" for item in items) + '{"cut')
    done = subprocess.run([sys.executable, "-m", "crawler.feeds", "all", "sputnik_fr"], cwd=ROOT,
                          env={**os.environ, "SPUTNIK_OUTPUT_DIR": str(tmp_path)},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "2 articles" in done.stdout and "2 unreadable lines skipped" in done.stdout
    assert read_jsonl(feeds / "all.jsonl") == [{"article_id": "2", "version": 1, "body": "b"},
                                               {"article_id": "1", "version": 2, "body": "a2"}]


# --- 8. help and misspelt settings ---------------------------------------------------------------

def test_help_lists_every_argument_with_its_default():
    command, env = crawl_command(ROOT)
    done = subprocess.run([*command[:5], "--help"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0
    for spec in ARGUMENTS:
        assert f"-a {spec.name} " in done.stdout and f"default: {spec.default}" in done.stdout
    listed = subprocess.run([sys.executable, "-m", "crawler.arguments", "sputnik_en"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert "default: https://sputnikglobe.com" in listed.stdout


def test_misspelt_settings_warn_with_the_closest_name(tmp_path):
    result = run_crawl(tmp_path, args={"replay": str(SAMPLE)},
                       settings={"WARC_ENABLE": "False", "LOG_LEVL": "INFO"})
    assert result.returncode == 0
    warnings = result.log_lines("WARNING")
    assert any("WARC_ENABLE is not a setting" in w and "did you mean WARC_ENABLED?" in w for w in warnings)
    assert any("LOG_LEVL is not a setting" in w and "did you mean LOG_LEVEL?" in w for w in warnings)


# --- 17.12 feed credentials --------------------------------------------------------------------

def test_feed_credentials_are_masked_and_a_failed_store_fails_the_run(tmp_path):
    command, env = crawl_command(tmp_path, args={"replay": str(SAMPLE)}, default_feeds=True)
    feed = f"ftp://feeduser:s3cr3t@127.0.0.1:{closed_port()}/out.jsonl:jsonlines"
    done = subprocess.run([*command, "-O", feed], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    result = read_result(tmp_path, "sputnik_fr", done.returncode, done.stderr)
    assert result.returncode == 1
    assert "s3cr3t" not in result.log
    assert f"Error storing jsonlines feed ({SAMPLE_ARTICLES} items) in: ftp://feeduser:***@127.0.0.1" in result.log
    assert "exit status 1: a feed could not be stored" in result.log


def test_schedule_outcome_gives_a_stopped_jobs_exit_status(tmp_path, capsys):
    from crawler.schedule import main as schedule_main
    stats = tmp_path / "stats.json"
    stats.write_text(json.dumps({"finish_reason": "warc_write_error", "item_scraped_count": 3,
                                 "downloader/response_count": 9}))
    assert schedule_main(["sputnik_fr", "--outcome", str(stats)]) == 1
    assert "exit status 1: the run stopped early (warc_write_error)" in capsys.readouterr().out
    assert schedule_main(["sputnik_fr", "--outcome", str(tmp_path / "none.json")]) == 1


def test_csv_export_writes_source_as_json(tmp_path):
    command, env = crawl_command(tmp_path, args={"replay": str(SAMPLE)}, default_feeds=True)
    done = subprocess.run([*command, "-O", f"{tmp_path / 'items.csv'}:csv"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = list(csv.DictReader((tmp_path / "items.csv").open(encoding="utf-8")))
    assert len(rows) == SAMPLE_ARTICLES
    source = json.loads(rows[0]["source"])
    assert source["mode"] == "replay" and source["warc_file"].endswith("sputnik-sample.warc.gz")


def test_test_site_prints_the_readmes_crawl_command():
    from tests.site.__main__ import describe
    with SputnikSite(fresh=1) as running:
        printed = describe(running)
    assert "-s EDITION_EXTRA_HOSTS=localhost" in printed
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "-a since=2017-11-03 -s EDITION_EXTRA_HOSTS=localhost" in readme
