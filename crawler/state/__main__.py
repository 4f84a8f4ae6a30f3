"""``python -m crawler.state check|rebuild PATH``: find and repair a damaged state file.

    python -m crawler.state check output/state/sputnik_fr.sqlite3
    python -m crawler.state rebuild output/state/sputnik_fr.sqlite3 --feeds output/feeds/sputnik_fr
    python -m crawler.state rebuild output/state/sputnik_fr.sqlite3 --warc output/warc
    python -m crawler.state rebuild output/warc/digests.sqlite3 --warc output/warc

Exit status: 0 when the file is sound (check) or was rebuilt, 1 when check
finds damage, 2 for a usage error. Only SQLite files: a Redis store
(``STATE_URI=redis://``) is checked by Redis itself.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from crawler.state.maintenance import (check, is_digest_index, items_from_feeds, items_from_warc,
                                       rebuild_digests, rebuild_store, set_aside)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m crawler.state", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["check", "rebuild"])
    parser.add_argument("path", type=Path, help="the store (output/state/<spider>.sqlite3) or "
                        "the digest index (output/warc/digests.sqlite3)")
    parser.add_argument("--feeds", type=Path, help="rebuild the store from these JSON Lines feeds")
    parser.add_argument("--warc", type=Path, help="rebuild from the WARC files in this directory")
    return parser.parse_args(argv)


def run_check(path: Path) -> int:
    report = check(path)
    if report.ok:
        print(f"{path}: ok")
    else:
        print(f"{path}: DAMAGED")
        for problem in report.problems:
            print(f"  {problem}")
        source = "--warc <WARC_DIR>" if is_digest_index(path) else "--feeds output/feeds/<spider>"
        print(f"Rebuild it with: python -m crawler.state rebuild {path} {source}")
    for table, rows in sorted(report.tables.items()):
        print(f"  {table}: {rows} rows")
    return 0 if report.ok else 1


def run_rebuild(args: argparse.Namespace) -> int:
    if is_digest_index(args.path):
        if args.warc is None:
            sys.exit("rebuilding a digest index needs --warc <the WARC directory>")
        aside = set_aside(args.path)
        count = rebuild_digests(args.path, args.warc)
        what = f"{count} payload digests"
    else:
        if (args.feeds is None) == (args.warc is None):
            sys.exit("rebuilding the article store needs --feeds DIR or --warc DIR (one of them)")
        items = items_from_feeds(args.feeds) if args.feeds else items_from_warc(args.warc)
        aside = set_aside(args.path)
        count = rebuild_store(args.path, items)
        what = f"{count} articles"
    kept = f"; the old file is kept as {aside}" if aside else ""
    print(f"Rebuilt {args.path}: {what}{kept}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if "://" in str(args.path):
        sys.exit("only SQLite files can be checked or rebuilt here, not a Redis store")
    if not args.path.exists() and args.command == "check":
        sys.exit(f"{args.path}: no such file")
    return run_check(args.path) if args.command == "check" else run_rebuild(args)


if __name__ == "__main__":
    raise SystemExit(main())
