"""Staff changes to the catalog: categories and products (suppliers' offers come from their price lists).

Each change flushes, is audited where staff would look for it, and invalidates the catalog cache when its
transaction commits; the product summaries follow in the same flush (`catalog.summary`).
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, func, insert, or_, select

from storefront.audit.services import record
from storefront.catalog.cache import invalidate_catalog_after_commit
from storefront.catalog.models import Category, Offer, Product, ShopCategory, product_extra_categories
from storefront.catalog.search_text import refresh_search_text
from storefront.domain_errors import Conflict, DomainError, NotFound
from storefront.extensions import db


def _clean_name(name: str, *, limit: int = 200) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_("Enter a name."), field="name")
    if len(name) > limit:
        raise DomainError(_("A name has at most %(limit)s characters.", limit=limit), field="name")
    return name


NOT_FOUND = {"category": _l("No such category."), "product": _l("No such product."), "object": _l("Not found.")}


def _get(model, object_id: int, label: str, field_name: str):
    obj = db.session.get(model, object_id)
    if obj is None:
        raise NotFound(str(NOT_FOUND.get(label, NOT_FOUND["object"])), field=field_name)
    return obj


def _set_active(model, object_id: int, active: bool, label: str):
    obj = _get(model, object_id, label, label)
    obj.is_active = active
    db.session.flush()
    invalidate_catalog_after_commit(**{f"{label}_ids": [obj.id]})
    return obj


def _ensure_category_name_free(name: str, exclude_id: int | None = None) -> None:
    # The exact name too: SQLite's lower() folds ASCII only, so "Смартфоны" would slip past the unique index check.
    taken = select(Category.id).where(or_(Category.name == name, func.lower(Category.name) == name.lower()))
    if exclude_id is not None:
        taken = taken.where(Category.id != exclude_id)
    if db.session.scalar(taken.limit(1)) is not None:
        raise Conflict(_("A category with this name already exists."), field="name")


def create_category(name: str) -> Category:
    """Add an active category."""
    name = _clean_name(name)
    _ensure_category_name_free(name)
    category = Category(name=name, is_active=True)
    db.session.add(category)
    db.session.flush()
    invalidate_catalog_after_commit(category_ids=[category.id])
    return category


def rename_category(category_id: int, name: str) -> Category:
    """Give a category a new name."""
    category = _get(Category, category_id, "category", "category")
    name = _clean_name(name)
    _ensure_category_name_free(name, exclude_id=category.id)
    category.name = name
    db.session.flush()
    invalidate_catalog_after_commit(category_ids=[category.id])
    return category


def set_category_active(category_id: int, active: bool, actor=None) -> Category:
    """Soft-delete (or restore) a category: its goods leave the catalog; products and orders stay."""
    category = _set_active(Category, category_id, active, "category")
    record(actor, "category.restored" if active else "category.deactivated", "category", category.id,
           {"name": category.name})
    return category


def delete_category(category_id: int, actor=None) -> None:
    """Delete a category for good; refused with Conflict while any product or shop mapping refers to it."""
    category = _get(Category, category_id, "category", "category")
    in_use = db.session.scalar(select(
        exists().where(Product.category_id == category.id)
        | exists().where(product_extra_categories.c.category_id == category.id)
        | exists().where(ShopCategory.category_id == category.id)
    ))
    if in_use:
        raise Conflict(_("The category is still in use by products or suppliers' price lists; deactivate it instead."),
                       field="category")
    record(actor, "category.deleted", "category", category.id, {"name": category.name})
    invalidate_catalog_after_commit(category_ids=[category.id])
    db.session.delete(category)
    db.session.flush()


def create_product(name: str, category_id: int, description: str = "") -> Product:
    """Add a product to a category (suppliers' offers attach to it through their price lists)."""
    _get(Category, category_id, "category", "category_id")
    product = Product(name=_clean_name(name, limit=300), category_id=category_id, description=description or "")
    refresh_search_text(product)
    db.session.add(product)
    db.session.flush()
    invalidate_catalog_after_commit(product_ids=[product.id])
    return product


def update_product(
    product_id: int, *, name: str | None = None, description: str | None = None, category_id: int | None = None
) -> Product:
    """Change a product's name, description or main category; None leaves a field as it is."""
    product = _get(Product, product_id, "product", "product")
    if name is not None:
        product.name = _clean_name(name, limit=300)
    if description is not None:
        product.description = description
    if category_id is not None:
        _get(Category, category_id, "category", "category_id")
        product.category_id = category_id
    refresh_search_text(product)
    db.session.flush()
    invalidate_catalog_after_commit(product_ids=[product.id])
    return product


def set_product_active(product_id: int, active: bool) -> Product:
    """Soft-delete (or restore) a product: off the catalog, its link says unavailable; offers and orders stay."""
    return _set_active(Product, product_id, active, "product")


def set_extra_categories(product_id: int, category_ids: Iterable[int]) -> Product:
    """List the product in these categories as well as its main one (replacing the previous extra ones)."""
    product = _get(Product, product_id, "product", "product")
    wanted = set(category_ids) - {product.category_id}
    found = set(db.session.scalars(select(Category.id).where(Category.id.in_(wanted)))) if wanted else set()
    if wanted - found:
        raise NotFound(_("No such category: %(ids)s.", ids=", ".join(map(str, sorted(wanted - found)))),
                       field="category_ids")
    db.session.execute(delete(product_extra_categories).where(product_extra_categories.c.product_id == product.id))
    if wanted:
        db.session.execute(insert(product_extra_categories),
                           [{"product_id": product.id, "category_id": category_id} for category_id in sorted(wanted)])
    db.session.expire(product, ["extra_categories"])
    db.session.flush()
    invalidate_catalog_after_commit(product_ids=[product.id])
    return product


def delete_product(product_id: int, actor=None) -> None:
    """Delete a product for good; refused with Conflict while any supplier's offer refers to it."""
    product = _get(Product, product_id, "product", "product")
    if db.session.scalar(select(exists().where(Offer.product_id == product.id))):
        raise Conflict(_("Suppliers' offers still refer to this product; deactivate it instead."), field="product")
    record(actor, "product.deleted", "product", product.id, {"name": product.name})
    invalidate_catalog_after_commit(product_ids=[product.id])
    db.session.delete(product)
    db.session.flush()
