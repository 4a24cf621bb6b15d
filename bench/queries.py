"""Count the SQL statements one request makes, through the Flask test client (no server, no load).

    python bench/queries.py --database-url postgresql+psycopg://postgres@127.0.0.1/storefront_bench \
        --path / --path "/?q=смартфон" [--htmx] [--show]

Each path is requested once to warm caches, then again while a `before_cursor_execute` listener counts
statements and their time. Read-only: it does not change the database (but still only accepts a bench database
unless --force, since it runs the app's production configuration against it).
"""

from __future__ import annotations

import argparse
import sys
import time

try:
    from bench.common import make_app, refuse_unless_bench
except ImportError:  # run as a script: bench/ is on sys.path, not the repository
    from common import make_app, refuse_unless_bench


def count_queries(app, path: str, htmx: bool = False) -> tuple[int, list[tuple[str, float]], float]:
    """Return (status, [(statement, ms)], total ms) for one GET of `path`."""
    from sqlalchemy import event

    from storefront.extensions import db

    headers = {"HX-Request": "true"} if htmx else {}
    client = app.test_client()
    client.get(path, headers=headers)  # first request: connection pool, template compilation
    statements: list[tuple[str, float]] = []
    started_at: list[float] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        started_at.append(time.perf_counter())

    def after(conn, cursor, statement, parameters, context, executemany):
        statements.append((" ".join(statement.split()), (time.perf_counter() - started_at.pop()) * 1000))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    return response.status_code, statements, elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--path", action="append", default=[], help="repeatable (default: /)")
    parser.add_argument("--htmx", action="store_true", help="send HX-Request: true (the partial)")
    parser.add_argument("--show", action="store_true", help="print each statement with its time")
    parser.add_argument("--force", action="store_true", help="allow a database whose name lacks 'bench'")
    args = parser.parse_args(argv)
    refuse_unless_bench(args.database_url, args.force)
    app = make_app(args.database_url)
    for path in args.path or ["/"]:
        status, statements, elapsed = count_queries(app, path, args.htmx)
        sql_ms = sum(ms for _, ms in statements)
        print(f"{path}: HTTP {status}, {len(statements)} queries, {sql_ms:.1f} ms in SQL of {elapsed:.1f} ms")
        if args.show:
            for statement, ms in statements:
                print(f"  {ms:8.2f} ms  {statement[:300]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
