"""HTTP requests to URLs that users give us (price lists, webhook receivers), never reaching inside our network.

Every outbound call the shop makes on a user's behalf goes through `Client.request`. Rules: http/https only, no
credentials in the URL; the host is resolved once and the connection goes to that address (so a second DNS
answer cannot swap in 127.0.0.1 — DNS rebinding); loopback, private, link-local (cloud metadata at
169.254.169.254), shared, multicast, reserved and unspecified addresses are refused — including IPv4 hidden in
IPv6 (::ffff:127.0.0.1, 6to4, Teredo, NAT64) — unless the address is in the client's allowlist; each redirect
is checked the same way (at most `max_redirects`); one deadline covers the whole request (a server that
trickles bytes cannot hold a worker), and the body read is capped in size.

A core module: features (suppliers' imports, webhooks) build a `Client` with their own allowlist and wording.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urljoin, urlsplit

from flask_babel import gettext as _

from storefront.domain_errors import DomainError

MAX_URL_LENGTH = 1000
CHUNK = 64 * 1024
REDIRECTS = (301, 302, 303, 307, 308)
NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchError(DomainError):
    """The URL may not be used, or the request to it failed; the message says why, for the user who gave it."""

    code = "fetch_failed"


class FetchTimeout(FetchError):
    """The server did not answer (or finish answering) before the deadline; callers may word it their way."""


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int
    path: str


@dataclass(frozen=True)
class Response:
    status: int
    reason: str
    headers: Message
    body: bytes

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()


def check_url(url: str) -> Target:
    """Parse and check the URL's form (no network): http(s), a host, no user:password@."""
    url = (url or "").strip()
    if not url:
        raise FetchError(_("Give the URL."), field="url")
    if len(url) > MAX_URL_LENGTH:
        raise FetchError(f"The URL is longer than {MAX_URL_LENGTH} characters.", field="url")
    if any(ord(ch) < 33 for ch in url):
        raise FetchError(_("The URL contains spaces or control characters."), field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise FetchError(_("The URL is not valid."), field="url") from None
    if parts.scheme not in ("http", "https"):
        raise FetchError(_("Only http:// and https:// URLs can be used."), field="url")
    if not parts.hostname:
        raise FetchError(_("The URL has no host name."), field="url")
    if parts.username is not None or parts.password is not None:
        raise FetchError(_("Put no user name or password in the URL."), field="url")
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
    """Why we will not connect to this IP ("10.0.0.1 is a private network address"), or None if we may.

    Pure: never touches the network.
    """
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
                return f"{ip} is {what}"
        if not candidate.is_global:
            return f"{ip} is not a public address"
    return None


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


class PinnedHTTPConnection(http.client.HTTPConnection):
    """Sends Host: <name> but connects to the address we checked, never re-resolving the name."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = open_socket(self._address, self.port, self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = open_socket(self._address, self.port, self.timeout)
        # The certificate is checked against the host name, as a browser would.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _read_body(response: http.client.HTTPResponse, max_bytes: int, deadline: float, truncate: bool) -> bytes:
    length = response.getheader("Content-Length")
    if not truncate and length and length.isdigit() and int(length) > max_bytes:
        raise FetchError(f"The file is {int(length):,} bytes; the limit is {max_bytes:,}.")
    chunks, size = [], 0
    while size < max_bytes or not truncate:
        if time.monotonic() > deadline:
            raise FetchTimeout(_("The server took too long to send the file."))
        chunk = response.read1(CHUNK) if hasattr(response, "read1") else response.read(CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes and not truncate:
            raise FetchError(f"The file is larger than the limit of {max_bytes:,} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)[:max_bytes]


@dataclass(frozen=True)
class Client:
    """Outbound HTTP for one use: its User-Agent, the addresses it may reach anyway, how a refusal ends."""

    user_agent: str
    allowlist: tuple[str, ...] = ()
    # Ends a refused address's sentence: "10.0.0.1 is a private network address; <public_only>."
    public_only: str = "only public servers can be reached"

    def refusal(self, address: str | IPAddress) -> str | None:
        reason = address_refusal(address, self.allowlist)
        return f"{reason}; {self.public_only}." if reason else None

    def resolve(self, host: str, port: int) -> str:
        """The one address we will connect to for `host`: the first the resolver gives that we may use."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchError(f"The host {host} could not be found ({exc}).", field="url") from None
        reasons = []
        for info in infos:
            address = info[4][0].split("%", 1)[0]  # drop an IPv6 zone id
            reason = self.refusal(address)
            if reason is None:
                return address
            reasons.append(reason)
        raise FetchError(reasons[0] if reasons else f"The host {host} has no address.", field="url")

    def check(self, url: str, *, look_up: bool = True) -> Target:
        """The URL's form and its address, as a request would check them; FetchError (field "url") if refused.

        An IP literal is classified without any network traffic; a host name is resolved only when `look_up`.
        Each request checks again: a name may point elsewhere by then.
        """
        target = check_url(url)
        try:
            literal = ipaddress.ip_address(target.host)
        except ValueError:
            literal = None
        if literal is not None:
            reason = self.refusal(literal)
            if reason:
                raise FetchError(reason, field="url")
        elif look_up:
            self.resolve(target.host, target.port)
        return target

    def request(
        self,
        method: str,
        url: str,
        *,
        timeout: float,
        max_bytes: int,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        max_redirects: int = 0,
        truncate: bool = False,
        check_answer: Callable[[Response], None] | None = None,
    ) -> Response:
        """Send the request after the checks above and read the answer (its first `max_bytes` if `truncate`,
        else a larger body is a FetchError). Redirects are followed (as GET, each checked) up to `max_redirects`;
        with 0 a redirect is returned as it is. `check_answer(response)` (body still empty) may raise before the body
        is read.
        Every failure is a FetchError (FetchTimeout when the deadline passed) with a sentence a user can act on.
        """
        deadline = time.monotonic() + timeout
        target = check_url(url)
        headers = {"User-Agent": self.user_agent, "Accept-Encoding": "identity", "Connection": "close",
                   **(headers or {})}
        for _hop in range(max_redirects + 1):
            address = self.resolve(target.host, target.port)
            remaining = max(deadline - time.monotonic(), 0.1)
            cls = PinnedHTTPSConnection if target.scheme == "https" else PinnedHTTPConnection
            connection = cls(target.host, target.port, address, timeout=min(remaining, timeout))
            try:
                connection.request(method, target.path, body=body, headers=headers)
                response = connection.getresponse()
                location = response.getheader("Location") if response.status in REDIRECTS else None
                if response.status in REDIRECTS and max_redirects:
                    if not location:
                        raise FetchError(f"The server answered HTTP {response.status} without a Location.")
                    target = check_url(urljoin(target.url, location))
                    method, body = "GET", None
                    continue
                if check_answer is not None:
                    check_answer(Response(response.status, response.reason, response.msg, b""))
                content = _read_body(response, max_bytes, deadline, truncate)
            except TimeoutError:
                raise FetchTimeout(_("The server took too long to answer.")) from None
            except ssl.SSLError as exc:
                raise FetchError(f"The secure connection failed: {exc.reason or exc}.") from None
            except (OSError, http.client.HTTPException) as exc:
                raise FetchError(f"The request failed: {exc or type(exc).__name__}.") from None
            finally:
                connection.close()
            return Response(response.status, response.reason, response.msg, content)
        raise FetchError(f"The URL redirects more than {max_redirects} times.")
