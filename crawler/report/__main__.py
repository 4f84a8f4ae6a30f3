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

from crawler.outputs import corpus_arguments, corpus_inputs, report_dir
from crawler.report.data import read_stats
from crawler.report.writer import write_report


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m crawler.report", description=__doc__,
                                   parents=[corpus_arguments()])
    main.add_argument("--stats", type=Path, help="a stats JSON file (default: the last run's)")
    main.add_argument("--out", type=Path, help="report directory (default REPORT_DIR)")
    return main


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    args = parser().parse_args(argv)
    inputs = corpus_inputs(args)
    out = args.out or report_dir(inputs.settings, args.spider)
    stats = read_stats(args.stats) if args.stats else None
    index = write_report(args.spider, out, inputs.feeds, inputs.history,
                         Path(inputs.settings["WARC_DIR"]), stats)
    print(index)
    return 0


if __name__ == "__main__":
    sys.exit(main())
