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


class StateError(RuntimeError):
    """The store cannot be read or written (damaged, truncated, disk full).

    A crawl must not go on without it: it would fetch and emit again what is
    archived, or drop what it cannot look up. The message names the store
    and what to do; crawler.state.guard stops the crawl with ``state_error``.
    """


def damaged_store_message(path: object, error: BaseException) -> str:
    return (f"The article store {path} cannot be used ({error}). Check it with "
            f"`python -m crawler.state check {path}`; free disk space if it is full, or rebuild "
            f"it from the feeds with `python -m crawler.state rebuild {path} --feeds "
            f"output/feeds/<spider>` (or --warc output/warc), then run the crawl again")


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
