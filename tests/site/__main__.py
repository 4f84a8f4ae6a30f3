"""Serve the default test site by hand: ``python -m tests.site [--port N] [--pages DIR]``."""
from __future__ import annotations

import argparse
import threading
from datetime import timedelta
from pathlib import Path

from tests.site.server import SputnikSite, default_site


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.site", description=__doc__)
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--pages", type=Path, default=None,
                        help="directory of sample pages (default: samples/pages)")
    return parser.parse_args(argv)


def describe(site: SputnikSite) -> str:
    """The URL, what has a fault, and a crawl command covering every article."""
    days = [day for _, day, _ in site.listing()]
    since, until = min(days), max(days)
    faults = "\n".join(f"  {path}  {fault!r}"
                       for path, fault in sorted(site.faults.snapshot().items()))
    return (f"Serving a Sputnik edition at {site.url} (also {site.alias_url})\n"
            f"Faults:\n{faults}\n"
            f"Crawl it with:\n  scrapy crawl sputnik_fr -a site={site.url} "
            f"-a since={since} -a until={until} -s EDITION_EXTRA_HOSTS=localhost\n"
            f"Fresh articles only: -a since={site.today - timedelta(days=1)}\n"
            "Ctrl-C stops.")


def main(argv: list[str] | None = None) -> None:
    arguments = parse_arguments(argv)
    site = default_site(arguments.pages, port=arguments.port)
    with site:
        print(describe(site), flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("Stopped.")


if __name__ == "__main__":
    main()
