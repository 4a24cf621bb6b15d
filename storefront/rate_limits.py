"""Counters kept directly in Flask-Limiter's storage (log-in throttle, chat send rate), surviving its outage.

Flask-Limiter's own decorators fall back to in-process storage when Redis is away (`in_memory_fallback_enabled`
in extensions.py). Code that calls the storage itself gets the same here: a storage error is logged and the
count goes to an in-process window instead, so a Redis outage never turns a log-in or a message into a 500.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from limits import RateLimitItem
from limits.storage import MemoryStorage
from limits.strategies import RateLimiter

from storefront.extensions import limiter

log = logging.getLogger(__name__)
T = TypeVar("T")

_fallback: RateLimiter | None = None
_fallback_lock = threading.Lock()


def active() -> bool:
    return bool(limiter.enabled and limiter.initialized)


def _fallback_limiter() -> RateLimiter:
    # Flask-Limiter's own in-process fallback when it has one, so both count in one place until Redis is back.
    own = getattr(limiter, "_fallback_limiter", None)
    if own is not None:
        return own
    global _fallback
    with _fallback_lock:
        if _fallback is None:
            _fallback = type(limiter.limiter)(MemoryStorage())  # the same strategy, in this process
        return _fallback


def _run(operation: Callable[[RateLimiter], T]) -> T:
    try:
        return operation(limiter.limiter)
    except Exception as exc:  # the storage's own errors (redis-py's, limits') have no common base class
        log.warning("rate limit storage unreachable, counting in-process: %s", exc)
        return operation(_fallback_limiter())


def hit(item: RateLimitItem, *identifiers: str) -> bool:
    """Count one event; False when that goes over the limit."""
    return _run(lambda strategy: strategy.hit(item, *identifiers))


def test(item: RateLimitItem, *identifiers: str) -> bool:
    """True while another event would still be within the limit."""
    return _run(lambda strategy: strategy.test(item, *identifiers))


def reset_time(item: RateLimitItem, *identifiers: str) -> float:
    """When the current window lets the next event through (a Unix time)."""
    return _run(lambda strategy: strategy.get_window_stats(item, *identifiers).reset_time)


def clear(item: RateLimitItem, *identifiers: str) -> None:
    _run(lambda strategy: strategy.clear(item, *identifiers))
