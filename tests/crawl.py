"""Run ``scrapy crawl`` as users do, in a subprocess, and read what it wrote."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@dataclass
class CrawlResult:
    returncode: int
    items: list[dict[str, Any]]
    stats: dict[str, Any]
    log: str
    workdir: Path

    def log_lines(self, level: str) -> list[str]:
        return [line for line in self.log.splitlines() if f"] {level}:" in line]


def crawl_command(workdir: Path, spider: str = "sputnik_fr", args: dict[str, str] | None = None,
                  settings: dict[str, str] | None = None,
                  default_feeds: bool = False) -> tuple[list[str], dict[str, str]]:
    """The ``scrapy crawl`` command line and environment ``run_crawl`` uses
    (for tests that start the process themselves, to signal it)."""
    command = [sys.executable, "-m", "scrapy", "crawl", spider,
               "-s", f"STATS_FILE={workdir / 'stats.json'}", "-s", "LOG_LEVEL=INFO",
               # Drawing the report costs a second a crawl; its own tests turn it on.
               "-s", "REPORT_ENABLED=False"]
    for key, value in (args or {}).items():
        command += ["-a", f"{key}={value}"]
    for key, value in (settings or {}).items():
        command += ["-s", f"{key}={value}"]
    if not default_feeds:
        command += ["-O", f"{workdir / 'items.jsonl'}:jsonlines"]
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "settings.base",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return command, env


def run_crawl(workdir: Path, spider: str = "sputnik_fr", args: dict[str, str] | None = None,
              settings: dict[str, str] | None = None, timeout: float = 120,
              default_feeds: bool = False, env: dict[str, str] | None = None,
              preexec_fn: Callable[[], None] | None = None) -> CrawlResult:
    """Crawl with the project's settings from ``workdir``, where feeds land.

    Items are read from an extra ``-O items.jsonl`` unless ``default_feeds``,
    which leaves the project's own FEEDS in charge. ``env`` adds environment
    variables; ``preexec_fn`` runs in the child before scrapy starts."""
    command, environment = crawl_command(workdir, spider, args, settings, default_feeds)
    done = subprocess.run(command, cwd=workdir, env={**environment, **(env or {})},
                          capture_output=True, text=True, timeout=timeout, preexec_fn=preexec_fn)
    return read_result(workdir, spider, done.returncode, done.stderr, default_feeds)


def read_result(workdir: Path, spider: str, returncode: int, log: str,
                default_feeds: bool = False) -> CrawlResult:
    items_path = workdir / "items.jsonl"
    stats_path = workdir / "stats.json"
    if default_feeds:
        feeds = sorted((workdir / "output" / "feeds" / spider).glob("*.jsonl"))
        items_path = feeds[-1] if feeds else items_path
    return CrawlResult(returncode, read_jsonl(items_path), read_json(stats_path), log, workdir)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
