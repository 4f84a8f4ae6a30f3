"""Turn a replay path specification into a deterministic list of WARC files."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Sequence

WARC_SUFFIXES = (".warc", ".warc.gz")
GLOB_CHARS = frozenset("*?[")


class ReplayPathError(ValueError):
    """A replay path names nothing that can be read."""


def expand_paths(spec: str | Sequence[str]) -> list[str]:
    """Expand ``"PATH[,PATH...]"`` (or a list of them) into WARC file paths.

    Each PATH is a file, a directory (every ``*.warc``/``*.warc.gz`` below it,
    recursively) or a glob. Files keep the order of the spec; what a directory
    or glob expands to is sorted. A file is listed once even if named twice.
    """
    found: list[str] = []
    for item in _split_spec(spec):
        found.extend(_expand_one(item))
    return list(dict.fromkeys(found))


def _split_spec(spec: str | Sequence[str]) -> list[str]:
    items = [spec] if isinstance(spec, str) else list(spec)
    parts = [part.strip() for item in items for part in item.split(",")]
    parts = [part for part in parts if part]
    if not parts:
        raise ReplayPathError("no WARC path given: pass a file, directory or glob")
    return parts


def _expand_one(item: str) -> list[str]:
    path = os.path.expanduser(item)
    if os.path.isdir(path):
        files = _warc_files_below(path)
        what = "the directory holds no *.warc or *.warc.gz file"
    elif os.path.isfile(path):
        return [path]
    elif GLOB_CHARS & set(path):
        files = _glob_files(path)
        what = "the pattern matches no file"
    else:
        files, what = [], "no such file or directory"
    if not files:
        raise ReplayPathError(f"WARC replay path {item!r}: {what}")
    return files


def _warc_files_below(directory: str) -> list[str]:
    return sorted(
        os.path.join(root, name)
        for root, _dirs, names in os.walk(directory)
        for name in names
        if is_warc_name(name)
    )


def _glob_files(pattern: str) -> list[str]:
    matches = sorted(glob.glob(pattern, recursive=True))
    # A glob naming a directory means the WARC files inside it.
    return [f for m in matches for f in _files_of(m)]


def _files_of(path: str) -> Iterable[str]:
    return _warc_files_below(path) if os.path.isdir(path) else [path]


def is_warc_name(name: str) -> bool:
    """True for names a WARC writer gives its files (``.warc``, ``.warc.gz``)."""
    return name.lower().endswith(WARC_SUFFIXES)
