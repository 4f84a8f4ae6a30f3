"""Turns WARC files into requests that the replay middleware answers."""
from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals

from crawler.editions import edition_for_host
from crawler.httputil import is_html_type
from crawler.ownarchive import hosts_of_archives
from crawler.urls import bare_host
from crawler.discovery import DiscoveryFilter
from crawler.middlewares.replay import META_KEY
from warc.reader import ArchivedResponse, ReplayPathError, WarcReplayReader, expand_paths

logger = logging.getLogger(__name__)

# How far replay is through its files, for the progress extension.
BYTES_TOTAL = "replay/progress/bytes_total"
BYTES_DONE = "replay/progress/bytes_done"


class BytesRead:
    """Publishes, as stats, how many bytes of the given files replay is past."""

    def __init__(self, paths: list[str], stats: object) -> None:
        self.stats = stats
        self.before: dict[str, int] = {}
        total = 0
        for path in paths:
            self.before.setdefault(path, total)
            total += _size(path)
        self.total = total
        self.done = 0
        stats.set_value(BYTES_TOTAL, total)
        stats.set_value(BYTES_DONE, 0)

    def at(self, path: str, offset: int) -> None:
        # Revisits resolved at the end come back to earlier offsets: never go back.
        self.done = max(self.done, self.before.get(path, 0) + offset)
        self.stats.set_value(BYTES_DONE, self.done)

    def finished(self) -> None:
        self.stats.set_value(BYTES_DONE, self.total)


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


class ReplayPlan:
    """Which archived records become requests, and why the others do not."""

    def __init__(self, spider: Spider, urls: DiscoveryFilter,
                 shard: tuple[int, int] | None = None) -> None:
        self.spider = spider
        self.urls = urls
        self.stats = spider.crawler.stats
        self.shard = shard
        # Records skipped as other hosts, per host, for one WARNING at the end.
        self.other_hosts: dict[str, int] = {}
        self.edition_records = 0

    def skip_reason_for_response(self, archived: ArchivedResponse) -> str | None:
        if archived.status != 200:
            return f"status_{archived.status}"
        content_type = _header(archived, "content-type")
        if content_type and not is_html_type(content_type):
            return "not_html"
        return None

    def paths(self, specs: list[str]) -> list[str]:
        found: list[str] = []
        for spec in specs:
            try:
                found.extend(expand_paths(spec))
            except ReplayPathError as e:
                self.stats.inc_value("replay/errors/missing_path")
                logger.error("Replay path skipped: %s", e)
        if self.shard is None:
            return found
        mine = take_shard(found, *self.shard)
        self.stats.set_value("replay/files/shard", len(mine))
        logger.info("Replaying shard %s/%s: %s of %s files", *self.shard, len(mine), len(found))
        return mine

    async def requests(self, specs: list[str], callback: object) -> AsyncIterator[Request]:
        paths = self.paths(specs)
        self._accept_archived_hosts(paths)
        reader = WarcReplayReader(paths, count=self._count, url_filter=self._url_filter)
        progress = BytesRead(paths, self.stats)
        for archived in reader.responses():
            progress.at(archived.warc_file, archived.warc_offset)
            reason = self.skip_reason_for_response(archived)
            if reason:
                self._count(f"replay/skipped/{reason}")
                continue
            await self._wait_for_room()
            yield Request(archived.url, callback=callback, dont_filter=True,
                          meta={META_KEY: archived})
        progress.finished()
        self._report_other_hosts(specs)

    def _accept_archived_hosts(self, paths: list[str]) -> None:
        """An archive of ours names the hosts its crawl had (crawler.ownarchive):
        replaying it gives what the crawl gave, mirror or test site alike."""
        added = hosts_of_archives(paths) - self.urls.hosts
        if added:
            self.urls.hosts = self.urls.hosts | {bare_host(host) for host in added}
            logger.info("Replaying the hosts the archive's crawl had too: %s", ", ".join(sorted(added)))

    async def _wait_for_room(self) -> None:
        # Scrapy drains start() eagerly into the scheduler while the engine is
        # busy; waiting here keeps replay memory flat however large the archive.
        crawler = self.spider.crawler
        if crawler.engine is not None and crawler.engine.needs_backout():
            await crawler.signals.wait_for(signals.scheduler_empty)

    def _count(self, key: str, count: int = 1) -> None:
        self.stats.inc_value(key, count)

    def _url_filter(self, url: str) -> str | None:
        reason = self.urls.skip_reason_for_article(url)
        if reason == "other_host":
            host = urlsplit(url).hostname or ""
            self.other_hosts[host] = self.other_hosts.get(host, 0) + 1
        else:
            self.edition_records += 1
        return reason

    def _report_other_hosts(self, specs: list[str]) -> None:
        """One line for the records skipped as other hosts: a WARNING when the
        archive held nothing of the edition (0 items, and this is why)."""
        if not self.other_hosts:
            return
        top = sorted(self.other_hosts, key=self.other_hosts.__getitem__, reverse=True)[:3]
        level = logging.INFO if self.edition_records else logging.WARNING
        logger.log(level, "%s archived records of %s other host(s) skipped, none of them this "
                   "edition's (most: %s)%s. %s", sum(self.other_hosts.values()), len(self.other_hosts),
                   ", ".join(f"{host} {self.other_hosts[host]}" for host in top),
                   "" if self.edition_records else "; no record was of this edition's hosts",
                   self._advice(top[0], specs))

    def _advice(self, host: str, specs: list[str]) -> str:
        """Replay as the edition that owns the host; only a host no edition owns
        is to be added, lest another edition's articles be labelled as this one's."""
        owner = edition_for_host(host)
        if owner is not None and owner.name and owner != getattr(self.spider, "edition", None):
            return (f"They belong to {owner.name}: scrapy crawl {owner.name} "
                    f"-a replay={','.join(specs)}")
        return f"To include a host: -s EDITION_EXTRA_HOSTS={host} (or -a site=http://{host})"


def take_shard(paths: list[str], k: int, n: int) -> list[str]:
    """The K-th (1-based) of N shares: every N-th file of the list, from the K-th.

    Round-robin over the sorted list of paths, so the shares depend only on
    the files, not on the order the specs were given in; given the same paths,
    N nodes take shares that are disjoint, together the whole list, and differ
    in size by one file at most. A file named twice counts once, or it could
    fall in two shares.
    """
    return sorted(set(paths))[k - 1::n]


def _header(archived: ArchivedResponse, name: str) -> str | None:
    for key, value in archived.headers:
        if key.lower() == name:
            return value
    return None
