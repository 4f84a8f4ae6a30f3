"""Merge what several workers or replay shards wrote into one feed and one index.

    python -m crawler.merge feeds -o merged.jsonl output/feeds/sputnik_fr/*-worker*.jsonl
    python -m crawler.merge cdxj -o all/index.cdxj node1/warc node2/warc/index.cdxj

``feeds``: JSON Lines feeds, concatenated in the order given, each article
version once. Items are the same when they share ``article_id`` (the URL if
there is none), ``version`` and body: two workers never emit one version
twice, but replay shards without the state store number every capture
version 1, and two captures with different bodies are both kept, as a
single replay keeps them.

``cdxj``: CDXJ indexes (a file, or a directory holding ``index.cdxj``), each
sorted already, merged into one sorted index with repeated lines dropped. The
``filename`` of each line is rewritten relative to the output's directory, so
pywb finds the WARC files of every input from the merged index.

Inputs may be files, directories (their ``*.jsonl`` / ``index.cdxj``) or
globs. The output is written beside its final name and swapped in whole.
Exit status: 0 done, 2 usage error (a missing input).
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import heapq
import json
import logging
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from crawler.atomic import replaced
from warc.index import INDEX_NAME, line_filename

logger = logging.getLogger(__name__)

GLOB_CHARS = frozenset("*?[")


class MergeInputError(ValueError):
    """An input names nothing to merge."""


def expand_inputs(specs: Iterable[str], directory_member: str) -> list[Path]:
    """Files named by ``specs``, in order, each once; a directory contributes
    ``directory_member`` (a glob) found in it."""
    found: list[Path] = []
    for spec in specs:
        matches = sorted(glob.glob(spec)) if GLOB_CHARS & set(spec) else [spec]
        paths = [Path(m) for m in matches if Path(m).exists()]
        if not paths:
            raise MergeInputError(f"{spec}: no such file, directory or match")
        for path in paths:
            found.extend(sorted(path.glob(directory_member)) if path.is_dir() else [path])
    return list(dict.fromkeys(found))


def item_key(item: dict[str, Any]) -> tuple[str, Any, str]:
    body = hashlib.sha1((item.get("body") or "").encode("utf-8")).hexdigest()
    return item.get("article_id") or item.get("url") or "", item.get("version"), body


def merge_feeds(inputs: Sequence[Path], out: IO[str]) -> tuple[int, int]:
    """Writes each item once; returns (written, duplicates dropped)."""
    seen: set[tuple[str, Any, str]] = set()
    written = dropped = 0
    for path in inputs:
        with open(path, encoding="utf-8") as fh:
            for line in filter(str.strip, fh):
                key = item_key(json.loads(line))
                if key in seen:
                    dropped += 1
                    continue
                seen.add(key)
                out.write(line if line.endswith("\n") else line + "\n")
                written += 1
    return written, dropped


def _index_lines(path: Path, out_dir: Path) -> Iterator[str]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield _relocated(line, path.parent, out_dir)


def _relocated(line: str, index_dir: Path, out_dir: Path) -> str:
    """The line with its ``filename`` relative to ``out_dir`` instead of ``index_dir``."""
    if index_dir.resolve() == out_dir.resolve():
        return line if line.endswith("\n") else line + "\n"
    surt, stamp, fields = line.split(" ", 2)
    data = json.loads(fields)
    data["filename"] = os.path.relpath(index_dir / line_filename(line), out_dir)
    return f"{surt} {stamp} {json.dumps(data, ensure_ascii=False)}\n"


def merge_indexes(inputs: Sequence[Path], out: IO[str], out_dir: Path) -> tuple[int, int]:
    """Streams a sorted merge; returns (lines written, repeated lines dropped)."""
    streams = [_index_lines(path, out_dir) for path in inputs]
    written = dropped = 0
    previous = None
    for line in heapq.merge(*streams):
        if line == previous:
            dropped += 1
            continue
        out.write(line)
        previous = line
        written += 1
    return written, dropped


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m crawler.merge", description=__doc__.split("\n")[0])
    parser.add_argument("kind", choices=("feeds", "cdxj"), help="what to merge")
    parser.add_argument("-o", "--output", required=True, type=Path, help="the merged file")
    parser.add_argument("inputs", nargs="+", help="files, directories or globs")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = parse_args(argv)
    member = "*.jsonl" if args.kind == "feeds" else INDEX_NAME
    try:
        inputs = [p for p in expand_inputs(args.inputs, member) if p.resolve() != args.output.resolve()]
    except MergeInputError as e:
        print(f"crawler.merge: {e}", file=sys.stderr)
        return 2
    with replaced(args.output) as out:
        if args.kind == "feeds":
            written, dropped = merge_feeds(inputs, out)
        else:
            written, dropped = merge_indexes(inputs, out, args.output.parent)
    logger.info("Merged %s files into %s: %s lines written, %s duplicates dropped",
                len(inputs), args.output, written, dropped)
    return 0


if __name__ == "__main__":
    sys.exit(main())
