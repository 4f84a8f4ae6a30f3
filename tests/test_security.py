"""Security of the running crawler: consoles off, scrapyd locked down, no secret
written anywhere, no cookie or credential sent. (A scheduled job's log and
output: tests/test_scrapyd.py::test_no_secret_in_what_the_job_wrote.)"""
from __future__ import annotations

import configparser
import gzip
import re
import subprocess

import pytest

from crawler.extensions.secrets import MASK, mask_value
from settings import base
from tests.crawl import ROOT, run_crawl
from tests.site.server import SputnikSite

PASSWORD = "hunter2-Sup3r-S3cret"
REDIS_PASSWORD = "r3dis-P4ss-w0rd"
SCRAPYD_PASSWORD = "scr4pyd-P4ss"


def test_documented_scrapyd_binds_loopback_and_requires_auth() -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / "docs" / "scrapyd.conf")
    scrapyd = config["scrapyd"]
    assert scrapyd["bind_address"] in ("127.0.0.1", "::1", "localhost")
    assert scrapyd["username"] and scrapyd["password"]
    assert "CHANGE-ME" in scrapyd["password"]  # a placeholder, never a real password


def test_settings_switch_both_consoles_off() -> None:
    assert base.TELNETCONSOLE_ENABLED is False
    assert base.REMOTE_CONTROL_ENABLED is False
    assert base.COOKIES_ENABLED is False


def test_no_committed_file_holds_a_redis_url_with_credentials() -> None:
    """Documentation may show where a password goes (``:PASSWORD@``, ``[:password@]``);
    tests make up their own. No other committed file may hold one."""
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    files = listed.stdout.split() if listed.returncode == 0 else [
        str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file() and ".venv" not in p.parts]
    with_password = re.compile(r"rediss?://[^\s/@'\"]*:(?P<password>[^\s/@'\"]+)@")
    placeholder = re.compile(r"\[?:?(password|\*+|\{\w+\}|\$\{?\w+\}?|<\w+>)\]?", re.IGNORECASE)
    leaks = []
    for name in files:
        path = ROOT / name
        if name.startswith("tests/") or not path.is_file() or path.suffix not in (
                ".py", ".cfg", ".conf", ".toml", ".md", ".ini", ".yml", ".yaml", ".txt", ".env", ""):
            continue
        leaks += [f"{name}: {m.group(0)}" for m in with_password.finditer(path.read_text(errors="replace"))
                  if not placeholder.fullmatch(m.group("password"))]
    assert leaks == []


@pytest.mark.parametrize("name,value,logged", [
    ("AWS_SECRET_ACCESS_KEY", "abc", MASK),
    ("AWS_ACCESS_KEY_ID", "AKIA123", MASK),
    ("REDIS_URL", "redis://:pw@host:6379/0", f"redis://:{MASK}@host:6379/0"),
    ("FEED_URI", "ftp://user:pw@example.org/f.jsonl", f"ftp://user:{MASK}@example.org/f.jsonl"),
    ("DOWNLOAD_DELAY", 0.5, 0.5),
    ("USER_AGENT", "sputnik-archive/0.1 (+https://example.org)", "sputnik-archive/0.1 (+https://example.org)"),
])
def test_mask_value(name: str, value: object, logged: object) -> None:
    assert mask_value(name, value) == logged


@pytest.fixture(scope="module")
def secret_crawl(tmp_path_factory: pytest.TempPathFactory):
    site = SputnikSite(fresh=2)
    robots = site.answer("/robots.txt", "")[2]
    with site:
        # Sent with robots.txt, the first answer: no later request may carry it back.
        site.serve("/robots.txt", robots.replace(b"Sitemap: ", b"Sitemap: " + site.url.encode()),
                   "text/plain", headers={"Set-Cookie": "session=tracking-cookie-value; Path=/"})
        work = tmp_path_factory.mktemp("secrets")
        result = run_crawl(work, args={"site": site.url, "since": "2017-01-01"}, default_feeds=True,
                           settings={"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0",
                                     "AWS_SECRET_ACCESS_KEY": PASSWORD,
                                     "REDIS_URL": f"redis://:{REDIS_PASSWORD}@127.0.0.1:1/0",
                                     "HTTP_PASSWORD": PASSWORD, "WARC_OPERATOR": "Ops <ops@example.org>"},
                           env={"SCRAPYD_PASSWORD": SCRAPYD_PASSWORD, "REDIS_PASSWORD": REDIS_PASSWORD,
                                "SPUTNIK_OUTPUT_DIR": str(work / "output")})
    return site, result


def test_crawl_log_shows_neither_console(secret_crawl) -> None:
    _, result = secret_crawl
    assert result.returncode == 0, result.log[-2000:]
    assert "Telnet console listening" not in result.log
    assert "TelnetConsole" not in result.log and "scrapy.extensions.telnet" not in result.log
    assert "remote control" not in result.log.lower()


def test_no_secret_in_log_feeds_state_or_warc(secret_crawl) -> None:
    _, result = secret_crawl
    assert result.items
    assert "Overridden settings" in result.log and MASK in result.log
    written = [p for p in result.workdir.rglob("*") if p.is_file()]
    assert any(p.name.endswith(".warc.gz") for p in written)
    for path in written:
        data = path.read_bytes()
        if path.name.endswith(".gz"):
            data = gzip.decompress(data)  # every member: one per WARC record
        for secret in (PASSWORD, REDIS_PASSWORD, SCRAPYD_PASSWORD):
            assert secret.encode() not in data, path
    for secret in (PASSWORD, REDIS_PASSWORD, SCRAPYD_PASSWORD):
        assert secret not in result.log


def test_requests_carry_no_cookie_or_credentials(secret_crawl) -> None:
    site, result = secret_crawl
    entries = site.log.entries()
    assert len(entries) > 5 and site.log.count("/robots.txt") >= 1
    for entry in entries:
        names = {name.lower() for name in entry.headers}
        assert not names & {"cookie", "authorization", "proxy-authorization"}, entry.target
        assert "tracking-cookie-value" not in str(entry.headers)
    assert entries[0].path == "/robots.txt"
