"""Failed-login counter per account, kept in Flask-Limiter's storage (Redis when configured).

Counted for every address tried, registered or not, so the throttle itself reveals nothing. Keys hold a
digest of the address, not the address.
"""

from __future__ import annotations

import hashlib
import math
import time

from flask import current_app
from limits import RateLimitItem, parse

from storefront.extensions import limiter

SCOPE = "login-account"


def _item() -> RateLimitItem:
    return parse(current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"])


def _key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _active() -> bool:
    return bool(limiter.enabled and limiter.initialized)


def seconds_locked(email: str) -> int:
    """0 when this account may try again, else the seconds until it may."""
    if not _active():
        return 0
    item, key = _item(), _key(email)
    if limiter.limiter.test(item, SCOPE, key):
        return 0
    reset_at = limiter.limiter.get_window_stats(item, SCOPE, key).reset_time
    return max(1, math.ceil(reset_at - time.time()))


def record_failure(email: str) -> None:
    if _active():
        limiter.limiter.hit(_item(), SCOPE, _key(email))


def clear_failures(email: str) -> None:
    if _active():
        limiter.limiter.clear(_item(), SCOPE, _key(email))
