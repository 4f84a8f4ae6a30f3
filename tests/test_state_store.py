import multiprocessing
from pathlib import Path

import pytest

from crawler.state import StateURIError, open_store
from crawler.state.sqlite import SqliteArticleStore, path_from_uri


def store_at(tmp_path: Path) -> SqliteArticleStore:
    return open_store(f"sqlite:///{tmp_path}/state/test.sqlite3")


def test_versions_count_up_and_first_seen_stays(tmp_path):
    store = store_at(tmp_path)
    assert store.get("1054083153") is None
    assert store.record_version("1054083153", "https://a/1", "2021-12-27T10:25:00+01:00", None,
                                b"one", "2021-12-28T06:00:00Z") == 1
    assert store.record_version("1054083153", "https://b/1", "2021-12-27T10:25:00+01:00",
                                "2021-12-27T12:01:00+01:00", b"two", "2021-12-29T06:00:00Z") == 2
    archived = store.get("1054083153")
    assert (archived.url, archived.digest, archived.versions) == ("https://b/1", b"two", 2)
    assert (archived.first_seen, archived.last_seen) == ("2021-12-28T06:00:00Z", "2021-12-29T06:00:00Z")
    assert archived.last_change == "2021-12-27T12:01:00+01:00"
    store.close()


def test_touch_moves_last_seen_forward_only(tmp_path):
    store = store_at(tmp_path)
    store.record_version("1", "u", "2021-01-01T00:00:00+01:00", None, b"d", "2021-02-01T00:00:00Z")
    store.touch("1", "2021-03-01T00:00:00Z")
    store.touch("1", "2021-01-15T00:00:00Z")
    assert store.get("1").last_seen == "2021-03-01T00:00:00Z"
    assert store.get("1").versions == 1


def test_state_survives_reopening(tmp_path):
    store = store_at(tmp_path)
    store.record_version("7", "u", None, None, b"d", "t")
    store.close()
    assert store_at(tmp_path).get("7").versions == 1


@pytest.mark.parametrize("uri,path", [
    ("sqlite:///output/state/a.sqlite3", Path("output/state/a.sqlite3")),
    ("sqlite:////var/lib/x.sqlite3", Path("/var/lib/x.sqlite3")),
])
def test_uri_forms(uri, path):
    assert path_from_uri(uri) == path


@pytest.mark.parametrize("uri", ["sqlite://host/x", "sqlite:///", "postgres://db/x", "output/x.sqlite3"])
def test_bad_uris_are_clear_errors(uri):
    with pytest.raises(StateURIError, match="STATE_URI"):
        open_store(uri)


def _write_many(uri: str, start: int) -> None:
    store = open_store(uri)
    for n in range(start, start + 300):
        store.record_version(str(n % 350), "u", None, None, str(n).encode(), f"t{n:05d}")
    store.close()


def test_concurrent_writers_do_not_corrupt_the_store(tmp_path):
    uri = f"sqlite:///{tmp_path}/shared.sqlite3"
    open_store(uri).close()
    workers = [multiprocessing.get_context("spawn").Process(target=_write_many, args=(uri, k * 300))
               for k in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]
    store = open_store(uri)
    assert store.count() == 350
    assert sum(store.get(str(n)).versions for n in range(350)) == 900
    assert store.db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_the_same_text_recorded_twice_is_one_version(tmp_path):
    store = store_at(tmp_path)
    assert store.record_version("9", "u", None, None, b"same", "t1") == 1
    assert store.record_version("9", "u", None, None, b"same", "t2") == 1
    assert store.record_version("9", "u", None, None, b"new", "t3") == 2
    assert store.get("9").versions == 2
