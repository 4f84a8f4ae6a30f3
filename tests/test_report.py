"""The HTML report: valid HTML, every plot present and drawn, versions, removals, outcomes, coverage."""
from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta

import lxml.html
import pytest

from crawler.report.__main__ import main as report_main
from crawler.report.data import ArticleFacts
from crawler.report.plots import MAX_BARS, stacked_by_section
from tests.crawl import ROOT, run_crawl
from tests.site.faults import Status
from tests.site.server import SputnikSite

FAST = {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "DOWNLOAD_TIMEOUT": "2",
        "RETRY_BACKOFF_BASE": "0.05"}
SINCE = "2017-01-01"
PLOTS = ("per-day", "per-week", "keywords", "changes")


def plot_paths(page: lxml.html.HtmlElement, name: str) -> int:
    """Drawn shapes of one plot (matplotlib draws bars, cells and lines as paths)."""
    figures = page.xpath(f"//figure[@id='plot-{name}']")
    assert len(figures) == 1, f"plot {name} missing"
    svg = figures[0].xpath("./*[local-name()='svg']")
    assert len(svg) == 1, f"plot {name} has no inline SVG"
    return len(svg[0].xpath(".//*[local-name()='path']"))


@pytest.fixture(scope="module")
def reported(tmp_path_factory):
    """Two live runs with the project's own feeds and the report on: between
    them an article changed and another one went 404; the second rechecks."""
    workdir = tmp_path_factory.mktemp("report")
    on = {**FAST, "REPORT_ENABLED": "True"}
    with SputnikSite(fresh=0) as site:
        first = run_crawl(workdir, args={"site": site.url, "since": SINCE}, settings=on,
                          default_feeds=True)
        assert first.returncode == 0, first.log
        changed = site.modify_article(site.sample_paths[2])
        gone = site.article(site.sample_paths[0])
        site.add_fault(gone.path, Status(status=404))
        second = run_crawl(workdir, args={"site": site.url, "since": SINCE, "recheck": "1"},
                           settings=on, default_feeds=True)
        assert second.returncode == 0, second.log
    index = workdir / "output" / "reports" / "sputnik_fr" / "index.html"
    return workdir, index, changed.article_id, gone.article_id, first


def test_each_run_writes_a_valid_page_with_every_plot_drawn(reported):
    _, index, _, _, first = reported
    page = lxml.html.fromstring(index.read_text(encoding="utf-8"))
    assert page.xpath("//title/text()") == ["Archive report: sputnik_fr"]
    for name in PLOTS:
        assert plot_paths(page, name) > 5, name
    legend = " ".join(page.xpath("//figure[@id='plot-per-day']//*[local-name()='text']//text()"))
    for section in {item["section"] or "(none)" for item in first.items}:
        assert section in legend, section


def test_changed_articles_link_to_their_diff_page(reported):
    _, index, changed_id, _, _ = reported
    page = lxml.html.fromstring(index.read_text(encoding="utf-8"))
    assert page.xpath(f"//a[@href='diffs/{changed_id}.html']")
    diff = lxml.html.fromstring((index.parent / "diffs" / f"{changed_id}.html").read_text())
    assert "Mise" in " ".join(diff.xpath("//span[@class='diff_add']//text()"))


def test_removals_and_the_runs_outcomes_are_listed(reported):
    _, index, _, gone_id, first = reported
    page = lxml.html.fromstring(index.read_text(encoding="utf-8"))
    rows = [" ".join(row.xpath(".//text()")) for row in page.xpath("//table//tr")]
    assert any(gone_id in row and "status_404" in row for row in rows)
    assert any(row.startswith("removals/found/status_404 1") for row in rows)
    # The changed article, and the removal item of the one gone.
    assert any(row.startswith("item_scraped_count 2") for row in rows)
    assert any(row.startswith("removals/emitted 1") for row in rows)
    # The removal item has no capture of its own to describe: one metadata record.
    assert any(row.startswith("warc/records_written/metadata 1") for row in rows)
    summary = page.xpath("//ul[@class='summary']/li/b/text()")
    assert summary[:4] == [str(len(first.items)), str(len({i["section"] for i in first.items})),
                           "1", "1"]


def test_command_reads_coverage_files_and_escapes_what_it_shows(tmp_path):
    feed = tmp_path / "feeds" / "x.jsonl"
    feed.parent.mkdir()
    hostile = {"article_id": "1", "url": "javascript:alert(1)", "published": "2021-12-27T10:25:00+01:00",
               "section": "<script>alert(1)</script>", "keywords": ["<b>otan</b>", "russie"]}
    feed.write_text(json.dumps(hostile) + "\nnot json\n", encoding="utf-8")
    out = tmp_path / "report"
    out.mkdir()
    months = [{"month": "2021-12", "known": 2000, "archived": 1500, "missing": 500}]
    (out / "coverage-commoncrawl.json").write_text(json.dumps({"months": months}))
    assert report_main(["--feeds", str(feed.parent), "--out", str(out),
                        "--state", f"sqlite:///{tmp_path / 'none.sqlite3'}"]) == 0
    text = (out / "index.html").read_text(encoding="utf-8")
    assert "<script>" not in text and "<b>otan" not in text
    page = lxml.html.fromstring(text)
    assert plot_paths(page, "per-day") > 5 and plot_paths(page, "keywords") > 5
    assert page.xpath("//p[@id='plot-changes']")  # nothing changed: said, not drawn
    cells = page.xpath("//h3[text()='coverage-commoncrawl.json']/following-sibling::table[1]//td/text()")
    assert cells == ["2021-12", "2000", "1500", "500"]
    assert not (tmp_path / "none.sqlite3").exists()


def test_the_demo_replay_is_reported(tmp_path):
    replay = run_crawl(tmp_path, args={"replay": str(ROOT / "samples" / "sputnik-sample.warc.gz")})
    assert replay.returncode == 0
    assert report_main(["--feeds", str(tmp_path / "items.jsonl"), "--out", str(tmp_path / "r"),
                        "--state", f"sqlite:///{tmp_path / 'none.sqlite3'}"]) == 0
    page = lxml.html.fromstring((tmp_path / "r" / "index.html").read_text(encoding="utf-8"))
    assert page.xpath("//ul[@class='summary']/li/b/text()")[0] == str(len(replay.items))
    bars = page.xpath("//figure[@id='plot-per-day']//*[local-name()='g'][starts-with(@id, 'patch_')]")
    assert 0 < len(bars) <= len(replay.items)  # a bar per day and section that has articles


def test_the_feeds_read_are_every_runs_json_lines_feeds(tmp_path):
    from scrapy.settings import Settings
    from crawler.outputs import jsonl_feed_files
    for name in ("feeds/sputnik_fr/2021-01-01T00-00-00Z.jsonl", "feeds/sputnik_fr/2021-01-02T00-00-00Z.jsonl",
                 "feeds/sputnik_en/2021-01-01T00-00-00Z.jsonl", "own.jsonl", "own.csv"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    settings = Settings({"OUTPUT_DIR": str(tmp_path / "none"), "FEEDS": {
        f"{tmp_path}/feeds/%(name)s/%(time)s.jsonl": {"format": "jsonlines"},
        f"file://{tmp_path}/own.jsonl": {"format": "jsonlines"},
        f"{tmp_path}/own.csv": {"format": "csv"}}})
    assert [p.relative_to(tmp_path).as_posix() for p in jsonl_feed_files(settings, "sputnik_fr")] == \
        ["feeds/sputnik_fr/2021-01-01T00-00-00Z.jsonl", "feeds/sputnik_fr/2021-01-02T00-00-00Z.jsonl", "own.jsonl"]


def test_coverage_of_an_archive_run_shows_the_newest_file_with_nested_counts(tmp_path):
    from crawler.report.data import read_coverage
    older = {"months": [{"month": "2021-11", "known": 1, "archived": 1, "missing": 0}]}
    newer = {"spider": "sputnik_fr", "months": [{
        "month": "2021-12", "known": {"commoncrawl": 4, "wayback": 4, "any": 7},
        "archived": {"commoncrawl": 4, "any": 6}, "missing": 1}]}
    (tmp_path / "coverage-2021-12-01T00-00-00.json").write_text(json.dumps(older))
    (tmp_path / "coverage-2021-12-31T08-00-00.json").write_text(json.dumps(newer))
    (tmp_path / "coverage-2021-12-31T08-00-00-missing.txt").write_text("2021-12\t1\thttps://x\n")
    assert read_coverage(tmp_path) == {"coverage-2021-12-31T08-00-00.json": [{
        "month": "2021-12", "known.commoncrawl": 4, "known.wayback": 4, "known.any": 7,
        "archived.commoncrawl": 4, "archived.any": 6, "missing": 1}]}


def test_a_report_that_cannot_be_written_is_one_error_not_a_crash(tmp_path, caplog):
    from scrapy import Spider
    from scrapy.utils.test import get_crawler
    from crawler.extensions.report import ReportAtClose
    blocker = tmp_path / "file"
    blocker.write_text("")
    crawler = get_crawler(type("Named", (Spider,), {"name": "x"}),
                          {"REPORT_ENABLED": True, "REPORT_DIR": str(blocker / "r"),
                           "STATE_URI": f"sqlite:///{tmp_path / 's.sqlite3'}",
                           "OUTPUT_DIR": str(tmp_path), "WARC_DIR": str(tmp_path / "w")})
    ReportAtClose.from_crawler(crawler).write()
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and "Could not write the report" in errors[0].getMessage()


def test_commands_find_the_project_settings_away_from_scrapy_cfg(tmp_path, monkeypatch):
    from crawler.outputs import project_settings
    monkeypatch.delenv("SCRAPY_SETTINGS_MODULE", raising=False)
    monkeypatch.chdir(tmp_path)
    settings = project_settings()
    assert settings["STATE_URI"].endswith("/state/%(spider)s.sqlite3")
    assert settings["REPORT_DIR"].endswith("/reports/%(spider)s")


def test_years_of_articles_per_day_are_drawn_as_one_step_area_per_section():
    # A bar per day and section took 20 s and 200 MB for 8 years of a replay.
    first = date(2016, 1, 1)
    sections = ("afrique", "sport", "international")
    articles = [ArticleFacts(str(n), first + timedelta(days=n // 3), sections[n % 3], ())
                for n in range(3 * 2900)]
    svg = lxml.html.fromstring(stacked_by_section(articles, "day"))
    patches = svg.xpath(".//*[local-name()='g'][starts-with(@id, 'patch_')]")
    assert len(patches) < 20  # the axes' own, the legend's, one area per section
    assert svg.xpath(".//*[local-name()='image']")  # the areas, as pixels
    legend = " ".join(svg.xpath(".//*[local-name()='text']//text()"))
    assert all(section in legend for section in sections)
    # Up to MAX_BARS periods, a bar per period and section (none where it has no article).
    recent = [a for a in articles if a.day < first + timedelta(days=MAX_BARS)]
    bars = lxml.html.fromstring(stacked_by_section(recent, "day")).xpath(
        ".//*[local-name()='g'][starts-with(@id, 'PolyCollection_')]/*[local-name()='path']")
    assert len(bars) == len(sections) * MAX_BARS


def test_bars_stack_by_section_and_span_their_period():
    """Each bar sits on the ones below it and is as wide as the bucket asks."""
    from matplotlib.dates import date2num

    from crawler.report.plots import _stacked_bars

    import matplotlib.pyplot as plt

    day = date(2021, 12, 27)
    counts = Counter({(day, "afrique"): 2, (day, "sport"): 3, (day + timedelta(days=7), "sport"): 1})
    figure, axes = plt.subplots()
    _stacked_bars(axes, counts, ["afrique", "sport"], [day, day + timedelta(days=7)], "week")
    boxes = [[tuple(point) for point in path.vertices[:4]]
             for collection in axes.collections for path in collection.get_paths()]
    plt.close(figure)
    x = date2num(day)
    assert boxes == [[(x - 2.8, 0), (x + 2.8, 0), (x + 2.8, 2), (x - 2.8, 2)],
                     [(x - 2.8, 2), (x + 2.8, 2), (x + 2.8, 5), (x - 2.8, 5)],
                     [(x + 4.2, 0), (x + 9.8, 0), (x + 9.8, 1), (x + 4.2, 1)]]
