"""Staff services: categories and products, soft and hard delete."""

import pytest
from sqlalchemy import select

from storefront.catalog.browsing import product_page, search_catalog
from storefront.catalog.editing import (
    create_category,
    create_product,
    delete_category,
    rename_category,
    set_category_active,
    set_extra_categories,
    set_product_active,
    update_product,
)
from storefront.catalog.filters import CatalogQuery
from storefront.catalog.models import Category, Offer, Product, product_extra_categories
from storefront.domain_errors import Conflict, DomainError, NotFound
from tests.factories import OrderItemFactory, ShopCategoryFactory


def test_create_and_rename_category(session):
    category = create_category("  Ноутбуки  ")
    session.commit()
    assert category.name == "Ноутбуки" and category.is_active
    rename_category(category.id, "Ноутбуки и планшеты")
    session.commit()
    assert session.get(Category, category.id).name == "Ноутбуки и планшеты"


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_category_name_must_be_sensible(session, name):
    with pytest.raises(DomainError) as caught:
        create_category(name)
    assert caught.value.field == "name"


def test_category_names_are_unique_ignoring_case(session):
    create_category("Audio")
    other = create_category("Video")
    with pytest.raises(Conflict):
        create_category("AUDIO")
    with pytest.raises(Conflict):
        rename_category(other.id, "audio")
    rename_category(other.id, "VIDEO")  # its own name in another case is fine


def test_soft_deleted_category_leaves_the_catalog_but_keeps_its_products(session, catalog):
    set_category_active(catalog.phones, False)
    session.commit()
    listed = {card.id for card in search_catalog(CatalogQuery()).items}
    assert catalog.iphone not in listed and catalog.airpods in listed
    assert session.get(Product, catalog.iphone) is not None
    product = product_page(catalog.iphone).product  # the direct link still answers
    assert not product.available and not product.category.is_active
    set_category_active(catalog.phones, True)
    session.commit()
    assert catalog.iphone in {card.id for card in search_catalog(CatalogQuery()).items}


def test_hard_delete_is_refused_while_anything_refers_to_the_category(session, catalog):
    with pytest.raises(Conflict) as caught:
        delete_category(catalog.phones)  # products
    assert caught.value.status == 409
    empty = create_category("Пусто")
    ShopCategoryFactory(category=empty)
    with pytest.raises(Conflict):
        delete_category(empty.id)  # a shop's price list maps onto it
    extra = create_category("Дополнительно")
    set_extra_categories(catalog.airpods, [extra.id])
    with pytest.raises(Conflict):
        delete_category(extra.id)  # a product is also listed there
    session.commit()


def test_hard_delete_of_an_unused_category(session):
    category = create_category("Временная")
    session.commit()
    delete_category(category.id)
    session.commit()
    assert session.get(Category, category.id) is None
    with pytest.raises(NotFound):
        delete_category(category.id)


def test_edit_product_updates_search(session, catalog):
    update_product(catalog.airpods, name="Наушники Apple AirPods Pro 2", description="С шумоподавлением",
                   category_id=catalog.phones)
    session.commit()
    cards = search_catalog(CatalogQuery(q="шумоподавлением")).items
    assert [(c.id, c.category) for c in cards] == [(catalog.airpods, "Смартфоны")]
    with pytest.raises(NotFound):
        update_product(catalog.airpods, category_id=999_999)
    with pytest.raises(DomainError):
        update_product(catalog.airpods, name=" ")
    with pytest.raises(NotFound):
        update_product(999_999, name="x")


def test_create_product(session, catalog):
    product = create_product("Чехол для iPhone", catalog.phones, "Силиконовый")
    session.commit()
    assert product.search_text == "чехол для iphone силиконовый"
    assert not product_page(product.id).product.available  # nobody offers it yet
    with pytest.raises(NotFound):
        create_product("X", 999_999)


def test_deactivated_product_stays_reachable_with_its_orders(session, catalog):
    offer = session.get(Offer, catalog.galaxy_offer)
    item = OrderItemFactory(offer=offer, part__shop=offer.shop)
    session.commit()
    set_product_active(catalog.galaxy, False)
    session.commit()
    assert catalog.galaxy not in {c.id for c in search_catalog(CatalogQuery()).items}
    detail = product_page(catalog.galaxy).product
    assert not detail.available and not detail.is_active
    assert item.offer.product_id == catalog.galaxy  # the order line still points at it
    set_product_active(catalog.galaxy, True)
    session.commit()
    assert product_page(catalog.galaxy).product.available


def test_extra_categories_are_replaced_and_validated(session, catalog):
    audio = create_category("Аудио")
    set_extra_categories(catalog.iphone, [audio.id, catalog.headphones, catalog.phones])  # the main one is skipped
    session.commit()
    rows = set(session.execute(select(product_extra_categories.c.category_id)
                               .where(product_extra_categories.c.product_id == catalog.iphone)).scalars())
    assert rows == {audio.id, catalog.headphones}
    set_extra_categories(catalog.iphone, [audio.id])
    session.commit()
    assert [c.id for c in session.get(Product, catalog.iphone).extra_categories] == [audio.id]
    with pytest.raises(NotFound) as caught:
        set_extra_categories(catalog.iphone, [audio.id, 999_999])
    assert caught.value.field == "category_ids"
