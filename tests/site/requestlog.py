"""What the test site was asked for: every request, in arrival order.

A request is recorded when it arrives, before any fault acts, so requests
that time out or get their connection reset are in the log too; ``status``
is filled in once an answer is sent (None: no answer, as after a reset).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class LoggedRequest:
    method: str
    target: str
    host: str
    headers: dict[str, str]
    at: float = field(default_factory=time.time)
    status: int | None = None

    @property
    def path(self) -> str:
        """The path without its query."""
        return self.target.split("?", 1)[0]

    def matches(self, path: str) -> bool:
        # With a query, the whole target must match; without, any query does.
        return self.target == path if "?" in path else self.path == path


class RequestLog:
    """Thread-safe: the server's handler threads append, the test reads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._entries: list[LoggedRequest] = []

    def record(self, entry: LoggedRequest) -> LoggedRequest:
        with self._changed:
            self._entries.append(entry)
            self._changed.notify_all()
        return entry

    def answered(self, entry: LoggedRequest, status: int) -> None:
        with self._changed:
            entry.status = status
            self._changed.notify_all()

    def entries(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def requested_paths(self) -> list[str]:
        """Targets (path and query) in arrival order, repeats included."""
        return [entry.target for entry in self.entries()]

    def count(self, path: str) -> int:
        """Requests for ``path``; a path without a query counts every query."""
        return sum(entry.matches(path) for entry in self.entries())

    def for_path(self, path: str) -> list[LoggedRequest]:
        return [entry for entry in self.entries() if entry.matches(path)]

    def hosts(self, path: str) -> list[str]:
        """The Host header of each request for ``path``, in order."""
        return [entry.host for entry in self.for_path(path)]

    def statuses(self, path: str) -> list[int | None]:
        return [entry.status for entry in self.for_path(path)]

    def wait_for(self, predicate: Callable[[list[LoggedRequest]], bool],
                 timeout: float = 5.0) -> bool:
        """Blocks until ``predicate(entries)`` holds or ``timeout`` seconds pass."""
        with self._changed:
            return self._changed.wait_for(lambda: predicate(list(self._entries)), timeout)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
