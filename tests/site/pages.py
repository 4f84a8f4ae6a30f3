"""Article pages the test site serves: sample pages read from disk, kept as bytes.

The site serves each page at the path of its canonical URL and never
re-serialises it, so what a crawl extracts equals what the sample page gives.
Only ``append_paragraph`` (the "changed article" scenario) rewrites a page.
"""
from __future__ import annotations

import html
import json
import os
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from crawler.editions import SPUTNIK_FR
from crawler.urls import article_id_from_url, publication_date_from_url

PARIS = ZoneInfo(SPUTNIK_FR.timezone)
SAMPLES_DIR = Path(__file__).resolve().parents[2] / "samples" / "pages"
# Lets a developer (or a later test) point the site at another set of pages.
PAGES_ENV = "SPUTNIK_SITE_PAGES"

_CANONICAL = re.compile(rb'<link\s+rel="canonical"\s+href="(?P<url>[^"]+)"')
# Attribute order varies (name= and property= both, sometimes).
_META = r'<meta\s[^>]*?(?:property|name)="{}"[^>]*?\scontent="(?P<value>[^"]*)"'
# Microdata as an element's text (2021 layout) or a <meta content> (2016-2020).
_ITEMPROP_TEXT = r'itemprop="{}">(?P<value>[^<]+)<'
_ITEMPROP_CONTENT = r'itemprop="{}"\s+content="(?P<value>[^"]*)"'
# The 2016-2020 dateline: <time datetime="2019-06-24T16:40">, in Paris time.
_DATELINE = r'<time\s[^>]*?datetime="(?P<value>[^"]+)"'
_TITLE = re.compile(r"<title>(?P<value>[^<]*)</title>")


@dataclass(frozen=True)
class Article:
    """One page the site serves at ``path``; times are the page's own."""

    path: str
    body: bytes
    published: datetime | None
    modified: datetime | None
    title: str

    @property
    def day(self) -> date | None:
        return publication_date_from_url(self.path)

    @property
    def article_id(self) -> str | None:
        return article_id_from_url(self.path)

    @property
    def lastmod(self) -> datetime:
        """What the sitemap says: modified, else published, else noon of the URL's day."""
        return self.modified or self.published or noon_of(self.day or date.today())

    @property
    def layout_2021(self) -> bool:
        return b'class="article__' in self.body


def noon_of(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=PARIS)


def pages_dir() -> Path:
    override = os.environ.get(PAGES_ENV)
    return Path(override) if override else SAMPLES_DIR


def canonical_path(body: bytes) -> str | None:
    """The path of the page's canonical URL, if it names a host of the edition."""
    match = _CANONICAL.search(body)
    if not match:
        return None
    url = urlsplit(html.unescape(match.group("url").decode("utf-8")))
    return url.path if SPUTNIK_FR.owns(url.hostname) else None


# The suites crawl this site from 2017 on; older samples (the 2014–2016 era)
# are read through replay and extraction tests instead.
FIRST_SERVED_DAY = date(2017, 1, 1)


def served_here(body: bytes) -> bool:
    """Whether the site serves a sample: not those of other editions
    (sputnikglobe.com …), nor those published before FIRST_SERVED_DAY or at a
    URL crawler.urls cannot date (a sitemap lists articles by day)."""
    path = canonical_path(body)
    day = publication_date_from_url(path) if path else None
    return day is not None and day >= FIRST_SERVED_DAY


def _first(patterns: list[str], text: str) -> str | None:
    for pattern in patterns:
        match = re.search(pattern, text)
        if match:
            return html.unescape(match.group("value")).strip()
    return None


def parse_time(value: str | None) -> datetime | None:
    """Page times come as ``20211227T1025+0100`` or ``2021-12-27T10:25+0100``;
    a time without an offset is the newsroom's (Paris) time."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=PARIS)


def page_time(text: str, meta: str, itemprop: str, *more: str) -> datetime | None:
    # The Open Graph meta first, as the platform's own sitemaps follow it;
    # microdata when a layout lacks the meta.
    patterns = [_META.format(meta), _ITEMPROP_TEXT.format(itemprop),
                _ITEMPROP_CONTENT.format(itemprop), *more]
    return parse_time(_first(patterns, text))


def page_title(text: str) -> str:
    return _first([_META.format("og:title"), _TITLE.pattern], text) or ""


def article_from_bytes(body: bytes, path: str | None = None) -> Article:
    path = path or canonical_path(body)
    if not path:
        raise ValueError("page has no canonical URL on a host of the edition")
    text = body.decode("utf-8", errors="replace")
    return Article(
        path=path,
        body=body,
        published=page_time(text, "article:published_time", "datePublished", _DATELINE),
        modified=page_time(text, "article:modified_time", "dateModified"),
        title=page_title(text),
    )


def with_manifest(article: Article, manifest: Path) -> Article:
    """Times from the sample's expected-values file, when there is one: some
    samples give theirs only in a visible dateline that is not parsed here."""
    if not manifest.is_file():
        return article
    expected = json.loads(manifest.read_text(encoding="utf-8"))
    published = parse_time(expected.get("published")) or article.published
    modified = parse_time(expected["modified"]) if "modified" in expected else article.modified
    return replace(article, published=published, modified=modified)


def load_page(file: Path) -> Article:
    article = article_from_bytes(file.read_bytes())
    return with_manifest(article, file.with_name(f"{file.stem}.expected.json"))


def load_pages(directory: Path | None = None) -> list[Article]:
    """Every ``*.html`` of the directory, sorted by path; a missing directory is empty."""
    directory = directory or pages_dir()
    if not directory.is_dir():
        return []
    files = [file for file in sorted(directory.glob("*.html")) if served_here(file.read_bytes())]
    articles = [load_page(file) for file in files]
    return sorted(articles, key=lambda a: a.path)


# --- Changing an article: textual, aimed at the platform's markup ----------

# A text paragraph, with the 2021 layout's wrapper when there is one.
_TEXT_BLOCK = re.compile(
    rb'(?:<div class="article__block" data-type="text">)?<div class="(?:b-)?article__text">'
)
# The microdata copy of the text runs the paragraphs together, without markup.
_MICRODATA_BODY = re.compile(rb'(itemprop="articleBody"[^>]*>[^<]*)(<)')
# Where a page states its modified time, each with how it writes it there.
_MODIFIED_AT: tuple[tuple[bytes, str], ...] = (
    (rb'(<meta\s+(?:property|name)="article:modified_time"\s+content=")[^"]*(")', "%Y%m%dT%H%M%z"),
    (rb'(itemprop="dateModified">)[^<]*(<)', "%Y-%m-%dT%H:%M%z"),
    (rb'(itemprop="dateModified"\s+content=")[^"]*(")', "%Y-%m-%dT%H:%M%z"),
    (rb'(class="article__info-date-modified" data-unixtime=")\d+(")', "%s"),
    ("(mis à jour: )\\d\\d:\\d\\d \\d\\d\\.\\d\\d\\.\\d{4}()".encode(), "%H:%M %d.%m.%Y"),
)


def _block_end(body: bytes, start: int) -> int:
    """Index just past the ``</div>`` closing the div opened at ``start``."""
    depth, position = 0, start
    for match in re.finditer(rb"<div\b|</div\s*>", body[start:]):
        depth += 1 if match.group().startswith(b"<div") else -1
        position = start + match.end()
        if depth == 0:
            return position
    raise ValueError("unbalanced <div> in article body")


def _insert_text(body: bytes, block: re.Match[bytes], text: bytes) -> bytes:
    end = _block_end(body, block.start())
    if block.group().startswith(b'<div class="b-article__text">'):
        # 2016-2020: one text div holding <p> paragraphs; the new one goes last in it.
        inside = body.rindex(b"</div", 0, end)
        return body[:inside] + b"<p>" + text + b"</p>\n" + body[inside:]
    # 2021+: one block per paragraph; the new block follows the last one.
    closing = b"</div>" * block.group().count(b"<div")
    return body[:end] + block.group() + text + closing + body[end:]


def append_paragraph(body: bytes, paragraph: str) -> bytes:
    """A new last paragraph of the text, in the layout's markup (and in the
    microdata copy of the text, where the page has one)."""
    blocks = list(_TEXT_BLOCK.finditer(body))
    if not blocks:
        raise ValueError("no article text block to append a paragraph after")
    text = html.escape(paragraph, quote=False).encode("utf-8")
    body = _insert_text(body, blocks[-1], text)
    return _MICRODATA_BODY.sub(lambda m: m.group(1) + text + m.group(2), body, count=1)


def render_time(moment: datetime, form: str) -> str:
    # "%s" is not portable strftime: the Unix time is computed instead.
    return str(int(moment.timestamp())) if form == "%s" else moment.strftime(form)


def set_modified(body: bytes, moment: datetime) -> bytes:
    """Rewrites the modified time wherever the page states it; the visible
    text is in Paris time, as the platform prints it."""
    for pattern, form in _MODIFIED_AT:
        value = render_time(moment.astimezone(PARIS), form).encode()
        body = re.sub(pattern, lambda m: m.group(1) + value + m.group(2), body, count=1)
    return body


def modified_article(article: Article, paragraph: str, moment: datetime) -> Article:
    body = set_modified(append_paragraph(article.body, paragraph), moment)
    return replace(article, body=body, modified=moment)
