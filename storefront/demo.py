"""Demo data for `flask seed-demo`: users for every role and the sample suppliers' price lists."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from storefront.accounts.models import Role, User
from storefront.accounts.passwords import hash_password
from storefront.catalog.cache import invalidate_catalog_after_commit
from storefront.catalog.models import Shop
from storefront.database import utcnow
from storefront.extensions import db
from storefront.suppliers.importer import apply_price_list, limits
from storefront.suppliers.pricelist import parse_price_list

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
    """Import one sample price list through the supplier importer (creating its shop the first time)."""
    price_list = parse_price_list(path.read_bytes(), limits())
    shop = db.session.scalar(select(Shop).where(Shop.name == price_list.shop))
    if shop is None:
        shop = Shop(name=price_list.shop, accepting_orders=True)
        db.session.add(shop)
        db.session.flush()
    result = apply_price_list(shop, price_list)
    if result.touched_products:
        invalidate_catalog_after_commit(product_ids=result.touched_products)
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
