"""The extractors people use instead, and the ceiling, run on the bench WARC.

``python -m bench.peers EXTRACTOR WARC LIMIT OUT`` reads the first LIMIT
HTML responses of WARC into memory, times EXTRACTOR over them, writes one
JSON line of fields per page to OUT and prints ``{"seconds": …, "pages": …}``.

trafilatura and news-please run in .venv-bench (news-please pins an older
cssselect than the project uses), so this module imports only the standard
library, warcio and lxml at the top; each extractor imports its own package.
"""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

Fields = dict[str, Any]


def read_pages(warc: str, limit: int) -> list[tuple[str, bytes]]:
    from warcio.archiveiterator import ArchiveIterator

    pages: list[tuple[str, bytes]] = []
    with open(warc, "rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type != "response":
                continue
            pages.append((record.rec_headers.get_header("WARC-Target-URI"),
                          record.content_stream().read()))
            if len(pages) >= limit:
                break
    return pages


def _iso(moment: datetime | str | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat(timespec="seconds") if isinstance(moment, datetime) else str(moment)


def trafilatura_extractor() -> Callable[[str, bytes], Fields]:
    from trafilatura import bare_extraction

    def extract(url: str, body: bytes) -> Fields:
        document = bare_extraction(body.decode("utf-8"), url=url, with_metadata=True)
        found = document.as_dict() if document is not None else {}
        return {"url": url, "title": found.get("title"), "published": found.get("date"),
                "modified": None, "authors": _split(found.get("author"), ";"),
                "keywords": _split(found.get("tags"), ","), "body": found.get("text")}
    return extract


def newsplease_extractor() -> Callable[[str, bytes], Fields]:
    from newsplease import NewsPlease

    def extract(url: str, body: bytes) -> Fields:
        article = NewsPlease.from_html(body.decode("utf-8"), url=url, fetch_images=False)
        return {"url": url, "title": article.title, "published": _iso(article.date_publish),
                "modified": _iso(article.date_modify), "authors": list(article.authors or []),
                "keywords": None,  # news-please has no keywords field
                "body": article.maintext}
    return extract


def _split(value: Any, separator: str) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in (value or "").split(separator) if part.strip()]


EXTRACTORS: dict[str, Callable[[], Callable[[str, bytes], Fields]]] = {
    "trafilatura": trafilatura_extractor,
    "newsplease": newsplease_extractor,
}


def run(name: str, warc: str, limit: int, out: str) -> dict[str, float]:
    extract = EXTRACTORS[name]()
    pages = read_pages(warc, limit)
    extract(*pages[0])  # warm-up: lazy imports and model loading are not per page
    results: list[Fields] = []
    started = time.perf_counter()
    for url, body in pages:
        results.append(extract(url, body))
    seconds = time.perf_counter() - started
    with open(out, "w", encoding="utf-8") as stream:
        for fields in results:
            stream.write(json.dumps(fields, ensure_ascii=False) + "\n")
    return {"seconds": seconds, "pages": len(pages)}


def versions() -> Iterator[tuple[str, str]]:
    from importlib.metadata import version

    for package in ("trafilatura", "news-please", "lxml", "cssselect"):
        yield package, version(package)


if __name__ == "__main__":
    if sys.argv[1:] == ["--versions"]:
        print(json.dumps(dict(versions())))
    else:
        print(json.dumps(run(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])))
