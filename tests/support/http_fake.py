"""A fake HTTP service on a free port of 127.0.0.1, served from its own thread (for fakes of Rasa's HTTP API)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TypeVar

SelfServer = TypeVar("SelfServer", bound="ThreadedHttpFake")


class ThreadedHttpFake:
    """Serve `handler` on 127.0.0.1; subclasses build the handler around their own recorded state."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        """Return the fake's base URL."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self: SelfServer) -> SelfServer:
        """Start serving; return the fake."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
