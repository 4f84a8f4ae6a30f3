"""The haystack: a WARC of other hosts' pages with about 1% Sputnik articles.

What replay of someone else's crawl looks like (a Heritrix or Browsertrix
crawl, a Common Crawl segment): most records belong to other hosts and must
be stepped over. Record ``i`` depends only on the seed and ``i``: every
100th exchange is generated article ``i // 100`` (bench.generate, with its
truth), the others are ~25 KB pages of 5,000 other hosts. Each exchange is
a response and a request record, one gzip member each.

``python -m bench.haystack fastwarc|warcio|reader WARC`` iterates the file
and prints ``{"seconds": …, "cpu_seconds": …, "records": …}``: fastwarc and warcio reading
each record's target URI (the peers), or this project's reader with the
spider's URL filter, outside Scrapy.
"""
from __future__ import annotations

import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.generate import SEED, _exchange, _record, corpus, draft

ARTICLE_EVERY = 100
HOSTS = 5_000
PAGE_SIZE = (20_000, 30_000)


def foreign_page(rng: random.Random, words: list[str], host: str) -> bytes:
    target = rng.randrange(*PAGE_SIZE)
    parts = [f"<!DOCTYPE html><html><head><title>{host}</title></head><body>"]
    size = len(parts[0])
    while size < target:
        paragraph = "<p>" + " ".join(rng.choices(words, k=60)) + "</p>\n"
        parts.append(paragraph)
        size += len(paragraph)
    return ("".join(parts) + "</body></html>\n").encode("utf-8")


def foreign_exchange(number: int, rng: random.Random, words: list[str]) -> bytes:
    host = f"www.site{rng.randrange(HOSTS)}.example"
    url = f"https://{host}/news/{number}.html"
    body = foreign_page(rng, words, host)
    moment = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=number)
    date = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    http = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body))
    response = _record("response", url, date, http + body, "application/http; msgtype=response", {})
    request = f"GET /news/{number}.html HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    return response + _record("request", url, date, request, "application/http; msgtype=request", {})


def write_haystack(count: int, warc: Path, truth: Path, seed: int = SEED) -> None:
    """``count`` exchanges, every ``ARTICLE_EVERY``-th an article; its truth beside."""
    from bench.pages import render

    sentences = corpus()
    words = sorted({word for sentence in sentences for word in sentence.split()})
    rng = random.Random(f"haystack:{seed}")
    warc.parent.mkdir(parents=True, exist_ok=True)
    with warc.open("wb") as archive, truth.open("w", encoding="utf-8") as truths:
        for number in range(count):
            if number % ARTICLE_EVERY == ARTICLE_EVERY // 2:
                fields, body = render(draft(number // ARTICLE_EVERY, sentences, seed))
                archive.write(_exchange(number, fields, body))
                truths.write(json.dumps(fields.__dict__, ensure_ascii=False) + "\n")
            else:
                archive.write(foreign_exchange(number, rng, words))


def iterate_fastwarc(warc: str) -> int:
    from fastwarc.warc import ArchiveIterator

    records = 0
    with open(warc, "rb") as stream:
        for record in ArchiveIterator(stream, parse_http=False):
            records += bool(record.headers.get("WARC-Target-URI"))
    return records


def iterate_warcio(warc: str) -> int:
    from warcio.archiveiterator import ArchiveIterator

    records = 0
    with open(warc, "rb") as stream:
        for record in ArchiveIterator(stream):
            records += bool(record.rec_headers.get_header("WARC-Target-URI"))
    return records


def iterate_reader(warc: str) -> int:
    """Our reader with the spider's URL filter, outside Scrapy: records seen."""
    from crawler.discovery import DiscoveryFilter
    from crawler.replay import UNINDEXED, ReplayUrlFilter
    from crawler.window import DateWindow
    from warc.reader import WarcReplayReader

    counts: dict[str, int] = {}
    urls = ReplayUrlFilter(DiscoveryFilter(["fr.sputniknews.com"], DateWindow()))
    reader = WarcReplayReader([warc], url_filter=urls, unindexed=UNINDEXED,
                              count=lambda key, n: counts.__setitem__(key, counts.get(key, 0) + n))
    for _ in reader.responses():
        pass
    return sum(n for key, n in counts.items() if key.startswith("replay/records/"))


ITERATORS = {"fastwarc": iterate_fastwarc, "warcio": iterate_warcio, "reader": iterate_reader}


def load(name: str) -> None:
    """Imports outside the timing: the crawl's engine time leaves them out too."""
    import fastwarc.warc  # noqa: F401
    import warcio.archiveiterator  # noqa: F401
    if name == "reader":
        import crawler.replay  # noqa: F401


if __name__ == "__main__":
    load(sys.argv[1])
    started, cpu = time.perf_counter(), time.process_time()
    found = ITERATORS[sys.argv[1]](sys.argv[2])
    print(json.dumps({"seconds": time.perf_counter() - started,
                      "cpu_seconds": time.process_time() - cpu, "records": found}))
