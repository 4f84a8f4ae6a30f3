"""Counts the requests an archive-history run makes for a month of N articles.

Run by hand (not part of the tests): ``.venv/bin/python scripts/archive_requests.py 300``.
The local fakes of Common Crawl and the Wayback Machine (tests.archive_fakes)
hold N articles of December 2021, made from one sample page
(tests.site.fresh): Common Crawl the first 3/4, the Wayback Machine the last
3/4 (the middle half in both, same payloads), a tenth of Wayback's in two
texts. Index pages hold 100 lines here (Common Crawl's real ones 15,000, the
Wayback CDX 5,000 as this project asks), so paging shows at this size.

Three scenarios, each in a fresh directory, one request at a time per
archive service as in production but with no politeness delay:
a first run, the same run again, and a first run killed (SIGKILL) once half
the captures are fetched, then resumed. Prints a Markdown table of requests
by kind.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date, time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import archive_fakes  # noqa: E402
from tests.archive_fakes import Archives, ArchiveServer, WaybackPage, sha1_base32  # noqa: E402
from tests.crawl import crawl_command, read_jsonl  # noqa: E402
from tests.site.fresh import fresh_article, pick_template  # noqa: E402
from tests.site.pages import append_paragraph, load_pages  # noqa: E402
from tests.warc_builders import build_warc, html_response, warcinfo  # noqa: E402

CRAWL = "CC-MAIN-2021-52"
FILE = f"crawl-data/{CRAWL}/warc/{CRAWL}-00000.warc.gz"
HOST = "https://fr.sputniknews.com"
ARGS = {"since": "2021-12-01", "until": "2021-12-31", "source": "commoncrawl,wayback", "crawls": CRAWL}
# The project's slots (one request at a time per archive service), without their delays.
SLOTS = '{"commoncrawl-index": {"concurrency": 1, "delay": 0}, "commoncrawl-data": {"concurrency": 1, \
"delay": 0}, "wayback-cdx": {"concurrency": 1, "delay": 0}, "wayback": {"concurrency": 1, "delay": 0}}'
SETTINGS = {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "DOWNLOAD_SLOTS": SLOTS,
            "COVERAGE_ENABLED": "False", "LOG_LEVEL": "WARNING"}
KINDS = {"/cc-index/": "Common Crawl index", "/cc-data/": "Common Crawl records",
         "/cdx": "Wayback CDX", "/web/": "Wayback captures"}


def build(n: int, tmp: Path) -> Archives:
    template = pick_template(load_pages())
    articles = [fresh_article(template, date(2021, 12, 1 + i % 31), 1_099_200_000 + i, f"a{i}", clock(9))
                for i in range(n)]
    archives = Archives()
    in_cc, in_wb = articles[:3 * n // 4], articles[n // 4:]
    specs = [warcinfo()] + [html_response(HOST + a.path, a.body, date="2021-12-31T08:00:00Z") for a in in_cc]
    offsets = build_warc(tmp / "cc.warc.gz", specs) + [(tmp / "cc.warc.gz").stat().st_size]
    archives.cc_files[FILE] = (tmp / "cc.warc.gz").read_bytes()
    archives.cc_index[CRAWL] = [
        {"timestamp": "20211231080000", "url": HOST + a.path, "mime": "text/html", "status": "200",
         "digest": sha1_base32(a.body), "offset": str(offsets[i + 1]),
         "length": str(offsets[i + 2] - offsets[i + 1]), "filename": FILE} for i, a in enumerate(in_cc)]
    archives.cdx_rows = [["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]]
    for i, article in enumerate(in_wb):
        texts = [("20220110080000", article.body)]
        if i % 10 == 0:
            texts.append(("20211215080000", append_paragraph(article.body, "Première version.")))
        for timestamp, body in texts:
            url = HOST + article.path
            archives.cdx_rows.append(["k", timestamp, url, "text/html", "200", sha1_base32(body), "1"])
            archives.pages[(timestamp, url)] = WaybackPage(body, {"Content-Type": "text/html"})
    return archives


def command(server: ArchiveServer, workdir: Path, feed: str) -> tuple[list[str], dict[str, str]]:
    argv, env = crawl_command(workdir, args=ARGS, settings={**SETTINGS, **server.settings()},
                              default_feeds=True)
    return argv + ["-O", f"{workdir / feed}:jsonlines"], env


def run(server: ArchiveServer, workdir: Path, feed: str, kill_after: int | None = None) -> None:
    argv, env = command(server, workdir, feed)
    process = subprocess.Popen(argv, cwd=workdir, env=env, stderr=subprocess.DEVNULL)
    if kill_after is None:
        process.wait(600)
        return
    while len(read_jsonl(workdir / feed)) < kill_after and process.poll() is None:
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(60)


def counts(server: ArchiveServer) -> Counter[str]:
    found: Counter[str] = Counter()
    for entry in server.log.entries():
        kind = next((name for prefix, name in KINDS.items() if entry.path.startswith(prefix)), None)
        if kind:
            found[kind] += 1
    targets = [(e.target, e.headers.get("Range", "")) for e in server.log.entries() if e.status is not None]
    found["asked twice (answered)"] = len(targets) - len(set(targets))
    return found


def main(n: int) -> None:
    archive_fakes.CC_PAGE_SIZE = archive_fakes.CDX_PAGE_SIZE = 100
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        archives = build(n, Path(tmp))
        with ArchiveServer(archives) as server:
            first, again, killed = (Path(tmp) / name for name in ("first", "again", "killed"))
            for workdir in (first, killed):
                workdir.mkdir()
            run(server, first, "1.jsonl")
            rows["first run"] = counts(server)
            server.log.clear()
            run(server, first, "2.jsonl")
            rows["second run"] = counts(server)
            server.log.clear()
            run(server, killed, "1.jsonl", kill_after=n // 2)
            run(server, killed, "2.jsonl")
            rows["killed at half, then resumed (both runs)"] = counts(server)
            items = read_jsonl(killed / "1.jsonl") + read_jsonl(killed / "2.jsonl")
            rows["killed at half, then resumed (both runs)"]["items"] = len(items)
            rows["first run"]["items"] = len(read_jsonl(first / "1.jsonl"))
            rows["second run"]["items"] = len(read_jsonl(first / "2.jsonl"))
    columns = [*KINDS.values(), "asked twice (answered)", "items"]
    print(f"| {n} articles | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for name, found in rows.items():
        print(f"| {name} | " + " | ".join(str(found[c]) for c in columns) + " |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
