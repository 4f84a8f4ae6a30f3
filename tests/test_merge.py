"""``python -m crawler.merge``: feeds of several workers, CDXJ indexes of several directories."""
from __future__ import annotations

import json
from pathlib import Path

from crawler.merge import main

SURT_A = "com,sputniknews,fr)/20211227/a-1.html"
SURT_B = "com,sputniknews,fr)/20211227/b-2.html"


def _jsonl(path: Path, items: list[dict]) -> Path:
    path.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    return path


def _cdxj(directory: Path, lines: list[tuple[str, str, str]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    text = "".join(f'{surt} {stamp} {{"url": "u", "filename": "{name}"}}\n' for surt, stamp, name in lines)
    (directory / "index.cdxj").write_text(text, encoding="utf-8")
    return directory


def test_feeds_keep_each_article_version_once(tmp_path):
    one = {"article_id": "1", "version": 1, "body": "a"}
    one_changed = {"article_id": "1", "version": 2, "body": "b"}
    other_capture = {"article_id": "1", "version": 1, "body": "other"}
    _jsonl(tmp_path / "w1.jsonl", [one, one_changed])
    _jsonl(tmp_path / "w2.jsonl", [one, {"article_id": "2", "version": 1, "body": "c"},
                                    other_capture])
    out = tmp_path / "merged" / "all.jsonl"
    assert main(["feeds", "-o", str(out), str(tmp_path / "w*.jsonl")]) == 0
    merged = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert merged == [one, one_changed, {"article_id": "2", "version": 1, "body": "c"}, other_capture]


def test_missing_input_is_a_usage_error(tmp_path, capsys):
    assert main(["feeds", "-o", str(tmp_path / "out.jsonl"), str(tmp_path / "nope.jsonl")]) == 2
    assert "nope.jsonl" in capsys.readouterr().err
    assert not (tmp_path / "out.jsonl").exists()


def test_indexes_merge_sorted_with_filenames_from_the_output(tmp_path):
    node1 = _cdxj(tmp_path / "node1" / "warc", [(SURT_A, "20211228060000", "a-w1.warc.gz"),
                                                (SURT_B, "20211228060000", "b-w1.warc.gz")])
    node2 = _cdxj(tmp_path / "node2" / "warc", [(SURT_A, "20211227060000", "a-w2.warc.gz")])
    out = tmp_path / "all" / "index.cdxj"
    assert main(["cdxj", "-o", str(out), str(node1), str(node2 / "index.cdxj"), str(node1)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [line.split(" ")[:2] for line in lines] == [
        [SURT_A, "20211227060000"], [SURT_A, "20211228060000"], [SURT_B, "20211228060000"]]
    assert [json.loads(line.split(" ", 2)[2])["filename"] for line in lines] == [
        "../node2/warc/a-w2.warc.gz", "../node1/warc/a-w1.warc.gz", "../node1/warc/b-w1.warc.gz"]
