"""Index answers kept on disk beside the store, so no index page is asked twice.

Layout under ``INDEX_CACHE_DIR``::

    collinfo.json                                   Common Crawl's list of crawls
    commoncrawl/<crawl>/<host>/pages.json           {"pages": N} for (crawl, host)
    commoncrawl/<crawl>/<host>/page-00003.jsonl.gz  one index page, as answered
    wayback/<host>/from-<YYYYMMDD>/00000.json       one CDX page: {"asked", "header",
                                                    "rows", "resume_key", "at"}
    sitemaps/<host>/<sha1 of the sitemap URL>.json  the window article ids a sitemap listed

A Common Crawl crawl never changes, so its pages are final: a query whose
page count and pages are all here is never asked again, whatever the window
(the query covers the whole host). Wayback CDX pages are numbered in the
order they were had; a page with a resume key says where to go on after a
kill, and a finished answer is asked again only from the last capture time it
listed. Every file is written whole to a temporary name and renamed, and only
once its answer is complete: a kill never leaves a half answer that is
trusted.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawler.atomic import write_bytes as write_atomically

WAYBACK_PAGE = "{:05d}.json"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        # Absent, or not ours: asked again rather than trusted.
        return None


class CommonCrawlCache:
    """The pages of one (crawl, host) index answer."""

    def __init__(self, root: Path, crawl: str, host: str) -> None:
        self.dir = root / "commoncrawl" / crawl / host

    def num_pages(self) -> int | None:
        value = _read_json(self.dir / "pages.json")
        pages = value.get("pages") if isinstance(value, dict) else None
        return pages if isinstance(pages, int) and pages >= 0 else None

    def save_num_pages(self, pages: int) -> None:
        write_atomically(self.dir / "pages.json", json.dumps({"pages": pages}).encode())

    def page_path(self, page: int) -> Path:
        return self.dir / f"page-{page:05d}.jsonl.gz"

    def page(self, page: int) -> str | None:
        try:
            return gzip.decompress(self.page_path(page).read_bytes()).decode("utf-8")
        except (OSError, EOFError, UnicodeDecodeError):
            return None

    def save_page(self, page: int, text: str) -> None:
        write_atomically(self.page_path(page), gzip.compress(text.encode("utf-8")))

    def complete(self) -> bool:
        pages = self.num_pages()
        return pages is not None and all(self.page_path(n).exists() for n in range(pages))


@dataclass(frozen=True)
class WaybackPage:
    asked: str
    header: list[str]
    rows: list[list[str]]
    resume_key: str | None
    at: float


class WaybackCache:
    """The CDX pages of one (host, window start), in the order they were had."""

    def __init__(self, root: Path, host: str, since: str) -> None:
        self.dir = root / "wayback" / host / f"from-{since}"

    def pages(self) -> list[WaybackPage]:
        found = []
        for path in sorted(self.dir.glob("[0-9]*.json")):
            value = _read_json(path)
            if isinstance(value, dict) and isinstance(value.get("rows"), list):
                found.append(WaybackPage(str(value.get("asked", "")), list(value.get("header") or []),
                                         value["rows"], value.get("resume_key"),
                                         float(value.get("at", 0))))
        return found

    def save(self, number: int, asked: str, header: list[str], rows: list[list[str]],
             resume_key: str | None) -> None:
        page = {"asked": asked, "header": header, "rows": rows, "resume_key": resume_key,
                "at": time.time()}
        write_atomically(self.dir / WAYBACK_PAGE.format(number), json.dumps(page).encode())


class SitemapIdCache:
    """The window's article URLs each live sitemap listed, for the coverage report."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "sitemaps"

    def save(self, host: str, sitemap_url: str, urls: list[str]) -> None:
        name = hashlib.sha1(sitemap_url.encode("utf-8")).hexdigest() + ".json"
        data = {"sitemap": sitemap_url, "urls": sorted(set(urls))}
        write_atomically(self.dir / host / name, json.dumps(data).encode())

    def urls(self) -> Iterator[str]:
        for path in sorted(self.dir.glob("*/*.json")):
            value = _read_json(path)
            if isinstance(value, dict):
                yield from (url for url in value.get("urls", []) if isinstance(url, str))


def collinfo_cache(root: Path) -> Path:
    return root / "collinfo.json"
