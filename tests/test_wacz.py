"""build_wacz: WACZ 1.1.1 layout, hashes, pages and the command line."""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.warc_exchanges import archive, exchange, warc_files
from warc import index
from warc.wacz import PAGES_HEADER, build_wacz, main

CREATED = datetime(2024, 3, 2, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def warc_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "warcs"
    with archive(directory, max_size=1500) as arc:
        arc.write_exchange(exchange("https://sputniknews.com/a"))
        arc.write_exchange(exchange("https://sputniknews.com/b", seconds=1))
        feed = exchange("https://sputniknews.com/feed", b"{}", seconds=2)
        arc.write_exchange(replace(feed, response_headers=[("Content-Type", "application/json")]))
    return directory


def entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def test_package_has_the_required_paths_stored(warc_dir, tmp_path):
    output = build_wacz(warc_dir, tmp_path / "out.wacz", created=CREATED)
    names = set(entries(output))
    warcs = {f"archive/{p.name}" for p in warc_files(warc_dir)}
    assert names == warcs | {"indexes/index.cdxj", "pages/pages.jsonl", "datapackage.json",
                             "datapackage-digest.json"}
    with zipfile.ZipFile(output) as zf:
        assert {info.compress_type for info in zf.infolist()} == {zipfile.ZIP_STORED}
    for name in warcs:
        assert entries(output)[name] == (warc_dir / Path(name).name).read_bytes()


def test_datapackage_hashes_and_digest_match(warc_dir, tmp_path):
    files = entries(build_wacz(warc_dir, tmp_path / "out.wacz", created=CREATED, title="Test"))
    package = json.loads(files["datapackage.json"])
    assert (package["profile"], package["wacz_version"], package["title"]) == ("data-package", "1.1.1", "Test")
    assert package["created"] == "2024-03-02T08:00:00Z" and package["software"].startswith("sputnik-archive/")
    assert {r["path"] for r in package["resources"]} == set(files) - {"datapackage.json", "datapackage-digest.json"}
    for resource in package["resources"]:
        data = files[resource["path"]]
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert resource["bytes"] == len(data) and resource["name"] == Path(resource["path"]).name
    digest = json.loads(files["datapackage-digest.json"])
    assert digest == {"path": "datapackage.json",
                      "hash": "sha256:" + hashlib.sha256(files["datapackage.json"]).hexdigest()}


def test_index_inside_matches_the_archive_index(warc_dir, tmp_path):
    files = entries(build_wacz(warc_dir, tmp_path / "out.wacz", created=CREATED))
    assert files["indexes/index.cdxj"].decode("utf-8") == "".join(index.read_index(warc_dir))


def test_pages_default_to_html_captures(warc_dir, tmp_path):
    files = entries(build_wacz(warc_dir, tmp_path / "out.wacz", created=CREATED))
    header, *pages = [json.loads(line) for line in files["pages/pages.jsonl"].decode().splitlines()]
    assert header == PAGES_HEADER == {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}
    assert [(p["url"], p["ts"], p["title"]) for p in pages] == [
        ("https://sputniknews.com/a", "2024-03-01T12:00:00Z", "https://sputniknews.com/a"),
        ("https://sputniknews.com/b", "2024-03-01T12:00:01Z", "https://sputniknews.com/b")]
    assert len({p["id"] for p in pages}) == 2 and all(len(p["id"]) == 32 for p in pages)


def test_given_pages_and_command_line(warc_dir, tmp_path):
    pages_file = tmp_path / "pages.jsonl"
    pages_file.write_text(json.dumps(PAGES_HEADER) + "\n" + json.dumps(
        {"url": "https://sputniknews.com/b", "ts": "2024-03-01T12:00:01Z", "title": "Бэ"}) + "\n", "utf-8")
    output = tmp_path / "cli.wacz"
    assert main([str(warc_dir), str(output), "--pages", str(pages_file)]) == 0
    lines = entries(output)["pages/pages.jsonl"].decode("utf-8").splitlines()
    (page,) = [json.loads(line) for line in lines[1:]]
    assert {k: page[k] for k in ("url", "ts", "title")} == {
        "url": "https://sputniknews.com/b", "ts": "2024-03-01T12:00:01Z", "title": "Бэ"}
    given = [{"url": "https://sputniknews.com/a", "ts": datetime(2024, 3, 1, 12, tzinfo=timezone.utc)}]
    files = entries(build_wacz(warc_dir, tmp_path / "given.wacz", given, created=CREATED))
    assert json.loads(files["pages/pages.jsonl"].splitlines()[1])["ts"] == "2024-03-01T12:00:00Z"


def test_same_inputs_give_the_same_package(warc_dir, tmp_path):
    one = build_wacz(warc_dir, tmp_path / "one.wacz", created=CREATED).read_bytes()
    assert build_wacz(warc_dir, tmp_path / "two.wacz", created=CREATED).read_bytes() == one


def test_empty_directory_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no closed"):
        build_wacz(tmp_path, tmp_path / "x.wacz")
    assert not list(tmp_path.iterdir())


def test_page_titles_are_the_archived_article_titles(tmp_path):
    directory = tmp_path / "warcs"
    with archive(directory) as arc:
        article = arc.write_exchange(exchange("https://sputniknews.com/a"))
        arc.write_metadata(article, json.dumps({"url": "https://sputniknews.com/a",
                                                "title": "Lavrov à Moscou"}).encode("utf-8"))
        arc.write_exchange(exchange("https://sputniknews.com/section", seconds=1))
    files = entries(build_wacz(directory, tmp_path / "out.wacz", created=CREATED))
    _, *pages = [json.loads(line) for line in files["pages/pages.jsonl"].decode().splitlines()]
    assert [(p["url"], p["title"]) for p in pages] == [
        ("https://sputniknews.com/a", "Lavrov à Moscou"),
        ("https://sputniknews.com/section", "https://sputniknews.com/section")]
