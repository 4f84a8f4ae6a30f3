"""contains: the C library's memmem, answering as ``in`` does."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.extract import bytesearch
from crawler.extract.bytesearch import contains

SMALL = st.binary(max_size=64) | st.sampled_from([b"", b"\x00", b"a\x00b", b"article__body"])


@settings(max_examples=500)
@given(SMALL, SMALL, SMALL)
def test_answers_as_in_does(before: bytes, needle: bytes, after: bytes) -> None:
    haystack = before + after
    assert contains(haystack, needle) is (needle in haystack)
    assert contains(before + needle + after, needle)


def test_a_long_page_is_searched_to_its_end() -> None:
    page = b"<div class=\"x\">" * 10_000
    assert contains(page + b"photolenta", b"photolenta")
    assert not contains(page, b"photolenta")
    assert contains(b"\x00" * 100 + b"<video", b"<video")


def test_this_machine_uses_memmem() -> None:
    # Linux and macOS both have it: a missing one would silently cost speed.
    assert bytesearch._MEMMEM is not None


def test_without_memmem_in_answers(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(bytesearch, "_MEMMEM", None)
    assert contains(b"abc", b"bc") and not contains(b"abc", b"cd")
