"""URL imports: address rules (IP literals classified, never connected to) and a real local server on 127.0.0.1."""

import socket

import pytest

from storefront import outbound
from storefront.outbound import FetchError, address_refusal, check_url
from storefront.suppliers.fetch import fetch_price_list

ALLOW = ["127.0.0.1"]


def get(url, *, max_bytes=1_000_000, timeout=2.0, allowlist=ALLOW):
    return fetch_price_list(url, max_bytes=max_bytes, timeout=timeout, allowlist=allowlist)


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.0.0.2", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
    "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "fd00:ec2::254",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "2002:7f00:1::", "64:ff9b::a00:1", "ff02::1",
])
def test_private_and_special_addresses_are_refused(address):
    assert address_refusal(address) is not None


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address):
    assert address_refusal(address) is None


def test_the_allowlist_opens_exactly_what_it_lists():
    assert address_refusal("127.0.0.1", ALLOW) is None
    assert address_refusal("127.0.0.2", ALLOW) is not None
    assert address_refusal("::1", ALLOW) is not None
    assert address_refusal("::ffff:127.0.0.1", ALLOW) is not None  # the mapped form is not the listed address
    assert address_refusal("10.1.2.3", ["10.0.0.0/8"]) is None
    assert address_refusal("10.1.2.3", ["not an address"]) is not None


@pytest.mark.parametrize(("url", "expected"), [
    ("ftp://example.com/list.yaml", "Only http"), ("file:///etc/passwd", "Only http"),
    ("gopher://127.0.0.1:70/", "Only http"), ("http:///nohost", "no host"), ("", "Give the"),
    ("http://user:secret@example.com/x", "no user name"), ("http://exa mple.com/", "spaces"),
    ("http://example.com:99999/", "not valid"), ("https://" + "a" * 1000 + ".com", "longer than"),
])
def test_bad_urls_are_refused_without_any_network(url, expected):
    with pytest.raises(FetchError, match=expected):
        check_url(url)


def test_download_from_the_allowlisted_local_server(pricelist_server):
    body = get(pricelist_server.url("/technopark.yaml"))
    assert body.startswith("shop: Технопарк Демо".encode())
    path, headers = pricelist_server.requests[-1]
    assert path == "/technopark.yaml" and headers["Host"] == f"127.0.0.1:{pricelist_server.server_port}"


def test_loopback_addresses_outside_the_allowlist_are_refused_before_connecting(pricelist_server, monkeypatch):
    def no_connections(*_args, **_kwargs):
        raise AssertionError("a refused address must never be connected to")

    monkeypatch.setattr(outbound, "open_socket", no_connections)
    with pytest.raises(FetchError, match="loopback"):
        get(pricelist_server.url("/technopark.yaml", host="127.0.0.2"))
    with pytest.raises(FetchError, match="loopback"):
        get(pricelist_server.url("/technopark.yaml", host="[::1]"))
    assert pricelist_server.requests == []


def test_redirects_are_followed_and_checked_again(pricelist_server):
    assert get(pricelist_server.url("/redirect")).startswith(b"shop:")
    target = pricelist_server.url("/technopark.yaml", host="127.0.0.2")
    with pytest.raises(FetchError, match=r"127\.0\.0\.2 is a loopback"):
        get(pricelist_server.url(f"/redirect?{target}"))
    with pytest.raises(FetchError, match="Only http"):
        get(pricelist_server.url("/redirect?file:///etc/passwd"))
    with pytest.raises(FetchError, match="redirects more than"):
        get(pricelist_server.url("/loop"))


@pytest.mark.parametrize(("path", "expected"), [
    ("/html", "HTML page"), ("/html-as-text", "HTML page"), ("/missing", "HTTP 404"),
    ("/huge", "limit is"), ("/endless", "larger than the limit"),
])
def test_bad_answers_are_refused(pricelist_server, path, expected):
    with pytest.raises(FetchError, match=expected):
        get(pricelist_server.url(path), max_bytes=100_000)


@pytest.mark.parametrize("path", ["/slow", "/trickle"])
def test_slow_servers_hit_the_deadline(pricelist_server, path):
    with pytest.raises(FetchError, match="took too long"):
        get(pricelist_server.url(path), timeout=1.0)


def test_the_host_is_resolved_once_and_that_address_is_used(pricelist_server, monkeypatch):
    """DNS rebinding: the first answer is checked and connected to; a later answer cannot change it."""
    answers = iter(["127.0.0.1", "10.0.0.1", "10.0.0.1"])
    calls = []

    def fake_getaddrinfo(host, port, *args, **kwargs):
        assert host == "prices.example"
        calls.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(outbound.socket, "getaddrinfo", fake_getaddrinfo)
    body = get(f"http://prices.example:{pricelist_server.server_port}/technopark.yaml")
    assert body.startswith(b"shop:") and calls == ["prices.example"]
    assert pricelist_server.requests[-1][1]["Host"] == f"prices.example:{pricelist_server.server_port}"


def test_a_name_resolving_to_a_private_address_is_refused(monkeypatch):
    monkeypatch.setattr(outbound.socket, "getaddrinfo",
                        lambda host, port, *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port))])
    monkeypatch.setattr(outbound, "open_socket", lambda *a: pytest.fail("must not connect"))
    with pytest.raises(FetchError, match="link-local"):
        get("http://metadata.example/latest/meta-data/")
