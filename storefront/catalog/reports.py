"""Read-models over the catalog for staff: offers running low on stock, every category and product."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from storefront.catalog.models import Category, Offer, Product
from storefront.catalog.search_text import normalise_search_text
from storefront.domain_errors import NotFound
from storefront.extensions import db
from storefront.pagination import DEFAULT_PAGE_SIZE, Page, paginate

LOW_STOCK = 5


def low_stock_offers(threshold: int = LOW_STOCK, limit: int = 10) -> list[Offer]:
    """Active offers with at most `threshold` left, fewest first (with product and shop loaded)."""
    return list(db.session.scalars(
        select(Offer).options(joinedload(Offer.product), joinedload(Offer.shop))
        .where(Offer.is_active.is_(True), Offer.quantity <= threshold)
        .order_by(Offer.quantity, Offer.id).limit(limit)
    ))


@dataclass(frozen=True)
class CategoryRow:
    category: Category
    products: int  # products whose main category it is


def all_categories() -> list[CategoryRow]:
    """Every category, deactivated ones too, by name, with how many products it holds."""
    counts = dict(db.session.execute(
        select(Product.category_id, func.count()).group_by(Product.category_id)
    ).tuples().all())
    return [CategoryRow(c, counts.get(c.id, 0)) for c in db.session.scalars(select(Category).order_by(Category.name))]


def staff_products(q: str = "", category_id: int | None = None, page: int = 1,
                   page_size: int = DEFAULT_PAGE_SIZE) -> Page[Product]:
    """Every product, inactive ones too, by name; `q` matches part of the name (any letter case)."""
    statement = select(Product).options(joinedload(Product.category)).order_by(Product.name, Product.id)
    term = normalise_search_text(q or "")[:200]
    if term:
        statement = statement.where(Product.search_text.contains(term, autoescape=True))
    if category_id is not None:
        statement = statement.where(Product.category_id == category_id)
    return paginate(statement, page, page_size)


def get_product(product_id: int) -> Product:
    """One product, active or not, with its category; NotFound otherwise."""
    product = db.session.get(Product, product_id, options=[joinedload(Product.category)])
    if product is None:
        raise NotFound(_("No such product."), field="product")
    return product
