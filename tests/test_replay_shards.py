"""Replay split into shards (``-a shard=K/N``, ``@list`` files): the union is the single replay."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from scrapy.exceptions import UsageError

from crawler.arguments import CrawlArguments
from crawler.editions import SPUTNIK_FR
from crawler.merge import main as merge_main
from crawler.replay import take_shard
from tests import warc_builders as wb
from tests.crawl import ROOT, CrawlResult, read_jsonl, run_crawl

PAGES = ROOT / "samples" / "pages"


@pytest.mark.parametrize("count", [0, 1, 5, 7, 12])
@pytest.mark.parametrize("shards", [1, 2, 3, 5])
def test_shards_are_disjoint_and_cover_the_list(count, shards):
    paths = [f"/warc/{n:03d}.warc.gz" for n in range(count)]
    parts = [take_shard(paths, k, shards) for k in range(1, shards + 1)]
    assert sorted(p for part in parts for p in part) == sorted(paths)
    assert max(map(len, parts)) - min(map(len, parts)) <= 1
    assert take_shard(paths + paths[:1], 1, shards) == take_shard(paths, 1, shards)


def test_list_files_name_paths_from_their_own_directory(tmp_path):
    listing = tmp_path / "lists" / "files.txt"
    listing.parent.mkdir()
    listing.write_text("# night of the 27th\n\n  a.warc.gz  \n../b/*.warc.gz\n/abs/c.warc\n", encoding="utf-8")
    arguments = CrawlArguments.parse(SPUTNIK_FR, replay=f"@{listing},d.warc", shard="2/3")
    folder = listing.parent
    assert arguments.replay_specs == (str(folder / "a.warc.gz"), str(folder / "../b/*.warc.gz"),
                                      "/abs/c.warc", "d.warc")
    assert arguments.shard == (2, 3)


@pytest.mark.parametrize("content, message", [(None, "cannot read the list"),
                                              ("# nothing\n\n", "names no WARC file")])
def test_bad_list_files_are_usage_errors(tmp_path, content, message):
    listing = tmp_path / "files.txt"
    if content is not None:
        listing.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        CrawlArguments.parse(SPUTNIK_FR, replay=f"@{listing}")


@pytest.fixture(scope="module")
def archives(tmp_path_factory) -> Path:
    """Five WARC files over the French sample article pages (some files hold two)."""
    folder = tmp_path_factory.mktemp("archives")
    pages = french_article_pages()
    for n in range(5):
        records = [wb.warcinfo()]
        for page in pages[n::5]:
            url = json.loads(page.with_suffix("").with_suffix(".expected.json").read_text())["url"]
            records.append(wb.html_response(url, page.read_bytes(), date=f"2023-01-0{n + 1}T06:00:00Z"))
        wb.build_warc(folder / f"part-{n}.warc.gz", records)
    return folder


def french_article_pages() -> list[Path]:
    """The samples named article-* that sputnik_fr reads (the English ones are sputnik_en's)."""
    def url(page: Path) -> str:
        return json.loads(page.with_suffix("").with_suffix(".expected.json").read_text())["url"]
    return [page for page in sorted(PAGES.glob("article-*.html"))
            if SPUTNIK_FR.owns(urlsplit(url(page)).hostname)]


def _replay(workdir: Path, replay: str, shard: str | None = None) -> CrawlResult:
    workdir.mkdir(parents=True)
    args = {"replay": replay, **({"shard": shard} if shard else {})}
    return run_crawl(workdir, args=args)


def _canonical(items: list[dict]) -> list[str]:
    return sorted(json.dumps(item, sort_keys=True, ensure_ascii=False) for item in items)


def test_union_of_shards_is_the_single_replay_item_for_item(archives, tmp_path):
    listing = tmp_path / "files.txt"
    listing.write_text(f"# all of them\n{archives}/part-[0-2].warc.gz\n\n{archives}/part-[3-9]*\n")
    jobs = [("single", f"@{listing}", None)]
    jobs += [(f"{k}-of-{n}", str(archives), f"{k}/{n}") for n in (2, 4) for k in range(1, n + 1)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(zip([name for name, _, _ in jobs],
                           pool.map(lambda job: _replay(tmp_path / job[0], job[1], job[2]), jobs)))
    assert all(result.returncode == 0 for result in results.values())
    single = results["single"].items
    assert len(single) == len(french_article_pages()) >= 6

    for n in (2, 4):
        shards = [results[f"{k}-of-{n}"] for k in range(1, n + 1)]
        assert sum(r.stats["replay/files/shard"] for r in shards) == 5
        union = [item for result in shards for item in result.items]
        assert _canonical(union) == _canonical(single)

        merged = tmp_path / f"merged-{n}.jsonl"
        assert merge_main(["feeds", "-o", str(merged),
                           *(str(tmp_path / f"{k}-of-{n}" / "items.jsonl") for k in range(1, n + 1))]) == 0
        assert _canonical(read_jsonl(merged)) == _canonical(single)
