"""Signed, expiring, single-use tokens for the links we e-mail.

Each purpose has its own salt, so a verification token can never be replayed as a reset token. Tokens are
single-use without a table: each embeds a value that the action itself changes (the verified flag, a
fingerprint of the password hash, the current e-mail), so once used it no longer matches the account.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from storefront.accounts.errors import InvalidToken

VERIFY = "storefront.accounts.verify-email"
RESET = "storefront.accounts.reset-password"
CHANGE_EMAIL = "storefront.accounts.change-email"

EXPIRED_MESSAGE = _l("This link has expired. Please ask for a new one.")
INVALID_MESSAGE = _l("This link is not valid. Please check it, or ask for a new one.")


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def make_token(purpose: str, payload: dict[str, Any]) -> str:
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str, max_age: int) -> dict[str, Any]:
    """The payload of a genuine, unexpired token; InvalidToken otherwise."""
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise InvalidToken(EXPIRED_MESSAGE, code="token_expired") from exc
    except BadSignature as exc:
        raise InvalidToken(INVALID_MESSAGE) from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("uid"), int):
        raise InvalidToken(INVALID_MESSAGE)
    return payload


def password_fingerprint(password_hash: str) -> str:
    # A digest of the hash, not a slice of it: the token is only signed, anyone can read its payload.
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]
