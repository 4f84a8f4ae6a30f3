"""Faults the test site can put on chosen paths, as a crawl meets them on the web.

A fault acts on the first ``times`` requests for its path (every request when
``times`` is None), then the path answers normally. Attempts are counted per
path from the site's start, or from ``FaultPlan.reset_attempts()``.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol


class Exchange(Protocol):
    """What a fault may do with the request being answered (see handler.py)."""

    port: int

    def request_host(self) -> str: ...

    def target(self) -> str: ...

    def send_empty(self, status: int, headers: dict[str, str]) -> None: ...

    def reset_connection(self) -> None: ...

    def pause(self, seconds: float) -> None: ...


@dataclass
class Fault:
    """Base: acts on the first ``times`` attempts (None: on every attempt)."""

    times: int | None = None
    # How the normal answer travels while the fault acts: identity, gzip, chunked.
    transfer = "identity"

    def acts_on(self, attempt: int) -> bool:
        return self.times is None or attempt <= self.times

    def intercept(self, exchange: Exchange) -> bool:
        """Answers in the fault's way and returns True, or lets the page through."""
        return False


@dataclass
class Status(Fault):
    """An error status with an empty page: 404 (never existed), 410 (removed)."""

    status: int = 404

    def intercept(self, exchange: Exchange) -> bool:
        exchange.send_empty(self.status, {})
        return True


@dataclass
class ServerError(Fault):
    """500 on the first ``times`` tries: the page comes on try ``times + 1``."""

    times: int | None = 1
    status: int = 500

    def intercept(self, exchange: Exchange) -> bool:
        exchange.send_empty(self.status, {})
        return True


@dataclass
class TooManyRequests(Fault):
    """429 with ``Retry-After`` (seconds) on the first ``times`` tries."""

    times: int | None = 1
    retry_after: int = 1

    def intercept(self, exchange: Exchange) -> bool:
        exchange.send_empty(429, {"Retry-After": str(self.retry_after)})
        return True


@dataclass
class Reset(Fault):
    """The connection is reset (TCP RST) before any byte of a response."""

    times: int | None = 1

    def intercept(self, exchange: Exchange) -> bool:
        exchange.reset_connection()
        return True


@dataclass
class Slow(Fault):
    """Waits ``seconds`` before answering; set it beyond the crawl's timeout."""

    seconds: float = 5.0

    def intercept(self, exchange: Exchange) -> bool:
        exchange.pause(self.seconds)
        return False


@dataclass
class Gzip(Fault):
    """The page gzip-encoded (``Content-Encoding: gzip``), whatever the request
    accepts, with the Content-Length of the encoded bytes."""

    transfer = "gzip"


@dataclass
class Chunked(Fault):
    """The page in HTTP/1.1 chunks of ``chunk_size`` bytes, with no Content-Length."""

    transfer = "chunked"
    chunk_size: int = 4096


@dataclass
class Redirect(Fault):
    """301 to the same path on ``host`` (another host of the edition; on
    loopback, ``localhost`` is another name for the same server). Requests
    that already arrive on ``host`` get the page."""

    host: str = "localhost"
    status: int = 301

    def intercept(self, exchange: Exchange) -> bool:
        arrived_on = exchange.request_host().rsplit(":", 1)[0].lower()
        if arrived_on == self.host:
            return False
        target = f"http://{self.host}:{exchange.port}{exchange.target()}"
        exchange.send_empty(self.status, {"Location": target})
        return True


class FaultPlan:
    """Which path has which fault, and how many times each path was asked for."""

    def __init__(self, faults: dict[str, Fault] | None = None) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, Fault] = dict(faults or {})
        self._attempts: dict[str, int] = {}

    def set(self, path: str, fault: Fault) -> None:
        with self._lock:
            self._faults[path] = fault
            self._attempts.pop(path, None)

    def remove(self, path: str) -> None:
        with self._lock:
            self._faults.pop(path, None)

    def reset_attempts(self) -> None:
        with self._lock:
            self._attempts.clear()

    def snapshot(self) -> dict[str, Fault]:
        with self._lock:
            return dict(self._faults)

    def paths_of(self, kind: type[Fault]) -> list[str]:
        return sorted(path for path, fault in self.snapshot().items() if isinstance(fault, kind))

    def next_attempt(self, target: str) -> tuple[Fault | None, int]:
        """The fault on ``target`` (path with query, else path alone) and the
        number of this attempt at it, counting from 1."""
        with self._lock:
            key = target if target in self._faults else target.split("?", 1)[0]
            self._attempts[key] = attempt = self._attempts.get(key, 0) + 1
            return self._faults.get(key), attempt
