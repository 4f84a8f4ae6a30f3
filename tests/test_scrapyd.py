"""End to end on a real scrapyd: deploy with ``scrapyd-deploy``, schedule with
``python -m crawler.schedule``, crawl the local test site, read what the job wrote.

One scrapyd (with basic auth, on a free loopback port) and one job serve the
whole module; scrapyd and its jobs are killed at the end whatever happens.
"""
from __future__ import annotations

import base64
import gzip
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.editions import EDITIONS
from crawler.schedule import main as schedule_main
from tests.crawl import ROOT, read_json, read_jsonl
from tests.site.faults import Slow, Status
from tests.site.server import SputnikSite, default_site

PROJECT = "sputnik"
SPIDER = "sputnik_fr"
USERNAME = "archivist"
# Random, so that finding it in a file can only mean it leaked there.
PASSWORD = "pw-" + secrets.token_hex(12)
# What the project needs in scrapyd's egg; the rest of the checkout stays out.
PROJECT_FILES = ["crawler", "pipelines", "warc", "settings", "scrapy.cfg", "pyproject.toml",
                 "setup.py", "README.md"]
# Politeness off and short timeouts: the site is local and its faults are staged.
FAST = {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "DOWNLOAD_TIMEOUT": "2",
        "RETRY_TIMES": "1", "RETRY_BACKOFF_BASE": "0.05", "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
        "EDITION_EXTRA_HOSTS": "localhost"}
EARLIEST = "2017-01-01"

SCRAPYD_CONF = """\
[scrapyd]
bind_address = 127.0.0.1
http_port = {port}
username = {username}
password = {password}
items_dir =
jobstorage = scrapyd.jobstorage.SqliteJobStorage
eggstorage = scrapyd.eggstorage.FilesystemEggStorage
eggs_dir = eggs
dbs_dir = dbs
logs_dir = logs
max_proc = 2
# The default 5 s would be most of the test's time.
poll_interval = 0.2
"""


@dataclass
class Scrapyd:
    url: str
    home: Path
    output: Path
    process: subprocess.Popen[bytes]

    def get(self, path: str, password: str = PASSWORD) -> bytes:
        token = base64.b64encode(f"{USERNAME}:{password}".encode()).decode()
        request = Request(f"{self.url}/{path.lstrip('/')}", headers={"Authorization": f"Basic {token}"})
        with urlopen(request, timeout=10) as response:
            return response.read()

    def get_json(self, path: str) -> dict[str, Any]:
        return json.loads(self.get(path))

    def jobs(self) -> dict[str, Any]:
        return self.get_json(f"listjobs.json?project={PROJECT}")

    def console(self) -> str:
        return (self.home / "scrapyd.out").read_text(errors="replace")[-4000:]


@dataclass
class Job:
    id: str
    outcomes: list[str]
    finished: dict[str, Any]
    log: str
    seconds: float


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without what would steer scrapyd or its jobs elsewhere."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("SCRAPY_SETTINGS_MODULE", "SCRAPY_PROJECT", "PYTHONPATH")
           and not k.startswith(("SCRAPYD_", "SPUTNIK_"))}
    return {**env, **extra}


def wait_for(condition: Callable[[], Any], seconds: float, what: str, server: Scrapyd | None = None) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    pytest.fail(f"timed out after {seconds}s waiting for {what}\n{server.console() if server else ''}")


def answering(server: Scrapyd) -> bool:
    if server.process.poll() is not None:
        pytest.fail(f"scrapyd exited with {server.process.returncode}\n{server.console()}")
    try:
        return server.get_json("daemonstatus.json")["status"] == "ok"
    except OSError:
        return False


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to scrapyd's process group (its running crawls too), then SIGKILL."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scrapyd]:
    home = tmp_path_factory.mktemp("scrapyd")
    port = free_port()
    # scrapyd 1.6 reads ./scrapyd.conf (after /etc/scrapyd/...), so it runs from home.
    (home / "scrapyd.conf").write_text(SCRAPYD_CONF.format(port=port, username=USERNAME,
                                                           password=PASSWORD))
    output = home / "output"
    env = clean_env(SPUTNIK_OUTPUT_DIR=str(output), HOME=str(home))
    with open(home / "scrapyd.out", "wb") as console:
        process = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=home, env=env,
                                   stdout=console, stderr=subprocess.STDOUT, start_new_session=True)
    server = Scrapyd(f"http://127.0.0.1:{port}", home, output, process)
    try:
        wait_for(lambda: answering(server), 20, "scrapyd to answer", server)
        yield server
    finally:
        stop(process)


@pytest.fixture(scope="module")
def deployed(scrapyd: Scrapyd, tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """``scrapyd-deploy`` from a copy of the project, so its build files stay out of the checkout."""
    checkout = tmp_path_factory.mktemp("checkout")
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, checkout / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(source, checkout / name)
    # The shipped [deploy] section with this scrapyd's port: a target inherits
    # project, username and password from it.
    with open(checkout / "scrapy.cfg", "a", encoding="utf-8") as cfg:
        cfg.write(f"\n[deploy:test]\nurl = {scrapyd.url}\n")
    deploy = Path(sys.executable).parent / "scrapyd-deploy"
    env = clean_env(SCRAPYD_USERNAME=USERNAME, SCRAPYD_PASSWORD=PASSWORD)
    done = subprocess.run([str(deploy), "test", "--version", "1"], cwd=checkout, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def schedule(scrapyd: Scrapyd, site: SputnikSite, password: str = PASSWORD,
             ) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "crawler.schedule", SPIDER, "--url", scrapyd.url,
               "--project", PROJECT, "--timeout", "20",
               "-a", f"site={site.url}", "-a", f"since={EARLIEST}",
               "-s", f"STATS_FILE={scrapyd.output / 'stats' / 'last.json'}"]
    for name, value in FAST.items():
        command += ["-s", f"{name}={value}"]
    env = clean_env(SCRAPYD_USERNAME=USERNAME, SCRAPYD_PASSWORD=password)
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def job_in(jobs: dict[str, Any], state: str, job_id: str) -> dict[str, Any] | None:
    return next((job for job in jobs[state] if job["id"] == job_id), None)


def started_yet(scrapyd: Scrapyd, job_id: str) -> bool:
    jobs = scrapyd.jobs()
    if job_in(jobs, "finished", job_id):
        # The slow page keeps the crawl running for seconds; this should not happen.
        pytest.fail("the job ended before a schedule call could see it running")
    return job_in(jobs, "running", job_id) is not None


@pytest.fixture(scope="module")
def site() -> Iterator[SputnikSite]:
    with default_site() as running:
        yield running


@pytest.fixture(scope="module")
def job(scrapyd: Scrapyd, deployed: subprocess.CompletedProcess[str], site: SputnikSite) -> Job:
    started = time.monotonic()
    first = schedule(scrapyd, site)
    assert first.returncode == 0 and first.stdout.startswith("scheduled: "), first.stderr
    job_id = first.stdout.split()[-1]
    # Straight away the job is still queued (or just started).
    queued = schedule(scrapyd, site)
    wait_for(lambda: started_yet(scrapyd, job_id), 20, "the job to start", scrapyd)
    running = schedule(scrapyd, site)
    finished = wait_for(lambda: job_in(scrapyd.jobs(), "finished", job_id), 60,
                        "the job to finish", scrapyd)
    log = scrapyd.get(finished["log_url"]).decode("utf-8")
    return Job(job_id, [first.stdout, queued.stdout, running.stdout], finished, log,
               time.monotonic() - started)


def test_deploy_uploads_an_egg_with_the_project_and_its_settings(scrapyd, deployed):
    assert '"status": "ok"' in deployed.stdout and f'"spiders": {len(EDITIONS)}' in deployed.stdout
    (egg,) = (scrapyd.home / "eggs" / PROJECT).glob("*.egg")
    with zipfile.ZipFile(egg) as archive:
        names = archive.namelist()
        entry_points = archive.read("EGG-INFO/entry_points.txt").decode()
    for package in ("crawler", "pipelines", "warc", "settings"):
        assert f"{package}/__init__.py" in names
    assert not [name for name in names if name.startswith("tests/")]
    assert "[scrapy]\nsettings = settings.base" in entry_points
    spiders = scrapyd.get_json(f"listspiders.json?project={PROJECT}")["spiders"]
    # The egg carries the registry file: every edition's spider is there.
    assert sorted(spiders) == sorted(EDITIONS)


def test_schedule_does_not_duplicate_a_pending_or_running_job(scrapyd, job):
    first, queued, running = job.outcomes
    assert queued.startswith((f"not scheduled: {SPIDER} is already pending",
                              f"not scheduled: {SPIDER} is already running")), queued
    assert running.startswith(f"not scheduled: {SPIDER} is already running"), running
    assert queued.split()[-1] == running.split()[-1] == job.id
    assert [j["id"] for j in scrapyd.jobs()["finished"]] == [job.id]
    assert job.seconds < 45


def test_job_log_shows_a_clean_finish_without_consoles(job):
    assert "'finish_reason': 'finished'" in job.log
    # The slow page gives up after its retry; Scrapy's retry middleware says so at ERROR.
    errors = [line for line in job.log.splitlines()
              if "] ERROR:" in line and "downloadermiddlewares.retry" not in line]
    assert errors == []
    assert "Telnet console listening" not in job.log
    assert "TelnetConsole" not in job.log


def test_job_writes_feeds_and_stats_under_the_output_root(scrapyd, job, site):
    unreachable = set(site.faults.paths_of(Slow)) | set(site.faults.paths_of(Status))
    wanted = sorted(a.article_id for a in site.articles() if a.path not in unreachable)
    (feed,) = (scrapyd.output / "feeds" / SPIDER).glob("*.jsonl")
    assert sorted(item["article_id"] for item in read_jsonl(feed)) == wanted
    assert list((scrapyd.output / "feeds" / SPIDER).glob("*.feed.json"))
    stats = read_json(scrapyd.output / "stats" / "last.json")
    assert stats["finish_reason"] == "finished"
    assert stats["item_scraped_count"] == len(wanted)


def test_job_writes_warc_files_under_the_output_root(scrapyd, job):
    warcs = sorted((scrapyd.output / "warc").glob("*.warc.gz"))
    assert warcs
    types: list[str] = []
    for path in warcs:
        with open(path, "rb") as stream:
            types += [record.rec_type for record in ArchiveIterator(stream)]
    assert types[0] == "warcinfo"
    assert types.count("response") >= 10


def test_no_secret_in_what_the_job_wrote(scrapyd, job):
    assert PASSWORD not in job.log
    written = [p for p in scrapyd.output.rglob("*") if p.is_file()]
    assert written
    for path in written:
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)  # every member: each WARC record is its own
        assert PASSWORD.encode() not in data, path


def test_wrong_credentials_are_an_error_that_keeps_the_password_out(scrapyd, site, job):
    wrong = "not-" + PASSWORD
    done = schedule(scrapyd, site, password=wrong)
    assert done.returncode == 1
    assert "HTTP 401" in done.stderr and "SCRAPYD_PASSWORD" in done.stderr
    assert wrong not in done.stdout + done.stderr


def test_unreachable_scrapyd_is_an_error_naming_it(caplog):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}"
        assert schedule_main([SPIDER, "--url", url, "--timeout", "2"]) == 1
    assert f"cannot reach scrapyd at {url}" in caplog.text


def test_credentials_in_the_url_are_refused_without_echoing_them(capsys):
    with pytest.raises(SystemExit) as exited:
        schedule_main([SPIDER, "--url", f"http://{USERNAME}:{PASSWORD}@127.0.0.1:6800"])
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert "SCRAPYD_PASSWORD" in captured.err and PASSWORD not in captured.out + captured.err


def test_schedule_reports_the_jobs_outcome_from_its_stats(scrapyd, job, capsys):
    # The job got `-a _job=<id>` from scrapyd: accepted, or it would have ended with exit status 2.
    assert schedule_main([SPIDER, "--outcome", str(scrapyd.output / "stats" / "last.json")]) == 0
    out = capsys.readouterr().out
    assert f"{SPIDER}: finished at " in out and "exit status 0: every source was reached" in out
