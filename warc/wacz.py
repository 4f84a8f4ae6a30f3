"""Package an archive directory as a WACZ 1.1.1 file for ReplayWeb.page.

Layout: ``archive/*.warc.gz``, ``indexes/index.cdxj``, ``pages/pages.jsonl``,
``datapackage.json`` (every other file with its size and sha256) and
``datapackage-digest.json`` (the sha256 of datapackage.json).

Written with zipfile rather than the ``wacz`` package, which pulls in
frictionless and a large dependency tree for what is a few JSON files.
Every entry is stored, not deflated: WARCs are gzipped already, and
ReplayWeb.page reads entries by byte range, which only stored data allows.
The index is rebuilt from the packaged WARCs, so it always matches them.

Usage: ``python -m warc.wacz WARC_DIR OUTPUT.wacz [--pages pages.jsonl]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator

from warc import index
from warc.files import WARC_SUFFIX
from warc.warcinfo import software

logger = logging.getLogger(__name__)

WACZ_VERSION = "1.1.1"
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}
DEFAULT_TITLE = "Sputnik news archive"
COPY_SIZE = 1024 * 1024


def build_wacz(warc_dir: str | Path, output_path: str | Path,
               pages: Iterable[dict[str, object]] | None = None, *,
               title: str = DEFAULT_TITLE, created: datetime | None = None) -> Path:
    """Write a WACZ of every closed WARC file in ``warc_dir``; returns its path.

    ``pages`` are dicts with ``url``, ``ts`` (ISO string or datetime) and
    optionally ``title``; without them, every HTML response with a 2xx
    status is a page. The file appears atomically at ``output_path``.
    """
    warcs = sorted(Path(warc_dir).glob("*" + WARC_SUFFIX))
    if not warcs:
        raise FileNotFoundError(f"no closed {WARC_SUFFIX} files in {warc_dir}")
    created = (created or datetime.now(timezone.utc)).astimezone(timezone.utc)
    cdxj = sorted(line for warc in warcs for line in index.cdxj_lines(warc))
    page_list = list(pages) if pages is not None else titled(pages_from_index(cdxj), warcs)
    output = Path(output_path)
    fd, tmp = tempfile.mkstemp(prefix=".wacz-", suffix=".tmp", dir=output.parent)
    try:
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED) as zf:
            package = _Package(zf, created)
            for warc in warcs:
                package.add_file(f"archive/{warc.name}", warc)
            package.add_bytes("indexes/index.cdxj", "".join(cdxj).encode("utf-8"))
            package.add_bytes("pages/pages.jsonl", pages_jsonl(page_list))
            package.finish(title)
        os.chmod(tmp, 0o644)
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    logger.info("Wrote %s: %s WARC files, %s index lines, %s pages",
                output, len(warcs), len(cdxj), len(page_list))
    return output


def pages_from_index(cdxj: Iterable[str]) -> list[dict[str, object]]:
    """First successful HTML capture of each URL, in index order."""
    pages: dict[str, dict[str, object]] = {}
    for line in cdxj:
        _key, stamp, fields = line.split(" ", 2)
        entry = json.loads(fields)
        if entry.get("mime") == "text/html" and str(entry.get("status", "")).startswith("2"):
            pages.setdefault(entry["url"], {"url": entry["url"], "ts": _iso_from_stamp(stamp)})
    return list(pages.values())


def titled(pages: list[dict[str, object]], warcs: Iterable[Path]) -> list[dict[str, object]]:
    """Pages with the article's title where our crawl archived one (else the URL stands)."""
    titles = titles_from_metadata(warcs)
    for page in pages:
        title = titles.get(str(page["url"]))
        if title:
            page["title"] = title
    return pages


def titles_from_metadata(warcs: Iterable[Path]) -> dict[str, str]:
    """Article titles by URL, from the JSON metadata record our crawl writes
    beside each article's response (the item as the JSON Feed has it)."""
    titles: dict[str, str] = {}
    for warc in warcs:
        with open(warc, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type != "metadata" or \
                        record.rec_headers.get_header("Content-Type") != "application/json":
                    continue
                try:
                    title = json.loads(record.content_stream().read()).get("title")
                except (ValueError, AttributeError):
                    continue
                if isinstance(title, str) and title:
                    titles[record.rec_headers.get_header("WARC-Target-URI")] = title
    return titles


def pages_jsonl(pages: Iterable[dict[str, object]]) -> bytes:
    lines = [json.dumps(PAGES_HEADER)]
    for page in pages:
        lines.append(json.dumps(_page_entry(page), ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8")


def _page_entry(page: dict[str, object]) -> dict[str, object]:
    """A pages.jsonl line with ``id``, ``url``, ``ts`` and ``title``.

    ``id`` and ``title`` are optional in the spec, but validators read the
    file as a table and reject rows lacking header columns. The id is
    derived from URL and time so a rebuilt package is identical; a missing
    title (a page that is not an article) falls back to the URL.
    """
    entry = {key: value for key, value in page.items() if value is not None}
    if isinstance(entry.get("ts"), datetime):
        entry["ts"] = _iso(entry["ts"])  # type: ignore[arg-type]
    entry.setdefault("title", entry["url"])
    page_id = hashlib.sha1(f"{entry['url']} {entry.get('ts', '')}".encode("utf-8")).hexdigest()[:32]
    return {"id": page_id, **entry}


def _iso_from_stamp(stamp: str) -> str:
    return _iso(datetime.strptime(stamp[:14], "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc))


def _iso(when: datetime) -> str:
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


class _Package:
    """Adds stored zip entries and remembers each one's size and sha256."""

    def __init__(self, zf: zipfile.ZipFile, created: datetime) -> None:
        self._zf = zf
        self._created = created
        self.resources: list[dict[str, object]] = []

    def add_file(self, arcname: str, path: Path) -> None:
        size = path.stat().st_size
        with open(path, "rb") as src, self._open(arcname, size) as dst:
            digest = _copy_hashing(src, dst)
        self._note(arcname, digest, size)

    def add_bytes(self, arcname: str, data: bytes) -> None:
        with self._open(arcname, len(data)) as dst:
            dst.write(data)
        self._note(arcname, hashlib.sha256(data).hexdigest(), len(data))

    def finish(self, title: str) -> None:
        """datapackage.json lists the entries; its digest file seals it."""
        datapackage = json.dumps({
            "profile": "data-package", "wacz_version": WACZ_VERSION, "title": title,
            "created": _iso(self._created), "software": software(), "resources": self.resources,
        }, indent=2).encode("utf-8")
        with self._open("datapackage.json", len(datapackage)) as dst:
            dst.write(datapackage)
        digest = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(datapackage).hexdigest()}
        data = json.dumps(digest, indent=2).encode("utf-8")
        with self._open("datapackage-digest.json", len(data)) as dst:
            dst.write(data)

    def _open(self, arcname: str, size: int) -> BinaryIO:
        # A fixed timestamp keeps the package reproducible from its inputs.
        info = zipfile.ZipInfo(arcname, date_time=self._created.timetuple()[:6])
        info.compress_type = zipfile.ZIP_STORED
        info.file_size = size
        info.external_attr = 0o644 << 16
        return self._zf.open(info, "w", force_zip64=size >= zipfile.ZIP64_LIMIT)  # type: ignore[return-value]

    def _note(self, arcname: str, hexdigest: str, size: int) -> None:
        self.resources.append({"name": Path(arcname).name, "path": arcname,
                               "hash": f"sha256:{hexdigest}", "bytes": size})


def _copy_hashing(src: BinaryIO, dst: BinaryIO) -> str:
    sha = hashlib.sha256()
    for block in iter(lambda: src.read(COPY_SIZE), b""):
        sha.update(block)
        dst.write(block)
    return sha.hexdigest()


def read_pages(path: str | Path) -> Iterator[dict[str, object]]:
    """Pages from a pages.jsonl file, without its header line."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                entry = json.loads(line)
                if "format" not in entry:
                    yield entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m warc.wacz", description=__doc__.split("\n\n")[0])
    parser.add_argument("warc_dir", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--pages", type=Path, help="pages.jsonl to use instead of HTML captures")
    parser.add_argument("--title", default=DEFAULT_TITLE)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    pages = list(read_pages(args.pages)) if args.pages else None
    build_wacz(args.warc_dir, args.output, pages, title=args.title)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
