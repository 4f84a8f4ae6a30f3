"""Edit histories: versions stored as crawled, shown as diffs, rebuilt from the WARC alone."""
from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from crawler.history.__main__ import main as history_main
from crawler.history.diffs import html_history, word_diff
from crawler.outputs import open_history
from crawler.state.versions import ArticleVersion
from tests.crawl import run_crawl
from tests.site.server import SputnikSite

FAST = {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "DOWNLOAD_TIMEOUT": "2",
        "RETRY_BACKOFF_BASE": "0.05", "REPORT_ENABLED": "False"}
SINCE = "2017-01-01"


def state(workdir: Path) -> str:
    return f"sqlite:///{workdir / 'output' / 'state' / 'sputnik_fr.sqlite3'}"


@pytest.fixture(scope="module")
def crawled_twice(tmp_path_factory):
    """The test site crawled, one article changed, crawled again."""
    workdir = tmp_path_factory.mktemp("history")
    with SputnikSite(fresh=0) as site:
        first = run_crawl(workdir, args={"site": site.url, "since": SINCE}, settings=FAST)
        assert first.returncode == 0, first.log
        changed = site.modify_article(site.sample_paths[2])
        second = run_crawl(workdir, args={"site": site.url, "since": SINCE}, settings=FAST)
        assert second.returncode == 0, second.log
    return workdir, changed.article_id, first, second


def test_every_version_is_stored_with_its_text_and_provenance(crawled_twice):
    workdir, article_id, first, second = crawled_twice
    history = open_history(state(workdir))
    versions = history.versions(article_id)
    assert [v.version for v in versions] == [1, 2]
    assert "Mise à jour" not in versions[0].text["body"]
    assert "Mise à jour" in versions[1].text["body"]
    assert {v.origin for v in versions} == {"live"}
    assert versions[1].fetched_at == second.items[0]["fetched_at"]
    assert versions[1].source["warc_file"].endswith(".warc.gz")
    assert history.count() == len(first.items) + 1
    assert second.stats["history/versions_recorded"] == 1


def test_show_prints_versions_and_a_word_diff(crawled_twice, capsys):
    workdir, article_id, _, _ = crawled_twice
    assert history_main(["--state", state(workdir), "show", article_id]) == 0
    out = capsys.readouterr().out
    assert f"Article {article_id}: 2 version(s)" in out
    assert "v1  " in out and "v2  " in out
    assert "{+Mise à jour : un paragraphe ajouté.+}" in out


def test_show_html_writes_a_side_by_side_page(crawled_twice, tmp_path, capsys):
    workdir, article_id, _, _ = crawled_twice
    page = tmp_path / "diff.html"
    assert history_main(["--state", state(workdir), "show", article_id, "--html", str(page)]) == 0
    tree = lxml.html.fromstring(page.read_text(encoding="utf-8"))
    assert len(tree.xpath("//table[@class='diff']")) == 1
    added = " ".join(tree.xpath("//span[@class='diff_add']//text()"))
    assert "Mise" in added


def test_rebuild_from_the_warc_alone_gives_the_same_versions(crawled_twice, tmp_path, capsys):
    workdir, article_id, _, _ = crawled_twice
    rebuilt = f"sqlite:///{tmp_path / 'rebuilt.sqlite3'}"
    warc = str(workdir / "output" / "warc")
    assert history_main(["--state", rebuilt, "rebuild", "--from", warc]) == 0
    original, copy = open_history(state(workdir)), open_history(rebuilt)
    assert copy.count() == original.count()
    assert [v.text for v in copy.versions(article_id)] == \
        [v.text for v in original.versions(article_id)]
    assert [v.fetched_at for v in copy.versions(article_id)] == \
        [v.fetched_at for v in original.versions(article_id)]


def test_show_of_an_unknown_article_fails(crawled_twice, capsys):
    workdir, _, _, _ = crawled_twice
    assert history_main(["--state", state(workdir), "show", "999"]) == 1
    assert "no versions" in capsys.readouterr().err


def test_word_diff_marks_removed_and_added_words():
    assert word_diff("le chat noir dort", "le chien noir dort") == "le [-chat-] {+chien+} noir dort"


def test_diff_page_escapes_the_texts():
    def version(number: int, title: str) -> ArticleVersion:
        return ArticleVersion("1", number, "javascript:alert(1)", None, "", "live", {},
                              {"title": title, "body": "<img src=x onerror=alert(1)>"})
    page = html_history([version(1, "<script>alert(1)</script>"), version(2, "<b>x</b>")])
    assert "<script>" not in page and "<img" not in page and "<b>" not in page
    assert "href=\"javascript" not in page
    assert "&lt;script&gt;" in page


def test_a_store_without_room_for_texts_is_refused_clearly():
    from crawler.state.versions import HistoryUnsupported, history_for
    with pytest.raises(HistoryUnsupported, match="sqlite:///"):
        history_for(object())
    with pytest.raises(HistoryUnsupported):
        open_history("redis://127.0.0.1:1/0")


def test_a_new_text_under_a_taken_number_is_kept_under_the_next_one(tmp_path):
    history = open_history(f"sqlite:///{tmp_path / 's.sqlite3'}")
    first = {"article_id": "7", "url": "u", "body": "un", "source": {"mode": "live"}}
    assert history.record(first, 1, "t1")
    assert not history.record(first, 1, "t2")  # the same text again: already there
    assert history.record({**first, "body": "deux"}, 1, "t3")
    assert [(v.version, v.text["body"]) for v in history.versions("7")] == [(1, "un"), (2, "deux")]


def test_rebuild_orders_by_capture_skips_repeats_and_damaged_records(tmp_path, caplog):
    import json as json_module
    from crawler.exporters import feed_item
    from crawler.history.rebuild import rebuild
    from crawler.items import ArticleItem
    from tests.warc_builders import RecordSpec, build_warc, damage

    def metadata(article_id: str, body: str | None, fetched_at: str, removed: str | None = None) -> RecordSpec:
        item = ArticleItem(url=f"https://fr.sputniknews.com/{article_id}.html", article_id=article_id,
                           title="T", body=body, fetched_at=fetched_at, source={"mode": "live"},
                           removed=removed)
        payload = json_module.dumps(feed_item(item)).encode()
        return RecordSpec("metadata", item.url, payload, content_type="application/json")

    capture = RecordSpec("metadata", "https://index.commoncrawl.org/", b'{"crawl": "CC-MAIN-2021-49"}',
                         content_type="application/json")
    records = [metadata("1", "deux", "2021-12-29T00:00:00Z"), metadata("1", "un", "2021-12-28T00:00:00Z"),
               capture, metadata("1", "un", "2021-12-28T12:00:00Z"), metadata("2", "x", "2021-12-28T00:00:00Z"),
               metadata("3", "lost", "2021-12-30T00:00:00Z"), metadata("1", "trois", "2021-12-31T00:00:00Z"),
               # A removal item (no text stored for 2) says it is gone: no version.
               metadata("2", None, "2022-01-05T00:00:00Z", removed="2022-01-05T00:00:00Z")]
    path = tmp_path / "a.warc.gz"
    offsets = build_warc(path, records)
    damage(path, offsets[5] + 30)
    history = open_history(f"sqlite:///{tmp_path / 's.sqlite3'}")
    assert rebuild(history, str(path)) == 4
    assert [(v.version, v.text["body"], v.fetched_at) for v in history.versions("1")] == [
        (1, "un", "2021-12-28T00:00:00Z"), (2, "deux", "2021-12-29T00:00:00Z"),
        (3, "trois", "2021-12-31T00:00:00Z")]
    assert history.versions("3") == []
    assert len(history.versions("2")) == 1
    assert any("Skipped a damaged WARC record" in r.getMessage() for r in caplog.records)


def test_show_diffs_credits_and_audio_of_whole_stored_items(tmp_path, capsys):
    state = f"sqlite:///{tmp_path / 'state.sqlite3'}"
    episode = {"article_id": "1070000001", "url": "https://fr.sputniknews.africa/podcast-1070000001.html",
               "title": "Épisode", "body": "Texte.", "kind": "podcast", "credits": ["Reuters"],
               "audio": {"url": "https://cdn.example/1.mp3", "duration": 610, "show": "Le Désordre mondial"},
               "fetched_at": "2024-01-05T06:00:00Z", "source": {"mode": "live"}}
    cut = {**episode, "credits": ["AFP"], "audio": {**episode["audio"], "duration": 480},
           "fetched_at": "2024-01-06T06:00:00Z"}
    history = open_history(state)
    history.record(episode, 1, "2024-01-05T06:00:01Z")
    history.record(cut, 2, "2024-01-06T06:00:01Z")
    assert history.versions("1070000001")[1].text["kind"] == "podcast"
    assert history_main(["--state", state, "show", "1070000001"]) == 0
    out = capsys.readouterr().out
    assert "credits: [-Reuters-] {+AFP+}" in out
    assert '"duration": [-610,-] {+480,+}' in out
