"""Supplier test fixtures: a local HTTP server on 127.0.0.1 serving price lists (and misbehaving on demand)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.api.conftest import auth_headers, tokens_for  # noqa: F401 - the API suite's token fixtures
from tests.suppliers.supplier_helpers import DEMO


class PriceListServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.files: dict[str, bytes] = {"/technopark.yaml": (DEMO / "technopark.yaml").read_bytes()}
        self.types: dict[str, str] = {}  # path → Content-Type when not a price list (photos)
        self.requests: list[tuple[str, dict]] = []

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.server_port}{path}"


class Handler(BaseHTTPRequestHandler):
    server: PriceListServer

    def log_message(self, *_args):
        pass

    def _send(self, status: int, body: bytes = b"", content_type: str = "application/x-yaml", **headers):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.server.requests.append((self.path, dict(self.headers)))
        path, _, query = self.path.partition("?")
        if path in self.server.files:
            return self._send(200, self.server.files[path], self.server.types.get(path, "application/x-yaml"))
        if path == "/html":
            return self._send(200, b"<!doctype html><html><body>Log in</body></html>", "text/html; charset=utf-8")
        if path == "/html-as-text":
            return self._send(200, b"<!DOCTYPE html>\n<html></html>", "text/plain")
        if path == "/redirect":
            return self._send(302, Location=query or "/technopark.yaml")
        if path == "/loop":
            return self._send(302, Location="/loop")
        if path == "/missing":
            return self._send(404, b"not here", "text/plain")
        if path == "/huge":
            self.send_response(200)
            self.send_header("Content-Length", str(10**12))
            self.end_headers()
            return None
        if path == "/endless":  # no length, never ends: the size cap stops it
            self.send_response(200)
            self.end_headers()
            try:
                while True:
                    self.wfile.write(b"# padding\n" * 1000)
            except OSError:
                return None
        if path == "/slow":  # no answer for a while
            time.sleep(3)
            try:
                return self._send(200, b"shop: x")
            except OSError:  # the client gave up long ago, as it should
                return None
        if path == "/trickle":  # headers at once, then a byte now and then: only the overall deadline stops it
            self.send_response(200)
            self.end_headers()
            try:
                for _ in range(40):
                    self.wfile.write(b"#")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                return None
        return self._send(404)


@pytest.fixture
def pricelist_server():
    server = PriceListServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def allow_local(app):
    """Let URL imports reach 127.0.0.1 (only that address) for the local server."""
    app.config["SUPPLIER_URL_ALLOWLIST"] = ["127.0.0.1"]
    app.config["SUPPLIER_FETCH_TIMEOUT"] = 2
    return app
