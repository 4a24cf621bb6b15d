"""Webhook fixtures: 127.0.0.1 allowlisted (only it), no backoff wait, and a receiver on 127.0.0.1."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@pytest.fixture
def app(app, tmp_path):
    app.config.update(WEBHOOK_URL_ALLOWLIST=["127.0.0.1"], WEBHOOK_BACKOFF=0, WEBHOOK_TIMEOUT=1,
                      WEBHOOK_MAX_ATTEMPTS=3, INVOICE_DIR=str(tmp_path / "invoices"))
    return app


class Receiver:
    """Answers each POST with the next status of `statuses` (the last one repeats); keeps what it got."""

    def __init__(self):
        self.requests: list[dict] = []
        self.statuses = [200]
        self.delay = 0.0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/storefront"

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                if receiver.delay:
                    time.sleep(receiver.delay)
                index = min(len(receiver.requests) - 1, len(receiver.statuses) - 1)
                status = receiver.statuses[index]
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"receiver is down")

            def log_message(self, *args):
                pass

        return Handler


@pytest.fixture
def receiver():
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()
