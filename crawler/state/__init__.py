"""What the archive already holds, per article, across runs.

A store is opened from a URI (``STATE_URI``): ``sqlite:///path`` is the embedded
default; ``redis://host:port/db?prefix=...`` is shared by the workers of a
distributed crawl (crawler/state/redis.py). Other backends plug in behind the
same small interface.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit


@dataclass(frozen=True)
class ArchivedArticle:
    """One article as last archived. Times are ISO 8601 strings as in the items."""

    article_id: str
    url: str
    published: str | None
    modified: str | None
    digest: bytes
    first_seen: str
    last_seen: str
    versions: int

    @property
    def last_change(self) -> str | None:
        return self.modified or self.published


class ArticleStore(Protocol):
    def get(self, article_id: str) -> ArchivedArticle | None: ...

    def record_version(self, article_id: str, url: str, published: str | None,
                       modified: str | None, digest: bytes, seen_at: str) -> int: ...

    def touch(self, article_id: str, seen_at: str) -> None: ...

    def close(self) -> None: ...


class StateURIError(ValueError):
    """A STATE_URI this project cannot open; the message says which forms it takes."""


def open_store(uri: str) -> ArticleStore:
    scheme = urlsplit(uri).scheme
    if scheme == "sqlite":
        from crawler.state.sqlite import SqliteArticleStore
        return SqliteArticleStore.from_uri(uri)
    if scheme in ("redis", "rediss", "unix"):
        # Imported here: the embedded default must not need a Redis client.
        from crawler.state.redis import RedisArticleStore
        return RedisArticleStore.from_uri(uri)
    # The URI itself is not repeated: it may hold a password.
    raise StateURIError(f"STATE_URI with scheme {scheme!r}: expected sqlite:///path/to/file.sqlite3 "
                        "or redis://host:port/db?prefix=...")
