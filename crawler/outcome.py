"""What a run came to: its exit status, and the closing summary in words.

Both are read from the crawl's final stats, so a scrapyd job (whose process
status scrapyd keeps to itself) can be judged the same way from its
STATS_FILE (``python -m crawler.schedule --outcome stats.json``).

Exit status:

- 0: the run finished and every source it was given could be reached;
- 1: it failed: nothing could be fetched or read, it stopped early (a finish
  reason other than ``finished``, e.g. ``warc_write_error``), or a feed could
  not be stored;
- 2: a usage error (bad argument or setting; nothing was fetched);
- 3: partial: it ran, but some source could not be reached or read (a
  listing not fetched or not usable, a replay path missing or not a WARC, an
  archive index query failed, an archive source taken as down).

Pages that fail one by one (a 404 article, a timeout) are counted and shown
in the summary, not a failure of the run: the site is still there.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

OK, FAILED, USAGE, PARTIAL = 0, 1, 2, 3
EXIT_STATUS_STAT = "exit_status"
# Replay files that could not be read at all; the rest were read.
UNREAD_FILE_ERRORS = ("replay/errors/unreadable", "replay/errors/empty", "replay/errors/not_warc")
# A source that could not be reached: a listing, a replay path, an archive index.
UNREACHED_PREFIXES = ("discovery/failed/", "replay/errors/missing_path", "replay/errors/unreadable",
                      "replay/errors/not_warc", "commoncrawl/index/failed/", "wayback/index/failed/",
                      "archive/source_down/")
ARCHIVE_PREFIXES = ("commoncrawl/", "wayback/")
# Archive captures not fetched (crawler.sources.selection): the store holds
# them already, or another capture of the same article was fetched instead.
ARCHIVE_HELD = ("archive/skipped/held_digest", "archive/skipped/held_article")
ARCHIVE_NOT_CHOSEN = ("archive/skipped/other_source", "archive/skipped/older",
                      "archive/skipped/same_payload")
# Where the end-of-run reports went (set by their extensions when written).
REPORT_PATH_STAT, COVERAGE_PATH_STAT = "report/path", "coverage/path"
FEED_FAILURES = ("feedexport/failed_count/", "feeds/errors/write")


def total(stats: Mapping[str, Any], *prefixes: str, suffix: str = "") -> int:
    return sum(value for key, value in stats.items()
               if isinstance(value, int) and key.startswith(prefixes) and key.endswith(suffix))


def by_reason(stats: Mapping[str, Any], prefix: str) -> dict[str, int]:
    return {key[len(prefix):]: value for key, value in sorted(stats.items())
            if key.startswith(prefix) and isinstance(value, int) and value}


def anything_reached(stats: Mapping[str, Any]) -> bool:
    """Whether any response came back (from the network or an archive), any
    replay file could be opened, or an archive index was answered from the
    on-disk cache (a second run of a window needs to ask nothing)."""
    files_read = stats.get("replay/files", 0) - total(stats, *UNREAD_FILE_ERRORS)
    cached = total(stats, *ARCHIVE_PREFIXES, suffix="/index/cached_pages") \
        + total(stats, *ARCHIVE_PREFIXES, suffix="/index/recent")
    return bool(stats.get("downloader/response_count", 0) or files_read > 0 or cached)


def exit_status(stats: Mapping[str, Any]) -> tuple[int, str]:
    """The exit status and the reason for it, in words."""
    reason = stats.get("finish_reason") or "unknown"
    if reason != "finished":
        return FAILED, f"the run stopped early ({reason})"
    if total(stats, *FEED_FAILURES):
        return FAILED, "a feed could not be stored"
    if not anything_reached(stats):
        return FAILED, "nothing could be fetched or read"
    if total(stats, *UNREACHED_PREFIXES):
        return PARTIAL, "some sources could not be reached"
    return OK, "every source was reached"


def counted(count: int, what: str) -> str:
    return f"{count} {what}"


def reasons(counts: dict[str, int]) -> str:
    return ", ".join(f"{name}: {value}" for name, value in counts.items())


def outcome_counts(stats: Mapping[str, Any]) -> list[str]:
    """What the run produced, and why the rest was not written, in words."""
    wanted = ("discovery/", "replay/skipped/", "commoncrawl/", "wayback/")
    return [
        counted(stats.get("item_scraped_count", 0), "articles written"),
        counted(total(stats, "dedupe/unchanged", "discovery/sitemap/unchanged",
                      "discovery/rss/archived", *ARCHIVE_HELD), "unchanged (already archived)"),
        counted(total(stats, *ARCHIVE_NOT_CHOSEN), "not fetched (another capture chosen)"),
        counted(total(stats, "dedupe/duplicate", "commoncrawl/records/duplicate",
                      "wayback/records/duplicate"), "duplicates"),
        counted(total(stats, *wanted, suffix="/out_of_window"), "out of the date window"),
        counted(total(stats, *wanted, suffix="/other_host") + stats.get("offsite/filtered", 0),
                "on other hosts"),
        counted(not_articles(stats), "pages not articles"),
    ]


def not_articles(stats: Mapping[str, Any]) -> int:
    return total(stats, "article/skipped/", "replay/skipped/not_html", "replay/skipped/status_",
                 "replay/skipped/not_article_url", "discovery/sitemap/not_article_url",
                 "discovery/rss/not_article_url")


def failure_counts(stats: Mapping[str, Any]) -> list[str]:
    """What failed, by reason."""
    failed = {**by_reason(stats, "article/failed/"),
              **{f"listing {k}": v for k, v in by_reason(stats, "discovery/failed/").items()},
              **by_reason(stats, "validate/dropped/")}
    replay_errors = by_reason(stats, "replay/errors/")
    return [
        counted(sum(failed.values()), "failed") + (f" ({reasons(failed)})" if failed else ""),
        counted(total(stats, "commoncrawl/index/failed/", "wayback/index/failed/"),
                "archive index queries failed"),
        counted(sum(replay_errors.values()), "replay errors")
        + (f" ({reasons(replay_errors)})" if replay_errors else ""),
    ]


def summary_lines(stats: Mapping[str, Any], feeds: list[str], archive: str | None,
                  stats_file: str | None) -> list[str]:
    """The closing summary: what the run produced and why, then where it went."""
    status, why = exit_status(stats)
    return [
        f"Run summary ({stats.get('finish_reason', 'unknown')}, exit status {status}: {why}): "
        + "; ".join(outcome_counts(stats) + failure_counts(stats)),
        "Output: feeds " + (", ".join(feeds) if feeds else "none written")
        + f"; archive {archive or 'not written'}; stats {stats_file or 'not written (set STATS_FILE)'}"
        + f"; report {stats.get(REPORT_PATH_STAT) or 'not written'}"
        + f"; coverage {stats.get(COVERAGE_PATH_STAT) or 'not written'}",
    ]
