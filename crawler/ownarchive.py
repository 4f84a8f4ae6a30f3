"""The hosts a crawl of ours archived, recorded in its WARC files and read back on replay.

A crawl of a mirror or of the local test site archives pages of hosts that
are not the edition's published ones; replaying that archive with the
edition's hosts alone skipped every record as ``other_host``. Our writer puts
the crawl's hosts in each file's ``warcinfo`` record (``HOSTS_FIELD``, space
separated), and replay reads the first record of each file it is given and
accepts the hosts found there. Archives of other writers have no such field
and change nothing.
"""
from __future__ import annotations

import logging
import zlib
from collections.abc import Iterable
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

logger = logging.getLogger(__name__)

HOSTS_FIELD = "sputnik-hosts"
# warcinfo records are small; a larger first record is not ours.
WARCINFO_LIMIT = 64 * 1024


def hosts_field(spider: Any) -> dict[str, str]:
    """The warcinfo field naming the hosts ``spider`` crawls (none for other spiders)."""
    hosts = getattr(spider, "hosts", None)
    return {HOSTS_FIELD: " ".join(sorted(hosts))} if hosts else {}


def parse_fields(payload: bytes) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in payload.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip().lower()] = value.strip()
    return fields


def archived_hosts(path: str) -> set[str]:
    """The hosts named by the warcinfo record that opens ``path``, if our writer made it."""
    try:
        with open(path, "rb") as fh:
            record = next(iter(ArchiveIterator(fh)), None)
            if record is None or record.rec_type != "warcinfo":
                return set()
            payload = record.content_stream().read(WARCINFO_LIMIT)
    except (OSError, EOFError, ValueError, zlib.error, ArchiveLoadFailed):
        return set()
    return set(parse_fields(payload).get(HOSTS_FIELD, "").split())


def hosts_of_archives(paths: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for path in paths:
        found |= archived_hosts(path)
    return found
