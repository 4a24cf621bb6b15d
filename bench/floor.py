"""The floor of an uncached catalog list in this stack: the app with two bare routes added (issue 19).

    CATALOG_CACHE_TTL=0 .venv/bin/python bench/run.py --app bench.floor:app --database-url … \
        --path /bench-floor/query --path /bench-floor/page --path /api/v1/products

`/bench-floor/query` runs the list's first query only (24 cards by name, one indexed read of `products`, through
SQLAlchemy Core) and answers its row count; `/bench-floor/page` answers those 24 rows as JSON, with no facets, no
total, no schema. Whatever the catalog does, an uncached page costs at least this, so the two say how far below
/ping the stack itself puts an uncached list. Only for the bench: nothing in the shop imports it.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from storefront import create_app

floor = Blueprint("bench_floor", __name__, url_prefix="/bench-floor")


def _first_page():
    from sqlalchemy import select

    from storefront.catalog.browsing import PAGE_COLUMNS
    from storefront.catalog.models import Category, Product
    from storefront.extensions import db

    return db.session.execute(
        select(*PAGE_COLUMNS).join(Category, Category.id == Product.category_id)
        .where(Product.on_sale).order_by(Product.name, Product.id).limit(24)
    ).all()


@floor.get("/query")
def query():
    return jsonify(len(_first_page()))


@floor.get("/page")
def page():
    return jsonify([{"id": row.id, "name": row.name, "category": row.category, "best_price": str(row.best_price),
                     "in_stock": row.in_stock} for row in _first_page()])


app = create_app()
app.register_blueprint(floor)
