"""Sample HTTP exchanges and fixed ids/clocks for the WARC writing tests."""

from __future__ import annotations

import base64
import gzip
import hashlib
import itertools
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from warc.writer import HttpExchange, WarcArchive

BASE_DATE = datetime(2024, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
HTML = "<html><head><title>{0}</title></head><body><p>{0}</p></body></html>"
BIN = Path(sys.executable).parent


def html_gz(text: str) -> bytes:
    return gzip.compress(HTML.format(text).encode("utf-8"), mtime=0)


def exchange(url: str, body: bytes | None = None, *, seconds: int = 0, status: int = 200,
             reason: str = "", extra_headers: list[tuple[str, str]] | None = None) -> HttpExchange:
    body = html_gz(url) if body is None else body
    return HttpExchange(
        url=url, method="GET",
        request_headers=[("Host", "sputniknews.com"), ("User-Agent", "sputnik-archive-test"),
                         ("Accept-Encoding", "gzip, br")],
        request_body=b"", status=status, reason=reason, protocol="HTTP/1.1",
        response_headers=[("Content-Type", "text/html; charset=utf-8"),
                          ("Transfer-Encoding", "chunked"), ("Content-Encoding", "gzip"),
                          ("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2; Path=/"),
                          *(extra_headers or [])],
        body=body, date=BASE_DATE + timedelta(seconds=seconds), ip_address="192.0.2.7")


def fixed_ids(start: int = 1) -> Callable[[], str]:
    counter = itertools.count(start)
    return lambda: f"<urn:uuid:00000000-0000-4000-8000-{next(counter):012d}>"


def fixed_clock(start: datetime = BASE_DATE) -> Callable[[], datetime]:
    ticks = itertools.count()
    return lambda: start + timedelta(milliseconds=next(ticks))


def archive(directory: Path, **kwargs: object) -> WarcArchive:
    options: dict[str, object] = {"prefix": "sputnik", "host": "crawler1",
                                  "warcinfo": {"isPartOf": "sputnik-fr"}}
    options.update(kwargs)
    return WarcArchive(directory, **options)  # type: ignore[arg-type]


def records(path: Path) -> Iterator[tuple[int, ArcWarcRecord, bytes]]:
    """(offset, record, raw block) for every record of a WARC file."""
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh, no_record_parse=True)
        for record in it:
            block = record.raw_stream.read()  # before get_record_offset(), which drains the record
            yield it.get_record_offset(), record, block


def sha1_b32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def warc_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.warc.gz"))


def run_checkers(path: Path) -> None:
    """warcio check, gzip -t and (when installed) fastwarc check must all pass."""
    for command in ([str(BIN / "warcio"), "check", str(path)], ["gzip", "-t", str(path)]):
        result = subprocess.run(command, capture_output=True, text=True)
        assert result.returncode == 0, (command, result.stdout, result.stderr)
    fastwarc = BIN / "fastwarc"
    if fastwarc.exists():
        result = subprocess.run([str(fastwarc), "check", "-q", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, (result.stdout, result.stderr)
