"""Feed files: named after the crawl, written whole or not at all."""
import subprocess
import sys
import textwrap

from scrapy.utils.test import get_crawler

from crawler.feeds import FEED_WRITE_ERRORS, UnbufferedFileFeedStorage
from crawler.spiders.sputnik_fr import SputnikFrSpider

CUT_SHORT = textwrap.dedent("""
    import resource, signal, sys
    from pathlib import Path
    from crawler.feeds import WholeWriteFile
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100))
    errors = []
    feed = WholeWriteFile(Path(sys.argv[1]), "ab", errors.append)
    try:
        feed.write(b"x" * 500)
    except OSError as e:
        print("raised", e.errno, len(errors))
    else:
        print("wrote all")
""")


def test_a_write_cut_short_by_a_size_limit_raises(tmp_path):
    target = tmp_path / "feed.jsonl"
    done = subprocess.run([sys.executable, "-c", CUT_SHORT, str(target)], capture_output=True,
                          text=True, timeout=30)
    assert done.stdout.startswith("raised"), done.stdout + done.stderr
    assert done.stdout.split()[-1] == "1"  # the storage was told once
    assert target.stat().st_size == 100


def test_storage_counts_a_failed_write(tmp_path):
    crawler = get_crawler(SputnikFrSpider)
    crawler.stats.open_spider()
    storage = UnbufferedFileFeedStorage.from_crawler(crawler, str(tmp_path / "f.jsonl"))
    file = storage.open(None)
    file.write(b"one line\n")
    storage._failed(OSError(28, "No space left on device"))
    file.close()
    assert crawler.stats.get_value(FEED_WRITE_ERRORS) == 1
    assert (tmp_path / "f.jsonl").read_bytes() == b"one line\n"
