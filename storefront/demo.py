"""Demo data for `flask seed-demo`: users for every role and the sample suppliers' price lists."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from storefront.accounts.models import Role, User
from storefront.accounts.passwords import hash_password
from storefront.catalog.cache import invalidate_catalog_after_commit
from storefront.catalog.models import Category, Product, Shop
from storefront.database import utcnow
from storefront.extensions import db
from storefront.media.services import store_image
from storefront.suppliers.importer import apply_price_list, limits
from storefront.suppliers.pricelist import parse_price_list

DEMO_DIR = Path(__file__).parent / "demo_data"
DEMO_PASSWORD = "demo-password-1"
FONT = Path(__file__).parent / "orders" / "fonts" / "DejaVuSans-Bold.ttf"
PALETTE = ((11, 92, 173), (26, 127, 55), (154, 103, 0), (130, 80, 223), (207, 34, 46), (9, 105, 118))


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


def demo_photo(name: str, category: str) -> bytes:
    """A product picture drawn with Pillow (no network): the category's colour, a device-like shape and the
    name's initials, different for every product."""
    import hashlib
    import io

    from PIL import Image, ImageDraw, ImageFont

    seed = hashlib.sha256(name.encode()).digest()
    colour = PALETTE[sum(category.encode()) % len(PALETTE)]
    image = Image.new("RGB", (600, 600), (246, 248, 250))
    draw = ImageDraw.Draw(image)
    for step in range(0, 600, 6):  # a soft diagonal wash in the category's colour
        tint = tuple(int(246 - (246 - c) * (0.08 + 0.22 * step / 600)) for c in colour)
        draw.line([(step, 0), (0, step)], fill=tint, width=6)
        draw.line([(600, step), (step, 600)], fill=tint, width=6)
    width, height = 180 + seed[0] % 160, 260 + seed[1] % 140
    box = ((600 - width) // 2, (600 - height) // 2, (600 + width) // 2, (600 + height) // 2)
    draw.rounded_rectangle(box, radius=28 + seed[2] % 20, fill=colour)
    inner = (box[0] + 14, box[1] + 14, box[2] - 14, box[3] - 40)
    draw.rounded_rectangle(inner, radius=16, fill=tuple(min(c + 60, 255) for c in colour))
    initials = "".join(word[0] for word in name.split()[1:3] if word[:1].isalnum()).upper() or name[:1].upper()
    font = ImageFont.truetype(str(FONT), 72)
    draw.text(((inner[0] + inner[2]) / 2, (inner[1] + inner[3]) / 2), initials, font=font, fill=(255, 255, 255),
              anchor="mm")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def add_demo_photos() -> int:
    """Give every product without a photo a generated one; how many got one."""
    rows = db.session.execute(
        select(Product, Category.name).join(Category, Category.id == Product.category_id)
        .where(Product.photo_hash.is_(None))
    ).all()
    for product, category in rows:
        product.photo_hash = store_image(demo_photo(product.name, category)).hash
    if rows:
        db.session.flush()
        invalidate_catalog_after_commit(product_ids=[product.id for product, _ in rows])
    return len(rows)


# Made-up legal details with valid check digits (ИНН, ОГРН; each account matches the БИК's key), so the demo's
# invoices show a seller as a real one does; one shop without VAT (УСН) shows the "без НДС" form.
DEMO_LEGAL = {
    "Электролиния": {"legal_name": "ООО «Электролиния»", "inn": "7708123450", "kpp": "770801001",
                     "ogrn": "1027700123450", "legal_address": "107140, г. Москва, ул. Краснопрудная, д. 12",
                     "account": "40702810200000000001", "vat_rate": 20},
    "Технопарк Демо": {"legal_name": "ООО «Технопарк Демо»", "inn": "7801543210", "kpp": "780101001",
                       "ogrn": "1027800543210", "legal_address": "199034, г. Санкт-Петербург, Университетская наб., д. 7",
                       "account": "40702810500000000002", "vat_rate": 20},
    "Кофейня «Зерно»": {"legal_name": "ООО «Зерно»", "inn": "5001987653", "kpp": "500101001",
                        "ogrn": "1025000987659", "legal_address": "143900, Московская обл., г. Балашиха, ул. Советская, д. 3",
                        "account": "40702810800000000003", "vat_rate": None},
}


def add_demo_legal_details(shop: Shop) -> None:
    """A demo shop's legal details, unless it has some (a supplier's own edits stay)."""
    from storefront.documents import legal
    from storefront.documents.models import ShopLegalDetails

    details = DEMO_LEGAL.get(shop.name)
    if details is None or db.session.get(ShopLegalDetails, shop.id) is not None:
        return
    clean = legal.validate({"bank_name": "ПАО Сбербанк", "bik": "044525225", **details})
    db.session.add(ShopLegalDetails(shop_id=shop.id, **clean))


def seed_demo() -> list[tuple[str, str, bool]]:
    """Create the demo shop; returns (email, role, created) for every demo account. Safe to run twice."""
    accounts = []
    user, created = ensure_user("staff@storefront.local", "Staff Member", Role.STAFF)
    accounts.append((user.email, "staff", created))
    user, created = ensure_user("shopper@storefront.local", "Demo Shopper", Role.SHOPPER)
    accounts.append((user.email, "shopper", created))
    for index, path in enumerate(sorted(DEMO_DIR.glob("*.yaml")), start=1):
        shop = load_price_list(path)
        add_demo_legal_details(shop)
        user, created = ensure_user(f"supplier{index}@storefront.local", f"{shop.name} manager", Role.SUPPLIER, shop)
        accounts.append((user.email, f"supplier of {shop.name}", created))
    add_demo_photos()
    return accounts
