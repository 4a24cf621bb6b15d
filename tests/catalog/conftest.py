"""A small two-category catalog from three shops (one paused), shared by the catalog tests."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from storefront.catalog.search_text import refresh_search_text
from tests.factories import (
    CategoryFactory,
    OfferFactory,
    OfferParameterFactory,
    ParameterFactory,
    ProductFactory,
    ShopFactory,
)


@dataclass
class Catalog:
    phones: int
    headphones: int
    shop_a: int
    shop_b: int
    paused_shop: int
    iphone: int
    galaxy: int
    airpods: int
    cable: int
    nokia: int  # offered only by the paused shop
    iphone_offer_a: int
    iphone_offer_b: int
    galaxy_offer: int


def add_offer(product, shop, price, rrc=None, quantity=5, model="", **parameters):
    offer = OfferFactory(product=product, shop=shop, price=Decimal(price), price_rrc=Decimal(rrc or price),
                         quantity=quantity, model=model or f"model-{product.name[:10]}")
    for name, value in parameters.items():
        OfferParameterFactory(offer=offer, parameter=parameter(name), value=str(value))
    return offer



def parameter(name: str):
    from sqlalchemy import select

    from storefront.catalog.models import Parameter
    from storefront.extensions import db

    found = db.session.scalar(select(Parameter).where(Parameter.name == name))
    return found or ParameterFactory(name=name)


@pytest.fixture
def catalog(session) -> Catalog:
    phones = CategoryFactory(name="Смартфоны")
    headphones = CategoryFactory(name="Наушники")
    shop_a = ShopFactory(name="Связной")
    shop_b = ShopFactory(name="Электролайн")
    paused = ShopFactory(name="Спит", accepting_orders=False)
    iphone = ProductFactory(name="Смартфон Apple iPhone 15 128GB (чёрный)", category=phones,
                            description="Флагман Apple с камерой 48 Мп.")
    galaxy = ProductFactory(name="Смартфон Samsung Galaxy S24 256GB (синий)", category=phones,
                            description="Android phone with a bright screen.")
    airpods = ProductFactory(name="Apple AirPods Pro", category=headphones, description="Wireless earbuds.")
    cable = ProductFactory(name="Кабель 100% медь_x", category=headphones, description="")
    nokia = ProductFactory(name="Nokia 3310", category=phones, description="Classic.")
    iphone_a = add_offer(iphone, shop_a, "69500", "79990", 5, "apple/iphone-15", Цвет="чёрный", Память=128)
    iphone_b = add_offer(iphone, shop_b, "68000", "79990", 0, "apple/iphone-15", Цвет="чёрный", Память=128)
    add_offer(iphone, paused, "50000", "79990", 9, "apple/iphone-15", Цвет="чёрный", Память=128)
    galaxy_offer = add_offer(galaxy, shop_a, "53000", "57990", 16, "samsung/galaxy-s24", Цвет="синий", Память=256)
    add_offer(airpods, shop_b, "19990", "19990", 3, "apple/airpods-pro")
    add_offer(cable, shop_a, "500", "400", 100, "cable/cu")
    add_offer(nokia, paused, "3000", "3500", 7, "nokia/3310")
    session.flush()
    for product in (iphone, galaxy, airpods, cable, nokia):
        refresh_search_text(product)
    session.commit()
    return Catalog(phones.id, headphones.id, shop_a.id, shop_b.id, paused.id, iphone.id, galaxy.id, airpods.id,
                   cable.id, nokia.id, iphone_a.id, iphone_b.id, galaxy_offer.id)
