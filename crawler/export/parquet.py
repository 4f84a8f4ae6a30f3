"""Parquet as a Scrapy feed format: ``-o items.parquet:parquet`` (pyarrow, an optional extra).

Columns are typed from the item's dataclass fields: text as string, lists of
text as list<string>, integers as int64, anything else (``source``, nested
records) as its JSON text. Dates become UTC timestamps; since an Arrow
timestamp column carries one time zone, each date column has a companion
``<name>_utc_offset`` (minutes) holding the publisher's offset, so the
original ISO 8601 value can be rebuilt exactly.

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

TIMESTAMP_FIELDS = frozenset({"published", "modified", "fetched_at"})
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
    return [(field.name, "timestamp" if field.name in TIMESTAMP_FIELDS else column_kind(field.type))
            for field in dataclasses.fields(item_class)]


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
                 "json": pa.string()}
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
