"""The ceiling: a bare loop that reads the WARC with fastwarc and parses each
page with lxml (meta tags and the body by XPath), in one process, nothing else.

No normalisation, no item, no framework: what any replay must at least spend.
``python -m bench.ceiling WARC`` prints ``{"seconds": …, "cpu_seconds": …, "pages": …}``.
"""
from __future__ import annotations

import json
import sys
import time
from typing import Any

import lxml.html
from fastwarc.warc import ArchiveIterator, WarcRecordType

_METAS = lxml.etree.XPath("//meta[@content]")
_BODY = lxml.etree.XPath(
    "//div[contains(@class, 'article__body')]/div[@data-type='text' or @data-type='h3']"
    " | //div[@class='b-article__text']/*[self::p or self::h3]")


def parse(body: bytes) -> dict[str, Any]:
    root = lxml.html.fromstring(body)
    metas = {(m.get("property") or m.get("name") or ""): m.get("content") for m in _METAS(root)}
    paragraphs = [" ".join(node.text_content().split()) for node in _BODY(root)]
    return {"title": metas.get("og:title"), "published": metas.get("article:published_time"),
            "body": "\n\n".join(paragraphs)}


def run(warc: str) -> dict[str, float]:
    started, cpu = time.perf_counter(), time.process_time()
    pages = 0
    with open(warc, "rb") as stream:
        for record in ArchiveIterator(stream, record_types=WarcRecordType.response,
                                      parse_http=True):
            fields = parse(record.reader.read())
            pages += bool(fields["body"])
    return {"seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu,
            "pages": pages}


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1])))
