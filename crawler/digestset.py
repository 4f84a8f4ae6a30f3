"""A set of fixed-size digests kept in one bytearray.

What a run remembers of each article (the duplicate filter's request
fingerprint, the dedupe pipeline's key) is a digest of 16 or 20 bytes. In a
Python ``set`` each costs about 100 bytes: the bytes object and its slot.
Here each costs its own size in a table at most two thirds full: 24-60
bytes, and no object, so what a replay holds stays nearly flat from a
thousand articles to millions.

Open addressing with linear probing; a slot of zero bytes is empty, so the
all-zero digest is remembered apart.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

_FIRST_SLOTS = 1024


class DigestSet:
    def __init__(self, size: int, digests: Iterable[bytes] = ()) -> None:
        if size < 1:
            raise ValueError(f"digest size must be positive, not {size}")
        self.size = size
        self._empty = bytes(size)
        self._has_empty = False
        self._count = 0
        self._mask = _FIRST_SLOTS - 1
        self._table = bytearray(size * _FIRST_SLOTS)
        for digest in digests:
            self.add(digest)

    def add(self, digest: bytes) -> bool:
        """Adds ``digest``; True when it was not there yet."""
        if digest == self._empty:
            added, self._has_empty = not self._has_empty, True
            self._count += added
            return added
        found, slot = self._probe(digest)
        if found:
            return False
        at = slot * self.size
        self._table[at:at + self.size] = digest
        self._count += 1
        if 3 * self._count > 2 * self._mask:
            self._grow()
        return True

    def __contains__(self, digest: object) -> bool:
        if not isinstance(digest, bytes) or len(digest) != self.size:
            return False
        if digest == self._empty:
            return self._has_empty
        return self._probe(digest)[0]

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[bytes]:
        if self._has_empty:
            yield self._empty
        yield from self._stored()

    @property
    def nbytes(self) -> int:
        """The table's size in memory."""
        return len(self._table)

    def _probe(self, digest: bytes) -> tuple[bool, int]:
        """Whether ``digest`` is in the table, and its slot or the free one it would take."""
        if len(digest) != self.size:
            raise ValueError(f"a digest of {len(digest)} bytes in a set of {self.size}-byte ones")
        table, size, mask, empty = self._table, self.size, self._mask, self._empty
        # hash(), not the digest's own bytes: a fingerprinter's output need
        # not be uniform, and bytes cache their hash.
        slot = hash(digest) & mask
        while True:
            at = slot * size
            stored = table[at:at + size]
            if stored == digest:
                return True, slot
            if stored == empty:
                return False, slot
            slot = (slot + 1) & mask

    def _stored(self) -> Iterator[bytes]:
        table, size, empty = self._table, self.size, self._empty
        for at in range(0, len(table), size):
            stored = bytes(table[at:at + size])
            if stored != empty:
                yield stored

    def _grow(self) -> None:
        # Read from the old table one digest at a time: a list of them
        # would cost, for a moment, what this class exists to save.
        old, size, empty = self._table, self.size, self._empty
        self._mask = 2 * (self._mask + 1) - 1
        self._table = bytearray(size * (self._mask + 1))
        for at in range(0, len(old), size):
            digest = bytes(old[at:at + size])
            if digest != empty:
                slot = self._probe(digest)[1] * size
                self._table[slot:slot + size] = digest
