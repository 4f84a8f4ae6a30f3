"""WARC archiving end to end: live crawls of the local site, then what they left on disk.

One live crawl (rotating at a small WARC_MAX_SIZE) serves most tests; revisits,
WARC_ENABLED=False and a crawl killed mid-run get crawls of their own.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders

from crawler.exporters import feed_item
from tests.crawl import ROOT, CrawlResult, run_crawl
from tests.pywb_env import wayback
from tests.site.faults import Chunked, Gzip
from tests.site.server import SputnikSite, default_site
from tests.test_live_crawl import EARLIEST, FAST

BIN = Path(sys.executable).parent
HOST = "crawler-test"
OPERATOR = "Archive Tester <archive@example.org>"
MAX_SIZE = 20_000
NAME = re.compile(rf"^sputnik_fr-\d{{14}}-(\d{{5}})-{HOST}\.warc\.gz$")
REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
CAPTURES = ("response", "revisit")


@dataclass
class Stored:
    """One record as it sits in a file: WARC head, HTTP head, raw payload."""

    file: str
    offset: int
    type: str
    warc: StatusAndHeaders
    http: StatusAndHeaders | None
    payload: bytes

    @property
    def id(self) -> str:
        return self.warc.get_header("WARC-Record-ID")

    @property
    def uri(self) -> str:
        return self.warc.get_header("WARC-Target-URI")


def iter_records(path: Path) -> Iterator[Stored]:
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh)
        for record in it:
            payload = record.raw_stream.read()  # before the offset: reading it drains the record
            yield Stored(path.name, it.get_record_offset(), record.rec_type,
                         record.rec_headers, record.http_headers, payload)


def read_records(path: Path) -> list[Stored]:
    return list(iter_records(path))


def warc_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.warc.gz"))


def all_records(directory: Path) -> list[Stored]:
    return [record for path in warc_files(directory) for record in read_records(path)]


def check_file(path: Path) -> None:
    """warcio, fastwarc (block digests) and gzip all accept the file."""
    for command in ([str(BIN / "warcio"), "check", str(path)],
                    [str(BIN / "fastwarc"), "check", "-q", str(path)],
                    ["gzip", "-t", str(path)]):
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, (command, done.stdout, done.stderr)


def index_entries(directory: Path) -> list[tuple[str, str, dict[str, Any]]]:
    lines = (directory / "index.cdxj").read_text(encoding="utf-8").splitlines()
    return [(key, stamp, json.loads(fields))
            for key, stamp, fields in (line.split(" ", 2) for line in lines)]


def served(site: SputnikSite, path: str) -> bytes:
    """The page as the site answers it, before any transfer framing."""
    status, _headers, body = site.answer(path, site.url)
    assert status == 200
    return body


def capture_of(records: list[Stored], url: str) -> Stored:
    (found,) = [r for r in records if r.type == "response" and r.uri == url
                and r.http.get_statuscode() == "200"]
    return found


# --- fixtures -------------------------------------------------------------------

@pytest.fixture(scope="module")
def site():
    with default_site() as running:
        yield running


@pytest.fixture(scope="module")
def crawl(site, tmp_path_factory) -> CrawlResult:
    """The whole site, into the default WARC_DIR, rotating every ~20 kB."""
    settings = {**FAST, "WARC_MAX_SIZE": str(MAX_SIZE), "WARC_HOST": HOST, "WARC_OPERATOR": OPERATOR}
    result = run_crawl(tmp_path_factory.mktemp("archived"),
                       args={"site": site.url, "since": EARLIEST}, settings=settings)
    assert result.returncode == 0, result.log
    assert len(result.items) >= 10
    return result


@pytest.fixture(scope="module")
def warc_dir(crawl) -> Path:
    return crawl.workdir / "output" / "warc"


@pytest.fixture(scope="module")
def records(warc_dir) -> list[Stored]:
    return all_records(warc_dir)


@pytest.fixture(scope="module")
def replayed(site, warc_dir, tmp_path_factory) -> CrawlResult:
    result = run_crawl(tmp_path_factory.mktemp("replayed"),
                       args={"replay": str(warc_dir), "site": site.url},
                       settings={"EDITION_EXTRA_HOSTS": FAST["EDITION_EXTRA_HOSTS"]})
    assert result.returncode == 0, result.log
    return result


# --- files, records, index --------------------------------------------------------

def test_every_file_passes_warcio_fastwarc_and_gzip(warc_dir):
    files = warc_files(warc_dir)
    assert len(files) >= 3
    assert not list(warc_dir.glob("*.open"))
    for path in files:
        check_file(path)


def test_rotation_names_files_and_starts_each_with_warcinfo(warc_dir):
    files = warc_files(warc_dir)
    serials = [int(NAME.fullmatch(path.name).group(1)) for path in files]
    assert serials == list(range(len(files)))
    # A file is closed once it passes WARC_MAX_SIZE, so only the last is smaller.
    assert all(path.stat().st_size >= MAX_SIZE for path in files[:-1])
    for path in files:
        first, *rest = read_records(path)
        assert (first.type, first.offset) == ("warcinfo", 0)
        assert first.warc.get_header("WARC-Filename") == path.name
        info = first.payload.decode("utf-8")
        assert f"operator: {OPERATOR}" in info and "format: WARC File Format 1.1" in info
        assert rest and "warcinfo" not in {r.type for r in rest}


def test_each_capture_has_its_request_record_right_after_it(records):
    pairs = [(record, following) for record, following in zip(records, records[1:])
             if record.type in CAPTURES]
    assert len(pairs) == sum(r.type == "request" for r in records) > 10
    for capture, request in pairs:
        assert request.type == "request"
        assert request.warc.get_header("WARC-Concurrent-To") == capture.id
        assert (request.file, request.uri) == (capture.file, capture.uri)
        assert request.warc.get_header("WARC-Date") == capture.warc.get_header("WARC-Date")
        method, target = request.http.protocol, request.http.statusline.split(" ")[0]
        assert method == "GET" and capture.uri.endswith(target)


def test_cdxj_index_has_one_line_per_response_and_revisit(records, warc_dir):
    captures = {(r.file, r.offset): r for r in records if r.type in CAPTURES}
    assert Counter(r.type for r in captures.values())["revisit"] >= 1  # robots.txt, fetched twice
    entries = index_entries(warc_dir)
    assert [(key, stamp) for key, stamp, _ in entries] == sorted((key, stamp) for key, stamp, _ in entries)
    located = Counter((fields["filename"], int(fields["offset"])) for _, _, fields in entries)
    assert located == Counter(captures.keys())
    for _key, stamp, fields in entries:
        capture = captures[(fields["filename"], int(fields["offset"]))]
        assert fields["url"] == capture.uri
        assert fields["digest"] == capture.warc.get_header("WARC-Payload-Digest")
        assert fields["status"] == capture.http.get_statuscode()
        assert stamp == re.sub(r"\D", "", capture.warc.get_header("WARC-Date"))[:14]


def test_gzip_page_is_stored_encoded_as_sent(site, records):
    (path,) = site.faults.paths_of(Gzip)
    capture = capture_of(records, site.url + path)
    assert capture.payload == gzip.compress(served(site, path), mtime=0)
    assert capture.http.get_header("Content-Encoding") == "gzip"
    assert capture.http.get_header("Content-Length") == str(len(capture.payload))
    assert capture.http.get_header("Transfer-Encoding") is None


def test_chunked_page_is_stored_dechunked_with_its_length(site, records):
    (path,) = site.faults.paths_of(Chunked)
    capture = capture_of(records, site.url + path)
    assert capture.payload == served(site, path)
    assert capture.http.get_header("Transfer-Encoding") is None
    assert capture.http.get_header("Content-Length") == str(len(capture.payload))
    assert capture.http.get_header("Content-Encoding") is None


def test_every_article_has_a_metadata_record_of_its_feed_item(crawl, records):
    by_id = {r.id: r for r in records}
    metadata = {r.warc.get_header("WARC-Refers-To"): r for r in records if r.type == "metadata"}
    assert len(metadata) == len(crawl.items) == crawl.stats["warc/records_written/metadata"]
    for item in crawl.items:
        record = metadata[item["source"]["warc_record_id"]]
        capture = by_id[item["source"]["warc_record_id"]]
        assert item["source"]["warc_file"] == f"output/warc/{capture.file}"
        assert capture.offset == item["source"]["warc_offset"]
        assert record.warc.get_header("Content-Type") == "application/json"
        assert record.uri == capture.uri
        assert json.loads(record.payload) == feed_item(item)


# --- replay ----------------------------------------------------------------------

def test_replaying_the_archive_gives_the_live_items(crawl, replayed):
    live = {item["article_id"]: item for item in crawl.items}
    again = {item["article_id"]: item for item in replayed.items}
    assert sorted(again) == sorted(live)
    for article_id, item in live.items():
        other = again[article_id]
        assert {k: v for k, v in other.items() if k != "source"} == \
            {k: v for k, v in item.items() if k != "source"}, article_id
        source, replay_source = item["source"], other["source"]
        assert replay_source["mode"] == "replay"
        assert Path(replay_source["warc_file"]).name == Path(source["warc_file"]).name
        assert (replay_source["warc_offset"], replay_source["warc_record_id"]) == \
            (source["warc_offset"], source["warc_record_id"])
    assert "replay/errors/truncated" not in replayed.stats


def test_pywb_replays_articles_byte_for_byte(site, warc_dir, tmp_path):
    stamps = {fields["url"]: stamp for _, stamp, fields in index_entries(warc_dir)}
    plain = site.sample_paths[0]
    (gzipped,) = site.faults.paths_of(Gzip)
    with wayback(warc_dir, tmp_path / "pywb") as collection:
        def fetch(path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
            url = site.url + path
            request = urllib.request.Request(f"{collection}/{stamps[url]}id_/{url}", headers=headers)
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, dict(answer.headers), answer.read()

        status, headers, body = fetch(plain)
        assert (status, body) == (200, served(site, plain))
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        status, headers, body = fetch(gzipped, **{"Accept-Encoding": "gzip"})
        assert (status, headers["Content-Encoding"]) == (200, "gzip")
        assert body == gzip.compress(served(site, gzipped), mtime=0)


# --- WACZ ------------------------------------------------------------------------

def test_wacz_of_the_crawl_lists_articles_and_hashes_its_files(crawl, warc_dir, tmp_path):
    output = tmp_path / "sputnik.wacz"
    # What `make wacz` runs, on this crawl's directory.
    done = subprocess.run([sys.executable, "-m", "warc.wacz", str(warc_dir), str(output)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(output) as zf:
        files = {info.filename: zf.read(info) for info in zf.infolist()}
    assert {f"archive/{p.name}" for p in warc_files(warc_dir)} <= set(files)
    assert files["indexes/index.cdxj"] == (warc_dir / "index.cdxj").read_bytes()
    header, *pages = [json.loads(line) for line in files["pages/pages.jsonl"].splitlines()]
    assert header["format"] == "json-pages-1.0"
    listed = {page["url"]: page["ts"] for page in pages}
    for item in crawl.items:
        assert listed[item["source"]["fetched_url"]] == item["fetched_at"]
    package = json.loads(files["datapackage.json"])
    assert {r["path"] for r in package["resources"]} == set(files) - {"datapackage.json",
                                                                     "datapackage-digest.json"}
    for resource in package["resources"]:
        data = files[resource["path"]]
        assert (resource["hash"], resource["bytes"]) == ("sha256:" + hashlib.sha256(data).hexdigest(), len(data))
    assert json.loads(files["datapackage-digest.json"])["hash"] == \
        "sha256:" + hashlib.sha256(files["datapackage.json"]).hexdigest()


# --- crawls of their own --------------------------------------------------------------

def test_second_capture_of_an_unchanged_page_is_a_revisit(site, tmp_path):
    url = site.url + site.sample_paths[0]
    settings = {**FAST, "WARC_PREFIX": "again", "WARC_HOST": HOST}
    runs = [run_crawl(tmp_path, args={"site": site.url, "urls": url}, settings=settings) for _ in range(2)]
    assert [run.returncode for run in runs] == [0, 0] and len(runs[0].items) == 1
    warc_dir = tmp_path / "output" / "warc"
    first_file, second_file = warc_files(warc_dir)
    assert (first_file.name[:6], second_file.name[:6]) == ("again-", "again-")
    original = capture_of(read_records(first_file), url)
    (revisit,) = [r for r in read_records(second_file) if r.uri == url and r.type == "revisit"]
    assert revisit.warc.get_header("WARC-Profile") == REVISIT_PROFILE
    assert revisit.warc.get_header("WARC-Refers-To") == original.id
    assert revisit.warc.get_header("WARC-Refers-To-Target-URI") == url
    assert revisit.warc.get_header("WARC-Refers-To-Date") == original.warc.get_header("WARC-Date")
    assert revisit.warc.get_header("WARC-Payload-Digest") == original.warc.get_header("WARC-Payload-Digest")
    assert revisit.payload == b""
    # robots.txt and the article: nothing new was downloaded, nothing new stored.
    assert "warc/records_written/response" not in runs[1].stats
    assert runs[1].stats["warc/records_written/revisit"] == 2
    assert [fields["mime"] for _, _, fields in index_entries(warc_dir) if fields["url"] == url] == \
        ["text/html", "warc/revisit"]
    for path in (first_file, second_file):
        check_file(path)


def test_warc_disabled_writes_nothing(site, tmp_path):
    url = site.url + site.sample_paths[0]
    result = run_crawl(tmp_path, args={"site": site.url, "urls": url},
                       settings={**FAST, "WARC_ENABLED": "False"})
    assert result.returncode == 0 and len(result.items) == 1
    assert not (tmp_path / "output" / "warc").exists()
    assert not [key for key in result.stats if key.startswith("warc/")]
    assert "warc_file" not in result.items[0]["source"]


def crawl_process(workdir: Path, args: dict[str, str], settings: dict[str, str]) -> subprocess.Popen[bytes]:
    """``scrapy crawl`` as tests.crawl runs it, but left running."""
    command = [sys.executable, "-m", "scrapy", "crawl", "sputnik_fr", "-s", "LOG_LEVEL=INFO"]
    command += [part for key, value in args.items() for part in ("-a", f"{key}={value}")]
    command += [part for key, value in settings.items() for part in ("-s", f"{key}={value}")]
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "settings.base",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen(command, cwd=workdir, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def complete_records(path: Path) -> list[Stored]:
    """The records a reader gets from a file still being written (or torn)."""
    found: list[Stored] = []
    try:
        found.extend(iter_records(path))
    except Exception:  # warcio's error for the torn tail; what came before is what counts
        pass
    return found


def starts_with_whole_member(data: bytes) -> bool:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        inflater.decompress(data)
    except zlib.error:
        return False
    return inflater.eof


def wait_for_items(warc_dir: Path, process: subprocess.Popen[bytes], count: int,
                   timeout: float = 30) -> Path:
    """The ``.open`` file, once it holds ``count`` metadata (item) records."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        for path in warc_dir.glob("*.warc.gz.open"):
            if sum(r.type == "metadata" for r in complete_records(path)) >= count:
                return path
        time.sleep(0.05)
    raise AssertionError(f"no .open file with {count} items (crawl exit status {process.poll()})")


def test_killed_crawl_replays_and_the_next_crawl_recovers_it(site, tmp_path):
    slow = {**FAST, "DOWNLOAD_DELAY": "0.2", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}
    warc_dir = tmp_path / "output" / "warc"
    process = crawl_process(tmp_path, {"site": site.url, "since": EARLIEST}, slow)
    try:
        orphan = wait_for_items(warc_dir, process, 2)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL
    torn = orphan.read_bytes()

    (tmp_path / "replay").mkdir()
    replay = run_crawl(tmp_path / "replay", args={"replay": str(orphan), "site": site.url},
                       settings={"EDITION_EXTRA_HOSTS": FAST["EDITION_EXTRA_HOSTS"]})
    assert replay.returncode == 0, replay.log
    assert replay.stats.get("replay/errors/truncated", 0) <= 1
    assert not [key for key in replay.stats if key.startswith("replay/errors/") and key != "replay/errors/truncated"]

    recovery = run_crawl(tmp_path, args={"site": site.url, "urls": site.url + site.sample_paths[0]},
                         settings=FAST)
    assert recovery.returncode == 0, recovery.log
    recovered = warc_dir / orphan.name.removesuffix(".open")
    assert re.search(rf"WARNING: Recovered \S*/{re.escape(recovered.name)} from a crashed run", recovery.log)
    assert not list(warc_dir.glob("*.open"))
    kept = recovered.read_bytes()
    # Every item whose metadata record made it to disk comes back from the torn file.
    written = {json.loads(r.payload)["url"] for r in read_records(recovered) if r.type == "metadata"}
    assert len(written) >= 2 and written <= {item["url"] for item in replay.items}
    assert torn.startswith(kept)
    tail = torn[len(kept):]
    # At most one record is lost: what was cut is not even one whole gzip member.
    assert not starts_with_whole_member(tail)
    assert len(warc_files(warc_dir)) == 2
    for path in warc_files(warc_dir):
        check_file(path)
    indexed = Counter(fields["filename"] for _, _, fields in index_entries(warc_dir))
    assert indexed[recovered.name] == sum(r.type in CAPTURES for r in read_records(recovered)) > 0


def test_records_are_on_disk_before_the_response_goes_on(tmp_path):
    from scrapy import Request
    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler

    from crawler.middlewares.archive import META_KEY, WarcArchiveMiddleware
    from crawler.spiders.sputnik_fr import SputnikFrSpider

    crawler = get_crawler(SputnikFrSpider, {"WARC_ENABLED": True, "WARC_DIR": str(tmp_path),
                                            "WARC_HOST": HOST, "WARC_MAX_SIZE": 10**9,
                                            "WARC_GZIP_LEVEL": 3})
    crawler.stats.open_spider()
    middleware = WarcArchiveMiddleware.from_crawler(crawler)
    request = Request("https://fr.sputniknews.com/20211227/a-1054083153.html")
    response = HtmlResponse(request.url, body=b"<html>page</html>", request=request)

    passed_on = middleware.process_response(request, response)

    assert passed_on is response
    written = request.meta[META_KEY]
    (open_file,) = tmp_path.glob("*.warc.gz.open")
    member = open_file.read_bytes()[written.offset:written.offset + written.length]
    stored = zlib.decompress(member, zlib.MAX_WBITS + 16)
    assert stored.startswith(b"WARC/1.1\r\n") and stored.endswith(b"<html>page</html>\r\n\r\n")
    middleware.spider_closed(None)
    (path,) = warc_files(tmp_path)
    assert path.name == written.warc_file
    assert crawler.stats.get_value("warc/records_written/response") == 1
