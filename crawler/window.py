"""The publication window a crawl or replay is limited to (``-a since/until``)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from scrapy.exceptions import UsageError


ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_day(value: str, argument: str) -> date:
    # date.fromisoformat also takes 20211201 and 2021-W48-3; the message promises YYYY-MM-DD.
    if not ISO_DAY.fullmatch(value.strip()):
        raise UsageError(f"-a {argument}={value!r}: expected a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value.strip())
    except ValueError as e:
        raise UsageError(f"-a {argument}={value!r}: expected a date as YYYY-MM-DD") from e


@dataclass(frozen=True)
class DateWindow:
    """Inclusive on both ends; an open end is None."""

    since: date | None = None
    until: date | None = None

    @classmethod
    def from_arguments(cls, since: str | None, until: str | None,
                       default_days: int | None = None,
                       today: date | None = None) -> DateWindow:
        start = parse_day(since, "since") if since else None
        end = parse_day(until, "until") if until else None
        if start is None and end is None and default_days is not None:
            end = today or date.today()
            start = end - timedelta(days=default_days - 1)
        if start and end and start > end:
            raise UsageError(f"-a since={start} comes after -a until={end}")
        return cls(start, end)

    def describe(self) -> str:
        """The window in words, for the log: an open end is said, not printed as None."""
        if self.since and self.until:
            return f"from {self.since} to {self.until}"
        if self.since:
            return f"from {self.since} on"
        if self.until:
            return f"up to {self.until}"
        return "at any date"

    def __contains__(self, day: date) -> bool:
        return (self.since is None or day >= self.since) and (
            self.until is None or day <= self.until
        )

    def overlaps(self, first: date, last: date) -> bool:
        return (self.since is None or last >= self.since) and (
            self.until is None or first <= self.until
        )
