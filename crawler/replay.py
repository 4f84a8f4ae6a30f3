"""Turns WARC files into requests that the replay middleware answers."""
from __future__ import annotations

import logging
import os
import re
from collections import Counter
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals

from crawler.editions import edition_for_host
from crawler.httputil import is_html_type
from crawler.ownarchive import hosts_of_archives
from crawler.urls import bare_host
from crawler.discovery import DiscoveryFilter
from crawler.middlewares.replay import META_KEY
from warc.limits import ReplayLimits
from warc.reader import ArchivedResponse, ReplayPathError, WarcReplayReader, expand_paths

logger = logging.getLogger(__name__)

# Reader outcomes are added to the crawl's stats at least every this many.
COUNT_BATCH = 1000
# A host made of these alone reads the same to urlsplit and to quick_host.
PLAIN_HOST = re.compile(r"[a-z0-9.-]+")
# Records of other hosts are not kept as possible originals of a revisit: a
# revisit of an edition page points at a capture of the same page, and the
# index would otherwise hold nearly every record of a third-party archive.
UNINDEXED = frozenset({"other_host"})
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


# More than the reader holds between asking may_take and the call (warc.reader.UNCONFIRMED).
RECENT_URLS = 4


class ReplayUrlFilter:
    """The spider's URL filter, with other hosts turned down first, cheaply.

    Nearly every record of a third-party archive is of another host: its
    host is read by string slicing, and only a URL whose host is plain and
    one of the edition's goes through the full URL rules.
    """

    def __init__(self, urls: DiscoveryFilter) -> None:
        self.urls = urls
        # Records skipped as other hosts, per host, for one line at the end.
        self.other_hosts: Counter[str] = Counter()
        self.edition_records = 0
        # The reader asks may_take when fastwarc gives a record and the call
        # two records later: the answers for the last few URLs, oldest first.
        self._recent: dict[str, str | None] = {}

    def may_take(self, url: str) -> bool:
        """False only for a URL the call would turn down as another host's;
        counts nothing (the reader asks it before deciding to hold a block)."""
        return self._plainly_other_host(url) is None

    def __call__(self, url: str) -> str | None:
        host = self._plainly_other_host(url)
        if host is not None:
            self.other_hosts[host] += 1
            return "other_host"
        reason = self.urls.skip_reason_for_article(url)
        if reason == "other_host":
            self.other_hosts[urlsplit(url).hostname or ""] += 1
        else:
            self.edition_records += 1
        return reason


    def _plainly_other_host(self, url: str) -> str | None:
        """The URL's host when string slicing shows it is not the edition's."""
        recent = self._recent
        if url in recent:
            return recent[url]
        host = quick_host(url)
        other = host if host is not None and bare_host(host) not in self.urls.hosts else None
        if len(recent) >= RECENT_URLS:
            del recent[next(iter(recent))]
        recent[url] = other
        return other


class ReplayPlan:
    """Which archived records become requests, and why the others do not."""

    def __init__(self, spider: Spider, urls: DiscoveryFilter,
                 shard: tuple[int, int] | None = None) -> None:
        self.spider = spider
        self.urls = urls
        self.stats = spider.crawler.stats
        self.shard = shard
        self._pending: Counter[str] = Counter()
        self._pending_total = 0

    def skip_reason_for_response(self, archived: ArchivedResponse) -> str | None:
        if archived.status != 200:
            return f"status_{archived.status}"
        content_type = _header(archived, "content-type")
        if content_type and not is_html_type(content_type):
            return "not_html"
        return None

    def limits(self) -> ReplayLimits:
        """The page size limit of live crawls (the spider's ``download_maxsize``
        or DOWNLOAD_MAXSIZE), and the header caps."""
        settings = self.spider.crawler.settings
        return ReplayLimits(
            max_payload=getattr(self.spider, "download_maxsize", settings.getint("DOWNLOAD_MAXSIZE")),
            max_headers=settings.getint("REPLAY_MAX_HEADERS"),
            max_head_bytes=settings.getint("REPLAY_MAX_HEADER_SIZE"))

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
        url_filter = ReplayUrlFilter(self.urls)
        reader = WarcReplayReader(paths, count=self._count, url_filter=url_filter,
                                  limits=self.limits(), unindexed=UNINDEXED)
        progress = BytesRead(paths, self.stats)
        try:
            for archived in reader.responses():
                progress.at(archived.warc_file, archived.warc_offset)
                reason = self.skip_reason_for_response(archived)
                if reason:
                    self._count(f"replay/skipped/{reason}")
                    continue
                self._flush_counts()
                await self._wait_for_room()
                yield Request(archived.url, callback=callback, dont_filter=True,
                              meta={META_KEY: archived})
        finally:
            self._flush_counts()
        progress.finished()
        _report_other_hosts(url_filter, _advice(self.spider, url_filter, specs))

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
        # Tallied here and added to the stats in batches: the reader counts
        # every record, and a call into Scrapy's stats collector costs
        # microseconds, as much as fastwarc spends reading a record.
        self._pending[key] += count
        self._pending_total += 1
        if self._pending_total >= COUNT_BATCH:
            self._flush_counts()

    def _flush_counts(self) -> None:
        for key, count in self._pending.items():
            self.stats.inc_value(key, count)
        self._pending.clear()
        self._pending_total = 0


def _report_other_hosts(url_filter: ReplayUrlFilter, advice: str) -> None:
    """One line for the records skipped as other hosts: a WARNING when the
    archive held nothing of the edition (0 items, and this is why)."""
    other_hosts, edition_records = url_filter.other_hosts, url_filter.edition_records
    if not other_hosts:
        return
    top = [host for host, _ in other_hosts.most_common(3)]
    level = logging.INFO if edition_records else logging.WARNING
    logger.log(level, "%s archived records of %s other host(s) skipped, none of them this "
               "edition's (most: %s)%s. %s", sum(other_hosts.values()), len(other_hosts),
               ", ".join(f"{host} {other_hosts[host]}" for host in top),
               "" if edition_records else "; no record was of this edition's hosts", advice)


def _advice(spider: Spider, url_filter: ReplayUrlFilter, specs: list[str]) -> str:
    """Replay as the edition that owns the most skipped host; only a host no
    edition owns is to be added, lest another edition's articles be labelled
    as this one's."""
    if not url_filter.other_hosts:
        return ""
    host = url_filter.other_hosts.most_common(1)[0][0]
    owner = edition_for_host(host)
    if owner is not None and owner.name and owner != getattr(spider, "edition", None):
        return f"They belong to {owner.name}: scrapy crawl {owner.name} -a replay={','.join(specs)}"
    return f"To include a host: -s EDITION_EXTRA_HOSTS={host} (or -a site=http://{host})"


def quick_host(url: str) -> str | None:
    """The lowercase host of an ``http(s)://`` URL, or None when it takes a real parser."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        return None
    netloc = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    host = netloc.rpartition("@")[2].partition(":")[0].lower()
    return host if host and PLAIN_HOST.fullmatch(host) else None


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
