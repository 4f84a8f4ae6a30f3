"""Deterministic benchmark inputs: article pages in both layouts, their true
field values, and a WARC of them.

Page ``i`` depends only on the seed and ``i`` (never on N), so the first 1,000
pages of a 10,000-page set are the 1,000-page set. The prose is recombined
from the sentences of samples/pages; titles, ids, dates, authors and keywords
are drawn from a seeded RNG. Pages carry the chrome a real page has (menus, a
column of related headlines, inline scripts) so each weighs 40-60 KB.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import html
import json
import random
import re
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "pages"
SITE = "https://fr.sputniknews.com"
PARIS = ZoneInfo("Europe/Paris")
SEED = 20211227

SECTIONS = ("international", "france", "economie", "societe", "sci-tech", "afrique", "sport")
AUTHORS = ("Anastasia Patts", "Camille Laurent", "Thomas Girard", "Julien Moreau", "Awa Ndiaye",
           "Léa Fontaine", "Sergueï Ivanov", "Nadia Benali", "Pierre Lemaire", "Olga Smirnova")
TAGS = ("russie", "france", "otan", "ukraine", "états-unis", "économie", "énergie", "santé",
        "canicule", "élections", "diplomatie", "afrique", "chine", "union européenne", "sport",
        "climat", "technologie", "espace", "justice", "défense", "gaz", "pétrole", "migration")
WORDS = ("Moscou", "Paris", "l'Otan", "les négociations", "la sécurité", "le gouvernement",
         "une réforme", "la canicule", "les marchés", "un accord", "la frontière", "le Sahel",
         "les sanctions", "le Kremlin", "l'Élysée", "une enquête", "les prix", "la vaccination")
VERBS = ("précise", "annonce", "dément", "prévoit", "dénonce", "confirme", "évoque", "rejette")


@dataclass(frozen=True)
class Truth:
    """What a perfect extractor returns for one generated page."""

    url: str
    article_id: str
    layout: str
    title: str
    published: str
    modified: str | None
    authors: list[str]
    keywords: list[str]
    section: str
    body: str


def corpus() -> list[str]:
    """Sentences of the sample pages' bodies (already clean text)."""
    sentences: list[str] = []
    for file in sorted(SAMPLES.glob("*.expected.json")):
        body = json.loads(file.read_text(encoding="utf-8"))["body"]
        for paragraph in body.split("\n\n"):
            parts = re.split(r"(?<=[.!?»])\s+", paragraph)
            sentences += [s.strip() for s in parts if len(s.strip()) > 40]
    return sentences


@dataclass
class Draft:
    """The drawn content of one page, before markup."""

    truth: Truth
    description: str
    paragraphs: list[tuple[str, str]]  # (kind: "p" or "h3", text)
    published: datetime
    modified: datetime | None
    related: list[tuple[str, str]]  # (path, headline)


def _title(rng: random.Random) -> str:
    subject = rng.choice(WORDS)
    return (f"{subject[0].upper()}{subject[1:]} : {rng.choice(WORDS)} "
            f"{rng.choice(VERBS)} {rng.choice(WORDS)} ({rng.randrange(2, 99)} mesures)")


def _path(layout: str, day: datetime, article_id: int, section: str, slug: str) -> str:
    if layout == "2021":
        return f"/{day:%Y%m%d}/{slug}-{article_id}.html"
    return f"/{section}/{day:%Y%m%d}{article_id}-{slug}/"


def draft(index: int, sentences: list[str], seed: int = SEED) -> Draft:
    rng = random.Random(f"{seed}:{index}")
    layout = "2021" if index % 2 == 0 else "2016"
    years = (2021, 2023) if layout == "2021" else (2016, 2020)
    start = datetime(years[0], 1, 1, tzinfo=PARIS)
    span = (datetime(years[1], 12, 31, tzinfo=PARIS) - start).days
    published = (start + timedelta(days=rng.randrange(span), minutes=rng.randrange(6 * 60, 23 * 60)))
    published = published.replace(tzinfo=None).replace(tzinfo=PARIS)  # wall clock in Paris
    modified = published + timedelta(minutes=rng.randrange(5, 300)) if rng.random() < 0.7 else None
    article_id = 1_030_000_000 + index * 7 + rng.randrange(7)
    section = rng.choice(SECTIONS)
    title = _title(rng)
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower().encode("ascii", "ignore").decode()).strip("-")
    path = _path(layout, published, article_id, section, slug[:60])
    paragraphs: list[tuple[str, str]] = []
    for number in range(rng.randrange(9, 16)):
        if number and number % 5 == 0:
            paragraphs.append(("h3", rng.choice(sentences).split(",")[0].rstrip(".")))
        paragraphs.append(("p", " ".join(rng.sample(sentences, rng.randrange(2, 5)))))
    related = [(_path("2021", published - timedelta(days=n + 1), article_id - 1000 - n, section,
                      f"depeche-{n}"), _title(rng)) for n in range(rng.randrange(30, 45))]
    truth = Truth(
        url=SITE + path, article_id=str(article_id), layout=layout, title=title,
        published=published.isoformat(timespec="seconds"),
        modified=modified.isoformat(timespec="seconds") if modified else None,
        authors=rng.sample(AUTHORS, rng.choice((0, 1, 1, 1, 2))),
        keywords=rng.sample(TAGS, rng.randrange(3, 8)), section=section,
        body="\n\n".join(text for _, text in paragraphs),
    )
    return Draft(truth, rng.choice(sentences), paragraphs, published, modified, related)


def iter_pages(count: int, seed: int = SEED) -> Iterator[tuple[Truth, bytes]]:
    """Pages 0 to count-1, one at a time (100k pages do not fit in memory)."""
    from bench.pages import render  # markup lives beside, one function per layout

    sentences = corpus()
    for index in range(count):
        yield render(draft(index, sentences, seed))


# --- files ------------------------------------------------------------------


def write_inputs(count: int, warc: Path, truth: Path, pages_dir: Path | None = None) -> None:
    """The WARC of ``count`` pages, their truth (JSON Lines), and optionally
    each page as ``article-<id>.html`` in ``pages_dir`` (what tests/site serves)."""
    for path in (warc, truth, *([pages_dir] if pages_dir else [])):
        path.parent.mkdir(parents=True, exist_ok=True)
    if pages_dir:
        pages_dir.mkdir(exist_ok=True)
    with warc.open("wb") as archive, truth.open("w", encoding="utf-8") as truths:
        for number, (fields, body) in enumerate(iter_pages(count)):
            archive.write(_exchange(number, fields, body))
            truths.write(json.dumps(asdict(fields), ensure_ascii=False) + "\n")
            if pages_dir:
                (pages_dir / f"article-{fields.article_id}.html").write_bytes(body)


def read_truth(path: Path) -> dict[str, dict]:
    """Truth by URL."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return {row["url"]: row for row in rows}


def _record(kind: str, uri: str, date: str, block: bytes, content_type: str,
            extra: dict[str, str]) -> bytes:
    digest = "sha1:" + base64.b32encode(hashlib.sha1(block).digest()).decode()
    record_id = uuid.UUID(hashlib.sha1(f"{kind}|{uri}|{date}".encode()).hexdigest()[:32])
    headers = {"WARC-Type": kind, "WARC-Record-ID": f"<urn:uuid:{record_id}>", "WARC-Date": date,
               "WARC-Target-URI": uri, **extra, "WARC-Block-Digest": digest,
               "Content-Type": content_type, "Content-Length": str(len(block))}
    head = "WARC/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    # One gzip member per record, as warcio and Heritrix write them.
    return gzip.compress(head.encode() + block + b"\r\n\r\n", compresslevel=6, mtime=0)


def _exchange(number: int, truth: Truth, body: bytes) -> bytes:
    """A response and its request record, as a crawler archives a page."""
    moment = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=number)
    date = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    http = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            b"Content-Length: %d\r\nServer: nginx\r\n\r\n" % len(body))
    payload = "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode()
    response = _record("response", truth.url, date, http + body,
                       "application/http; msgtype=response",
                       {"WARC-Payload-Digest": payload, "WARC-IP-Address": "127.0.0.1"})
    path = truth.url.split("fr.sputniknews.com", 1)[1]
    request = (f"GET {path} HTTP/1.1\r\nHost: fr.sputniknews.com\r\n"
               "User-Agent: sputnik-archive/0.1\r\n\r\n").encode()
    return response + _record("request", truth.url, date, request,
                              "application/http; msgtype=request", {})


def html_attr(text: str) -> str:
    return html.escape(text, quote=True)
