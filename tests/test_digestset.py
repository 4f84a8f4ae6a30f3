"""DigestSet: a set of fixed-size digests in one bytearray, held to Python's set."""
from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.digestset import DigestSet


def sha1(n: int) -> bytes:
    return hashlib.sha1(str(n).encode()).digest()


def test_adds_each_digest_once_and_finds_it_after_growing() -> None:
    digests = DigestSet(20)
    added = [digests.add(sha1(n)) for n in range(5000)]
    assert all(added) and len(digests) == 5000
    assert not any(digests.add(sha1(n)) for n in range(5000))
    assert all(sha1(n) in digests for n in range(5000))
    assert not any(sha1(n) in digests for n in range(5000, 6000))
    assert sorted(digests) == sorted(sha1(n) for n in range(5000))
    # 5,000 digests of 20 bytes in at most 3x their size; a set of bytes takes ~100 bytes each.
    assert digests.nbytes <= 3 * 20 * 5000 + 20 * 1024


def test_the_zero_digest_is_a_member_like_any_other() -> None:
    digests = DigestSet(16)
    zero = bytes(16)
    assert zero not in digests
    assert digests.add(zero) and not digests.add(zero)
    assert zero in digests and len(digests) == 1 and list(digests) == [zero]


def test_digests_that_share_their_first_bytes_are_kept_apart() -> None:
    # Not uniform: a fingerprinter may give digests alike in their first bytes.
    digests = DigestSet(16)
    alike = [bytes(12) + n.to_bytes(4, "big") for n in range(1, 3000)]
    assert all(digests.add(d) for d in alike)
    assert all(d in digests for d in alike) and len(digests) == len(alike)


def test_other_sizes_are_refused_or_absent() -> None:
    digests = DigestSet(16)
    with pytest.raises(ValueError):
        digests.add(bytes(range(20)))
    assert bytes(range(20)) not in digests
    assert "text" not in digests
    with pytest.raises(ValueError):
        DigestSet(0)


@given(st.lists(st.binary(min_size=4, max_size=4), max_size=3000))
def test_behaves_as_a_set(values: list[bytes]) -> None:
    ours, python = DigestSet(4), set()
    for value in values:
        assert ours.add(value) == (value not in python)
        python.add(value)
    assert len(ours) == len(python)
    assert set(ours) == python
    assert all(value in ours for value in python)
