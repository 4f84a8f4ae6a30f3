"""The exit status read from a run's final stats (crawler.outcome)."""
from crawler.outcome import FAILED, OK, PARTIAL, exit_status, outcome_counts


def test_a_run_that_reached_nothing_failed():
    assert exit_status({"finish_reason": "finished"})[0] == FAILED


def test_an_archive_run_answered_from_the_index_cache_reached_its_sources():
    # A second run of a window asks nothing: its indexes come from the cache.
    stats = {"finish_reason": "finished", "commoncrawl/index/cached_pages": 2,
             "wayback/index/recent": 1}
    assert exit_status(stats) == (OK, "every source was reached")


def test_a_failed_index_query_beside_cached_pages_is_partial():
    stats = {"finish_reason": "finished", "commoncrawl/index/cached_pages": 2,
             "wayback/index/failed/timeout": 1}
    assert exit_status(stats)[0] == PARTIAL


def test_a_run_stopped_early_failed_whatever_it_fetched():
    stats = {"finish_reason": "state_error", "downloader/response_count": 40}
    assert exit_status(stats) == (FAILED, "the run stopped early (state_error)")


def test_an_archive_source_taken_as_down_is_partial():
    stats = {"finish_reason": "finished", "downloader/response_count": 9,
             "archive/source_down/commoncrawl": 1, "archive/source_down_skipped/commoncrawl": 4}
    assert exit_status(stats)[0] == PARTIAL


def test_the_summary_counts_archive_skips_by_what_they_mean():
    stats = {"finish_reason": "finished", "downloader/response_count": 9,
             "dedupe/unchanged": 1, "archive/skipped/held_digest": 2,
             "archive/skipped/held_article": 3, "archive/skipped/other_source": 4,
             "archive/skipped/older": 5, "archive/skipped/same_payload": 6}
    counts = outcome_counts(stats)
    assert "6 unchanged (already archived)" in counts
    assert "15 not fetched (another capture chosen)" in counts
