"""Hostile and damaged WARC input: digests checked, damage contained, good pages kept.

Each defect alone is proved on the reader in tests/test_warc_reader.py (not a
WARC, Content-Length past the end, a gzip member cut short, a revisit without
its original, latin-1 header bytes). Here: digest verification, and one
replay through the whole crawl where every defect sits beside good pages.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from tests import warc_builders as wb
from tests.crawl import run_crawl
from warc.reader import WarcReplayReader
from warc.verify import payload_digest_matches

PAGES = Path(__file__).resolve().parents[1] / "samples" / "pages"
WRONG_SHA1 = "sha1:" + "A" * 32


def sample(stem_id: str) -> tuple[str, bytes]:
    (page,) = PAGES.glob(f"article-{stem_id}.html")
    url = json.loads(page.with_name(f"article-{stem_id}.expected.json").read_text())["url"]
    return url, page.read_bytes()


def page_record(stem_id: str, digest: str | None = None, head: bytes | None = None) -> wb.RecordSpec:
    url, body = sample(stem_id)
    head = head or wb.http_head(headers=[("Content-Type", "text/html; charset=utf-8"),
                                         ("Content-Length", str(len(body)))])
    extra = (("WARC-Payload-Digest", digest),) if digest else ()
    return wb.RecordSpec("response", url, body, head, extra_headers=extra)


def counts_of(paths: list[Path]) -> tuple[list[str], dict[str, int]]:
    counts: dict[str, int] = {}
    reader = WarcReplayReader([str(p) for p in paths],
                              count=lambda key, n: counts.__setitem__(key, counts.get(key, 0) + n))
    return [r.url for r in reader.responses()], counts


@pytest.mark.parametrize("declared,payloads,expected", [
    (wb.payload_digest(b"abc"), (b"abc",), True),
    (wb.payload_digest(b"abc").lower(), (b"abc",), True),  # writers differ in letter case
    ("sha1:a9993e364706816aba3e25717850c26c9cd0d89d", (b"abc",), True),  # hex
    ("sha256:ungoUbrLe8EDWhMmqAuR5sAoAWk_junk", (b"abc",), None),  # unreadable: not checked
    ("sha1:" + "A" * 32, (b"abc",), False),
    (wb.payload_digest(b"abc"), (b"3\r\nabc\r\n0\r\n\r\n", b"abc"), True),  # de-chunked matches
    ("crc32:1234", (b"abc",), None),  # unknown algorithm
    (None, (b"abc",), None),
])
def test_payload_digest_matches(declared: str | None, payloads: tuple[bytes, ...],
                                expected: bool | None) -> None:
    assert payload_digest_matches(declared, *payloads) is expected


def test_bad_digest_is_counted_and_the_page_still_replayed(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "rot.warc.gz"
    offsets = wb.build_warc(path, [page_record("1045412345", WRONG_SHA1), page_record("1056789012")])
    with caplog.at_level(logging.WARNING):
        urls, counts = counts_of([path])
    assert len(urls) == 2
    assert counts["replay/errors/bad_digest"] == 1
    (line,) = [r.getMessage() for r in caplog.records]
    assert line.startswith(f"Payload digest mismatch in {path} at offset {offsets[0]} (https://")


def test_good_digests_and_real_archives_raise_no_alarm(tmp_path: Path) -> None:
    path = tmp_path / "good.warc.gz"
    wb.build_warc(path, [page_record("1045412345"), page_record("1056789012")])
    samples = sorted((Path(__file__).resolve().parents[1] / "samples").glob("*.warc.gz"))
    _, counts = counts_of([path, *samples])
    assert "replay/errors/bad_digest" not in counts
    assert counts["replay/records/response"] >= 2


@pytest.fixture(scope="module")
def hostile_replay(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("hostile_warc")
    files = work / "warcs"
    files.mkdir()
    rotten = page_record("1045412345", WRONG_SHA1)
    latin1_head = wb.http_head(headers=[("Content-Type", "text/html; charset=utf-8"),
                                        ("X-Auteur", "Jérôme Écrivain")])
    missing_original = wb.revisit("https://fr.sputniknews.com/20211227/absent-1054099999.html",
                                  page_record("1045412345"), digest="sha1:" + "B" * 32)
    wb.build_warc(files / "a-mixed.warc.gz", [wb.warcinfo(), rotten, missing_original,
                                              page_record("1056789012", head=latin1_head)])
    # A crawl killed mid-write: the last record's Content-Length runs past the end.
    wb.build_warc(files / "b-truncated.warc.gz", [page_record("1043101234"), page_record("1041472563")])
    wb.truncate(files / "b-truncated.warc.gz", 500)
    # A gzip member cut in the middle, good records on both sides.
    cut = files / "c-cut.warc.gz"
    offsets = wb.build_warc(cut, [page_record("1033712345"), page_record("1041472563"),
                                  page_record("1054083153")])
    data = cut.read_bytes()
    cut.write_bytes(data[:offsets[1] + 80] + data[offsets[2]:])
    (files / "d-not-a-warc.warc.gz").write_bytes(b"<html>this is no archive</html>\n" * 50)
    result = run_crawl(work, args={"replay": str(files)})
    return result


def test_every_good_page_of_damaged_archives_is_in_the_feed(hostile_replay) -> None:
    result = hostile_replay
    assert result.returncode == 3, result.log[-2000:]  # partial: one file is not a WARC
    assert sorted(item["article_id"] for item in result.items) == [
        "1033712345", "1043101234", "1045412345", "1054083153", "1056789012"]


def test_each_defect_is_counted_once(hostile_replay) -> None:
    stats = hostile_replay.stats
    assert stats["replay/errors/bad_digest"] == 1
    assert stats["replay/revisit/unresolved"] == 1
    assert stats["replay/errors/truncated"] == 1
    assert stats["replay/errors/corrupt"] == 1
    assert stats["replay/errors/not_warc"] == 1
    assert stats["finish_reason"] == "finished"


def test_each_defect_has_one_log_line(hostile_replay) -> None:
    lines = hostile_replay.log_lines("WARNING") + hostile_replay.log_lines("ERROR")
    for text in ("Payload digest mismatch", "Unresolved revisit", "Skipped truncated WARC record",
                 "Skipped corrupt WARC record", "Not a WARC file"):
        assert len([line for line in lines if text in line]) == 1, text


def test_latin1_header_bytes_do_not_stop_the_page(hostile_replay) -> None:
    (item,) = [i for i in hostile_replay.items if i["article_id"] == "1056789012"]
    assert item["title"]
