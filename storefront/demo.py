"""Demo data for `flask seed-demo`: users for every role and the sample suppliers' price lists."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import yaml
from sqlalchemy import func, select

from storefront.accounts.models import Role, User
from storefront.accounts.passwords import hash_password
from storefront.catalog.models import (
    Category,
    Offer,
    OfferParameter,
    Parameter,
    Product,
    ShopCategory,
)
from storefront.catalog.services import search_text_for
from storefront.database import utcnow
from storefront.extensions import db
from storefront.suppliers.models import Shop

DEMO_DIR = Path(__file__).parent / "demo_data"
DEMO_PASSWORD = "demo-password-1"


def ensure_user(email: str, name: str, role: Role, shop: Shop | None = None) -> tuple[User, bool]:
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    if user is not None:
        return user, False
    user = User(email=email, name=name, role=role, password_hash=hash_password(DEMO_PASSWORD),
                is_verified=True, verified_at=utcnow(), shop=shop)
    db.session.add(user)
    return user, True


def load_price_list(path: Path) -> Shop:
    """Load one sample price list as-is (the supplier importer validates real uploads)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    shop = db.session.scalar(select(Shop).where(Shop.name == data["shop"]))
    if shop is None:
        shop = Shop(name=data["shop"], accepting_orders=True)
        db.session.add(shop)
        db.session.flush()
    mapping: dict[int, Category] = {}
    for item in data.get("categories", []):
        category = db.session.scalar(select(Category).where(Category.name == item["name"]))
        if category is None:
            category = Category(name=item["name"])
            db.session.add(category)
            db.session.flush()
        link = db.session.scalar(
            select(ShopCategory).where(ShopCategory.shop_id == shop.id, ShopCategory.external_id == item["id"])
        )
        if link is None:
            db.session.add(ShopCategory(shop_id=shop.id, external_id=item["id"], name=item["name"], category=category))
        mapping[item["id"]] = category
    for good in data.get("goods", []):
        category = mapping[good["category"]]
        product = db.session.scalar(select(Product).where(Product.name == good["name"]))
        if product is None:
            product = Product(name=good["name"], category=category,
                              search_text=search_text_for(good["name"], [str(good.get("model", ""))], ""))
            db.session.add(product)
            db.session.flush()
        offer = db.session.scalar(select(Offer).where(Offer.shop_id == shop.id, Offer.external_id == good["id"]))
        if offer is not None:
            continue
        offer = Offer(product=product, shop=shop, external_id=good["id"], model=str(good.get("model", "")),
                      price=Decimal(str(good["price"])), price_rrc=Decimal(str(good.get("price_rrc", good["price"]))),
                      quantity=int(good.get("quantity", 0)))
        db.session.add(offer)
        for name, value in (good.get("parameters") or {}).items():
            parameter = db.session.scalar(select(Parameter).where(Parameter.name == name))
            if parameter is None:
                parameter = Parameter(name=name)
                db.session.add(parameter)
                db.session.flush()
            kind = {bool: "bool", int: "int", float: "float"}.get(type(value), "str")
            offer.parameters.append(OfferParameter(parameter=parameter, value=str(value), value_type=kind))
        db.session.flush()
    return shop


def seed_demo() -> list[tuple[str, str, bool]]:
    """Create the demo shop; returns (email, role, created) for every demo account. Safe to run twice."""
    accounts = []
    user, created = ensure_user("staff@storefront.local", "Staff Member", Role.STAFF)
    accounts.append((user.email, "staff", created))
    user, created = ensure_user("shopper@storefront.local", "Demo Shopper", Role.SHOPPER)
    accounts.append((user.email, "shopper", created))
    for index, path in enumerate(sorted(DEMO_DIR.glob("*.yaml")), start=1):
        shop = load_price_list(path)
        user, created = ensure_user(f"supplier{index}@storefront.local", f"{shop.name} manager", Role.SUPPLIER, shop)
        accounts.append((user.email, f"supplier of {shop.name}", created))
    return accounts
