"""Mixed load on the catalog (issue 19): shoppers browsing while orders stream in, with the cache on.

    .venv/bin/python bench/mixed.py --database-url postgresql+psycopg://postgres@127.0.0.1/storefront_bench \
        [--browsers 4] [--rate 5] [--duration 30] [--buyers 400]

On a catalog built by `bench/dataset.py`: `--browsers` threads request catalog pages (lists, searches, categories,
product pages, HTML and API) through the app in this process, while one thread places `--rate` orders a second
(`orders.services.place_order` + commit, as the API does) for shoppers whose carts hold one unit of a good
shown on those lists — so some orders take the last units and the lists must change. After every order the
lists showing its product are read back (as a shopper would, through the cache) and compared with the product's
summary in the database: a card with another price or stock than the committed one is counted as stale.
Reported: the catalog cache's hit rate, the orders placed, stale cards (must be 0), browsing req/s and p50.

The catalog cache is this process's in-memory one (or Redis with --redis-url). Without --redis-url the orders'
jobs (invoice PDF, e-mails) are left waiting in the outbox rather than run inline: the catalog is measured here,
not the mailer. It adds its own shoppers
(`bench-mixed-*@example.com`) and changes the stock of the goods they buy: rebuild the dataset afterwards if
you want the original. Refuses a database whose name lacks "bench" unless --force.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import random
import secrets
import statistics
import sys
import threading
import time
from datetime import UTC, datetime

try:
    from bench.checkout import _shoppers, checkout
    from bench.common import make_app, refuse_unless_bench
except ImportError:  # run as a script: bench/ is on sys.path, not the repository
    from checkout import _shoppers, checkout
    from common import make_app, refuse_unless_bench

LISTS = ["/", "/?page=2", "/?sort=price_asc", "/?q=смартфон", "/?q=смартфон&sort=price_asc", "/category/1",
         "/category/2", "/api/v1/products", "/api/v1/products?q=смартфон", "/api/v1/products?category=1"]


def setup(app, buyers: int) -> tuple[list[tuple[int, int]], dict[int, list]]:
    """Shoppers with one unit each of an offer shown on the browsed lists; which queries show which product."""
    from flask_migrate import upgrade

    from storefront.catalog.browsing import search_catalog
    from storefront.catalog.filters import parse_catalog_query
    from storefront.catalog.models import Offer
    from storefront.extensions import db

    with app.app_context():
        upgrade()
        shown: dict[int, list] = {}
        for url in LISTS:
            path, _, query_string = url.partition("?")
            args = dict(part.split("=", 1) for part in query_string.split("&") if part)
            if path.startswith("/category/"):
                args["category"] = path.rsplit("/", 1)[1]
            query = parse_catalog_query(args)
            for card in search_catalog(query).items:
                shown.setdefault(card.id, []).append(query)
        offers = db.session.scalars(
            db.select(Offer).where(Offer.product_id.in_(list(shown)), Offer.is_active, Offer.quantity > 0)
        ).all()
        rng = random.Random(1)
        tag = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        chosen = [rng.choice(offers) for _ in range(buyers)]
        # A few units each: a steady stream of orders runs some goods out, which the lists must show.
        for offer in {offer.id: offer for offer in chosen}.values():
            offer.quantity = rng.randint(1, 6)
        made = []
        for start in range(0, buyers, 100):
            batch = chosen[start:start + 100]
            made += [(user_id, contact_id, offer.product_id) for (user_id, contact_id), offer in zip(
                _shoppers(db, f"mixed-{tag}-{start}", len(batch), []), batch, strict=True)]
        from storefront.cart.models import CartItem

        for (user_id, _contact, _product), offer in zip(made, chosen, strict=True):
            db.session.add(CartItem(user_id=user_id, offer_id=offer.id, quantity=1))
        db.session.commit()  # the ORM listener refreshed the summaries of the goods whose stock was set
        from storefront.catalog.cache import invalidate_catalog

        invalidate_catalog(product_ids=list(shown))
        return made, shown


def stale_cards(query, product_id: int) -> int:
    """1 if the list for `query` (as served, through the cache) shows `product_id` otherwise than the database."""
    from storefront.catalog.browsing import search_catalog
    from storefront.catalog.models import Product
    from storefront.extensions import db

    card = next((c for c in search_catalog(query).items if c.id == product_id), None)
    truth = db.session.execute(
        db.select(Product.on_sale, Product.best_price, Product.in_stock, Product.best_offer_id)
        .where(Product.id == product_id)
    ).one()
    db.session.rollback()
    if card is None:
        return 0  # no longer on this page (a re-sort): nothing shown, nothing stale
    return int((card.best_price, card.in_stock, card.best_offer_id) != (truth.best_price, truth.in_stock,
                                                                       truth.best_offer_id))


def browse(app, paths: list[str], threads: int, seconds: float) -> dict:
    """`threads` shoppers requesting `paths` in turn for `seconds`: latencies and this process's cache counts."""
    from storefront.catalog.cache import get_cache

    with app.app_context():
        cache = get_cache()
    if cache is not None:
        cache.hits = cache.misses = 0
    stop = threading.Event()
    latencies: list[float] = []
    cycle = itertools.cycle(paths)
    lock = threading.Lock()

    def shopper() -> None:
        client = app.test_client()
        while not stop.is_set():
            with lock:
                path = next(cycle)
            started = time.perf_counter()
            response = client.get(path)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                print(f"{path}: HTTP {response.status_code}", file=sys.stderr)

    workers = [threading.Thread(target=shopper, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    time.sleep(seconds)
    stop.set()
    for worker in workers:
        worker.join()
    return {"latencies": latencies, "hits": cache.hits if cache else 0, "misses": cache.misses if cache else 0}


def browsing_process(url: str, overrides: dict, paths: list[str], threads: int, seconds: float, ready, go, out):
    """The browsing shoppers in a process of their own (with --redis-url): one Python process's GIL, shared by
    CPU-bound cache hits and an order thread waiting on PostgreSQL, would slow the orders tenfold."""
    app = make_app(url, **overrides)
    app.test_client().get("/ping")  # imports and connections made before the clock starts
    ready.set()
    go.wait()
    out.put(browse(app, paths, threads, seconds))


def forget_jobs(app, since: datetime) -> None:
    """Drop the outbox rows of this run's orders (invoices, mails) that no worker ran: left behind, any later
    bench app on this database without Redis would run them in-process and measure the mailer, not the catalog."""
    from storefront.extensions import db
    from storefront.jobs.models import OutboxMessage

    with app.app_context():
        db.session.execute(db.delete(OutboxMessage).where(OutboxMessage.created_at >= since,
                                                          OutboxMessage.completed_at.is_(None)))
        db.session.commit()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--browsers", type=int, default=4)
    parser.add_argument("--rate", type=float, default=5, help="orders per second")
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--buyers", type=int, default=0, help="shoppers to create (default: rate × duration)")
    parser.add_argument("--redis-url", help="the cache (and jobs) in Redis: browsing then runs in its own process")
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args(argv)
    refuse_unless_bench(args.database_url, args.force)
    # Without Redis the orders' jobs stay in the outbox (not due for a day): no PDFs and mails in this process.
    # One secret for both processes: pages cached by one are filled in by the other.
    overrides = {"SECRET_KEY": secrets.token_hex(32)}
    overrides |= {"REDIS_URL": args.redis_url} if args.redis_url else {"OUTBOX_RELAY_AFTER": 86400}
    app = make_app(args.database_url, **overrides)
    if not args.redis_url:
        from storefront.jobs import queue

        queue.dispatch = lambda app, job: True
    since = datetime.now(UTC)
    buyers, shown = setup(app, args.buyers or int(args.rate * args.duration) + 10)
    print(f"{len(buyers)} shoppers, {len(shown)} goods on {len(LISTS)} browsed lists")
    paths = LISTS + [f"/product/{product_id}" for product_id in list(shown)[:20]]

    results = {"sold": 0, "short": 0, "error": 0, "stale": 0, "checked": 0}
    stop = threading.Event()

    def order() -> None:
        for n, (user_id, contact_id, product_id) in enumerate(buyers):
            due = started + n / args.rate
            if stop.wait(max(0.0, due - time.perf_counter())):
                return
            with app.app_context():
                outcome = checkout(app, user_id, contact_id, f"mixed-{user_id}")
                results[outcome.split(":")[0]] += 1
                if outcome.startswith("error"):
                    print(outcome, file=sys.stderr)
                if outcome == "sold":
                    for query in shown[product_id]:
                        results["stale"] += stale_cards(query, product_id)
                        results["checked"] += 1

    orders = threading.Thread(target=order, daemon=True)
    if args.redis_url:
        context = multiprocessing.get_context("spawn")
        ready, go, out = context.Event(), context.Event(), context.Queue()
        child = context.Process(target=browsing_process, args=(
            args.database_url, overrides, paths, args.browsers, args.duration, ready, go, out))
        child.start()
        if not ready.wait(120):
            child.terminate()
            sys.exit("mixed.py: the browsing process did not start (see its error above)")
        go.set()
        started = time.perf_counter()
        orders.start()
        browsed = out.get(timeout=args.duration + 120)
        child.join()
    else:
        started = time.perf_counter()
        orders.start()
        browsed = browse(app, paths, args.browsers, args.duration)
    stop.set()
    orders.join()
    elapsed = time.perf_counter() - started
    forget_jobs(app, since)
    latencies, lookups = browsed["latencies"], browsed["hits"] + browsed["misses"]
    print(f"orders: {results['sold']} placed ({results['sold'] / elapsed:.1f}/s), {results['short']} out of stock, "
          f"{results['error']} errors")
    # In one process the order thread's read-backs count too; with --redis-url only the browsing's.
    whose = "browsing" if args.redis_url else "browsing and read-backs"
    print(f"catalog cache hit rate ({whose}): {100 * browsed['hits'] / lookups:.1f} %" if lookups
          else "catalog cache: off")
    print(f"stale cards after an order's commit: {results['stale']} of {results['checked']} checked")
    if latencies:
        print(f"browsing: {len(latencies) / elapsed:.1f} req/s, p50 {statistics.median(latencies):.1f} ms")
    return 1 if results["stale"] or results["error"] else 0


if __name__ == "__main__":
    sys.exit(main())
