"""The Parquet feed exporter: typed columns, exact dates with their offsets, read back with pandas."""
from __future__ import annotations

import json
from datetime import datetime

import pandas as pd
import pytest

from crawler.export.parquet import ParquetItemExporter, column_kind
from crawler.items import ArticleItem
from tests.crawl import ROOT, read_jsonl, run_crawl

pytest.importorskip("pyarrow")


def test_a_replay_feed_loads_in_pandas_with_the_right_types(tmp_path):
    sample = str(ROOT / "samples" / "sputnik-sample.warc.gz")
    result = run_crawl(tmp_path, args={"replay": sample},
                       settings={"FEEDS": json.dumps({str(tmp_path / "items.parquet"): {"format": "parquet"},
                                                      str(tmp_path / "items.jsonl"): {"format": "jsonlines"}})},
                       default_feeds=True)
    assert result.returncode == 0, result.log
    items = read_jsonl(tmp_path / "items.jsonl")
    frame = pd.read_parquet(tmp_path / "items.parquet")
    assert len(frame) == len(items) > 0
    assert str(frame["published"].dtype) == "datetime64[us, UTC]"
    assert str(frame["fetched_at"].dtype) == "datetime64[us, UTC]"
    assert str(frame["published_utc_offset"].dtype) == "int16"
    assert frame["version"].dtype.kind in "if"
    for row, item in zip(frame.to_dict("records"), items):
        published = row["published"].to_pydatetime()
        offset = int(row["published_utc_offset"])
        rebuilt = published.astimezone(datetime.fromisoformat(item["published"]).tzinfo)
        assert rebuilt.isoformat() == item["published"] and offset * 60 == \
            datetime.fromisoformat(item["published"]).utcoffset().total_seconds()
        assert list(row["keywords"]) == item["keywords"]
        assert list(row["authors"]) == item["authors"]
        assert json.loads(row["source"]) == item["source"]
        assert row["body"] == item["body"] and row["title"] == item["title"]


def test_missing_dates_are_nulls_and_an_empty_feed_still_has_the_columns(tmp_path):
    path = tmp_path / "x.parquet"
    with path.open("wb") as file:
        exporter = ParquetItemExporter(file, batch_size=1)
        exporter.start_exporting()
        exporter.export_item(ArticleItem(url="u", article_id="1", published="2021-12-27T10:25:00+01:00"))
        exporter.export_item(ArticleItem(url="v", article_id="2"))
        exporter.finish_exporting()
    frame = pd.read_parquet(path)
    assert frame["modified"].isna().all() and frame["modified_utc_offset"].isna().all()
    assert frame["published"].isna().tolist() == [False, True]
    assert frame["keywords"].map(list).tolist() == [[], []]
    empty = tmp_path / "empty.parquet"
    with empty.open("wb") as file:
        exporter = ParquetItemExporter(file)
        exporter.finish_exporting()
    assert {"title", "published", "published_utc_offset"} <= set(pd.read_parquet(empty).columns)


def test_column_kinds_follow_the_annotations():
    assert [column_kind(t) for t in ("str | None", "list[str]", "int | None", "dict[str, Any]")] == \
        ["string", "strings", "int", "json"]


def test_page_kind_payloads_are_nested_columns(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    live = ArticleItem(url="u", article_id="1", kind="live", credits=["AFP"], live_entries=[
        {"time": "2022-02-24T05:50:00+03:00", "text": "Début."}, {"time": None, "text": "Sans heure."}])
    podcast = ArticleItem(url="v", article_id="2", kind="podcast",
                          audio={"url": "https://cdn.example/1.mp3", "duration": 3541, "show": "Zone de contact"},
                          gallery=[{"image": "https://cdn.example/1.jpg", "caption": "Une"}],
                          video={"url": "https://cdn.example/1.mp4", "duration": None})
    path = tmp_path / "kinds.parquet"
    with path.open("wb") as file:
        exporter = ParquetItemExporter(file)
        exporter.start_exporting()
        exporter.export_item(live)
        exporter.export_item(podcast)
        exporter.finish_exporting()
    schema = pq.read_schema(path)
    timestamp = pa.timestamp("us", tz="UTC")
    assert schema.field("live_entries").type == pa.list_(pa.struct(
        [("time", timestamp), ("time_utc_offset", pa.int16()), ("text", pa.string())]))
    assert schema.field("gallery").type == pa.list_(pa.struct([("image", pa.string()), ("caption", pa.string())]))
    assert schema.field("audio").type == pa.struct([("url", pa.string()), ("duration", pa.int64()),
                                                    ("show", pa.string())])
    assert schema.field("video").type == pa.struct([("url", pa.string()), ("duration", pa.int64())])
    assert schema.field("credits").type == pa.list_(pa.string())
    rows = pd.read_parquet(path).to_dict("records")
    first, no_time = rows[0]["live_entries"]
    assert first["time"] == pd.Timestamp("2022-02-24T02:50:00Z") and first["time_utc_offset"] == 180
    assert no_time["time"] is None and no_time["text"] == "Sans heure."
    assert rows[1]["audio"] == {"url": "https://cdn.example/1.mp3", "duration": 3541, "show": "Zone de contact"}
    assert rows[1]["video"]["duration"] is None and rows[0]["audio"] is None
    assert list(rows[1]["gallery"]) == [{"image": "https://cdn.example/1.jpg", "caption": "Une"}]
    assert list(rows[0]["credits"]) == ["AFP"] and list(rows[1]["live_entries"]) == []
