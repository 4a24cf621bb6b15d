"""Websocket handshake checks shared by the chat socket (`/ws/support`) and the live socket (`/ws/live`)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, request
from flask_login import current_user

from storefront.accounts import api_tokens
from storefront.accounts.models import UserSession
from storefront.security import current_session


def same_origin() -> bool:
    """A browser always sends Origin on a websocket handshake; other clients may leave it out."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == request.host.lower()


def handshake_session() -> UserSession:
    """API clients: a bearer access token in `Authorization`; browsers: the session cookie. Either names a live
    server-side session (the same check as pages and API) of a verified user, or the answer is 401."""
    if request.headers.get("Authorization"):
        # An Authorization header is never ignored for the cookie: bad or unusable is 401.
        token = api_tokens.parse_bearer(request.headers["Authorization"])
        try:
            row = api_tokens.access_token_session(token) if token else None
        except api_tokens.TokenError:
            row = None
    else:
        row = current_session() if current_user.is_authenticated else None
    if row is None or not row.user.is_verified:
        abort(401)
    return row


def int_arg(name: str) -> int | None:
    """A non-negative whole-number query argument, or None when absent; anything else is a 400."""
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    if not raw.isdigit() or len(raw) > 18:
        abort(400)
    return int(raw)
