"""Operating the shop: logs with request and job ids, Prometheus metrics, health checks, the proxy in front.

`init_app` wires it all: the request id and access line (logs.py), the request metrics (metrics.py), ProxyFix
for `TRUSTED_PROXY_HOPS` proxies, and the /healthz, /readyz and /metrics endpoints (views.py).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from storefront.observability import access, logs, metrics, proxy

    access.parse_allowlist(app.config.get("METRICS_ALLOWLIST") or [])  # a malformed entry stops the start
    logs.init_app(app)
    metrics.init_app(app)
    proxy.init_app(app)
