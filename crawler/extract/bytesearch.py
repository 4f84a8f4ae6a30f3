"""Substring tests on a page's raw bytes, at the C library's speed.

The selector gate (``extract.selectors``) asks each page's body (about
50 KB) for a dozen names, and half of them are absent: each of those is a
search of the whole body. CPython's own search (``in``) does about
2.4 GB/s there and glibc's ``memmem`` 5.7 GB/s (docs/benchmarks.md).
``memmem`` is found in the running process's own symbols; where there is
none, ``in`` answers.
"""
from __future__ import annotations

import ctypes
from collections.abc import Callable

_Search = Callable[[bytes, int, bytes, int], int | None]


def _c_memmem() -> _Search | None:
    try:
        memmem = ctypes.CDLL(None).memmem
    except (OSError, AttributeError, TypeError):
        return None
    memmem.restype = ctypes.c_void_p
    # c_char_p passes a bytes object's own buffer: nothing is copied, and the
    # lengths given mean NUL bytes in either are searched like any other.
    memmem.argtypes = (ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t)
    return memmem  # type: ignore[no-any-return]


_MEMMEM = _c_memmem()


def contains(haystack: bytes, needle: bytes) -> bool:
    """``needle in haystack``."""
    if _MEMMEM is None or not needle:
        return needle in haystack
    return _MEMMEM(haystack, len(haystack), needle, len(needle)) is not None
