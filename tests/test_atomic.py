"""Files replaced whole (crawler.atomic), including by parallel writers."""
from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from crawler.atomic import replaced, write_bytes, write_text


def test_a_file_is_replaced_whole_and_no_temporary_file_is_left(tmp_path):
    target = tmp_path / "deep" / "index.html"
    write_text(target, "first")
    write_bytes(target, b"second")
    assert target.read_text(encoding="utf-8") == "second"
    assert os.listdir(target.parent) == ["index.html"]
    assert target.stat().st_mode & 0o777 == 0o644


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    target = tmp_path / "stats.json"
    write_text(target, "old")
    with pytest.raises(RuntimeError), replaced(target) as out:
        out.write("half")
        raise RuntimeError("killed mid-write")
    assert target.read_text(encoding="utf-8") == "old"
    assert os.listdir(tmp_path) == ["stats.json"]


def _write_many(target: str, tag: str) -> None:
    for number in range(150):
        write_text(Path(target), f"{tag} {number}")


def test_parallel_writers_of_one_path_do_not_trip_over_each_other(tmp_path):
    # A fixed temporary name made one writer rename away the other's file
    # (FileNotFoundError); each writer's own name cannot.
    target = tmp_path / "index.html"
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_write_many, args=(str(target), tag)) for tag in "ab"]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(30)
    assert [writer.exitcode for writer in writers] == [0, 0]
    assert target.read_text(encoding="utf-8").split()[1] == "149"
    assert os.listdir(tmp_path) == ["index.html"]
