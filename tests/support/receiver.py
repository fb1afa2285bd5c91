"""A real HTTP server on 127.0.0.1 that records what webhooks POST to it and answers as a test scripts it."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    status: int  # what the receiver answered


class Receiver:
    def __init__(self, server: ThreadingHTTPServer) -> None:
        self._server = server
        self._lock = threading.Lock()
        self.received: list[Received] = []
        self.answer: Callable[[int], int] = lambda n: 204  # n: how many requests came before this one
        self.delay_seconds = 0.0
        self.trickle_seconds = 0.0  # > 0: the answer's bytes go out one at a time, this far apart

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/hook"

    def record(self, path: str, headers: dict[str, str], body: bytes) -> int:
        with self._lock:
            status = self.answer(len(self.received))
            self.received.append(Received(path, headers, body, status))
        return status

    def delivered(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if 200 <= r.status < 300]

    async def wait_for(self, count: int, seconds: float = 15.0, *, delivered: bool = True) -> list[Received]:
        """The first `count` requests (answered 2xx when `delivered`), once that many came."""
        deadline = time.monotonic() + seconds
        while True:
            got = self.delivered() if delivered else list(self.received)
            if len(got) >= count:
                return got[:count]
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(got)} of {count} webhook requests arrived in {seconds}s")
            await asyncio.sleep(0.02)


@contextmanager
def receiver(*, keep_alive: bool = False) -> Iterator[Receiver]:
    """`keep_alive`: HTTP/1.1 with persistent connections, as production receivers answer (bench/webhooks.py);
    by default each request has a connection of its own."""
    holder: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            this = holder[0]
            if this.delay_seconds:
                time.sleep(this.delay_seconds)
            status = this.record(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            if this.trickle_seconds:
                self.close_connection = True
                for byte in f"HTTP/1.1 {status} OK\r\ncontent-length: 0\r\n\r\n".encode():
                    try:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                    except OSError:  # the client gave up
                        return
                    time.sleep(this.trickle_seconds)
                return
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(Receiver(server))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
