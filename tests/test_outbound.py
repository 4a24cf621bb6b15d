"""The one outbound HTTP client (`storefront.outbound`), as webhooks use it: POST, no redirects, capped answers.

The address rules themselves are exercised with price-list downloads in tests/suppliers/test_suppliers_fetch.py.
"""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from storefront import outbound
from storefront.outbound import Client, FetchError, FetchTimeout

LOCAL = Client("Storefront-Test/1", ("127.0.0.1",), public_only="tests only reach 127.0.0.1")


class Handler(BaseHTTPRequestHandler):
    seen: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Handler.seen.append((self.path, dict(self.headers), body))
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.2/elsewhere")
            self.end_headers()
            return
        if self.path == "/slow":
            time.sleep(1.5)
        try:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"x" * 10_000)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the deadline test) or read only what it wanted

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    Handler.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_post_is_sent_to_the_pinned_address_and_the_answer_cut_to_size(server):
    response = LOCAL.request("POST", f"{server}/hook", body=b'{"a":1}', headers={"X-Test": "1"},
                             timeout=2, max_bytes=100, truncate=True)
    assert (response.status, response.body) == (200, b"x" * 100)
    path, headers, body = Handler.seen[-1]
    assert (path, body, headers["User-Agent"], headers["X-Test"]) == ("/hook", b'{"a":1}', "Storefront-Test/1", "1")


def test_without_truncate_a_larger_answer_is_refused(server):
    with pytest.raises(FetchError, match="larger than the limit"):
        LOCAL.request("POST", f"{server}/hook", body=b"", timeout=2, max_bytes=100)


def test_redirects_are_returned_not_followed_unless_asked(server):
    response = LOCAL.request("POST", f"{server}/redirect", body=b"", timeout=2, max_bytes=100, truncate=True)
    assert response.status == 302 and len(Handler.seen) == 1
    # Followed, the redirect's target is checked like the first address (127.0.0.2 is not allowlisted).
    with pytest.raises(FetchError, match=r"127\.0\.0\.2 is a loopback address; tests only reach 127\.0\.0\.1\."):
        LOCAL.request("POST", f"{server}/redirect", body=b"", timeout=2, max_bytes=100, max_redirects=1)


def test_a_timeout_is_its_own_kind_of_fetch_error(server):
    with pytest.raises(FetchTimeout):
        LOCAL.request("POST", f"{server}/slow", body=b"", timeout=0.5, max_bytes=100, truncate=True)
    assert issubclass(FetchTimeout, FetchError)


def test_check_classifies_literals_without_any_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"network used: {args}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(outbound, "open_socket", refuse)
    assert LOCAL.check("http://127.0.0.1:8080/x").port == 8080
    assert LOCAL.check("https://93.184.216.34/hook").host == "93.184.216.34"
    assert LOCAL.check("https://receiver.example/hook", look_up=False).host == "receiver.example"
    for url in ("http://[::1]/", "http://169.254.169.254/latest", "http://[::ffff:127.0.0.1]/", "http://10.0.0.1/"):
        with pytest.raises(FetchError, match="tests only reach") as caught:
            LOCAL.check(url)
        assert caught.value.field == "url"
    with pytest.raises(FetchError, match="Only http"):
        LOCAL.check("ftp://93.184.216.34/")
