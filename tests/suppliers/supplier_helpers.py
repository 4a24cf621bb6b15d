"""Helpers for the supplier tests: build price lists, import them, count SQL statements."""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

import yaml
from sqlalchemy import event

from storefront.extensions import db
from storefront.suppliers.importer import apply_price_list
from storefront.suppliers.pricelist import parse_price_list

DEMO = Path(__file__).resolve().parents[2] / "storefront" / "demo_data"


def good(external_id: int, name: str, *, category: int = 224, price=1000, quantity: int = 5, **extra) -> dict:
    return {"id": external_id, "category": category, "model": extra.pop("model", f"brand/{external_id}"),
            "name": name, "price": price, "price_rrc": extra.pop("price_rrc", price), "quantity": quantity, **extra}


def price_list(shop: str, goods: list[dict], categories: list[dict] | None = None) -> str:
    categories = categories if categories is not None else [{"id": 224, "name": "Смартфоны"}]
    return yaml.safe_dump({"shop": shop, "categories": categories, "goods": goods}, allow_unicode=True,
                          sort_keys=False)


def import_text(shop, text: str | bytes, commit: bool = True):
    result = apply_price_list(shop, parse_price_list(text))
    if commit:
        db.session.commit()
    return result


@contextmanager
def count_statements():
    """Every SQL statement the engine runs inside the block, as text (executemany counts once)."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def writes(statements: list[str]) -> list[str]:
    """The statements that change data (SAVEPOINT/BEGIN bookkeeping aside)."""
    return [s for s in statements if re.match(r"\s*(INSERT|UPDATE|DELETE)\b", s, re.IGNORECASE)]
