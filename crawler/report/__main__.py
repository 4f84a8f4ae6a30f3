"""``python -m crawler.report [--spider NAME]``: writes REPORT_DIR/index.html.

Reads the spider's JSON Lines feeds (or ``--feeds`` files and directories),
its edit history (``--state``, default STATE_URI), the last run's stats
(or ``--stats FILE``, e.g. a STATS_FILE) and the WARC directory.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from crawler.outputs import (DEFAULT_SPIDER, existing_history, feed_paths, jsonl_feed_files,
                             project_settings, report_dir, state_uri)
from crawler.report.data import read_stats
from crawler.report.writer import write_report

logger = logging.getLogger(__name__)


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m crawler.report", description=__doc__)
    main.add_argument("--spider", default=DEFAULT_SPIDER, help="default %(default)s")
    main.add_argument("--state", help="store URI (default: STATE_URI of the settings)")
    main.add_argument("--feeds", nargs="*", type=Path,
                      help="JSON Lines files or directories (default: the JSON Lines FEEDS, and OUTPUT_DIR/feeds/SPIDER)")
    main.add_argument("--stats", type=Path, help="a stats JSON file (default: the last run's)")
    main.add_argument("--out", type=Path, help="report directory (default REPORT_DIR)")
    return main


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    args = parser().parse_args(argv)
    settings = project_settings()
    feeds = feed_paths(args.feeds) if args.feeds else jsonl_feed_files(settings, args.spider)
    history = existing_history(args.state or state_uri(settings, args.spider))
    if history is None:
        logger.warning("No edit history found (a sqlite:/// store): no versions or removals")
    out = args.out or report_dir(settings, args.spider)
    stats = read_stats(args.stats) if args.stats else None
    index = write_report(args.spider, out, feeds, history, Path(settings["WARC_DIR"]), stats)
    print(index)
    return 0


if __name__ == "__main__":
    sys.exit(main())
