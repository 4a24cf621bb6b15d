"""`Offer.is_sellable`: one rule, the same answer in Python and in SQL, used by the lists, summaries and the cart."""

from __future__ import annotations

from itertools import product as combinations

from sqlalchemy import select

from storefront.cart.services import unavailable_reason
from storefront.catalog.browsing import product_page, search_catalog
from storefront.catalog.editing import set_category_active
from storefront.catalog.filters import CatalogQuery
from storefront.catalog.models import Offer, Product, offers_with_owners
from tests.factories import CategoryFactory, OfferFactory, ProductFactory, ShopFactory

FLAGS = list(combinations([True, False], repeat=4))  # offer active, shop accepting, product active, category active


def test_python_and_sql_agree_on_every_combination(session):
    offers = {}
    for offer_active, accepting, product_active, category_active in FLAGS:
        category = CategoryFactory(is_active=category_active)
        product = ProductFactory(category=category, is_active=product_active)
        offer = OfferFactory(product=product, shop=ShopFactory(accepting_orders=accepting), is_active=offer_active)
        offers[offer.id] = (offer_active, accepting, product_active, category_active)
    session.commit()
    session.expire_all()
    in_python = {offer.id for offer in session.scalars(select(Offer)) if offer.is_sellable}
    in_sql = set(session.scalars(offers_with_owners(Offer.id).where(Offer.is_sellable)))
    assert in_python == in_sql == {id_ for id_, flags in offers.items() if all(flags)}
    # The cart explains exactly the offers the rule refuses.
    refused = {offer.id for offer in session.scalars(select(Offer)) if unavailable_reason(offer) is not None}
    assert refused == set(offers) - in_sql


def test_lists_summaries_and_product_pages_follow_the_rule(session):
    shop, paused = ShopFactory(accepting_orders=True), ShopFactory(accepting_orders=False)
    phone = ProductFactory(name="Phone")
    OfferFactory(product=phone, shop=paused, price="10.00")  # cheaper, but its shop takes no orders
    sellable = OfferFactory(product=phone, shop=shop, price="20.00")
    OfferFactory(product=phone, shop=shop, price="5.00", is_active=False)
    session.commit()
    [card] = search_catalog(CatalogQuery()).items
    assert (card.best_offer_id, card.offer_count) == (sellable.id, 1)
    assert [o.id for o in product_page(phone.id).product.offers] == [sellable.id]
    assert [card.best_offer_id for card in search_catalog(CatalogQuery(in_stock=True)).items] == [sellable.id]
    # Staff switch the category off: the summary follows in the same flush, the cached list after the commit.
    set_category_active(phone.category_id, False)
    session.commit()
    assert session.get(Product, phone.id).on_sale is False
    assert search_catalog(CatalogQuery()).items == ()
