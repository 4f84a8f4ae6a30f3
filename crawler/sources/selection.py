"""Which capture of each article a multi-archive run fetches, once every index is read.

Every distinct capture the indexes list for an article of the window lands
in exactly one bucket, counted as ``archive/captures/<bucket>``:

- ``chosen``: fetched;
- ``held_digest``: its payload digest is in the store (archived before);
- ``held_article``: the store holds the article, and neither
  ``-a captures=all`` nor ``-a refresh=1`` asks for a new text of it;
- ``other_source``: the article is had from a preferred archive;
- ``older``: a newer capture of the same archive is fetched;
- ``same_payload`` (``captures=all``): the same digest is fetched from
  another capture.

``newest`` takes the first archive of ``-a prefer`` that has a capture not
held, and its newest one; ``all`` one capture per digest not held, each from
the first archive of ``prefer`` listing it. The captures left aside stay as
fallbacks, in the same order: when the chosen one cannot be had, the next
archive's is fetched; when it is no article (an error page archived with
status 200), the next capture of the article, of any archive.

An article counts as held when the article store has it (an item went out);
a digest held alone (a capture that gave no article) skips only that capture.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from crawler.sources.captures import Capture
from crawler.state.captures import normalise_digest


@dataclass(frozen=True)
class Listed:
    """A capture of an article as one archive lists it."""

    article_id: str
    source: str
    capture: Capture

    @property
    def digest(self) -> str:
        return normalise_digest(self.capture.digest)

    @property
    def group(self) -> str:
        # A capture without a usable digest is its own text.
        return self.digest or f"{self.source}:{self.capture.timestamp}:{self.capture.url}"


@dataclass
class Choice:
    chosen: Listed
    fallbacks: list[Listed]


class CaptureSelector:
    def __init__(self, prefer: tuple[str, ...], keep_all: bool, refresh: bool) -> None:
        self.rank = {source: n for n, source in enumerate(prefer)}
        self.keep_all = keep_all
        self.refresh = refresh
        # Per article, per (source, text): the newest capture. Bounded by the
        # window's articles and their texts, not by the indexes' size.
        self.listed: dict[str, dict[tuple[str, str], Listed]] = {}
        self.buckets: Counter[str] = Counter()

    def offer(self, listed: Listed) -> None:
        kept = self.listed.setdefault(listed.article_id, {})
        key = (listed.source, listed.group)
        held = kept.get(key)
        if held is not None and held.capture == listed.capture:
            return  # the same capture listed again (a Wayback answer asked anew)
        if held is not None:
            # Repeated captures of one text in one archive: the newest stands.
            self.buckets["older" if not self.keep_all else "same_payload"] += 1
        if held is None or listed.capture.timestamp > held.capture.timestamp:
            kept[key] = listed

    def article_ids(self) -> list[str]:
        return sorted(self.listed)

    def choose(self, held_digests: Callable[[str], set[str]],
               holds_article: Callable[[str], bool]) -> list[Choice]:
        """The captures to fetch, article by article (in id order: stable across runs)."""
        choices: list[Choice] = []
        for article_id in self.article_ids():
            choices += self._choose_for(article_id, held_digests(article_id), holds_article(article_id))
        return choices

    def _choose_for(self, article_id: str, held: set[str], holds: bool) -> list[Choice]:
        candidates = sorted(self.listed[article_id].values(), key=self._order)
        fresh = [c for c in candidates if not c.digest or c.digest not in held]
        self.buckets["held_digest"] += len(candidates) - len(fresh)
        if fresh and holds and not (self.keep_all or self.refresh):
            self.buckets["held_article"] += len(fresh)
            return []
        if self.keep_all:
            return self._one_per_text(fresh)
        return self._newest(fresh)

    def _order(self, listed: Listed) -> tuple[int, str]:
        # Preferred archive first; within one, the newest capture first.
        return (self.rank.get(listed.source, len(self.rank)), _negated(listed.capture.timestamp))

    def _newest(self, fresh: list[Listed]) -> list[Choice]:
        if not fresh:
            return []
        chosen, rest = fresh[0], fresh[1:]
        for other in rest:
            self.buckets["older" if other.source == chosen.source else "other_source"] += 1
        self.buckets["chosen"] += 1
        return [Choice(chosen, rest)]

    def _one_per_text(self, fresh: list[Listed]) -> list[Choice]:
        by_text: dict[str, list[Listed]] = {}
        for listed in fresh:
            by_text.setdefault(listed.group, []).append(listed)
        for same in by_text.values():
            self.buckets["same_payload"] += len(same) - 1
        self.buckets["chosen"] += len(by_text)
        return [Choice(same[0], same[1:]) for same in by_text.values()]


def _negated(timestamp: str) -> str:
    """A key that sorts 14-digit timestamps newest first."""
    return "".join(chr(ord("9") - ord(c) + ord("0")) if c.isdigit() else c for c in timestamp)
