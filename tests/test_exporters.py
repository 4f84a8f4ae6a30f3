import dataclasses
import io
import json

import jsonschema
import pytest

from scrapy.exporters import JsonLinesItemExporter

from crawler.exporters import DataclassJsonLinesItemExporter, JsonFeedItemExporter, feed_item
from crawler.items import ArticleItem
from tests.jsonfeed_schema import JSON_FEED_1_1


def article(**overrides):
    fields = dict(
        url="https://fr.sputniknews.com/20211227/titre-1054083153.html",
        article_id="1054083153", site="fr.sputniknews.com", title="Un titre",
        description="Un résumé", published="2021-12-27T10:25:00+01:00",
        modified=None, section="international", keywords=["otan", "russie"],
        authors=["Anastasia Patts"], image="https://cdn.example/img.jpg",
        language="fr-FR", publisher="Sputnik France", body="Premier.\n\nSecond.",
        fetched_at="2021-12-28T06:00:00Z",
        source={"mode": "replay", "warc_file": "a.warc.gz", "warc_offset": 0,
                "warc_record_id": "<urn:uuid:1>"},
    )
    fields.update(overrides)
    return ArticleItem(**fields)


def export(items, **options):
    stream = io.BytesIO()
    exporter = JsonFeedItemExporter(stream, **options)
    exporter.start_exporting()
    for item in items:
        exporter.export_item(item)
    exporter.finish_exporting()
    return json.loads(stream.getvalue().decode("utf-8"))


def test_feed_validates_and_maps_every_field():
    feed = export([article(), article(url="https://fr.sputniknews.com/20211228/b-1054083999.html",
                                      modified="2021-12-28T11:00:00+01:00")])
    jsonschema.validate(feed, JSON_FEED_1_1)
    assert feed["title"] == "Sputnik France"
    assert feed["home_page_url"] == "https://fr.sputniknews.com/"
    first, second = feed["items"]
    assert first["id"] == first["url"] == article().url
    assert first["content_text"] == "Premier.\n\nSecond."
    assert first["summary"] == "Un résumé"
    assert first["date_published"] == "2021-12-27T10:25:00+01:00"
    assert "date_modified" not in first
    assert second["date_modified"] == "2021-12-28T11:00:00+01:00"
    assert first["authors"] == [{"name": "Anastasia Patts"}]
    assert first["tags"] == ["otan", "russie"]
    assert first["language"] == "fr-FR"
    assert first["_sputnik"]["article_id"] == "1054083153"
    assert first["_sputnik"]["source"]["mode"] == "replay"


def test_feed_keeps_page_kind_fields_in_the_extension():
    podcast = article(kind="podcast", credits=["Reuters"], body=None,
                      audio={"url": "https://cdn.example/e.mp3", "duration": 1520,
                             "show": "Zone de contact"})
    live = article(kind="live", live_entries=[{"time": "2022-04-28T03:57:00+00:00", "text": "Un"}],
                   gallery=[{"image": "https://cdn.example/1.jpg", "caption": "Légende"}])
    feed = export([podcast, live])
    jsonschema.validate(feed, JSON_FEED_1_1)
    first, second = (item["_sputnik"] for item in feed["items"])
    assert feed["items"][0]["content_text"] == ""
    assert first["kind"] == "podcast"
    assert first["credits"] == ["Reuters"]
    assert first["audio"] == {"url": "https://cdn.example/e.mp3", "duration": 1520,
                              "show": "Zone de contact"}
    assert second["live_entries"] == [{"time": "2022-04-28T03:57:00+00:00", "text": "Un"}]
    assert second["gallery"] == [{"image": "https://cdn.example/1.jpg", "caption": "Légende"}]
    assert second["video"] is None


def test_empty_feed_is_valid_json_feed():
    feed = export([])
    jsonschema.validate(feed, JSON_FEED_1_1)
    assert feed["items"] == []


def test_feed_options_override_title():
    feed = export([article()], feed_title="Mon archive", home_page_url="https://example.org/")
    assert (feed["title"], feed["home_page_url"]) == ("Mon archive", "https://example.org/")


def test_feed_keeps_non_ascii_text_readable():
    stream = io.BytesIO()
    exporter = JsonFeedItemExporter(stream)
    exporter.start_exporting()
    exporter.export_item(article(title="Sécurité à l’Otan"))
    exporter.finish_exporting()
    assert "Sécurité à l’Otan" in stream.getvalue().decode("utf-8")


@pytest.mark.parametrize("authors,expected", [([], None), (["A", "B"], [{"name": "A"}, {"name": "B"}])])
def test_feed_item_authors(authors, expected):
    assert feed_item(article(authors=authors)).get("authors") == expected


@dataclasses.dataclass
class _Serialized:
    name: str
    when: int = dataclasses.field(default=0, metadata={"serializer": lambda value: f"t{value}"})


@pytest.mark.parametrize("item", [
    article(),
    article(authors=[], body=None, source={"mode": "replay", "warc_offset": 12, "é": ["ü"]}),
    _Serialized("x", 3),
    {"url": "https://fr.sputniknews.com/1.html", "title": "Un été", "tags": [1, None]},
], ids=["article", "article-empties", "serializer", "dict"])
@pytest.mark.parametrize("options", [{}, {"fields_to_export": ["title", "url"]},
                                     {"encoding": "utf-8"}, {"indent": 2}],
                         ids=["plain", "fields", "utf-8", "indent"])
def test_dataclass_jsonlines_writes_scrapys_bytes(item, options) -> None:
    ours, scrapys = io.BytesIO(), io.BytesIO()
    for exporter in (DataclassJsonLinesItemExporter(ours, **options),
                     JsonLinesItemExporter(scrapys, **options)):
        exporter.start_exporting()
        exporter.export_item(item)
        exporter.export_item(item)
        exporter.finish_exporting()
    assert ours.getvalue() == scrapys.getvalue()
