"""Fan-out of stored chat messages to connected sockets: Redis pub/sub across processes, or in-process.

One interface, two implementations. `publish(channel, text)` hands an already-serialised JSON frame to every
subscriber of `channel` — in this process only (`LocalBroker`), or in every process sharing one Redis
(`RedisBroker`: one pattern subscription and one listener thread per process, dispatching to local sockets).
Publishing never raises: the message is already stored, and a client that missed the live frame catches up
by its last seen id when it reconnects or reloads.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from flask import Flask

log = logging.getLogger(__name__)

Callback = Callable[[str], None]
EXTENSION_KEY = "support_broker"
_create_lock = threading.Lock()
RETRY_AFTER = 5.0  # seconds between attempts to reach Redis while the chat runs without it


class Subscription:
    """A handle that removes one callback from its channel."""

    def __init__(self, broker: LocalBroker, channel: str, callback: Callback):
        self._broker, self.channel, self._callback = broker, channel, callback

    def close(self) -> None:
        self._broker.unsubscribe(self.channel, self._callback)


class LocalBroker:
    """A thread-safe registry of callbacks per channel, for one process."""

    # False while live delivery to other processes is interrupted (Redis away): senders are told "reconnecting".
    available = True

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._channels: dict[str, set[Callback]] = {}

    def subscribe(self, channel: str, callback: Callback) -> Subscription:
        with self._lock:
            self._channels.setdefault(channel, set()).add(callback)
        return Subscription(self, channel, callback)

    def unsubscribe(self, channel: str, callback: Callback) -> None:
        with self._lock:
            callbacks = self._channels.get(channel)
            if callbacks is not None:
                callbacks.discard(callback)
                if not callbacks:
                    del self._channels[channel]

    def publish(self, channel: str, text: str) -> None:
        self.deliver(channel, text)

    def deliver(self, channel: str, text: str) -> None:
        with self._lock:  # copy, so a callback may unsubscribe (or block) without holding the registry
            callbacks = list(self._channels.get(channel, ()))
        for callback in callbacks:
            try:
                callback(text)
            except Exception:  # one broken socket must not stop delivery to the others
                log.exception("support: delivering on %s failed", channel)

    def subscriber_count(self, channel: str) -> int:
        with self._lock:
            return len(self._channels.get(channel, ()))

    def close(self) -> None:
        with self._lock:
            self._channels.clear()


class DegradedBroker(LocalBroker):
    """Redis was away when this process first needed it: deliver locally until `get_broker` reaches it."""

    available = False
    tried_at = 0.0


class RedisBroker(LocalBroker):
    """Publishes through Redis; one listener thread per process feeds the local registry."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        super().__init__()
        self._errors = redis.exceptions.RedisError
        self._redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=1, health_check_interval=30)
        self._pattern = f"{prefix}:*"
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        # A pattern subscribed once means sockets come and go without any Redis round trip.
        self._pubsub.psubscribe(**{self._pattern: self._on_message})
        self._thread = self._pubsub.run_in_thread(
            sleep_time=1.0, daemon=True, exception_handler=self._on_listener_error
        )
        self._thread.name = "support-redis-listener"

    def publish(self, channel: str, text: str) -> None:
        try:
            self._redis.publish(channel, text)
        except (self._errors, OSError) as exc:  # stored already; clients catch up by id
            self.available = False
            log.warning("support: could not publish on %s: %s", channel, exc)
        else:
            self.available = True

    def _on_message(self, message: dict) -> None:
        channel = message["channel"]
        data = message["data"]
        self.deliver(
            channel.decode() if isinstance(channel, bytes) else channel,
            data.decode() if isinstance(data, bytes) else data,
        )

    @staticmethod
    def _on_listener_error(exc: BaseException, pubsub, thread) -> None:
        # redis-py resubscribes on reconnect; pause so an outage does not spin this thread.
        log.warning("support: Redis listener error: %s", exc)
        threading.Event().wait(1.0)

    def close(self) -> None:
        self._thread.stop()
        self._thread.join(timeout=2)
        self._pubsub.close()
        self._redis.close()
        super().close()


def create_broker(app: Flask) -> LocalBroker:
    url = app.config.get("REDIS_URL")
    if url:
        return RedisBroker(url, app.config["SUPPORT_CHANNEL_PREFIX"])
    return LocalBroker()


def get_broker(app: Flask) -> LocalBroker:
    """This process's broker for `app`, made on first use (a forked worker builds its own listener thread).

    With Redis away at first use the chat still works, delivering in this process only; Redis is tried again
    at most every RETRY_AFTER seconds, and sockets subscribed meanwhile move over to the real broker.
    """
    pid = os.getpid()
    entry = app.extensions.get(EXTENSION_KEY)
    if entry is not None and entry[0] == pid and not _should_retry(entry[1]):
        return entry[1]
    with _create_lock:
        entry = app.extensions.get(EXTENSION_KEY)
        current = entry[1] if entry is not None and entry[0] == pid else None
        if current is not None and not _should_retry(current):
            return current
        try:
            broker = create_broker(app)
        except Exception as exc:  # redis-py's errors, or OSError: never a 500 because Redis is away
            log.warning("support: Redis unreachable, delivering in this process only: %s", exc)
            degraded = current if isinstance(current, DegradedBroker) else DegradedBroker()
            degraded.tried_at = time.monotonic()
            app.extensions[EXTENSION_KEY] = (pid, degraded)
            return degraded
        if current is not None:
            with current._lock:
                for channel, callbacks in current._channels.items():
                    broker._channels.setdefault(channel, set()).update(callbacks)
        app.extensions[EXTENSION_KEY] = (pid, broker)
        return broker


def _should_retry(broker: LocalBroker) -> bool:
    return isinstance(broker, DegradedBroker) and time.monotonic() - broker.tried_at >= RETRY_AFTER


def conversation_channel(app: Flask, conversation_id: int) -> str:
    return f"{app.config['SUPPORT_CHANNEL_PREFIX']}:conversation:{conversation_id}"


def inbox_channel(app: Flask) -> str:
    return f"{app.config['SUPPORT_CHANNEL_PREFIX']}:inbox"
