#!/usr/bin/env python3
"""Rewrites samples/pages/*.expected.json from the current extraction.

Run it on purpose, after a deliberate change to extraction, then read the diff
(``git diff samples/pages``) before committing: the expected files are what a
careful reader sees on each page, not whatever the code happens to output.

Pages whose expected values come from the shared fixtures (the published
article the project was specified against) are authoritative and are never
rewritten. ``--check`` only reports which files would change.

    python scripts/regen_expected.py [--check]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from parsel import Selector  # noqa: E402
from scrapy.http import HtmlResponse  # noqa: E402

from crawler.editions import SPUTNIK_FR, Edition, edition_for_host  # noqa: E402
from crawler.extract import read_article  # noqa: E402
from crawler.normalize import ARTICLE_FIELDS, normalize_fields  # noqa: E402

PAGES = ROOT / "samples" / "pages"
SHARED_FIXTURES = ROOT.parent / "shared" / "fixtures" / "sputnik_fr"
# Authoritative even where the shared directory is not mounted.
AUTHORITATIVE = frozenset({"article-1054083153"})


def is_authoritative(page: Path) -> bool:
    return page.stem in AUTHORITATIVE or (SHARED_FIXTURES / f"{page.stem}.expected.json").exists()


def edition_for(url: str) -> Edition:
    """The registry edition that owns the page's host (French when none does)."""
    return edition_for_host(urlsplit(url).hostname) or SPUTNIK_FR


def expected_for(page: Path) -> dict[str, object]:
    body = page.read_bytes()
    url = Selector(text=body.decode("utf-8")).css('link[rel="canonical"]::attr(href)').get()
    if not url:
        raise SystemExit(f"{page}: no <link rel=canonical>, cannot tell the page's URL")
    response = HtmlResponse(url=url, body=body, encoding="utf-8")
    edition = edition_for(url)
    article = read_article(response, edition)
    fields = normalize_fields(article.fields, edition)
    # source.layout is checked too: which layout reads a page is part of what a sample proves.
    return {**{name: fields[name] for name in ARTICLE_FIELDS}, "source": {"layout": article.layout}}


def render(fields: dict[str, object]) -> str:
    return json.dumps(fields, ensure_ascii=False, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report changes, write nothing")
    args = parser.parse_args(argv)
    changed = 0
    for page in sorted(PAGES.glob("*.html")):
        target = page.with_name(f"{page.stem}.expected.json")
        if is_authoritative(page):
            print(f"kept (authoritative): {target.name}")
            continue
        text = render(expected_for(page))
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        changed += 1
        print(f"{'would change' if args.check else 'wrote'}: {target.name}")
        if not args.check:
            target.write_text(text, encoding="utf-8")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
