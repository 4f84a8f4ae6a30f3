"""The shared article store: one Redis hash per article, for workers on several machines.

``STATE_URI=redis://[:password@]host:port/db?prefix=sputnik:state:%(spider)s``.
Each article is a hash ``<prefix>:<article_id>`` with the fields of
ArchivedArticle; small hashes stay in Redis's compact listpack encoding (about
750 bytes an article with its key, measured by scripts/redis_memory.py). Writes are Lua scripts, so two workers recording the
same article never lose a version and ``last_seen`` never moves back.

The URI may carry a password: it is never logged, and errors name the store
with the password masked (``masked_url``).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis

from crawler.state import ArchivedArticle, StateError, StateURIError

DEFAULT_PREFIX = "sputnik:state"
PREFIX_PARAMETER = "prefix"
FIELDS = ("url", "published", "modified", "digest", "first_seen", "last_seen", "versions")

# KEYS[1]: the article; ARGV: url, published, modified, digest, seen_at.
# Empty strings stand for None: Redis has no null.
# A digest equal to the stored one is the same version (another worker got
# there first): nothing is counted twice.
RECORD_VERSION = """
if redis.call('HGET', KEYS[1], 'digest') == ARGV[4] then
    return tonumber(redis.call('HGET', KEYS[1], 'versions'))
end
redis.call('HSETNX', KEYS[1], 'first_seen', ARGV[5])
redis.call('HSET', KEYS[1], 'url', ARGV[1], 'published', ARGV[2], 'modified', ARGV[3],
           'digest', ARGV[4], 'last_seen', ARGV[5])
return redis.call('HINCRBY', KEYS[1], 'versions', 1)
"""

# KEYS[1]: the article; ARGV[1]: seen_at. ISO 8601 UTC strings compare as times.
TOUCH = """
local last = redis.call('HGET', KEYS[1], 'last_seen')
if last and last < ARGV[1] then redis.call('HSET', KEYS[1], 'last_seen', ARGV[1]) end
return 0
"""


def masked_url(url: str) -> str:
    """The URL with any password replaced by ``***``, fit for logs and errors."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


def split_prefix(uri: str) -> tuple[str, str]:
    """``(connection URL, key prefix)``: the ``prefix`` query parameter is ours,
    the rest of the URI goes to redis-py as it is."""
    parts = urlsplit(uri)
    if parts.scheme not in ("redis", "rediss", "unix") or not (parts.hostname or parts.path):
        raise StateURIError(f"STATE_URI {masked_url(uri)!r}: expected redis://host:port/db")
    query = parse_qsl(parts.query, keep_blank_values=True)
    prefix = next((value for key, value in query if key == PREFIX_PARAMETER), DEFAULT_PREFIX)
    rest = urlencode([(key, value) for key, value in query if key != PREFIX_PARAMETER])
    return urlunsplit(parts._replace(query=rest)), prefix.rstrip(":")


def connect(uri: str) -> tuple[redis.Redis, str]:
    """A client for the store at ``uri``, checked with a ping, and its key prefix.
    Raises StateURIError (password masked) when Redis cannot be reached."""
    url, prefix = split_prefix(uri)
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError as e:
        raise StateURIError(f"STATE_URI {masked_url(uri)!r}: cannot reach Redis: {e}") from e
    return client, prefix


def _text(value: bytes | None) -> str | None:
    return value.decode("utf-8") if value else None


@contextmanager
def _store_errors(prefix: str) -> Iterator[None]:
    """A Redis failure mid-crawl stops the crawl like a damaged SQLite store."""
    try:
        yield
    except redis.RedisError as e:
        raise StateError(f"The Redis article store (keys {prefix}:*) cannot be used ({e}); "
                         "check that Redis is up and not out of memory, then run the crawl again") from e


class RedisArticleStore:
    def __init__(self, client: redis.Redis, prefix: str = DEFAULT_PREFIX) -> None:
        self.client = client
        self.prefix = prefix
        self._record = client.register_script(RECORD_VERSION)
        self._touch = client.register_script(TOUCH)

    @classmethod
    def from_uri(cls, uri: str) -> RedisArticleStore:
        return cls(*connect(uri))

    def key(self, article_id: str) -> str:
        return f"{self.prefix}:{article_id}"

    def get(self, article_id: str) -> ArchivedArticle | None:
        with _store_errors(self.prefix):
            values = self.client.hmget(self.key(article_id), FIELDS)
        if values[-1] is None:
            return None
        url, published, modified, digest, first_seen, last_seen, versions = values
        return ArchivedArticle(article_id, _text(url) or "", _text(published), _text(modified),
                               digest or b"", _text(first_seen) or "", _text(last_seen) or "",
                               int(versions))

    def record_version(self, article_id: str, url: str, published: str | None,
                       modified: str | None, digest: bytes, seen_at: str) -> int:
        """Stores a newly archived version; returns its 1-based version number
        (the stored one when this digest is already the latest)."""
        with _store_errors(self.prefix):
            return int(self._record(keys=[self.key(article_id)],
                                    args=[url, published or "", modified or "", digest, seen_at]))

    def touch(self, article_id: str, seen_at: str) -> None:
        with _store_errors(self.prefix):
            self._touch(keys=[self.key(article_id)], args=[seen_at])

    def archived(self, batch: int = 1000) -> Iterator[tuple[str, str, int]]:
        """``(article id, url, versions)`` of every article held, read in
        pipelined batches (a round trip per ``batch`` articles, not per article)."""
        keys = self.client.scan_iter(match=f"{self.prefix}:*", count=batch)
        while chunk := list(islice(keys, batch)):
            pipeline = self.client.pipeline(transaction=False)
            for key in chunk:
                pipeline.hmget(key, "url", "versions")
            for key, (url, versions) in zip(chunk, pipeline.execute()):
                if versions is not None:
                    yield key.decode("utf-8")[len(self.prefix) + 1:], _text(url) or "", int(versions)

    def count(self) -> int:
        return sum(1 for _ in self.client.scan_iter(match=f"{self.prefix}:*", count=1000))

    def close(self) -> None:
        self.client.close()
