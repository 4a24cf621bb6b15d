"""Download a supplier's price list from its URL without letting the URL reach inside our network.

Rules: http/https only, no credentials in the URL; the host is resolved once and the connection goes to that
address (so a second DNS answer cannot swap in 127.0.0.1 — DNS rebinding); loopback, private, link-local
(cloud metadata at 169.254.169.254), shared, multicast, reserved and unspecified addresses are refused —
including IPv4 hidden in IPv6 (::ffff:127.0.0.1, 6to4, NAT64) — unless the address is in
`SUPPLIER_URL_ALLOWLIST`; each redirect is checked the same way (at most MAX_REDIRECTS); one deadline covers
the whole download (a server that trickles bytes cannot hold the worker), and the body is capped in size.
HTML answers are refused (a login page is not a price list).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from storefront.domain_errors import DomainError

MAX_REDIRECTS = 3
MAX_URL_LENGTH = 1000
CHUNK = 64 * 1024
NAT64 = ipaddress.ip_network("64:ff9b::/96")
USER_AGENT = "Storefront-PriceList-Fetcher/1"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchError(DomainError):
    code = "fetch_failed"


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int
    path: str


def check_url(url: str) -> Target:
    """Parse and check the URL's form (no network): http(s), a host, no user:password@."""
    url = (url or "").strip()
    if not url:
        raise FetchError("Give the price list's URL.", field="url")
    if len(url) > MAX_URL_LENGTH:
        raise FetchError(f"The URL is longer than {MAX_URL_LENGTH} characters.", field="url")
    if any(ord(ch) < 33 for ch in url):
        raise FetchError("The URL contains spaces or control characters.", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise FetchError("The URL is not valid.", field="url") from None
    if parts.scheme not in ("http", "https"):
        raise FetchError("Only http:// and https:// URLs can be imported.", field="url")
    if not parts.hostname:
        raise FetchError("The URL has no host name.", field="url")
    if parts.username is not None or parts.password is not None:
        raise FetchError("Put no user name or password in the URL.", field="url")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(url, parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path)


def _allowed(ip: IPAddress, allowlist: Iterable[str]) -> bool:
    for entry in allowlist:
        try:
            if ip in ipaddress.ip_network(entry.strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    found = []
    if ip.ipv4_mapped:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour:
        found.append(ip.sixtofour)
    if ip.teredo:
        found.extend(ip.teredo)
    if ip in NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def address_refusal(address: str | IPAddress, allowlist: Iterable[str] = ()) -> str | None:
    """Why we will not connect to this IP (a sentence), or None if we may. Pure: never touches the network."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    allowlist = list(allowlist)
    if _allowed(ip, allowlist):
        return None
    candidates = [ip, *(_embedded_ipv4(ip) if ip.version == 6 else [])]
    # Only the address itself can be allowlisted: ::ffff:127.0.0.1 is refused even when 127.0.0.1 is allowed.
    for candidate in candidates:
        for test, what in (
            ("is_loopback", "a loopback address"),
            ("is_link_local", "a link-local address (cloud metadata lives there)"),
            ("is_private", "a private network address"),
            ("is_multicast", "a multicast address"),
            ("is_unspecified", "an unspecified address"),
            ("is_reserved", "a reserved address"),
        ):
            if getattr(candidate, test):
                return f"{ip} is {what}; price lists are only fetched from public servers."
        if not candidate.is_global:
            return f"{ip} is not a public address; price lists are only fetched from public servers."
    return None


def resolve(host: str, port: int, allowlist: Iterable[str]) -> str:
    """The one address we will connect to for `host`: the first the resolver gives that we may use."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"The host {host} could not be found ({exc}).", field="url") from None
    reasons = []
    for info in infos:
        address = info[4][0].split("%", 1)[0]  # drop an IPv6 zone id
        reason = address_refusal(address, allowlist)
        if reason is None:
            return address
        reasons.append(reason)
    raise FetchError(reasons[0] if reasons else f"The host {host} has no address.", field="url")


def open_socket(address: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection to this exact IP (socket.create_connection would resolve again)."""
    sock = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect((address, port))
    except BaseException:
        sock.close()
        raise
    return sock


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Sends Host: <name> but connects to the address we checked, never re-resolving the name."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = open_socket(self._address, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = open_socket(self._address, self.port, self.timeout)
        # The certificate is checked against the host name, as a browser would.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _read_body(response: http.client.HTTPResponse, max_bytes: int, deadline: float) -> bytes:
    length = response.getheader("Content-Length")
    if length and length.isdigit() and int(length) > max_bytes:
        raise FetchError(f"The file is {int(length):,} bytes; the limit is {max_bytes:,}.")
    chunks, size = [], 0
    while True:
        if time.monotonic() > deadline:
            raise FetchError("The server took too long to send the file.")
        chunk = response.read1(CHUNK) if hasattr(response, "read1") else response.read(CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"The file is larger than the limit of {max_bytes:,} bytes.")
        chunks.append(chunk)


def fetch_price_list(url: str, *, max_bytes: int, timeout: float, allowlist: Iterable[str] = ()) -> bytes:
    """The body at `url` after the checks above; raise FetchError with a sentence a supplier can act on."""
    allowlist = list(allowlist)
    deadline = time.monotonic() + timeout
    target = check_url(url)
    for _hop in range(MAX_REDIRECTS + 1):
        address = resolve(target.host, target.port, allowlist)
        remaining = max(deadline - time.monotonic(), 0.1)
        cls = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
        connection = cls(target.host, target.port, address, timeout=min(remaining, timeout))
        try:
            connection.request("GET", target.path, headers={
                "User-Agent": USER_AGENT, "Accept": "application/x-yaml, text/yaml, text/plain, */*",
                "Accept-Encoding": "identity", "Connection": "close",
            })
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                if not location:
                    raise FetchError(f"The server answered HTTP {response.status} without a Location.")
                target = check_url(urljoin(target.url, location))
                continue
            if response.status != 200:
                raise FetchError(f"The server answered HTTP {response.status} {response.reason}.")
            content_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
            if content_type in ("text/html", "application/xhtml+xml"):
                raise FetchError("The URL answers with an HTML page, not a YAML price list.")
            body = _read_body(response, max_bytes, deadline)
        except TimeoutError:
            raise FetchError("The server took too long to answer.") from None
        except ssl.SSLError as exc:
            raise FetchError(f"The secure connection failed: {exc.reason or exc}.") from None
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(f"The download failed: {exc or type(exc).__name__}.") from None
        finally:
            connection.close()
        if body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
            raise FetchError("The URL answers with an HTML page, not a YAML price list.")
        return body
    raise FetchError(f"The URL redirects more than {MAX_REDIRECTS} times.")
