"""Every archived version of every article, from the edit history and the feeds.

The history holds what the store recorded; the JSON Lines feeds hold what each
run wrote, including replays, which leave the store alone. A version is an
article id and a body: the same pair met twice is one version. The feeds are
read first because a feed line is the item whole, where a version recorded
before whole items were stored lacks the later fields. A removal item
(``removed`` set) repeats the last version: the ``removals`` table has it.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import Any

from crawler.outputs import feed_items
from crawler.state.versions import VersionHistory


def version_key(fields: dict[str, Any]) -> bytes:
    article = str(fields.get("article_id") or fields.get("url") or "")
    body = str(fields.get("body") or "")
    return hashlib.blake2b(f"{article}\0{body}".encode("utf-8"), digest_size=16).digest()


def history_fields(history: VersionHistory) -> Iterator[dict[str, Any]]:
    for version in history.all_versions():
        yield {**version.text, "article_id": version.article_id, "url": version.url,
               "fetched_at": version.fetched_at, "source": version.source}


def article_versions(history: VersionHistory | None, feeds: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """Item fields, one dict per distinct version; the feeds first, then the history."""
    seen: set[bytes] = set()
    sources = [history_fields(history)] if history is not None else []
    for fields in (f for source in [feed_items(feeds), *sources] for f in source):
        key = version_key(fields)
        if fields.get("removed"):
            continue
        if key not in seen and (fields.get("article_id") or fields.get("url")):
            seen.add(key)
            yield fields
