"""The HTTP side of the test site: one handler per connection, in its own thread.

Responses are HTTP/1.1 with a Content-Length (or chunked), so clients may keep
connections alive as they do with the real site. Faults (faults.py) act
through the small ``Exchange`` surface this handler offers.
"""
from __future__ import annotations

import gzip
import socket
import struct
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from tests.site.faults import Chunked, Fault
from tests.site.requestlog import LoggedRequest

if TYPE_CHECKING:
    from tests.site.server import SputnikSite


def framed(payload: bytes, headers: dict[str, str],
           transfer: str) -> tuple[bytes, dict[str, str]]:
    """The bytes to send and the headers that describe them: the length of
    what goes on the wire (gzip: of the encoded bytes), or chunked framing."""
    if transfer == "gzip":
        payload = gzip.compress(payload, mtime=0)
        headers = {**headers, "Content-Encoding": "gzip"}
    if transfer == "chunked":
        return payload, {**headers, "Transfer-Encoding": "chunked"}
    return payload, {**headers, "Content-Length": str(len(payload))}


class SiteServer(ThreadingHTTPServer):
    """Tracks open connections, so stopping can close idle keep-alive ones
    instead of leaving their threads blocked on a read."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], site: SputnikSite) -> None:
        super().__init__(address, SiteHandler)
        self.site = site
        self.connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            open_now = list(self.connections)
        for connection in open_now:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by its handler

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that give up (timeouts, the slow fault) are part of the
        # tests: their broken pipes are not worth a traceback. Bugs still are.
        if not isinstance(sys.exception(), (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class SiteHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SputnikTestSite/1.0"
    server: SiteServer
    _entry: LoggedRequest | None = None

    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def _handle(self) -> None:
        site = self.server.site
        self._entry = site.log.record(LoggedRequest(
            self.command, self.path, self.headers.get("Host", ""), dict(self.headers.items())))
        fault, attempt = site.faults.next_attempt(self.path)
        acting = fault if fault is not None and fault.acts_on(attempt) else None
        if acting is not None and acting.intercept(self):
            return
        status, headers, body = site.answer(self.path, self.base_url())
        self.send_body(status, headers, body, acting)

    # --- Exchange: what faults may do ---------------------------------------

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def request_host(self) -> str:
        return self.headers.get("Host") or f"{self.server.server_address[0]}:{self.port}"

    def target(self) -> str:
        return self.path

    def base_url(self) -> str:
        return f"http://{self.request_host()}"

    def send_empty(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in {**headers, "Content-Length": "0"}.items():
            self.send_header(name, value)
        self.end_headers()

    def reset_connection(self) -> None:
        # Linger 0: closing sends a TCP RST instead of an orderly FIN. The
        # descriptor really closes once the handler lets go of its files.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def pause(self, seconds: float) -> None:
        self.server.site.stopping.wait(seconds)

    # --- Sending --------------------------------------------------------------

    def send_body(self, status: int, headers: dict[str, str], body: bytes,
                  fault: Fault | None) -> None:
        """A HEAD gets the headers a GET would get, and no body."""
        transfer = fault.transfer if fault is not None else "identity"
        payload, headers = framed(body, headers, transfer)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD":
            return
        if isinstance(fault, Chunked):
            self._write_chunks(payload, fault.chunk_size)
        else:
            self.wfile.write(payload)

    def _write_chunks(self, payload: bytes, size: int) -> None:
        for start in range(0, len(payload), size):
            chunk = payload[start:start + size]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Called by send_response: the status goes to the request log, not stderr.
        if self._entry is not None and isinstance(code, int):
            self.server.site.log.answered(self._entry, int(code))

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log is the record; stderr stays quiet during tests
