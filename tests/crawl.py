"""Run ``scrapy crawl`` as users do, in a subprocess, and read what it wrote."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
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


def run_crawl(workdir: Path, spider: str = "sputnik_fr", args: dict[str, str] | None = None,
              settings: dict[str, str] | None = None, timeout: float = 120,
              default_feeds: bool = False) -> CrawlResult:
    """Crawl with the project's settings from ``workdir``, where feeds land.

    Items are read from an extra ``-O items.jsonl`` unless ``default_feeds``,
    which leaves the project's own FEEDS in charge."""
    items_path = workdir / "items.jsonl"
    stats_path = workdir / "stats.json"
    command = [sys.executable, "-m", "scrapy", "crawl", spider,
               "-s", f"STATS_FILE={stats_path}", "-s", "LOG_LEVEL=INFO"]
    for key, value in (args or {}).items():
        command += ["-a", f"{key}={value}"]
    for key, value in (settings or {}).items():
        command += ["-s", f"{key}={value}"]
    if not default_feeds:
        command += ["-O", f"{items_path}:jsonlines"]
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "settings.base",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=timeout)
    if default_feeds:
        feeds = sorted((workdir / "output" / "feeds" / spider).glob("*.jsonl"))
        items_path = feeds[-1] if feeds else items_path
    return CrawlResult(done.returncode, read_jsonl(items_path), read_json(stats_path),
                       done.stderr, workdir)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
