"""A placed two-shop order whose first shop has filled in its legal details."""

from __future__ import annotations

import io

from pypdf import PdfReader

from storefront.documents.models import ShopLegalDetails
from storefront.orders import services
from tests.factories import SupplierFactory
from tests.orders.order_helpers import shopper_with_cart, two_shop_offers

# Real-looking numbers with valid check digits (ИНН, ОГРН; the account matches the БИК's key).
LEGAL = {
    "legal_name": "ООО «Электролайн»", "inn": "7707083893", "kpp": "773601001", "ogrn": "1027700132195",
    "legal_address": "117997, г. Москва, ул. Вавилова, д. 19", "bank_name": "ПАО Сбербанк", "bik": "044525225",
    "account": "40702810938000000001", "vat_rate": 20,
}


def place_order(session, vat_rate: int | None = 20, key: str = "k1"):
    a1, a2, b1 = two_shop_offers()
    owner = SupplierFactory(email="owner-a@example.com", shop=a1.shop)
    SupplierFactory(email="owner-b@example.com", shop=b1.shop)
    session.add(ShopLegalDetails(shop_id=a1.shop.id, **{**LEGAL, "vat_rate": vat_rate}))
    user, contact = shopper_with_cart((a1, 2), (a2, 1), (b1, 1))
    session.commit()
    order = services.place_order(user, contact.id, key)
    session.commit()
    return order, user, owner


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
