"""One measurement each: a crawl, the ceiling, a peer extractor, the live site.

Each runs in a child process whose peak RSS is read with ``os.wait4`` (the
rusage of that one child, not of every child the benchmark has waited for).
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH_PYTHON = ROOT / ".venv-bench" / "bin" / "python"
# Children compile each module once and reuse the bytecode, as an installed
# project does, even where the environment says not to write it: otherwise
# modules imported lazily mid-crawl are compiled inside the measured time.
BYTECODE = {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(ROOT / "bench" / "work" / "pycache")}


@dataclass
class Run:
    """What one child process did: wall time, peak RSS, and what it reported."""

    wall: float
    max_rss_mb: float
    returncode: int
    cpu: float = 0.0  # user + system seconds of the child
    stats: dict[str, Any] = field(default_factory=dict)
    items: Path | None = None

    @property
    def items_written(self) -> int:
        return int(self.stats.get("item_scraped_count", 0))

    @property
    def engine_cpu(self) -> float:
        """CPU seconds from engine start to close (bench.cpu), every thread counted."""
        return float(self.stats.get("bench/cpu_seconds") or self.cpu)

    @property
    def crawl_seconds(self) -> float:
        """From engine start to finish: interpreter and Scrapy start-up excluded."""
        return float(self.stats.get("elapsed_time_seconds") or self.wall)


def run_child(command: list[str], cwd: Path,
              env: dict[str, str] | None = None) -> tuple[Run, bytes]:
    """Runs ``command`` to its end; returns the run and what it printed on stdout.

    Output goes to temporary files, not pipes: ``Popen.communicate`` would reap
    the child before ``os.wait4`` could read its rusage.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **BYTECODE, **(env or {})},
                                   stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        printed, errors = out.read(), err.read()
    if returncode != 0:
        sys.stderr.write(errors.decode("utf-8", "replace")[-3000:])
    return Run(wall, usage.ru_maxrss / 1024, returncode, usage.ru_utime + usage.ru_stime), printed


def crawl(work: Path, args: dict[str, str], settings: dict[str, str], label: str,
          prefix: list[str] | None = None, root: Path = ROOT) -> Run:
    """``scrapy crawl sputnik_fr`` from the project root (or another checkout of
    it, ``root``), writing under ``work/label``."""
    out = work / label
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    command = [*(prefix or []), sys.executable, "-m", "scrapy", "crawl", "sputnik_fr",
               "-s", "LOG_LEVEL=WARNING", "-s", f"STATS_FILE={out / 'stats.json'}",
               "-O", f"{out / 'items.jsonl'}:jsonlines"]
    for key, value in args.items():
        command += ["-a", f"{key}={value}"]
    for key, value in {"EXTENSIONS": json.dumps(extensions(root)), **settings}.items():
        command += ["-s", f"{key}={value}"]
    run, _ = run_child(command, root, {"SPUTNIK_OUTPUT_DIR": str(out / "output"),
                                       "SCRAPY_SETTINGS_MODULE": "settings.base"})
    stats_path = out / "stats.json"
    run.stats = json.loads(stats_path.read_text()) if stats_path.exists() else {}
    run.max_rss_mb = run.stats.get("bench/peak_rss_mb") or run.max_rss_mb
    run.items = out / "items.jsonl"
    return run


def extensions(root: Path = ROOT) -> dict[str, int]:
    """The project's extensions and bench.cpu's (a command-line dict replaces the
    project's), as the checkout at ``root`` has them."""
    if root == ROOT:
        from settings.base import EXTENSIONS
    else:
        listed = subprocess.run([sys.executable, "-c", "import json; from settings.base import "
                                 "EXTENSIONS; print(json.dumps(EXTENSIONS))"],
                                cwd=root, check=True, capture_output=True, text=True).stdout
        EXTENSIONS = json.loads(listed)
    return {**EXTENSIONS, "bench.cpu.CpuTime": 0}


def replay(work: Path, warc: Path, label: str, settings: dict[str, str] | None = None) -> Run:
    return crawl(work, {"replay": str(warc)}, settings or {}, label)


def ceiling(warc: Path) -> tuple[Run, dict[str, float]]:
    run, out = run_child([sys.executable, "-m", "bench.ceiling", str(warc)], ROOT)
    return run, json.loads(out)


def floor(count: int, warc: Path, truth: Path) -> tuple[Run, dict[str, float]]:
    """``python -m bench.floor``: Scrapy alone, the same page and item ``count`` times."""
    run, out = run_child([sys.executable, "-m", "bench.floor", str(count), str(warc), str(truth)],
                         ROOT)
    return run, json.loads(out.splitlines()[-1])


def haystack_iteration(iterator: str, warc: Path) -> dict[str, float]:
    """``python -m bench.haystack ITERATOR WARC``: seconds and records."""
    _, out = run_child([sys.executable, "-m", "bench.haystack", iterator, str(warc)], ROOT)
    return json.loads(out)


def peer(name: str, warc: Path, limit: int, out: Path) -> tuple[Run, dict[str, float]]:
    run, printed = run_child([str(BENCH_PYTHON), "-W", "ignore", "-m", "bench.peers", name,
                              str(warc), str(limit), str(out)], ROOT)
    return run, json.loads(printed.splitlines()[-1])


def peers_available() -> bool:
    """Whether .venv-bench is complete (the Makefile stamps it once installed)."""
    return (ROOT / ".venv-bench" / ".installed").exists()


def peer_versions() -> dict[str, str]:
    if not peers_available():
        return {}
    done = subprocess.run([str(BENCH_PYTHON), "-m", "bench.peers", "--versions"], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def live(work: Path, site_url: str, label: str, warc: bool) -> Run:
    settings = {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0",
                "CONCURRENT_REQUESTS": "16", "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
                "ROBOTSTXT_OBEY": "True", "STATE_ENABLED": "False",
                "WARC_ENABLED": str(warc)}
    return crawl(work, {"site": site_url, "since": "2016-01-01", "until": "2023-12-31"},
                 settings, label)


# --- the dedupe store at scale ------------------------------------------------


def fill_store(path: Path, count: int) -> float:
    """``count`` archived articles (ids no generated page uses), in one transaction."""
    from crawler.state.sqlite import SqliteArticleStore

    started = time.perf_counter()
    path.unlink(missing_ok=True)
    SqliteArticleStore(path).close()  # the schema and pragmas, as a crawl makes them
    db = sqlite3.connect(path)
    rows = ((str(2_000_000_000 + n), f"https://fr.sputniknews.com/20210101/a-{2_000_000_000 + n}.html",
             "2021-01-01T10:00:00+01:00", None, n.to_bytes(20, "big"),
             "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z", 1) for n in range(count))
    with db:
        db.executemany("INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return time.perf_counter() - started


def replay_with_store(work: Path, warc: Path, store: Path | None, label: str) -> Run:
    """A replay that feeds the store: a copy of ``store``, or an empty one."""
    target = work / f"{label}.sqlite3"
    target.unlink(missing_ok=True)
    if store is not None:
        shutil.copyfile(store, target)
    return replay(work, warc, label, {"STATE_ENABLED": "True",
                                      "STATE_URI": f"sqlite:///{target}"})


def temporary_dir(parent: Path) -> Path:
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="run-", dir=parent))
