"""Who may read /metrics: 127.0.0.1 and ::1, and the addresses and networks of `METRICS_ALLOWLIST`.

Only those two loopback addresses, not all of 127.0.0.0/8: a scraper on the same host asks from 127.0.0.1,
and anything else (another loopback alias, a container's sidecar) is listed explicitly.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

ALWAYS = ("127.0.0.1", "::1")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_allowlist(entries: Iterable[str]) -> list[Network]:
    """`10.0.0.5`, `10.0.0.0/8`, `fd00::/8` → networks; a malformed entry is an error at start, not a hole."""
    networks = []
    for entry in (*ALWAYS, *entries):
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"METRICS_ALLOWLIST: {entry!r} is not an address or network") from None
    return networks


def address_allowed(address: str | None, networks: Iterable[Network]) -> bool:
    """Whether this client address is in the list (classified from the string: nothing is connected to)."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:10.0.0.5 is 10.0.0.5
    return any(ip.version == network.version and ip in network for network in networks)
