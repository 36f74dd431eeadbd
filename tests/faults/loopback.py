"""A threaded HTTP server on 127.0.0.1, at a free port, for the length of a `with`."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True  # a stalled answer must not hold the server's close

    def __init__(self, handler: type[BaseHTTPRequestHandler], owner: Any) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.owner = owner  # what the handler answers for


class QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection: a dropped one is just closed

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def owner(self) -> Any:
        assert isinstance(self.server, LoopbackServer)
        return self.server.owner

    def body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def respond(self, status: int, payload: bytes, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@contextmanager
def serving(handler: type[QuietHandler], owner: Any) -> Iterator[str]:
    """Serve `handler` (which reaches `owner` through `self.owner()`); yield the origin URL."""
    server = LoopbackServer(handler, owner)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
