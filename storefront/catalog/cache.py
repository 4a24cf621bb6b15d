"""Catalog cache: Redis when REDIS_URL is set, in-process otherwise, invalidated by generation counters.

Every cached value is stored under its key plus the current value of the generation counters it depends on,
read *before* the value is computed. Invalidating bumps a counter, so the old entries are simply never read
again (they expire by TTL); a write racing with an invalidation stores under the old generation and is
never served.

What depends on what (issue 19: a shop that is selling must keep its lists cached):
- `LISTS`, catalog-wide: what is on sale, names, categories, shops, offers' prices — anything that can change
  which goods any list holds or their order. Imports and staff edits bump it.
- `PRICES`: a product's best price changed, which reorders the lists sorted by price (and only those).
- `STOCK`: an offer ran out or came back, which changes the lists filtered on offers (in stock, a shop, a price
  range, parameters: their cards show the best *matching* offer, in stock first).
- `card:{id}`: what a product's card shows (its summary: price, stock, suppliers). A list depends on the cards it
  shows, found while it is computed (`shows_cards`) and checked on every read, so an order that changes one
  card forgets only the lists showing it.
- `product:{id}`: a product's own page (its offers and their stock), bumped by every change to the product.

A value computed inside another's computation (the page around a list) passes its dependencies up, so the outer
entry is checked against the same counters. Writers call `invalidate_catalog(...)` after their transaction
commits (the importer, shop pauses), or `invalidate_catalog_after_commit(...)` from inside it (the staff
services); stock moves go through `catalog.stock.stock_changed`. Checkout always re-reads prices from the
database, so a cached page can never set a price.

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
from contextvars import ContextVar
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
PRICES = "prices"
STOCK = "stock"
# Bumped together with every `card:{id}`: a computation that saw it move stores nothing, because the cards it
# depends on are known only once it has run (their counters are read after it, see `cached`).
CARDS = "cards"
ENTRY_FORMAT = 2  # in every key: entries of (value, extra names, their versions); a release's cache is its own
EXTENSION_KEY = "storefront.catalog_cache"
DEFAULT_TTL = 300
DEFAULT_MEMORY_TTL = 30
_create_lock = threading.Lock()


def product_generation(product_id: int) -> str:
    return f"product:{product_id}"


CARD = "card:"


def card_generation(product_id: int) -> str:
    return f"{CARD}{product_id}"


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
            for name in _with_cards(names):
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
            # MULTI/EXEC: a reader sees a card's counter and CARDS move together, never one without the other.
            with self.client.pipeline(transaction=True) as pipe:
                for name in _with_cards(names):
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


class _Seen:
    """What a computation in progress depends on: the counters its nested cached values were read at, the cards
    it shows (`shows_cards`), and whether something it read moved meanwhile (then its value is not stored)."""

    def __init__(self) -> None:
        self.versions: dict[str, int] = {}
        self.cards: set[int] = set()
        self.unsafe = False

    def add(self, versions: Iterable[tuple[str, int]], unsafe: bool = False) -> None:
        for name, version in versions:
            if self.versions.setdefault(name, version) != version:
                unsafe = True  # two reads of one counter disagree: an invalidation landed mid-computation
        self.unsafe = self.unsafe or unsafe


_seen: ContextVar[_Seen | None] = ContextVar("catalog_cache_seen", default=None)


def shows_cards(product_ids: Iterable[int]) -> None:
    """Called inside a cached computation: its value shows these products' cards (price, stock, suppliers), so
    it is forgotten when one of them changes, and so is every cached value computed around it."""
    seen = _seen.get()
    if seen is not None:
        seen.cards.update(product_ids)


def cached(key: str, generations: Sequence[str], compute: Callable[[], T]) -> T:
    """The cached value for `key` at the current `generations`, computing and storing it on a miss.

    The entry also remembers what its computation found it depends on (the cards it shows, the generations of
    the cached values it read) and is served only while those counters are unchanged: one more read on a hit.
    """
    cache = get_cache()
    if cache is None:
        return compute()
    names = [*generations, CARDS]
    versions = cache.counters(names)
    own = dict(zip(generations, versions[:-1], strict=True))
    full_key = f"{key}@{ENTRY_FORMAT}:{'.'.join(map(str, versions[:-1]))}"
    entry = cache.get(full_key)
    if entry is not None:
        value, extra, extra_versions = entry
        if not extra or cache.counters(extra) == list(extra_versions):
            cache.hits += 1
            _pass_up([*own.items(), *zip(extra, extra_versions, strict=True)])
            return value
    cache.misses += 1
    seen = _Seen()
    token = _seen.set(seen)
    try:
        value = compute()
    finally:
        _seen.reset(token)
    seen.add(own.items())
    unsafe = seen.unsafe or min(versions) < 0
    if seen.cards:
        cards = sorted(map(card_generation, seen.cards))
        now = cache.counters([*cards, CARDS])
        # A card moving while this ran may or may not be in the value: CARDS says whether one did.
        unsafe = unsafe or now[-1] != versions[-1] or min(now) < 0
        seen.add(zip(cards, now[:-1], strict=True))
    extra = tuple(sorted(name for name in seen.versions if name not in own))
    if not unsafe:
        cache.set(full_key, (value, extra, tuple(seen.versions[name] for name in extra)))
    _pass_up(seen.versions.items(), unsafe)
    return value


def _pass_up(versions: Iterable[tuple[str, int]], unsafe: bool = False) -> None:
    """The enclosing computation (if any) depends on what this value depends on."""
    outer = _seen.get()
    if outer is not None:
        outer.add(versions, unsafe)


def _with_cards(names: Iterable[str]) -> list[str]:
    names = list(names)
    return [*names, CARDS] if any(name.startswith(CARD) for name in names) else names


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


def invalidate_products(
    product_ids: Iterable[int], *, cards: Iterable[int] = (), generations: Iterable[str] = ()
) -> None:
    """Forget the pages of these products once the current transaction commits (never if it rolls back), the
    lists showing the `cards` of the products whose summary changed, and the catalog-wide `generations` named
    (`PRICES`, `STOCK`, `LISTS`): see `catalog.stock.stock_changed`, which decides.

    For writers outside the catalog (orders, stock reservations): call it inside the transaction."""
    product_ids = list(product_ids)
    cache = get_cache()
    if cache is not None:
        names = {product_generation(product_id) for product_id in product_ids}
        names |= {card_generation(product_id) for product_id in cards} | set(generations)
        if names:
            after_commit(partial(cache.bump, sorted(names)))
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
