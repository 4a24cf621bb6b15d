"""Catalog queries and rules shared by the pages and the API."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from storefront.catalog.models import Category, Offer, Product
from storefront.extensions import db
from storefront.suppliers.models import Shop


@dataclass(frozen=True)
class ProductCard:
    id: int
    name: str
    category: str
    best_price: Decimal | None
    price_rrc: Decimal | None
    offer_count: int
    in_stock: bool


def sellable_offers():
    """Offers that can be bought right now: active line, active category, shop accepting orders."""
    return (
        select(Offer)
        .join(Shop, Shop.id == Offer.shop_id)
        .join(Product, Product.id == Offer.product_id)
        .join(Category, Category.id == Product.category_id)
        .where(Offer.is_active, Shop.accepting_orders, Category.is_active)
    )


def product_cards(page: int = 1, per_page: int = 24) -> tuple[list[ProductCard], int]:
    """One card per product with its best sellable price; returns (cards, total count)."""
    offers = sellable_offers().subquery()
    stats = (
        select(
            offers.c.product_id,
            func.min(offers.c.price).label("best_price"),
            func.max(offers.c.price_rrc).label("price_rrc"),
            func.count().label("offer_count"),
            func.max(offers.c.quantity).label("max_quantity"),
        )
        .group_by(offers.c.product_id)
        .subquery()
    )
    query = (
        select(Product.id, Product.name, Category.name, stats.c.best_price, stats.c.price_rrc,
               stats.c.offer_count, stats.c.max_quantity)
        .join(stats, stats.c.product_id == Product.id)
        .join(Category, Category.id == Product.category_id)
        .order_by(Product.name, Product.id)
    )
    total = db.session.scalar(select(func.count()).select_from(stats))
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    cards = [
        ProductCard(pid, name, category, best, rrc, count, bool(max_qty))
        for pid, name, category, best, rrc, count, max_qty in rows
    ]
    return cards, total or 0
