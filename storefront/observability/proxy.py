"""Behind reverse proxies: trust exactly `TRUSTED_PROXY_HOPS` of them (default 0: trust no header).

With one trusted proxy, `request.remote_addr` is the client's own address (from the proxy's X-Forwarded-For),
so rate limits, sessions and logs see each client apart, and links use the scheme and host the proxy was asked
for (X-Forwarded-Proto/-Host). More hops than there are proxies would let a client forge its address.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    hops = int(app.config.get("TRUSTED_PROXY_HOPS") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)
