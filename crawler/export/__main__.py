"""``python -m crawler.export sqlite OUT.db``: the corpus as a database for Datasette.

Reads the spider's edit history (``--state``, default STATE_URI) and JSON
Lines feeds (``--feeds`` files or directories, default OUTPUT_DIR/feeds/SPIDER).
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from crawler.export.corpus import article_versions
from crawler.export.sqlite import write_database
from crawler.outputs import (DEFAULT_SPIDER, existing_history, feed_paths, jsonl_feed_files,
                             project_settings, state_uri)


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m crawler.export", description=__doc__)
    main.add_argument("format", choices=["sqlite"])
    main.add_argument("out", type=Path, help="the database to write (replaced if it exists)")
    main.add_argument("--spider", default=DEFAULT_SPIDER, help="default %(default)s")
    main.add_argument("--state", help="store URI (default: STATE_URI of the settings)")
    main.add_argument("--feeds", nargs="*", type=Path,
                      help="JSON Lines files or directories (default: the JSON Lines FEEDS, and OUTPUT_DIR/feeds/SPIDER)")
    return main


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    args = parser().parse_args(argv)
    settings = project_settings()
    feeds = feed_paths(args.feeds) if args.feeds else jsonl_feed_files(settings, args.spider)
    history = existing_history(args.state or state_uri(settings, args.spider))
    removals = history.removals() if history is not None else []
    count = write_database(args.out, article_versions(history, feeds), removals)
    print(f"{count} article versions written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
