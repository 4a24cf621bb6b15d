"""Redis clients for the job system: the web side fails fast, the worker waits and reconnects."""

from __future__ import annotations

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

# What a lost or refused connection raises (a timeout is its own class in redis-py).
REDIS_ERRORS: tuple[type[BaseException], ...] = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class QuickRedis(redis.Redis):
    """The client requests enqueue with: one immediate retry (a connection the server closed is replaced), short
    timeouts, so a Redis outage costs a request milliseconds; the outbox keeps what could not be sent."""

    @classmethod
    def from_url(cls, url: str, **kwargs):
        kwargs.setdefault("socket_connect_timeout", 1)
        kwargs.setdefault("socket_timeout", 3)
        kwargs.setdefault("retry", Retry(NoBackoff(), 1))
        return super().from_url(url, **kwargs)


def worker_redis(url: str) -> redis.Redis:
    """The worker's client: RQ sets its read timeout above the blocking pop; reconnecting is the worker's loop."""
    return redis.Redis.from_url(url, socket_connect_timeout=2, retry=Retry(NoBackoff(), 1))


def is_redis_error(exc: BaseException | None) -> bool:
    return isinstance(exc, REDIS_ERRORS)
