"""The coverage report (crawler.coverage) read from each kind of store, and run from anywhere."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from crawler.coverage import Coverage, read_store, write_report
from crawler.state.captures import HeldCapture, RedisCaptureStore
from crawler.state.redis import RedisArticleStore
from crawler.window import DateWindow
from tests.crawl import ROOT
from tests.redis_server import redis_server

HOST = "fr.sputniknews.africa"
WINDOW = DateWindow(date(2021, 12, 1), date(2021, 12, 31))


def url(article_id: str) -> str:
    return f"https://{HOST}/20211215/un-titre-{article_id}.html"


def known(*ids: str) -> Coverage:
    coverage = Coverage([HOST], WINDOW)
    for article_id in ids:
        coverage.add_known("wayback", url(article_id))
    return coverage


def test_a_redis_store_tells_which_known_ids_are_archived(tmp_path):
    with redis_server(tmp_path) as server:
        uri = f"{server}?prefix=sputnik:state:sputnik_fr"
        articles = RedisArticleStore.from_uri(uri)
        articles.record_version("1099100001", url("1099100001"), None, None, b"d1", "2021-12-20")
        RedisCaptureStore(articles.client, articles.prefix).add(
            HeldCapture("1099100001", "sha1:D1", "wayback", url("1099100001"), "2021-12-20"), "now")
        coverage = known("1099100001", "1099100002")
        coverage.store_read = read_store(coverage, uri)
        assert coverage.store_read is True
        articles.close()
    total = coverage.report("sputnik_fr", "run")["total"]
    assert total["archived"]["wayback"] == total["archived"]["any"] == 1
    assert total["missing"] == 1
    assert list(coverage.missing_lines()) == [f"2021-12\t1099100002\t{url('1099100002')}\n"]


def test_without_a_store_nothing_is_called_missing(tmp_path):
    coverage = known("1099100001")
    coverage.store_read = read_store(coverage, "")
    path, report = write_report(coverage, tmp_path, "sputnik_fr", "run")
    assert report["store_read"] is False and report["missing_ids_file"] is None
    assert report["total"]["missing"] is None and report["months"][0]["missing"] is None
    assert sorted(p.name for p in path.parent.iterdir()) == ["coverage-run.json", "coverage-run.md"]
    assert "no id is listed as missing" in path.with_suffix(".md").read_text(encoding="utf-8")


def test_the_command_runs_outside_the_project_directory(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "SCRAPY_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-m", "crawler.coverage", "--spider", "sputnik_fr",
                           "--since", "2021-12-01", "--until", "2021-12-31"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    (written,) = (tmp_path / "output" / "reports" / "sputnik_fr").glob("coverage-*.json")
    assert json.loads(written.read_text(encoding="utf-8"))["spider"] == "sputnik_fr"
