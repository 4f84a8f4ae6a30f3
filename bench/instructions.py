"""The bench's ratios in instructions (callgrind), which this machine's moods do not move.

On the shared 2-core machine a crawl's time moves by 15-30% from one run to
the next and not alike for the contenders (docs/benchmarks.md), so a target
within a few points of its limit passes in one run and fails in the next.
Valgrind's callgrind counts the instructions a process executes: the same
count every run, whatever else the machine does. It is blind to what makes
an instruction slow (cache misses, SIMD width, the CPU's SHA extension,
which valgrind hides), so the counts stand beside the timed targets, never
in their place.

Every figure is a difference of two runs of the same command over a larger
and a smaller input, so start-up, imports and shut-down cancel out:

- replay per article and ceiling per page: the first 150 and first 50
  pages of the 1k bench WARC;
- haystack: the whole haystack and its first 200 records, for our crawl,
  our reader alone and bare fastwarc;
- archiving: live crawls of the local test site serving 120 and 60 of the
  bench pages, with archiving on and off; the instructions a page costs
  are the difference of the two sites' crawls over the difference of
  their pages.

``python -m bench --only instructions`` (about 15 minutes; needs
``valgrind`` on the PATH, e.g. ``apt-get install valgrind``).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from fastwarc.warc import ArchiveIterator

from bench import measure

CALLGRIND = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
# Callgrind's summary line on stderr, e.g. "==12== Collected : 7108716164".
COLLECTED = re.compile(rb"Collected : (\d+)")
ARTICLE_CUTS = (50, 150)
HAYSTACK_CUT = 200
LIVE_PAGES = (60, 120)
# A crawl under callgrind runs about 50 times slower: no request may time out.
SLOW = {"DOWNLOAD_TIMEOUT": "3600", "REPORT_ENABLED": "False"}


def available() -> bool:
    return shutil.which("valgrind") is not None


# str hashes are salted per process: dicts and sets lay out differently and
# probe more or less from one run to the next (one tree's replayed article:
# 19.72 M with the salt, 19.99 and 19.91 M with the seed fixed). One seed
# for every child; repeats then agree within 0.1 M, the engine's timers
# firing by the clock.
HASH_SEED = {"PYTHONHASHSEED": "0"}


def _child(command: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    # Bytecode written and reused, as the timed cases run their children.
    return subprocess.run(command, cwd=measure.ROOT, capture_output=True,
                          env={**os.environ, **measure.BYTECODE, **HASH_SEED, **(env or {})})


def count(command: list[str], env: dict[str, str] | None = None) -> int:
    """Instructions ``command`` executed, every thread counted."""
    done = _child(command, env)
    found = COLLECTED.findall(done.stderr)
    if done.returncode != 0 or not found:
        sys.stderr.write(done.stderr.decode("utf-8", "replace")[-3000:])
        raise RuntimeError(f"callgrind run failed ({done.returncode}): {' '.join(command)}")
    return int(found[-1])


def first_records(warc: Path, records: int, out: Path) -> Path:
    """The first ``records`` records of ``warc`` (one gzip member each), as a file."""
    if out.exists():
        return out
    with warc.open("rb") as stream:
        for number, record in enumerate(ArchiveIterator(stream, parse_http=False)):
            if number == records:
                end = record.stream_pos
                break
        else:
            raise ValueError(f"{warc} has fewer than {records} records")
    with warc.open("rb") as stream:
        out.write_bytes(stream.read(end))
    return out


def crawl_command(args: dict[str, str], settings: dict[str, str], out: Path) -> list[str]:
    command = [*CALLGRIND, sys.executable, "-m", "scrapy", "crawl", "sputnik_fr",
               "-s", "LOG_LEVEL=WARNING", "-O", f"{out / 'items.jsonl'}:jsonlines"]
    for key, value in args.items():
        command += ["-a", f"{key}={value}"]
    for key, value in {**SLOW, **settings}.items():
        command += ["-s", f"{key}={value}"]
    return command


def crawl(work: Path, label: str, args: dict[str, str], settings: dict[str, str] | None = None
          ) -> tuple[int, int]:
    """Instructions and items of one crawl under callgrind.

    The same crawl runs once without valgrind first, into an output of its
    own: modules changed since the last run are compiled then, not inside
    the counted run.
    """
    out = work / label
    shutil.rmtree(out, ignore_errors=True)
    (out / "warm-up").mkdir(parents=True)
    command = crawl_command(args, settings or {}, out)
    warm_up = crawl_command(args, settings or {}, out / "warm-up")[len(CALLGRIND):]
    _child(warm_up, {"SCRAPY_SETTINGS_MODULE": "settings.base",
                     "SPUTNIK_OUTPUT_DIR": str(out / "warm-up" / "output")})
    instructions = count(command, {"SPUTNIK_OUTPUT_DIR": str(out / "output"),
                                   "SCRAPY_SETTINGS_MODULE": "settings.base"})
    items = sum(1 for _ in (out / "items.jsonl").open(encoding="utf-8"))
    return instructions, items


def module(name: str, *args: str) -> int:
    """Instructions of ``python -m name args``, after a run without valgrind (compiles)."""
    _child([sys.executable, "-m", name, *args])
    return count([*CALLGRIND, sys.executable, "-m", name, *args])


def replay_figures(work: Path, cuts: Path, warc: Path) -> dict[str, Any]:
    """Instructions per replayed article and per page of the ceiling."""
    small, large = (first_records(warc, 2 * pages, cuts / f"{warc.stem}-first-{pages}-pages.warc.gz")
                    for pages in ARTICLE_CUTS)
    ours = [crawl(work, f"replay-{n}", {"replay": str(path)})
            for n, path in zip(ARTICLE_CUTS, (small, large))]
    articles = ours[1][1] - ours[0][1]
    ceiling = [module("bench.ceiling", str(path)) for path in (small, large)]
    pages = ARTICLE_CUTS[1] - ARTICLE_CUTS[0]
    return {"replay per article": (ours[1][0] - ours[0][0]) / articles,
            "ceiling per page": (ceiling[1] - ceiling[0]) / pages, "articles": articles}


def haystack_figures(work: Path, cuts: Path, haystack: Path) -> dict[str, Any]:
    """Instructions over the haystack less its first records: crawl, reader, fastwarc."""
    head = first_records(haystack, HAYSTACK_CUT, cuts / f"{haystack.stem}-first-{HAYSTACK_CUT}.warc.gz")
    crawls = [crawl(work, f"haystack-{name}", {"replay": str(path)})
              for name, path in (("head", head), ("all", haystack))]
    figures = {"replay crawl": crawls[1][0] - crawls[0][0], "articles": crawls[1][1] - crawls[0][1]}
    for name in ("reader", "fastwarc", "warcio"):
        small, large = (module("bench.haystack", name, str(path)) for path in (head, haystack))
        figures[name] = large - small
    return figures


def live_figures(work: Path, cuts: Path, pages_dir: Path) -> dict[str, Any]:
    """Instructions a page costs a live crawl, with archiving on and off."""
    from tests.site import SputnikSite

    pages = sorted(pages_dir.iterdir())
    found: dict[tuple[bool, int], tuple[int, int]] = {}
    for size in LIVE_PAGES:
        subset = cuts / f"{pages_dir.name}-first-{size}"
        if not subset.exists():
            subset.mkdir()
            for page in pages[:size]:
                (subset / page.name).symlink_to(page)
        with SputnikSite(pages=subset, fresh=0) as site:
            for archiving in (False, True):
                found[archiving, size] = crawl(
                    work, f"live-{archiving}-{size}",
                    {"site": site.url, "since": "2016-01-01", "until": "2023-12-31"},
                    {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0",
                     "CONCURRENT_REQUESTS": "16", "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
                     "ROBOTSTXT_OBEY": "True", "STATE_ENABLED": "False",
                     "WARC_ENABLED": str(archiving)})
    small, large = LIVE_PAGES
    per_page = {}
    for archiving in (False, True):
        (few, few_items), (many, many_items) = found[archiving, small], found[archiving, large]
        per_page[archiving] = (many - few) / (many_items - few_items)
    return {"per page, archiving off": per_page[False], "per page, archiving on": per_page[True],
            "articles": found[False, large][1] - found[False, small][1]}


def figures(work: Path, cuts: Path, warc: Path, haystack: Path, pages_dir: Path) -> dict[str, Any]:
    """``work``: the crawls' output; ``cuts``: the smaller inputs, made once and kept."""
    cuts.mkdir(parents=True, exist_ok=True)
    return {"replay": replay_figures(work, cuts, warc),
            "haystack": haystack_figures(work, cuts, haystack),
            "live": live_figures(work, cuts, pages_dir)}


def ratios(found: dict[str, Any]) -> list[tuple[str, float, str]]:
    """What the timed targets compare, in instructions: (what, value, how to read it)."""
    replay, haystack, live = found["replay"], found["haystack"], found["live"]
    return [
        ("replay / ceiling, instructions per page (timed target: ≥ 0.3×)",
         replay["ceiling per page"] / replay["replay per article"], "×"),
        ("haystack: replay crawl / bare fastwarc (timed target: ≤ 2×)",
         haystack["replay crawl"] / haystack["fastwarc"], "×"),
        ("haystack: our reader alone / bare fastwarc", haystack["reader"] / haystack["fastwarc"], "×"),
        ("haystack: warcio / bare fastwarc", haystack["warcio"] / haystack["fastwarc"], "×"),
        ("instructions a live page gains by archiving (timed target: ≤ 10% of throughput)",
         live["per page, archiving on"] / live["per page, archiving off"] - 1, ""),
    ]
