"""Parquet as a Scrapy feed format: ``-o items.parquet:parquet`` (pyarrow, an optional extra).

Columns are typed from the item's dataclass fields: text as string, lists of
text as list<string>, integers as int64. The page-kind payloads are nested
Arrow types with the keys normalisation gives them: ``live_entries``
list<struct<time, time_utc_offset, text>>, ``gallery``
list<struct<image, caption>>, ``audio`` struct<url, duration, show> and
``video`` struct<url, duration> (duration in seconds, int64). ``source``
stays JSON text: its keys differ by where the page came from. Dates become
UTC timestamps; since an Arrow timestamp column carries one time zone, each
date (a live entry's time too) has a companion ``<name>_utc_offset``
(minutes) holding the publisher's offset, so the original ISO 8601 value can
be rebuilt exactly.

Rows are written in row groups of ``batch_size`` items (item_export_kwargs),
so memory stays bounded. A Parquet file is readable only once closed: a
killed crawl leaves an unreadable file, unlike the JSON Lines feed.
"""
from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone
from typing import Any, BinaryIO

from itemadapter import ItemAdapter
from scrapy.exporters import BaseItemExporter

from crawler.items import ArticleItem
from crawler.normalize import normalize_duration

TIMESTAMP_FIELDS = frozenset({"published", "modified", "fetched_at"})
NESTED_FIELDS = frozenset({"live_entries", "gallery", "audio", "video"})
OFFSET_SUFFIX = "_utc_offset"


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401  (loads the writer)
    except ImportError as e:
        raise RuntimeError("the parquet feed format needs pyarrow: "
                           "pip install 'sputnik-archive[parquet]'") from e
    return pyarrow


def column_kind(type_text: str) -> str:
    """``string``, ``strings``, ``int`` or ``json``, from a field's annotation."""
    text = str(type_text).replace(" ", "")
    if text in ("str", "str|None", "Optional[str]"):
        return "string"
    if text in ("list[str]", "list[str]|None"):
        return "strings"
    if text in ("int", "int|None", "Optional[int]"):
        return "int"
    return "json"


def item_columns(item_class: type) -> list[tuple[str, str]]:
    """(name, kind) per field; a nested payload's kind is its own name."""
    return [(field.name, _field_kind(field)) for field in dataclasses.fields(item_class)]


def _field_kind(field: dataclasses.Field[Any]) -> str:
    if field.name in TIMESTAMP_FIELDS:
        return "timestamp"
    return field.name if field.name in NESTED_FIELDS else column_kind(field.type)


def nested_types(pa: Any) -> dict[str, Any]:
    timestamp = pa.timestamp("us", tz="UTC")
    return {
        "live_entries": pa.list_(pa.struct([("time", timestamp), ("time" + OFFSET_SUFFIX, pa.int16()),
                                            ("text", pa.string())])),
        "gallery": pa.list_(pa.struct([("image", pa.string()), ("caption", pa.string())])),
        "audio": pa.struct([("url", pa.string()), ("duration", pa.int64()), ("show", pa.string())]),
        "video": pa.struct([("url", pa.string()), ("duration", pa.int64())]),
    }


def _live_entry(entry: dict[str, Any]) -> dict[str, Any]:
    time, offset = parse_timestamp(entry["time"]) if entry.get("time") else (None, None)
    return {"time": time, "time" + OFFSET_SUFFIX: offset, "text": entry.get("text")}


def _media(value: dict[str, Any] | None, *names: str) -> dict[str, Any] | None:
    if not value:
        return None
    return {"url": value.get("url"), "duration": normalize_duration(value.get("duration")),
            **{name: value.get(name) for name in names}}


def nested_value(name: str, value: Any) -> Any:
    """A payload as its Arrow struct or list of structs; keys it lacks are nulls."""
    if name == "live_entries":
        return [_live_entry(entry) for entry in value or []]
    if name == "gallery":
        return [{"image": p.get("image"), "caption": p.get("caption")} for p in value or []]
    return _media(value, "show") if name == "audio" else _media(value)


def parse_timestamp(value: Any) -> tuple[datetime | None, int | None]:
    """(UTC time, offset in minutes) of an ISO 8601 value; (None, None) if it is none."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None, None
    if moment.utcoffset() is None:
        return None, None
    offset = int(moment.utcoffset().total_seconds() // 60)
    return moment.astimezone(timezone.utc), offset


class ParquetItemExporter(BaseItemExporter):
    def __init__(self, file: BinaryIO, *, batch_size: int = 1000, **kwargs: Any) -> None:
        super().__init__(dont_fail=True, **kwargs)
        self.pa = _pyarrow()
        self.file = file
        self.batch_size = batch_size
        self.rows: list[dict[str, Any]] = []
        self.columns: list[tuple[str, str]] | None = None
        self.writer: Any = None

    def schema(self) -> Any:
        pa = self.pa
        types = {"string": pa.string(), "strings": pa.list_(pa.string()), "int": pa.int64(),
                 "json": pa.string(), **nested_types(pa)}
        fields = []
        for name, kind in self.columns or []:
            if kind == "timestamp":
                fields += [pa.field(name, pa.timestamp("us", tz="UTC")),
                           pa.field(name + OFFSET_SUFFIX, pa.int16())]
            else:
                fields.append(pa.field(name, types[kind]))
        return pa.schema(fields)

    def export_item(self, item: Any) -> None:
        if self.columns is None:
            item_class = type(item) if dataclasses.is_dataclass(item) else ArticleItem
            self.columns = item_columns(item_class)
        self.rows.append(self.row(ItemAdapter(item)))
        if len(self.rows) >= self.batch_size:
            self.flush()

    def row(self, adapter: ItemAdapter) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for name, kind in self.columns or []:
            value = adapter.get(name)
            if kind == "timestamp":
                row[name], row[name + OFFSET_SUFFIX] = parse_timestamp(value) if value else (None, None)
            elif kind in NESTED_FIELDS:
                row[name] = nested_value(name, value)
            elif kind == "json":
                row[name] = None if value is None else json.dumps(value, ensure_ascii=False)
            elif kind == "strings":
                row[name] = [str(part) for part in value] if value is not None else None
            else:
                row[name] = value
        return row

    def flush(self) -> None:
        if self.writer is None:
            self.writer = self.pa.parquet.ParquetWriter(self.file, self.schema())
        if self.rows:
            self.writer.write_table(self.pa.Table.from_pylist(self.rows, schema=self.schema()))
            self.rows = []

    def finish_exporting(self) -> None:
        if self.columns is None:
            self.columns = item_columns(ArticleItem)
        self.flush()
        self.writer.close()
