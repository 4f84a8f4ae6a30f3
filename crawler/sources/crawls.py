"""Which Common Crawl crawls can hold a window (``-a crawls=all``).

The index server's ``collinfo.json`` lists every crawl: ``id``
(``CC-MAIN-2021-49``), ``name``, and on recent servers ``from``/``to``, the
period it was fetched in. A page is captured after it is published, so a
crawl can hold an article of the window only if it ended on or after the
window's first day; there is no upper bound, as crawls keep finding old
articles. Without ``to``, the crawl's end is taken as the Sunday of the ISO
week its name gives (crawls are named after the week they end in).
Crawls of the early years named otherwise (``CC-MAIN-2012``) predate the
platform and are left out.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from crawler.arguments import CRAWL_NAME
from crawler.window import DateWindow


def crawl_end(entry: dict[str, Any]) -> date | None:
    """The last day of a crawl, from ``to`` or from its name."""
    to = entry.get("to")
    if isinstance(to, str):
        try:
            return datetime.fromisoformat(to.replace("Z", "+00:00")).date()
        except ValueError:
            pass
    name = str(entry.get("id", ""))
    try:
        return date.fromisocalendar(int(name[8:12]), int(name[13:15]), 7)
    except ValueError:
        return None


def crawls_for_window(collinfo: Any, window: DateWindow) -> list[str]:
    """Crawl names that can hold the window, newest first (as collinfo.json lists them)."""
    crawls = []
    for entry in collinfo if isinstance(collinfo, list) else []:
        if not isinstance(entry, dict) or not CRAWL_NAME.match(str(entry.get("id", ""))):
            continue
        end = crawl_end(entry)
        if window.since is None or end is None or end >= window.since:
            crawls.append(str(entry["id"]))
    return crawls
