"""Failed log-ins, counted so that an attacker cannot turn the throttle against the account's owner.

Two counters, both in Flask-Limiter's storage (Redis when configured, in-process while it is away):
- per (account, client address), LOGIN_ACCOUNT_CLIENT_RATE_LIMIT: past it, that client is refused (429) for
  that account even with the right password, while the owner from their own address still signs in;
- per account, LOGIN_ACCOUNT_RATE_LIMIT, slower: past it every attempt on the account waits
  LOGIN_ACCOUNT_DELAY seconds first. It only delays — nobody is ever locked out by someone else's failures.
Counted for every address tried, registered or not, so the throttle itself reveals nothing. Keys hold
digests, not addresses.
"""

from __future__ import annotations

import hashlib
import math
import time

from flask import current_app
from limits import RateLimitItem, parse

from storefront import rate_limits

CLIENT_SCOPE = "login-account-client"
ACCOUNT_SCOPE = "login-account"
_sleep = time.sleep  # tests replace it to see the delay without waiting for it


def _client_item() -> RateLimitItem:
    return parse(current_app.config["LOGIN_ACCOUNT_CLIENT_RATE_LIMIT"])


def _account_item() -> RateLimitItem:
    return parse(current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"])


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _account_key(email: str) -> str:
    return _digest(email.strip().lower())


def _client_key(email: str, address: str | None) -> str:
    return _digest(f"{email.strip().lower()}\n{address or '-'}")


def seconds_locked(email: str, address: str | None) -> int:
    """0 when this client may try this account again, else the seconds until it may."""
    if not rate_limits.active():
        return 0
    item, key = _client_item(), _client_key(email, address)
    if rate_limits.test(item, CLIENT_SCOPE, key):
        return 0
    return max(1, math.ceil(rate_limits.reset_time(item, CLIENT_SCOPE, key) - time.time()))


def account_delay(email: str) -> float:
    """Seconds every attempt on this account waits now: 0 until its failures pass the per-account ceiling."""
    if not rate_limits.active() or rate_limits.test(_account_item(), ACCOUNT_SCOPE, _account_key(email)):
        return 0.0
    return float(current_app.config["LOGIN_ACCOUNT_DELAY"])


def slow_down(email: str) -> None:
    delay = account_delay(email)
    if delay > 0:
        _sleep(delay)


def record_failure(email: str, address: str | None) -> None:
    if rate_limits.active():
        rate_limits.hit(_client_item(), CLIENT_SCOPE, _client_key(email, address))
        rate_limits.hit(_account_item(), ACCOUNT_SCOPE, _account_key(email))


def clear_failures(email: str, address: str | None) -> None:
    """A success clears that client's count; the account-wide one runs out on its own (an attacker's, too)."""
    if rate_limits.active():
        rate_limits.clear(_client_item(), CLIENT_SCOPE, _client_key(email, address))
