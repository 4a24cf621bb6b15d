"""Catalog cache: Redis when REDIS_URL is set, in-process otherwise, invalidated by generation counters.

Every cached value is stored under its key plus the current value of the generation counters it depends on,
read *before* the value is computed. Invalidating bumps a counter, so the old entries are simply never read
again (they expire by TTL); a write racing with an invalidation stores under the old generation and is
never served. Lists (any page of results, facets, the sidebar) depend on one catalog-wide counter because a
price or stock change anywhere can reorder any list; a product page depends only on its product's counter.

Writers call `invalidate_catalog(...)` after their transaction commits (the importer, shop pauses), or
`invalidate_catalog_after_commit(...)` from inside the transaction (the staff services here). Stock changes
(`invalidate_products`) are precise: an order forgets the pages of the products it took stock from, and the
lists only when it changed what a list shows (a summary, or an offer running out or coming back), so a shop
that is selling keeps its lists cached. Checkout always re-reads prices from the database, so a cached page can never set a price.

The in-process backend is per process: with several web processes, set REDIS_URL so an invalidation reaches
all of them (without it, entries live only `CATALOG_CACHE_TTL_MEMORY` seconds). `CATALOG_CACHE_TTL=0`
switches caching off.
"""

from __future__ import annotations

import logging
import pickle
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any, TypeVar

from flask import current_app

from storefront.after_commit import after_commit
from storefront.catalog.summary import products_of
from storefront.extensions import db
from storefront.realtime import events as live

log = logging.getLogger(__name__)
T = TypeVar("T")

LISTS = "lists"
EXTENSION_KEY = "storefront.catalog_cache"
DEFAULT_TTL = 300
DEFAULT_MEMORY_TTL = 30
_create_lock = threading.Lock()


def product_generation(product_id: int) -> str:
    return f"product:{product_id}"


class Stats:
    """Hits and misses of this process's `cached` calls (approximate under threads: for benches, not logic)."""

    hits = 0
    misses = 0

    def hit_rate(self) -> float | None:
        total = self.hits + self.misses
        return self.hits / total if total else None


class MemoryBackend(Stats):
    """A bounded, thread-safe dict with expiry; counters are kept apart so eviction never resets them."""

    def __init__(self, ttl: int, max_entries: int = 4096):
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._counters: dict[str, int] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] < time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def set(self, key: str, value: Any) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + self.ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def counters(self, names: Sequence[str]) -> list[int]:
        with self._lock:
            return [self._counters.get(name, 0) for name in names]

    def bump(self, names: Iterable[str]) -> None:
        with self._lock:
            for name in names:
                self._counters[name] = self._counters.get(name, 0) + 1


class RedisBackend(Stats):
    """Shared by every web process. Values are pickled, as RQ does: Redis is trusted, internal storage.

    A Redis outage degrades to computing every value (logged), never to an error page.
    """

    prefix = "storefront:catalog:"

    def __init__(self, url: str, ttl: int):
        import redis

        self.ttl = ttl
        self.errors = redis.exceptions.RedisError
        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def get(self, key: str) -> Any:
        try:
            raw = self.client.get(self.prefix + "v:" + key)
        except self.errors as exc:
            log.warning("catalog cache read failed: %s", exc)
            return None
        return None if raw is None else pickle.loads(raw)

    def set(self, key: str, value: Any) -> None:
        try:
            self.client.set(self.prefix + "v:" + key, pickle.dumps(value, pickle.HIGHEST_PROTOCOL), ex=self.ttl)
        except self.errors as exc:
            log.warning("catalog cache write failed: %s", exc)

    def counters(self, names: Sequence[str]) -> list[int]:
        try:
            values = self.client.mget([self.prefix + "g:" + name for name in names])
        except self.errors as exc:
            log.warning("catalog cache read failed: %s", exc)
            return [-1] * len(names)  # a generation no entry is stored under: compute (and store harmlessly)
        return [int(value) if value is not None else 0 for value in values]

    def bump(self, names: Iterable[str]) -> None:
        try:
            with self.client.pipeline(transaction=False) as pipe:
                for name in names:
                    pipe.incr(self.prefix + "g:" + name)
                pipe.execute()
        except self.errors as exc:
            log.error("catalog cache invalidation failed (entries expire in %ss): %s", self.ttl, exc)


def get_cache() -> MemoryBackend | RedisBackend | None:
    """This app's cache backend, built on first use; None when caching is switched off."""
    app = current_app._get_current_object()
    backend = app.extensions.get(EXTENSION_KEY)
    if backend is not None:
        return backend or None
    with _create_lock:
        if EXTENSION_KEY not in app.extensions:
            ttl = int(app.config.get("CATALOG_CACHE_TTL", DEFAULT_TTL))
            if ttl <= 0:
                backend = False
            elif app.config.get("REDIS_URL"):
                backend = RedisBackend(app.config["REDIS_URL"], ttl)
            else:
                backend = MemoryBackend(min(ttl, int(app.config.get("CATALOG_CACHE_TTL_MEMORY", DEFAULT_MEMORY_TTL))))
            app.extensions[EXTENSION_KEY] = backend
    return app.extensions[EXTENSION_KEY] or None


def cached(key: str, generations: Sequence[str], compute: Callable[[], T]) -> T:
    """The cached value for `key` at the current `generations`, computing and storing it on a miss."""
    cache = get_cache()
    if cache is None:
        return compute()
    versions = cache.counters(generations)
    full_key = f"{key}@{'.'.join(map(str, versions))}"
    hit = cache.get(full_key)
    if hit is not None:
        cache.hits += 1
        return hit[0]
    cache.misses += 1
    value = compute()
    if min(versions, default=0) >= 0:
        cache.set(full_key, (value,))
    return value


def _generations(product_ids: Iterable[int], shop_ids: Iterable[int], category_ids: Iterable[int]) -> set[str]:
    products = set(product_ids) | products_of(db.session.connection(), shop_ids, category_ids)
    return {LISTS} | {product_generation(product_id) for product_id in products}


def invalidate_catalog(
    *, product_ids: Iterable[int] = (), shop_ids: Iterable[int] = (), category_ids: Iterable[int] = ()
) -> None:
    """Forget cached catalog lists and the pages of the given products (and of every product the given shops
    offer or the given categories hold). Call it after the change has committed."""
    product_ids = list(product_ids)
    cache = get_cache()
    if cache is not None:
        cache.bump(_generations(product_ids, shop_ids, category_ids))
    live.products_changed(product_ids, committed=True)  # after the bump: open product pages refetch fresh ones


def invalidate_products(product_ids: Iterable[int], *, lists: bool = True) -> None:
    """Forget the pages of these products once the current transaction commits (never if it rolls back), and
    the lists too unless `lists=False`: what a change no card, total or facet shows needs (a product's stock
    moving while its summary stays the same: the lists show "in stock", not how many).

    For writers outside the catalog (orders, stock reservations): call it inside the transaction."""
    product_ids = list(product_ids)
    cache = get_cache()
    if cache is not None:
        names = {product_generation(product_id) for product_id in product_ids} | ({LISTS} if lists else set())
        if names:
            after_commit(partial(cache.bump, names))
    live.products_changed(product_ids)  # queued after the bump: open product pages refetch fresh ones


def invalidate_catalog_after_commit(
    *, product_ids: Iterable[int] = (), shop_ids: Iterable[int] = (), category_ids: Iterable[int] = ()
) -> None:
    """Like `invalidate_catalog`, but from inside a transaction: runs when it commits, never if it rolls back.

    The affected products are resolved now, while the session may still run SQL (it cannot after commit).
    """
    product_ids = list(product_ids)
    cache = get_cache()
    if cache is not None:
        after_commit(partial(cache.bump, _generations(product_ids, shop_ids, category_ids)))
    live.products_changed(product_ids)  # queued after the bump: open product pages refetch fresh ones
