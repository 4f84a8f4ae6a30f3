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
from crawler.outputs import corpus_arguments, corpus_inputs


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m crawler.export", description=__doc__,
                                   parents=[corpus_arguments()])
    main.add_argument("format", choices=["sqlite"])
    main.add_argument("out", type=Path, help="the database to write (replaced if it exists)")
    return main


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    args = parser().parse_args(argv)
    inputs = corpus_inputs(args)
    history = inputs.history
    removals = history.removals() if history is not None else []
    count = write_database(args.out, article_versions(history, inputs.feeds), removals)
    print(f"{count} article versions written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
