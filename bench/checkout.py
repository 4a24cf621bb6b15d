"""Checkout under load on PostgreSQL: a race for the last units, then sustained checkout throughput.

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE storefront_bench_checkout'
    .venv/bin/python bench/checkout.py --database-url postgresql+psycopg://postgres@127.0.0.1/storefront_bench_checkout \
        [--clients 50] [--stock 10] [--orders 500] [--workers 8] [--redis-url redis://127.0.0.1:6379/11]

(a) `--clients` shoppers, one thread each (its own app context, session and connection), each with one unit of
the same offer in their cart, wait on a barrier and call `orders.services.place_order` at once; the offer has
`--stock` units. Exactly `--stock` orders must succeed, the rest get `OutOfStock`, the stock ends at 0, and no
other error may occur (exit status 1 otherwise).
(b) `--orders` shoppers, each with a 3-line cart from 2 suppliers, check out through `--workers` threads; each
checkout is `place_order` + commit (the request boundary), timed one by one: orders/s, p50/p90/p99 latency.
With `--redis-url` the after-commit jobs (PDF, e-mails) are queued in Redis as in production; without it they
run inline in the committing thread and the figures include rendering the invoice.

The script migrates the database and adds its own shops, goods and shoppers (tagged with the run's timestamp);
it refuses a database whose name lacks "bench" unless --force. Results go to bench/results/<UTC>-checkout.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import queue
import sys
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal

try:
    from bench.common import RESULTS_DIR, database_name, make_app, refuse_unless_bench
except ImportError:  # run as a script: bench/ is on sys.path, not the repository
    from common import RESULTS_DIR, database_name, make_app, refuse_unless_bench

THROUGHPUT_STOCK = 1_000_000
EXTERNAL_IDS = itertools.count(int(time.time() * 1000))  # fresh per run: shops are new, ids only need to differ


def percentile(ordered: list[float], pct: float) -> float | None:
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _offer(db, tag: str, shop, category, name: str, price: str, stock: int):
    from storefront.catalog.models import Offer, Product

    product = Product(name=f"{name} {tag}", category=category, description="bench", search_text=name.casefold())
    offer = Offer(product=product, shop=shop, external_id=next(EXTERNAL_IDS),
                  model=f"bench/{name}", price=Decimal(price), price_rrc=Decimal(price), quantity=stock,
                  is_active=True)
    db.session.add(offer)
    db.session.flush()
    return offer


def _shoppers(db, tag: str, count: int, lines: list) -> list[tuple[int, int]]:
    """`count` verified shoppers with a contact and a cart of `lines` [(offer, quantity)]; (user id, contact id)."""
    from storefront.accounts.models import Contact, Role, User
    from storefront.cart.models import CartItem

    made = []
    for n in range(count):
        user = User(email=f"bench-{tag}-{n}@example.com", name=f"Bench {n}", password_hash="!", role=Role.SHOPPER,
                    is_verified=True, is_active=True)
        contact = Contact(user=user, recipient="Иван Петров", city="Москва", street="Тверская", house="1",
                          phone="+7 900 000-00-00")
        db.session.add_all([user, contact])
        for offer, quantity in lines:
            db.session.add(CartItem(user=user, offer_id=offer.id, quantity=quantity))
        made.append((user, contact))
    db.session.flush()
    return [(user.id, contact.id) for user, contact in made]


def setup(app, tag: str, clients: int, stock: int, orders: int) -> dict:
    from flask_migrate import upgrade

    from storefront.catalog.models import Category, Shop
    from storefront.extensions import db

    with app.app_context():
        upgrade()
        category = Category(name=f"Bench {tag}", is_active=True)
        shop_a = Shop(name=f"Электролайн {tag}", accepting_orders=True)
        shop_b = Shop(name=f"Технопарк {tag}", accepting_orders=True)
        db.session.add_all([category, shop_a, shop_b])
        last = _offer(db, tag, shop_a, category, "Последняя партия", "999.00", stock)
        a1 = _offer(db, tag, shop_a, category, "Смартфон", "3000.00", THROUGHPUT_STOCK)
        a2 = _offer(db, tag, shop_a, category, "Чехол", "500.00", THROUGHPUT_STOCK)
        b1 = _offer(db, tag, shop_b, category, "Кофемолка", "2000.00", THROUGHPUT_STOCK)
        data = {
            "race_offer": last.id,
            "racers": _shoppers(db, f"{tag}-race", clients, [(last, 1)]),
            "buyers": _shoppers(db, f"{tag}-load", orders, [(a1, 2), (a2, 1), (b1, 1)]),
        }
        db.session.commit()
        return data


def checkout(app, user_id: int, contact_id: int, key: str) -> str:
    """One checkout as the API does it: place_order, then commit. Returns "sold", "short" or "error: …"."""
    from storefront.accounts.models import User
    from storefront.extensions import db
    from storefront.orders import services

    try:
        services.place_order(db.session.get(User, user_id), contact_id, key)
        db.session.commit()
        return "sold"
    except services.OutOfStock:
        db.session.rollback()
        return "short"
    except Exception as exc:
        db.session.rollback()
        return f"error: {exc!r}"


def race(app, data: dict) -> dict:
    from sqlalchemy import func, select

    from storefront.catalog.models import Offer
    from storefront.extensions import db
    from storefront.orders.models import OrderItem

    racers = data["racers"]
    barrier = threading.Barrier(len(racers))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(user_id: int, contact_id: int) -> None:
        with app.app_context():
            db.session.get(Offer, data["race_offer"])  # connect before the barrier, so the race is the checkout
            barrier.wait(timeout=60)
            outcome = checkout(app, user_id, contact_id, f"race-{user_id}")
            db.session.remove()
        with lock:
            outcomes.append(outcome)

    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=racer) for racer in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    elapsed = time.perf_counter() - started
    with app.app_context():
        stock = db.session.get(Offer, data["race_offer"]).quantity
        sold = db.session.scalar(select(func.coalesce(func.sum(OrderItem.quantity), 0))
                                 .where(OrderItem.offer_id == data["race_offer"]))
    errors = [o for o in outcomes if o.startswith("error")]
    return {"clients": len(racers), "orders": outcomes.count("sold"), "out_of_stock": outcomes.count("short"),
            "units_sold": int(sold), "final_stock": stock, "errors": len(errors), "error_samples": errors[:5],
            "seconds": round(elapsed, 3)}


def throughput(app, data: dict, workers: int) -> dict:
    from storefront.extensions import db

    todo: queue.Queue = queue.Queue()
    for buyer in data["buyers"]:
        todo.put(buyer)
    latencies: list[float] = []
    outcomes: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        with app.app_context():
            while True:
                try:
                    user_id, contact_id = todo.get_nowait()
                except queue.Empty:
                    break
                began = time.perf_counter()
                outcome = checkout(app, user_id, contact_id, f"load-{user_id}")
                took = (time.perf_counter() - began) * 1000
                db.session.remove()
                with lock:
                    latencies.append(took)
                    outcomes.append(outcome)

    started = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    errors = [o for o in outcomes if o != "sold"]
    return {"orders": outcomes.count("sold"), "workers": workers, "lines_per_order": 3, "suppliers_per_order": 2,
            "seconds": round(elapsed, 3), "orders_per_s": round(outcomes.count("sold") / elapsed, 1),
            "p50_ms": round(percentile(ordered, 50), 1), "p90_ms": round(percentile(ordered, 90), 1),
            "p99_ms": round(percentile(ordered, 99), 1), "max_ms": round(ordered[-1], 1),
            "errors": len(errors), "error_samples": errors[:5]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--force", action="store_true", help="allow a database whose name lacks 'bench'")
    parser.add_argument("--clients", type=int, default=50, help="racers for the last units")
    parser.add_argument("--stock", type=int, default=10, help="units left of the raced offer")
    parser.add_argument("--orders", type=int, default=500, help="checkouts in the throughput run")
    parser.add_argument("--workers", type=int, default=8, help="concurrent checkouts in the throughput run")
    parser.add_argument("--redis-url", default=None, help="queue after-commit jobs here instead of running them")
    args = parser.parse_args(argv)
    refuse_unless_bench(args.database_url, args.force)
    if database_name(args.database_url).endswith(".db") or args.database_url.startswith("sqlite"):
        sys.exit("bench: the race is meant for PostgreSQL")

    pool = max(args.clients, args.workers) + 5  # every racer holds its own connection at the barrier
    app = make_app(args.database_url, REDIS_URL=args.redis_url,
                   SQLALCHEMY_ENGINE_OPTIONS={"pool_size": pool, "max_overflow": 0, "pool_pre_ping": True})
    tag = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    data = setup(app, tag, args.clients, args.stock, args.orders)
    result = {"settings": {k: v for k, v in vars(args).items() if k != "database_url"},
              "database": database_name(args.database_url), "race": race(app, data),
              "throughput": throughput(app, data, args.workers)}
    r, t = result["race"], result["throughput"]
    print(f"race: {r['clients']} clients for {args.stock} units -> {r['orders']} orders, {r['units_sold']} units sold, "
          f"{r['out_of_stock']} out_of_stock, final stock {r['final_stock']}, errors {r['errors']} ({r['seconds']} s)")
    print(f"throughput: {t['orders']} orders (3 lines, 2 suppliers) with {t['workers']} workers in {t['seconds']} s "
          f"-> {t['orders_per_s']} orders/s, p50 {t['p50_ms']} ms, p90 {t['p90_ms']} ms, p99 {t['p99_ms']} ms, "
          f"max {t['max_ms']} ms, errors {t['errors']}")
    for sample in r["error_samples"] + t["error_samples"]:
        print("  ", sample)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-checkout.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"written to {path}")
    ok = (r["units_sold"] == args.stock and r["orders"] == args.stock and r["final_stock"] == 0 and not r["errors"]
          and not t["errors"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
