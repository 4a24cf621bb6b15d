"""Security headers on every response, set in one `after_request` hook.

Pages run no inline script: htmx, the page behaviours (`static/js/storefront.js`) and the chat are files, and
htmx is told not to inject its indicator `<style>` (`htmx-config` in base.html), so `'self'` is the whole
policy. The API docs (Swagger UI, ReDoc; flask-smorest's templates) start with one inline script each and style
themselves inline: they get their own policy, allowing exactly those scripts by hash, on those two pages only.
"""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, Response, request

PAGE_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",  # also the chat's WebSocket (same origin)
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

DOCS_BLUEPRINT = "api-docs"  # flask-smorest's blueprint for the spec and the docs pages
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def docs_policy(html: str) -> str:
    """The docs pages' policy: their own inline scripts by hash, inline styles, data: images and blob: workers."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
        for body in _INLINE_SCRIPT.findall(html)
    )
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' {hashes}".rstrip(),
        "style-src 'self' 'unsafe-inline'",  # both renderers set style attributes and <style> at run time
        "img-src 'self' data:",
        "font-src 'self' data:",
        "worker-src 'self' blob:",  # ReDoc's search runs in a worker built from a blob
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def init_app(app: Flask) -> None:
    hsts_max_age = int(app.config.get("HSTS_MAX_AGE") or 0)

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        if request.blueprint == DOCS_BLUEPRINT and response.mimetype == "text/html" and not response.is_streamed:
            headers.setdefault("Content-Security-Policy", docs_policy(response.get_data(as_text=True)))
        else:
            headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        headers.setdefault("X-Frame-Options", "DENY")  # for browsers that predate frame-ancestors
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if hsts_max_age:  # production only (config): over plain HTTP in development it would lock the host out
            headers.setdefault("Strict-Transport-Security", f"max-age={hsts_max_age}; includeSubDomains")
        return response
