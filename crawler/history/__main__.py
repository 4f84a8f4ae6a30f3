"""``python -m crawler.history rebuild --from output/warc`` and ``show ARTICLE_ID [--html]``.

The store is the spider's article store (``STATE_URI``, ``%(spider)s`` filled
in), or ``--state sqlite:///path``.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from crawler.history.diffs import html_history, page_name, text_history
from crawler.history.rebuild import rebuild
from crawler.outputs import (open_history, project_settings, report_dir, state_uri,
                             store_arguments)
from crawler.state.versions import HistoryUnsupported, VersionHistory
from warc.paths import ReplayPathError


def diff_page_path(directory: Path, article_id: str) -> Path:
    return directory / "diffs" / page_name(article_id)


def write_diff_page(history: VersionHistory, article_id: str, path: Path) -> bool:
    versions = history.versions(article_id)
    if not versions:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html_history(versions), encoding="utf-8")
    return True


def parser() -> argparse.ArgumentParser:
    settings = project_settings()
    main = argparse.ArgumentParser(prog="python -m crawler.history", description=__doc__,
                                   parents=[store_arguments()])
    commands = main.add_subparsers(dest="command", required=True)
    build = commands.add_parser("rebuild", help="rebuild the history from WARC metadata records")
    build.add_argument("--from", dest="source", default=settings["WARC_DIR"],
                       help="WARC files, directories or globs (default %(default)s)")
    show = commands.add_parser("show", help="versions of an article with word-level diffs")
    show.add_argument("article_id")
    show.add_argument("--html", nargs="?", const="", metavar="PATH",
                      help="write a side-by-side diff page (default REPORT_DIR/diffs/ID.html)")
    return main


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    args = parser().parse_args(argv)
    settings = project_settings()
    try:
        history = open_history(args.state or state_uri(settings, args.spider))
    except HistoryUnsupported as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.command == "rebuild":
        try:
            count = rebuild(history, args.source)
        except ReplayPathError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        print(f"{count} versions rebuilt from {args.source}")
        return 0
    return show(history, args.article_id, args.html, report_dir(settings, args.spider))


def show(history: VersionHistory, article_id: str, html_path: str | None,
         reports: Path) -> int:
    versions = history.versions(article_id)
    if not versions:
        print(f"error: no versions of article {article_id} in the store", file=sys.stderr)
        return 1
    sys.stdout.write(text_history(versions))
    removal = history.removal(article_id)
    if removal is not None:
        print(f"removed: first seen gone {removal.first_gone} ({removal.reason})")
    if html_path is not None:
        path = Path(html_path) if html_path else diff_page_path(reports, article_id)
        write_diff_page(history, article_id, path)
        print(f"diff page: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
