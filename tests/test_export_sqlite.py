"""python -m crawler.export sqlite: one row per version, FTS5, keywords and authors tables; served by Datasette."""
from __future__ import annotations

import json
import logging
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
import zlib
from pathlib import Path

import pytest

from crawler.export.__main__ import main as export_main
from crawler.outputs import open_history

# What a version's text held before whole items were stored.
OLD_TEXT_FIELDS = ("title", "description", "body", "keywords", "authors", "published", "modified", "section")

ARTICLE = {"article_id": "1054083153", "url": "https://fr.sputniknews.com/20211227/lavrov-1054083153.html",
           "site": "fr.sputniknews.com", "title": "Lavrov répond à l'OTAN",
           "description": "Le ministre s'exprime.", "published": "2021-12-27T10:25:00+01:00",
           "modified": None, "section": "international", "keywords": ["russie", "otan"],
           "authors": ["Anastasia Patts"], "body": "Premier paragraphe sur les garanties.",
           "fetched_at": "2021-12-28T06:00:00Z", "source": {"mode": "live"}, "version": 1}
CHANGED = {**ARTICLE, "body": ARTICLE["body"] + "\n\nMise à jour : missiles hypersoniques.",
           "fetched_at": "2021-12-29T06:00:00Z", "version": 2, "keywords": ["russie"]}
REPLAYED = {**ARTICLE, "article_id": "1033712345", "title": "Un astéroïde frôle la Terre",
            "url": "https://fr.sputniknews.com/sci-tech/201711031033712345-asteroide/",
            "body": "Un astéroïde est passé.", "keywords": ["espace"], "authors": [],
            "source": {"mode": "replay", "warc_file": "a.warc.gz"}, "version": None}


@pytest.fixture
def exported(tmp_path: Path) -> Path:
    state = f"sqlite:///{tmp_path / 'state.sqlite3'}"
    history = open_history(state)
    history.record(ARTICLE, 1, "2021-12-28T06:00:01Z")
    history.record(CHANGED, 2, "2021-12-29T06:00:01Z")
    history.mark_removed(ARTICLE["article_id"], ARTICLE["url"], "2022-03-01T00:00:00Z", "status_410")
    feed = tmp_path / "feeds" / "run.jsonl"
    feed.parent.mkdir()
    # The feed repeats a version the history has, and adds a replayed article.
    feed.write_text("\n".join(json.dumps(item) for item in (ARTICLE, REPLAYED)) + "\n")
    out = tmp_path / "corpus.db"
    assert export_main(["sqlite", str(out), "--state", state, "--feeds", str(feed.parent)]) == 0
    return out


def test_one_row_per_version_with_keywords_authors_and_removals(exported):
    db = sqlite3.connect(exported)
    rows = db.execute("SELECT article_id, version, origin, removed_at FROM versions"
                      " ORDER BY article_id, version").fetchall()
    assert rows == [("1033712345", 1, "replay", None), ("1054083153", 1, "live", "2022-03-01T00:00:00Z"),
                    ("1054083153", 2, "live", "2022-03-01T00:00:00Z")]
    keywords = db.execute("SELECT v.version, k.keyword FROM keywords k JOIN versions v ON v.id = k.version_id"
                          " WHERE v.article_id = '1054083153' ORDER BY v.version, k.position").fetchall()
    assert keywords == [(1, "russie"), (1, "otan"), (2, "russie")]
    assert db.execute("SELECT DISTINCT name FROM authors").fetchall() == [("Anastasia Patts",)]
    assert db.execute("SELECT article_id, reason FROM removals").fetchall() == [("1054083153", "status_410")]


def test_full_text_search_finds_the_version_that_says_it(exported):
    db = sqlite3.connect(exported)
    found = db.execute("SELECT v.version FROM versions_fts JOIN versions v ON v.id = versions_fts.rowid"
                       " WHERE versions_fts MATCH 'hypersoniques'").fetchall()
    assert found == [(2,)]
    assert db.execute("SELECT count(*) FROM versions_fts WHERE versions_fts MATCH 'astéroïde'").fetchone() == (1,)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return json.loads(answer.read())


def test_datasette_serves_the_database_with_full_text_search(exported):
    pytest.importorskip("datasette")
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "datasette", "serve", str(exported),
                               "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                get_json(f"{base}/-/versions.json")
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "datasette did not start"
                time.sleep(0.2)
        rows = get_json(f"{base}/corpus/versions.json?_search=hypersoniques&_shape=array")
        assert [(row["article_id"], row["version"]) for row in rows] == [("1054083153", 2)]
    finally:
        server.terminate()
        server.wait(10)


PODCAST = {**ARTICLE, "article_id": "1070000001", "url": "https://fr.sputniknews.africa/20240105/podcast-1070000001.html",
           "image": "https://cdnn1.img.sputniknews.africa/img/1.jpg", "language": "fr",
           "publisher": "Sputnik Afrique", "edition": "afrique", "kind": "podcast",
           "credits": ["Reuters", "AFP"], "audio": {"url": "https://cdn.example/1.mp3", "duration": 610, "show": "Le Désordre mondial"},
           "live_entries": [], "gallery": [], "video": None}


def test_a_version_from_the_history_alone_keeps_every_field(tmp_path):
    state = f"sqlite:///{tmp_path / 'state.sqlite3'}"
    open_history(state).record(PODCAST, 1, "2024-01-05T06:00:01Z")
    out = tmp_path / "corpus.db"
    assert export_main(["sqlite", str(out), "--state", state, "--feeds", str(tmp_path / "none")]) == 0
    db = sqlite3.connect(out)
    row = db.execute("SELECT site, image, language, publisher, edition, kind, json_extract(audio, '$.duration'),"
                     " gallery, video FROM versions").fetchone()
    assert row == ("fr.sputniknews.com", PODCAST["image"], "fr", "Sputnik Afrique", "afrique", "podcast",
                   610, None, None)
    assert db.execute("SELECT agency FROM credits ORDER BY position").fetchall() == [("Reuters",), ("AFP",)]


def test_a_feed_line_fills_what_an_older_history_row_lacks(tmp_path):
    state = f"sqlite:///{tmp_path / 'state.sqlite3'}"
    history = open_history(state)
    old_text = zlib.compress(json.dumps({name: PODCAST.get(name) for name in OLD_TEXT_FIELDS}).encode())
    history.db.execute("INSERT INTO article_versions VALUES (?, 1, ?, ?, ?, 'live', '{}', ?)",
                       (PODCAST["article_id"], PODCAST["url"], PODCAST["fetched_at"], "2024-01-05T06:00:01Z", old_text))
    assert history.versions(PODCAST["article_id"])[0].text.get("kind") is None
    feed = tmp_path / "run.jsonl"
    feed.write_text(json.dumps(PODCAST) + "\n")
    out = tmp_path / "corpus.db"
    assert export_main(["sqlite", str(out), "--state", state, "--feeds", str(feed)]) == 0
    db = sqlite3.connect(out)
    assert db.execute("SELECT count(*), count(image), count(publisher), max(kind) FROM versions").fetchone() \
        == (1, 1, 1, "podcast")


def test_a_redis_store_is_said_once_and_the_feeds_are_exported(tmp_path, caplog):
    feed = tmp_path / "run.jsonl"
    feed.write_text(json.dumps(ARTICLE) + "\n")
    out = tmp_path / "corpus.db"
    with caplog.at_level(logging.WARNING):
        assert export_main(["sqlite", str(out), "--state", "redis://:secret@127.0.0.1:1/0",
                            "--feeds", str(feed)]) == 0
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == ["Edit history not read from the redis store: only a sqlite:/// store keeps "
                        "versions and removals"]
    assert sqlite3.connect(out).execute("SELECT count(*) FROM versions").fetchone() == (1,)
