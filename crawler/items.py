"""The one item this project produces: a normalised news article."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ArticleItem:
    """An article as published, plus where and when it was captured.

    Field names and formats are a public interface (feeds, WARC metadata
    records, downstream users): see the README's item schema.
    """

    url: str | None = None
    article_id: str | None = None
    site: str | None = None
    title: str | None = None
    description: str | None = None
    published: str | None = None
    modified: str | None = None
    section: str | None = None
    keywords: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    image: str | None = None
    language: str | None = None
    publisher: str | None = None
    body: str | None = None
    fetched_at: str | None = None
    source: dict[str, Any] = field(default_factory=dict)
    # 1 for the first archived text of an article, then one more for each change.
    version: int | None = None
    # The registry name of the edition the article belongs to (crawler/editions.toml).
    edition: str | None = None
    # What sort of page (issue 12 §3): article, live, podcast, gallery, video,
    # infographic, post. None for items made before kinds were read.
    kind: str | None = None
    # Agencies credited in the author block ("avec Reuters" → "Reuters").
    credits: list[str] = field(default_factory=list)
    # A live page's entries in page order: {"time": ISO 8601 or None, "text"}.
    live_entries: list[dict[str, Any]] = field(default_factory=list)
    # A podcast episode: {"url", "duration" (seconds or None), "show"}.
    audio: dict[str, Any] | None = None
    # A photo gallery's pictures in order: {"image", "caption"}.
    gallery: list[dict[str, Any]] = field(default_factory=list)
    # A video page's main video: {"url", "duration" (seconds or None)}.
    video: dict[str, Any] | None = None
    # When a run found this archived article gone (404/410, redirected away):
    # ISO 8601 UTC, the first time it was seen gone. Set only on the one
    # removal item a run emits for it (crawler/middlewares/removals.py).
    removed: str | None = None
