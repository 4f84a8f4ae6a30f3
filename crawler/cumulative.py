"""One de-duplicated dataset across runs: ``output/feeds/<spider>/all.jsonl``.

Each run writes its own JSON Lines feed, holding only what was new or changed
in that run. ``python -m crawler.feeds all SPIDER`` rebuilds ``all.jsonl``
from every per-run ``*.jsonl`` of the spider's feed directory: one line per
article (``article_id``, else ``url``), its newest version (highest
``version``, then latest ``fetched_at``, then the later file). The state store
holds no texts, so the per-run feeds are the source.

Two passes keep memory at one small key per article, not one item: the
first finds where each article's newest version is, the second copies those
lines. The result is written beside its final name and renamed when complete.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from crawler.atomic import replaced

logger = logging.getLogger(__name__)

ALL_NAME = "all.jsonl"
# Where a line is: (file index, line index).
Place = tuple[int, int]
Rank = tuple[int, str, int]


def feed_files(directory: Path) -> list[Path]:
    """The per-run JSON Lines feeds, oldest first (their names start with the start time)."""
    return sorted(p for p in directory.glob("*.jsonl") if p.name != ALL_NAME)


def read_lines(files: Sequence[Path]) -> Iterator[tuple[Place, str]]:
    for file_index, path in enumerate(files):
        with open(path, encoding="utf-8") as fh:
            for line_index, line in enumerate(fh):
                if line.strip():
                    yield (file_index, line_index), line


def article_key(item: dict[str, Any]) -> str:
    return str(item.get("article_id") or item.get("url") or "")


def rank(item: dict[str, Any], place: Place) -> Rank:
    version = item.get("version")
    return (version if isinstance(version, int) else 0, str(item.get("fetched_at") or ""), place[0])


def newest_places(files: Sequence[Path]) -> tuple[dict[str, tuple[Rank, Place]], int]:
    """Per article, the rank and place of its newest version; and the count of bad lines."""
    newest: dict[str, tuple[Rank, Place]] = {}
    bad = 0
    for place, line in read_lines(files):
        try:
            item = json.loads(line)
        except ValueError:
            # A line cut short by a kill: the article is in a later run's feed.
            bad += 1
            continue
        key, item_rank = article_key(item), rank(item, place)
        if key and (key not in newest or item_rank >= newest[key][0]):
            newest[key] = (item_rank, place)
    return newest, bad


def rebuild(directory: Path) -> tuple[int, int, int]:
    """Writes ``directory/all.jsonl``; returns (articles, lines read, bad lines)."""
    files = feed_files(directory)
    newest, bad = newest_places(files)
    wanted = {place for _, place in newest.values()}
    target = directory / ALL_NAME
    read = 0
    with replaced(target) as out:
        for place, line in read_lines(files):
            read += 1
            if place in wanted:
                out.write(line if line.endswith("\n") else line + "\n")
    return len(newest), read, bad


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m crawler.feeds",
        description="Rebuild output/feeds/SPIDER/all.jsonl: every article once, its newest version.")
    parser.add_argument("command", choices=["all"])
    parser.add_argument("spider", help="spider name, e.g. sputnik_fr")
    parser.add_argument("--feeds-dir", type=Path, default=None,
                        help="the spider's feed directory (default: $SPUTNIK_OUTPUT_DIR or "
                             "output, then feeds/SPIDER)")
    options = parser.parse_args(argv)
    directory = options.feeds_dir or (
        Path(os.environ.get("SPUTNIK_OUTPUT_DIR", "output")) / "feeds" / options.spider)
    if not directory.is_dir():
        print(f"{directory}: no such feed directory", file=sys.stderr)
        return 2
    articles, read, bad = rebuild(directory)
    print(f"{directory / ALL_NAME}: {articles} articles from {read} feed lines"
          + (f" ({bad} unreadable lines skipped)" if bad else ""))
    return 0
