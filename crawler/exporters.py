"""JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/) as a Scrapy item exporter,
and Scrapy's CSV exporter with nested values written as JSON.

Registered in FEED_EXPORTERS as ``jsonfeed``, so ``-o out.feed.json:jsonfeed``
works like any built-in format. Items are streamed: the file is valid JSON once
``finish_exporting`` has run, and memory does not grow with the feed.
``csv`` replaces Scrapy's own, which writes a dict field (``source``) as its
Python repr: a reader of the CSV can parse JSON, not repr. ``jsonlines`` is
Scrapy's, with the fields of a dataclass item (ours) looked up once per class
instead of through ItemAdapter for every field of every item: the same bytes,
about a tenth of the time replay spent exporting an article.
"""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from functools import cache
from typing import Any, BinaryIO

from itemadapter import ItemAdapter
from scrapy.exporters import BaseItemExporter, CsvItemExporter, JsonLinesItemExporter

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


def feed_item(item: Any) -> dict[str, Any]:
    """One article as a JSON Feed item; fields JSON Feed has no name for go
    in the ``_sputnik`` extension object, so nothing of the item is lost."""
    adapter = ItemAdapter(item)
    entry: dict[str, Any] = {
        "id": adapter.get("url"),
        "url": adapter.get("url"),
        "title": adapter.get("title"),
        "summary": adapter.get("description"),
        "content_text": adapter.get("body") or "",
        "date_published": adapter.get("published"),
        "date_modified": adapter.get("modified"),
        "authors": [{"name": name} for name in adapter.get("authors") or []],
        "tags": list(adapter.get("keywords") or []),
        "image": adapter.get("image"),
        "language": adapter.get("language"),
    }
    entry = {key: value for key, value in entry.items() if value not in (None, [])}
    extension = {
        key: adapter.get(key)
        for key in adapter.field_names()
        if key not in _MAPPED_FIELDS
    }
    entry["_sputnik"] = extension
    return entry


_MAPPED_FIELDS = frozenset(
    {"url", "title", "description", "body", "published", "modified", "authors",
     "keywords", "image", "language"}
)


class JsonFeedItemExporter(BaseItemExporter):
    """Writes one JSON Feed document; the feed's title and home page come from
    the first item's publisher and site unless given as exporter options
    (``item_export_kwargs: {"feed_title": ..., "home_page_url": ...}``)."""

    def __init__(self, file: BinaryIO, *, feed_title: str | None = None,
                 home_page_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(dont_fail=True, **kwargs)
        self.file = file
        self.encoding = self.encoding or "utf-8"
        self.feed_title = feed_title
        self.home_page_url = home_page_url
        self._items_written = 0
        self._header_written = False

    def export_item(self, item: Any) -> None:
        if not self._header_written:
            self._write_header(ItemAdapter(item))
        separator = ",\n" if self._items_written else "\n"
        self._write(separator + json.dumps(feed_item(item), ensure_ascii=False))
        self._items_written += 1

    def finish_exporting(self) -> None:
        if not self._header_written:
            self._write_header(None)
        self._write("\n]}\n")

    def _write_header(self, first: ItemAdapter | None) -> None:
        header: dict[str, Any] = {
            "version": JSON_FEED_VERSION,
            "title": self.feed_title or _from_item(first, "publisher") or "Sputnik archive",
        }
        home = self.home_page_url or _home_page(_from_item(first, "site"))
        if home:
            header["home_page_url"] = home
        language = _from_item(first, "language")
        if language:
            header["language"] = language
        # The header is complete JSON but for the closing brace, which
        # finish_exporting writes after the items array.
        self._write(json.dumps(header, ensure_ascii=False)[:-1] + ', "items": [')
        self._header_written = True

    def _write(self, text: str) -> None:
        self.file.write(text.encode(self.encoding))


def _from_item(adapter: ItemAdapter | None, key: str) -> Any:
    return adapter.get(key) if adapter is not None else None


def _home_page(site: str | None) -> str | None:
    return f"https://{site}/" if site else None


class JsonCellCsvItemExporter(CsvItemExporter):
    """Scrapy's CSV exporter; a dict, or a list holding one, is one JSON cell.
    Lists of plain values keep Scrapy's comma-joined form."""

    def serialize_field(self, field: Any, name: str, value: Any) -> Any:
        if isinstance(value, dict) or (isinstance(value, (list, tuple))
                                       and any(isinstance(v, (dict, list)) for v in value)):
            return json.dumps(value, ensure_ascii=False, sort_keys=True)
        return super().serialize_field(field, name, value)


@cache
def _dataclass_fields(kind: type) -> tuple[tuple[str, Any], ...]:
    return tuple((field.name, field.metadata) for field in dataclasses.fields(kind))


class DataclassJsonLinesItemExporter(JsonLinesItemExporter):
    """Scrapy's JSON Lines exporter; a dataclass item's fields are read straight
    off the instance, in declaration order, through ``serialize_field`` as
    Scrapy does. Anything else (dict items, ``fields_to_export``) is Scrapy's path."""

    def get_serialized_fields(self, item: Any, default_value: Any = None,
                              include_empty: bool | None = None) -> Iterable[tuple[str, Any]]:
        if self.fields_to_export is not None or not dataclasses.is_dataclass(item) \
                or isinstance(item, type):
            yield from super().get_serialized_fields(item, default_value, include_empty)
            return
        # Every field of a dataclass instance is set, so "populated" is all of them.
        for name, meta in _dataclass_fields(type(item)):
            yield name, self.serialize_field(meta, name, getattr(item, name))
