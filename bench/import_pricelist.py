"""Time the supplier price-list import: a generated list of N goods, imported, then imported again unchanged.

    .venv/bin/python bench/import_pricelist.py --database-url postgresql+psycopg://postgres@127.0.0.1/storefront_bench_import \
        --goods 10000 --goods 100000
    .venv/bin/python bench/import_pricelist.py --database-url sqlite:////tmp/storefront_bench_import.db --goods 10000

For each size a child process migrates the database, empties the catalog tables (hence the `bench` name guard),
generates the YAML (Russian/English names, large ids, 3–4 typed parameters a good, 20 categories) and queues it
as an ImportJob; a fresh child then runs only `run_import` — the real job: parse, validate, apply, commit — as an
RQ work-horse would, so its peak RSS is the worker's for that import. Then the same list is queued and imported
again (unchanged). Reported: file size, wall time, SQL statements (an executemany batch counts once), statements
that write catalog data (a PostgreSQL COPY counts once), peak RSS, and the re-import's time as a share of the
first's, and the longest wait between two moves of the progress bar ("gap s": what the supplier's page can show,
from the job's reports to the live progress store). `--repeat N` runs each pair N times and reports medians (and
the largest peak RSS).
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import random
import resource
import statistics
import subprocess
import sys
import time

import common  # noqa: F401 - puts the repository on sys.path
from common import database_url, make_app, refuse_unless_bench

CATEGORIES = ["Смартфоны", "Ноутбуки", "Телевизоры", "Наушники", "Планшеты", "Мониторы", "Кофемашины", "Пылесосы",
              "Холодильники", "Фотоаппараты", "Смарт-часы", "Колонки", "Роутеры", "Принтеры", "Клавиатуры", "Мыши",
              "Видеокарты", "SSD-накопители", "Flash-накопители", "Аксессуары"]
BRANDS = ["Samsung", "Apple", "Xiaomi", "LG", "Sony", "Lenovo", "ASUS", "Philips", "Bosch", "HP"]
COLOURS = ["чёрный", "белый", "синий", "серебристый", "золотистый"]


def generate(goods: int, shop: str, seed: int = 1) -> str:
    """A price list as suppliers write it (built as text: the bench measures the import, not PyYAML's dumper)."""
    rng = random.Random(seed)
    out = io.StringIO()  # written as it goes: a list of every line would double the bench's own memory
    lines = [f'shop: "{shop}"', "categories:"]
    for index, name in enumerate(CATEGORIES, start=1):
        lines += [f"- id: {4_000_000_000 + index}", f"  name: {name}"]
    lines.append("goods:")
    for n in range(goods):
        out.write("\n".join(lines) + "\n")
        lines = []
        category = rng.randrange(len(CATEGORIES))
        brand = rng.choice(BRANDS)
        colour = rng.choice(COLOURS)
        memory = rng.choice([64, 128, 256, 512])
        price = rng.randrange(500, 200_000)
        lines += [
            f"- id: {9_000_000_000_000 + n}",
            f"  category: {4_000_000_001 + category}",
            f"  model: {brand.lower()}/model-{n}",
            f'  name: "{CATEGORIES[category][:-1]} {brand} X{n} {memory}GB ({colour}) \\"Pro\\""',
            f"  price: {price}{'.50' if n % 7 == 0 else ''}",
            f"  price_rrc: {price + rng.randrange(0, 5000)}",
            f"  quantity: {rng.randrange(0, 50)}",
            "  parameters:",
            f"    Цвет: {colour}",
            f"    Встроенная память (Гб): {memory}",
            f"    Диагональ (дюйм): {rng.choice([6.1, 6.7, 13.3, 15.6, 55.0])}",
        ]
        if n % 3 == 0:
            lines.append(f"    NFC: {'true' if n % 2 else 'false'}")
    out.write("\n".join(lines) + "\n")
    return out.getvalue()


def _app(url: str, goods: int):
    app = make_app(url)
    app.config["SUPPLIER_MAX_GOODS"] = max(goods, app.config["SUPPLIER_MAX_GOODS"])
    app.config["SUPPLIER_MAX_PRICELIST_BYTES"] = 200 * 1024 * 1024
    return app


def prepare(url: str, goods: int, reset: bool) -> dict:
    """Child: (reset the catalog and) queue one import of the generated list; its id."""
    from flask_migrate import upgrade
    from sqlalchemy import delete, select

    from storefront.catalog.models import (
        Category,
        Offer,
        OfferParameter,
        Parameter,
        Product,
        Shop,
        ShopCategory,
    )
    from storefront.extensions import db
    from storefront.suppliers.models import ImportJob, ImportState

    name = "Bench «Импорт»"
    with _app(url, goods).app_context():
        if reset:
            upgrade()
            for model in (OfferParameter, Offer, Product, ShopCategory, Category, Parameter, ImportJob, Shop):
                db.session.execute(delete(model))
            db.session.add(Shop(name=name, accepting_orders=True))
            db.session.commit()
        shop_id = db.session.scalar(select(Shop.id).where(Shop.name == name))
        text = generate(goods, name)
        job = ImportJob(shop_id=shop_id, source_kind="file", source="bench.yaml", payload=text,
                        state=ImportState.QUEUED, errors=[])
        db.session.add(job)
        db.session.commit()
        return {"import_id": job.id, "yaml_mb": round(len(text.encode()) / 1e6, 1)}


def run(url: str, goods: int, import_id: int) -> dict:
    """Child, fresh like an RQ work-horse: run the import job; time, statements, peak memory."""
    from sqlalchemy import event

    from storefront.extensions import db
    from storefront.jobs import progress
    from storefront.suppliers import importer
    from storefront.suppliers.importer import run_import
    from storefront.suppliers.models import ImportJob, ImportState

    with _app(url, goods).app_context():
        statements: list[str] = []
        event.listen(db.engine, "before_cursor_execute", lambda c, cu, statement, *a: statements.append(statement))
        insert_rows = importer.insert_rows

        def counted_insert_rows(connection, table, rows):  # a COPY bypasses SQLAlchemy's events: count it here
            if rows and connection.dialect.name == "postgresql":
                statements.append(f"COPY {table.name}")
            insert_rows(connection, table, rows)

        importer.insert_rows = counted_insert_rows
        report, moves = progress.report, []

        def timed_report(key, pct):  # when the bar moves, as the page polling the store would see it
            moves.append(time.perf_counter())
            report(key, pct)

        progress.report = timed_report
        started = time.perf_counter()
        run_import(import_id)
        elapsed = time.perf_counter() - started
        moves = [started, *moves, started + elapsed]
        job = db.session.get(ImportJob, import_id)
        assert job.state == ImportState.SUCCEEDED, job.errors[:3]
        data_writes = [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "COPY"))
                       and "import_jobs" not in s and "import_payloads" not in s]
        return {"seconds": round(elapsed, 2), "statements": len(statements), "data_writes": len(data_writes),
                "counts": [job.created_count, job.updated_count, job.unchanged_count, job.deactivated_count],
                "gap_s": round(max(b - a for a, b in itertools.pairwise(moves)), 2), "moves": len(moves) - 2,
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def _child(url: str, force: bool, *args: str) -> dict:
    child = subprocess.run([sys.executable, __file__, "--database-url", url, *args, *(["--force"] if force else [])],
                           check=False, capture_output=True, text=True)
    if child.returncode != 0:
        sys.exit(child.stderr[-3000:])
    return json.loads(child.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--goods", type=int, action="append", help="goods in the list (repeat for several sizes)")
    parser.add_argument("--repeat", type=int, default=1, help="import and re-import N times; medians are reported")
    parser.add_argument("--force", action="store_true", help="run on a database whose name lacks 'bench'")
    parser.add_argument("--prepare", choices=["reset", "again"], help=argparse.SUPPRESS)
    parser.add_argument("--run", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = database_url(args.database_url)
    refuse_unless_bench(url, args.force)
    sizes = args.goods or [10_000]
    if args.prepare:
        print(json.dumps(prepare(url, sizes[0], args.prepare == "reset")))
        return
    if args.run:
        print(json.dumps(run(url, sizes[0], args.run)))
        return
    print(f"{'goods':>8} {'YAML MB':>8} | {'import s':>8} {'stmts':>6} {'writes':>6} {'RSS MB':>6} {'gap s':>5} | "
          f"{'again s':>7} {'stmts':>6} {'writes':>6} {'RSS MB':>6} {'gap s':>5} | {'again %':>7} | counts (1st | again)")
    for goods in sizes:
        pairs = []
        for _ in range(args.repeat):
            pair = []
            for phase in ("reset", "again"):
                queued = _child(url, args.force, "--goods", str(goods), "--prepare", phase)
                pair.append(_child(url, args.force, "--goods", str(goods), "--run", str(queued["import_id"])))
            pairs.append(pair)
            if args.repeat > 1:
                print(f"{'':>8} {'':>8} | {pair[0]['seconds']:>8} {'':>6} {'':>6} {'':>6} | {pair[1]['seconds']:>7} "
                      f"{'':>6} {'':>6} {'':>6} | {100 * pair[1]['seconds'] / pair[0]['seconds']:>6.0f}%")
        # Medians over the repeats: this machine's CPU share swings for tens of seconds at a time.
        first, again = (_median_run([pair[index] for pair in pairs]) for index in (0, 1))
        ratio = statistics.median(100 * again_run["seconds"] / first_run["seconds"] for first_run, again_run in pairs)
        print(f"{goods:>8,} {queued['yaml_mb']:>8} | {first['seconds']:>8} {first['statements']:>6} "
              f"{first['data_writes']:>6} {first['peak_rss_mb']:>6} {first['gap_s']:>5} | {again['seconds']:>7} "
              f"{again['statements']:>6} {again['data_writes']:>6} {again['peak_rss_mb']:>6} {again['gap_s']:>5} | "
              f"{ratio:>6.0f}% | {first['counts']} | {again['counts']}")


def _median_run(runs: list[dict]) -> dict:
    """The run of median wall time (its own statements and counts); the largest peak RSS of them all."""
    middle = sorted(runs, key=lambda run: run["seconds"])[(len(runs) - 1) // 2]
    return {**middle, "peak_rss_mb": max(run["peak_rss_mb"] for run in runs)}


if __name__ == "__main__":
    main()
