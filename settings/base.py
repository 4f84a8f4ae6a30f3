"""Project settings (``scrapy.cfg`` points here).

Project-specific settings are listed first, in alphabetical order, each with
its default and meaning. Scrapy's own settings follow, grouped by purpose;
each differs from Scrapy's default for the reason given beside it.
"""
from __future__ import annotations

import os

from crawler import user_agent

# --- Project settings -------------------------------------------------------

# Requests to public web archives (those with meta["archive_source"]) give
# up sooner than page requests: an index that never answers costs at most
# ARCHIVE_DOWNLOAD_TIMEOUT * (1 + ARCHIVE_RETRY_TIMES) seconds plus backoff,
# not DOWNLOAD_TIMEOUT * (1 + RETRY_TIMES). Each retry is logged at INFO.
ARCHIVE_DOWNLOAD_TIMEOUT = 10
ARCHIVE_RETRY_TIMES = 2
# Web-archive runs: a 429/503 or "slow down" answer multiplies the delay of
# that archive's download slot by ARCHIVE_SLOWDOWN_FACTOR (at least what
# Retry-After asks, at most ARCHIVE_SLOWDOWN_MAX_DELAY seconds) for the rest of
# the run; after ARCHIVE_SOURCE_DOWN_AFTER failed answers in a row an archive
# is taken as down and the run goes on with the others
# (crawler.middlewares.slowdown).
ARCHIVE_SLOWDOWN_ENABLED = True
ARCHIVE_SLOWDOWN_FACTOR = 2.0
ARCHIVE_SLOWDOWN_MAX_DELAY = 60.0
ARCHIVE_SOURCE_DOWN_AFTER = 10

# Common Crawl (``-a source=commoncrawl``): the CDX index server, asked at
# {COMMONCRAWL_INDEX_URL}/{crawl}-index, and the host of its WARC files,
# read record by record with Range requests. Tests point both at local fakes.
COMMONCRAWL_DATA_URL = "https://data.commoncrawl.org"
COMMONCRAWL_INDEX_URL = "https://index.commoncrawl.org"

# Where the people running the crawl can be reached; it goes into the
# User-Agent of every request unless USER_AGENT itself is set.
CONTACT_URL = os.environ.get("SPUTNIK_CONTACT_URL", "https://github.com/sputnik-archive/sputnik-archive")

# The coverage report written at the end of every live or archive run
# (crawler.coverage): per month of the window, article ids known, archived and
# missing, as COVERAGE_DIR/<spider>/coverage-<time>.json, .md and -missing.txt.
COVERAGE_DIR = f"{os.environ.get('SPUTNIK_OUTPUT_DIR', 'output')}/reports"
COVERAGE_ENABLED = True

# Hosts treated as the edition's own besides its published hosts and the host
# of ``-a site``: mirrors, or a test site's second name.
EDITION_EXTRA_HOSTS: list[str] = []

# Keep every archived version's text, compressed, in the article store (its
# ``article_versions`` table, crawler/state/versions.py), for edit histories
# (``python -m crawler.history``). Needs a sqlite:/// STATE_URI; the Redis
# store keeps none and says so once in the log.
HISTORY_ENABLED = True

# Web-archive index answers kept between runs (crawler.sources.cache): Common
# Crawl pages for good, Wayback CDX pages to resume from. Beside the store.
INDEX_CACHE_DIR = f"{os.environ.get('SPUTNIK_OUTPUT_DIR', 'output')}/state/index-cache"

# Root of everything a crawl writes: feeds, WARC files and the article store.
# FEEDS, WARC_DIR and STATE_URI are built from it when this module is imported,
# so set it through the environment (SPUTNIK_OUTPUT_DIR, as scheduled jobs do):
# ``-s OUTPUT_DIR=`` alone moves nothing.
OUTPUT_DIR = os.environ.get("SPUTNIK_OUTPUT_DIR", "output")

# Progress of a run (crawler.extensions.progress): one INFO line every
# PROGRESS_INTERVAL seconds — bytes of the replayed files done/total, or
# requests done/known for live and archive runs — with rate and ETA, and a
# tqdm bar on stderr when stderr is a terminal (PROGRESS_BAR False: never).
PROGRESS_BAR = True
PROGRESS_ENABLED = True
PROGRESS_INTERVAL = 60.0
# Caps on an archived HTTP head, as live HTTP clients have: a record with more
# header lines, or a longer head in bytes, is skipped and counted
# (replay/skipped/too_many_headers, replay/skipped/headers_too_large). Real
# responses carry 10-60 headers and a few KiB. 0: no cap. The payload is
# capped by DOWNLOAD_MAXSIZE, as live pages are (replay/skipped/too_large).
REPLAY_MAX_HEADERS = 500
REPLAY_MAX_HEADER_SIZE = 64 * 1024

# True while a spider replays archives: the replay middleware then refuses any
# request it cannot answer from the archive, so replay never touches the network.
# Spiders set it themselves when given ``-a replay=``; there is no need to set it.
REPLAY_OFFLINE = False

# The static HTML report (crawler.report), written at the end of each run
# into REPORT_DIR (``%(spider)s`` is the spider's name) unless REPORT_ENABLED
# is False; ``python -m crawler.report`` writes it at any time.
REPORT_DIR = f"{OUTPUT_DIR}/reports/%(spider)s"
REPORT_ENABLED = True

# Longest delay, in seconds, between two tries of a failed request; tries wait
# RETRY_BACKOFF_BASE * 2**(try - 1) seconds, or what a Retry-After header asks
# for if that is longer (up to RETRY_BACKOFF_MAX).
RETRY_BACKOFF_BASE = 1.0
RETRY_BACKOFF_MAX = 60.0

# How many article requests of one sitemap wait in the scheduler at a time
# (crawler.sitemaps): the next batch is read once they have left it, so a
# 500,000-URL sitemap costs the memory of one batch, not of its whole list.
# 0 queues a sitemap's whole list at once.
SITEMAP_BATCH_SIZE = 1000

# How many levels of listings (robots.txt, sitemap indexes) may lie above a
# sitemap that is followed: the edition's own chain is robots.txt -> index ->
# monthly sitemap (2); one more level is tolerated. Indexes that list ever new
# indexes (``index.xml?n=K`` -> ``?n=K+1``) stop here (discovery/sitemap/too_deep).
SITEMAP_INDEX_MAX_DEPTH = 3
# Most sitemaps (indexes included) one crawl follows: an edition has a few
# hundred monthly sitemaps; past this, discovery/sitemap/too_many.
SITEMAP_MAX_COUNT = 20_000

# Size limit for sitemaps and the RSS feed, which outgrow a page: a month of
# articles is several MiB of XML.
SITEMAP_MAXSIZE = 64 * 1024 * 1024

# The persistent store of archived articles (crawler.state): what a run already
# has, so it fetches and emits only what is new or changed. Replay leaves it
# alone unless STATE_ENABLED is given on the command line.
STATE_ENABLED = True
STATE_URI = f"sqlite:///{OUTPUT_DIR}/state/%(spider)s.sqlite3"

# Where to write the final crawl stats as JSON (None: not written). Job runners
# read the finish reason and counters there instead of parsing the log.
STATS_FILE = None

# WARC archiving of live crawls (crawler.middlewares.archive).
WARC_ENABLED = True
# Where WARC files, their CDXJ index (index.cdxj) and the revisit digests live.
WARC_DIR = f"{OUTPUT_DIR}/warc"
# Compression level (0-9) of each record's gzip member. 1-3 are ISA-L's levels
# (the isal package), 0 and 4-9 zlib's. Per 47 KB page of the bench's live crawl:
# ISA-L 1 0.06-0.07 ms to 14.1% of the size, ISA-L 3 0.19 ms (13.5%), zlib 3
# 0.22 ms (13.8%), zlib 6 0.46 ms (12.7%); 9 is what warcio would use
# (docs/benchmarks.md). Compression was most of what archiving cost a crawl.
WARC_GZIP_LEVEL = 1
# Host part of file names (IIPC: prefix-timestamp-serial-host); None: this machine's name.
WARC_HOST = None
# A file is closed and a new one opened once it passes this many bytes.
WARC_MAX_SIZE = 1_000_000_000
# Who runs the crawl, for the warcinfo record (e.g. "Jane Doe <jane@example.org>").
WARC_OPERATOR = os.environ.get("SPUTNIK_WARC_OPERATOR")
# First part of file names; None: the spider's name.
WARC_PREFIX = None
# Set per worker when several processes share WARC_DIR, so file names never collide;
# also the ``%(worker)s`` of feed names. settings.distributed sets it from
# SPUTNIK_WORKER_ID, else host-pid.
WARC_WORKER_ID = None

# Seconds a Wayback CDX answer read to its end is used as it is; after that a
# run asks only for the captures since the last one it listed.
WAYBACK_CDX_REFRESH_AFTER = 24 * 3600
# The Wayback Machine (``-a source=wayback``): its CDX server, and the root of
# captures, fetched in their ``id_`` form ({WAYBACK_URL}/{timestamp}id_/{url}).
WAYBACK_CDX_URL = "https://web.archive.org/cdx/search/cdx"
WAYBACK_URL = "https://web.archive.org/web"

# --- Scrapy: project layout ---------------------------------------------------

BOT_NAME = "sputnik_archive"
# Our ``crawl`` checks spider arguments before the crawl starts.
COMMANDS_MODULE = "crawler.commands"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- Scrapy: components ------------------------------------------------------

DOWNLOADER_MIDDLEWARES = {
    # Before OffsiteMiddleware (50) and RobotsTxtMiddleware (100): an archived
    # answer needs neither, and must not trigger a robots.txt fetch.
    "crawler.middlewares.replay.ReplayDownloaderMiddleware": 40,
    # Beside OffsiteMiddleware (50), which checks host names only: another
    # port of an edition host is another service, never the edition.
    "crawler.middlewares.scope.PortScopeMiddleware": 45,
    # Scrapy's offsite filter, plus a WARNING per host saying how to allow it.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawler.middlewares.offsite.EditionOffsiteMiddleware": 50,
    # Archive requests get ARCHIVE_DOWNLOAD_TIMEOUT before Scrapy's timeout
    # middleware (350) gives them DOWNLOAD_TIMEOUT.
    "crawler.middlewares.archivetimeout.ArchiveTimeoutMiddleware": 340,
    # Scrapy's retry, plus waiting between tries and honouring Retry-After.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.retry.BackoffRetryMiddleware": 550,
    # Nearer the downloader than the retry: it sees every throttling answer of
    # a web archive, the retried ones too, and slows that archive's slot down.
    "crawler.middlewares.slowdown.ArchiveSlowDownMiddleware": 560,
    # Below RedirectMiddleware (600): sees a redirect off an archived article,
    # and its 404/410, as the server gave them.
    "crawler.middlewares.removals.RemovalMiddleware": 620,
    # Above HttpCompressionMiddleware (590) and HttpCacheMiddleware (900): it sees
    # the body as the server sent it, and can tell cached responses apart.
    "crawler.middlewares.archive.WarcArchiveMiddleware": 970,
    # Stamps the moment and the capture record the bytes arrived with.
    "crawler.middlewares.provenance.LiveProvenanceMiddleware": 950,
    # Nearer the downloader than the archive middleware (970): a Common Crawl
    # range answer or Wayback id_ page becomes the archived response before
    # it is stored, so the capture is archived, not the answer that carried it.
    "crawler.middlewares.webarchive.WebArchiveMiddleware": 980,
}

SPIDER_MIDDLEWARES = {
    # Next to the spider, so a store failure inside a callback (a lookup while
    # reading a sitemap) ends the crawl with state_error before any other
    # middleware sees the exception.
    "crawler.state.guard.StateErrorMiddleware": 990,
}

EXTENSIONS = {
    # Masks secret-looking values in Scrapy's "Overridden settings" log line,
    # and URL passwords and control characters in every line (crawler.logsafety).
    "crawler.extensions.secrets.SecretMasking": 0,
    # A failed robots.txt is one WARNING line, not a traceback.
    "crawler.extensions.quietlogs.QuietLogs": 10,
    # Priorities are distinct so that the order of signal handlers (the order
    # the extensions are built in) is set here, not by the dict's order.
    # The payload digest of every capture archived, so no archive run fetches it again.
    # Before CoverageReport: its spider_closed flushes the store the report reads.
    "crawler.extensions.captures.CaptureDigests": 500,
    # Done/total, rate and ETA: a log line a minute, a bar on a terminal.
    "crawler.extensions.progress.Progress": 510,
    # The HTML report at the end of each run (REPORT_ENABLED), on engine_stopped:
    # before RunSummary, whose lines must be the last of the log.
    "crawler.extensions.report.ReportAtClose": 880,
    # The closing summary and exit status, after the stats dump; before
    # StatsFile, so the stats file holds exit_status.
    "crawler.extensions.summary.RunSummary": 890,
    "crawler.extensions.stats_file.StatsFile": 900,
    "crawler.extensions.coverage.CoverageReport": 950,
}

ITEM_PIPELINES = {
    "pipelines.normalize.NormalizePipeline": 100,
    "pipelines.validate.ValidatePipeline": 200,
    "pipelines.dedupe.DedupePipeline": 300,
}

# Items of one response handled at a time. Scrapy starts this many asyncio
# workers for EVERY callback's output (100 by default); a page gives one item,
# and the pipelines do no I/O worth overlapping, so 99 of them only cost time
# (about a tenth of replay's time per article, docs/benchmarks.md).
CONCURRENT_ITEMS = 1

# Scrapy's in-memory stats, without the per-lookup shim Scrapy 2.19 puts in
# front of every stats call (crawler/stats.py: 3.8 -> 0.26 µs a call).
STATS_CLASS = "crawler.stats.PlainStatsCollector"

# Duplicate requests are filtered within a run; across runs the state store
# decides (see crawler/dupefilter.py for why, with JOBDIR and kills).
DUPEFILTER_CLASS = "crawler.dupefilter.RunDupeFilter"

# JOBDIR queues are checked when they open (crawler/queues.py): queuelib
# rewrites a queue file's entry count only on a clean close, so a resume that
# was killed left a count the file disagrees with, and every later resume
# failed with "OSError: [Errno 22]" for ever. Start requests (robots.txt, the
# sitemap index, RSS) use the same checked queue: their order does not matter,
# and Scrapy's FIFO disk queue has the same unsaved-count flaw.
SCHEDULER_DISK_QUEUE = "crawler.queues.CheckedLifoDiskQueue"
SCHEDULER_START_DISK_QUEUE = "crawler.queues.CheckedLifoDiskQueue"

# --- Scrapy: feeds -------------------------------------------------------------

# csv: Scrapy's, with dict fields (``source``) as JSON instead of a Python repr.
FEED_EXPORTERS = {"jsonfeed": "crawler.exporters.JsonFeedItemExporter",
                  # Scrapy's, the same bytes, quicker for our dataclass items.
                  "jsonlines": "crawler.exporters.DataclassJsonLinesItemExporter",
                  "jsonl": "crawler.exporters.DataclassJsonLinesItemExporter",
                  "jl": "crawler.exporters.DataclassJsonLinesItemExporter",
                  "csv": "crawler.exporters.JsonCellCsvItemExporter",
                  # -o items.parquet:parquet; needs pyarrow (the "parquet" extra).
                  "parquet": "crawler.export.parquet.ParquetItemExporter"}
FEED_EXPORT_ENCODING = "utf-8"
# Both feeds of a run carry the crawl's start time, not each file's open time.
FEED_URI_PARAMS = "crawler.feeds.uri_params"
# Local feed files survive a killed crawl up to the last item written.
FEED_STORAGES = {"": "crawler.feeds.UnbufferedFileFeedStorage",
                 "file": "crawler.feeds.UnbufferedFileFeedStorage"}
# Named after the run's start time and a random run id (crawler.feeds), so two
# runs started in the same second never share a file. A run that emits nothing
# leaves no empty pair (store_empty); an explicit -o/-O file is always written.
FEEDS = {
    f"{OUTPUT_DIR}/feeds/%(name)s/%(time)s-%(run)s.jsonl": {"format": "jsonlines",
                                                             "store_empty": False},
    f"{OUTPUT_DIR}/feeds/%(name)s/%(time)s-%(run)s.feed.json": {"format": "jsonfeed",
                                                                "store_empty": False},
}

# --- Scrapy: politeness and robustness ---------------------------------------

ROBOTSTXT_OBEY = True
# Names the project and how to reach its operator; a CONTACT_URL given on
# the command line is carried into it (see crawler.spiders.platform).
USER_AGENT = user_agent(CONTACT_URL)
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_DELAY = 1.0
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_TIMEOUT = 30
# Public web archives are shared services that throttle heavy users: their
# requests (``-a source=commoncrawl|wayback``) go one at a time through these
# slots (crawler.sources), whose delays AutoThrottle leaves alone. The Wayback
# Machine reportedly answers 429 past about 15 requests a minute.
DOWNLOAD_SLOTS = {
    "commoncrawl-index": {"concurrency": 1, "delay": 1.0},
    "commoncrawl-data": {"concurrency": 1, "delay": 0.5},
    "wayback-cdx": {"concurrency": 1, "delay": 4.0},
    "wayback": {"concurrency": 1, "delay": 4.0},
}
# An article page is 50-300 KiB; anything past this is not one.
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# No cookies: the crawler sends nothing that identifies a session.
COOKIES_ENABLED = False

# --- Scrapy: operations ---------------------------------------------------------

# Neither console is wanted on a crawler that runs unattended.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
# Dropped items are counted in stats; a duplicate is routine, not a warning.
DEFAULT_DROPITEM_LOG_LEVEL = "INFO"
LOG_FORMATTER = "crawler.logformatter.ArticleLogFormatter"
LOG_LEVEL = "INFO"
