"""Cart service: add / set / remove / empty for users and guests, stock caps, sellable offers, totals, merge."""

from decimal import Decimal

import pytest

from storefront.cart import services
from storefront.cart.models import CartItem
from tests.factories import (
    CartItemFactory,
    CategoryFactory,
    OfferFactory,
    ProductFactory,
    UserFactory,
)
from tests.orders.order_helpers import two_shop_offers

GUEST = "guest-key-1"


def test_add_creates_a_line_and_adding_again_adds_up(session):
    user = UserFactory()
    offer = OfferFactory(quantity=5)
    services.add_item(user, offer.id, 2)
    item = services.add_item(user, offer.id, "3")
    assert item.quantity == 5
    assert session.query(CartItem).filter_by(user_id=user.id).count() == 1


def test_adding_beyond_stock_is_refused_with_how_many_are_left(session):
    user = UserFactory()
    offer = OfferFactory(quantity=5, product__name="Кофемолка")
    services.add_item(user, offer.id, 4)
    with pytest.raises(services.NotEnoughStock) as caught:
        services.add_item(user, offer.id, 2)
    assert "Only 5" in caught.value.message and "add 1 more" in caught.value.message and "Кофемолка" in caught.value.message
    assert (caught.value.available, caught.value.requested, caught.value.status) == (5, 6, 409)
    assert session.query(CartItem).filter_by(user_id=user.id).one().quantity == 4


def test_out_of_stock_offer_cannot_be_added(session):
    offer = OfferFactory(quantity=0)
    with pytest.raises(services.NotEnoughStock, match="out of stock"):
        services.add_item(GUEST, offer.id, 1)
    assert session.query(CartItem).count() == 0


@pytest.mark.parametrize("bad", [0, -1, "abc", "1.5", "", None, True, 10**6])
def test_bad_quantities_are_refused(session, bad):
    offer = OfferFactory()
    with pytest.raises(services.InvalidQuantity):
        services.add_item(GUEST, offer.id, bad)
    assert session.query(CartItem).count() == 0


def test_unknown_offer_is_404(session):
    with pytest.raises(services.OfferUnavailable) as caught:
        services.add_item(GUEST, 999_999, 1)
    assert caught.value.status == 404


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: OfferFactory(shop__accepting_orders=False, shop__name="Пауза"), "Пауза is not taking orders"),
        (lambda: OfferFactory(is_active=False), "no longer sold"),
        (lambda: OfferFactory(product=ProductFactory(category=CategoryFactory(is_active=False))), "not on sale"),
        (lambda: OfferFactory(product=ProductFactory(is_active=False)), "not on sale"),  # taken off sale by staff
    ],
)
def test_offers_that_cannot_be_bought_are_named(session, make, words):
    offer = make()
    with pytest.raises(services.OfferUnavailable) as caught:
        services.add_item(GUEST, offer.id, 1)
    assert words in caught.value.message and offer.product.name in caught.value.message
    assert session.query(CartItem).count() == 0


def test_set_quantity_is_capped_by_stock_and_owned_lines_only(session):
    user, other = UserFactory(), UserFactory()
    offer = OfferFactory(quantity=3)
    item = services.add_item(user, offer.id, 1)
    assert services.set_quantity(user, item.id, 3).quantity == 3
    with pytest.raises(services.NotEnoughStock):
        services.set_quantity(user, item.id, 4)
    with pytest.raises(services.InvalidQuantity):
        services.set_quantity(user, item.id, 0)
    with pytest.raises(services.CartItemNotFound):
        services.set_quantity(other, item.id, 1)
    with pytest.raises(services.CartItemNotFound):
        services.remove_item(GUEST, item.id)
    assert session.get(CartItem, item.id).quantity == 3


def test_remove_and_empty_even_when_already_empty(session):
    user = UserFactory()
    first = services.add_item(user, OfferFactory().id, 1)
    services.add_item(user, OfferFactory().id, 2)
    services.remove_item(user, first.id)
    assert services.cart_count(user) == 2
    assert services.empty_cart(user) == 1
    assert services.empty_cart(user) == 0
    assert services.get_cart(user).is_empty


def test_carts_are_grouped_by_supplier_with_delivery_fees_and_totals(app, session):
    user = UserFactory()
    a1, a2, b1 = two_shop_offers()
    services.add_item(user, a1.id, 2)  # 6000 at shop A: free delivery from 5000
    services.add_item(user, b1.id, 1)  # 2000 at shop B: flat fee 300
    services.add_item(user, a2.id, 1)  # 500 more at shop A
    cart = services.get_cart(user)
    assert [g.shop_name for g in cart.groups] == ["Электролайн", "Технопарк"]
    shop_a, shop_b = cart.groups
    assert [line.product_name for line in shop_a.lines] == ["Смартфон Apple iPhone XS Max", "Чехол"]
    assert (shop_a.subtotal, shop_a.delivery_fee) == (Decimal("6500.00"), Decimal("0.00"))
    assert (shop_b.subtotal, shop_b.delivery_fee) == (Decimal("2000.00"), Decimal("300.00"))
    assert (cart.items_total, cart.delivery_total, cart.total) == (
        Decimal("8500.00"), Decimal("300.00"), Decimal("8800.00"))
    assert cart.count == 4
    assert all(isinstance(v, Decimal) for v in (cart.total, shop_a.subtotal, shop_b.delivery_fee))


def test_delivery_fee_comes_from_config(app, session):
    app.config.update(CART_DELIVERY_FEE=Decimal(150), CART_FREE_DELIVERY_FROM=Decimal(1000))
    assert services.delivery_fee(Decimal("999.99")) == Decimal("150.00")
    assert services.delivery_fee(Decimal(1000)) == Decimal("0.00")


def test_cart_shows_problems_when_stock_or_shop_changes(session):
    user = UserFactory()
    offer = OfferFactory(quantity=5, product__name="Чайник")
    CartItemFactory(user=user, offer=offer, quantity=4)
    offer.quantity = 2
    session.flush()
    line = services.get_cart(user).lines[0]
    assert line.problem == "Only 2 of “Чайник” in stock (you asked for 4)."
    offer.shop.accepting_orders = False
    session.flush()
    assert "not taking orders" in services.get_cart(user).problems[0]


def test_fit_to_stock_lowers_quantities_and_drops_what_cannot_be_bought(session):
    user = UserFactory()
    short = OfferFactory(quantity=5)
    gone = OfferFactory(quantity=0)
    fine = OfferFactory(quantity=5)
    CartItemFactory(user=user, offer=short, quantity=5)
    CartItemFactory(user=user, offer=gone, quantity=1)
    CartItemFactory(user=user, offer=fine, quantity=1)
    short.quantity = 2
    session.flush()
    notes = services.fit_to_stock(user)
    assert len(notes) == 2
    assert {(line.offer_id, line.quantity) for line in services.get_cart(user).lines} == {(short.id, 2), (fine.id, 1)}


def test_guest_cart_is_merged_into_the_account_at_login(session):
    user = UserFactory()
    both = OfferFactory(quantity=5)
    only_guest = OfferFactory(quantity=5)
    services.add_item(user, both.id, 3)
    services.add_item(GUEST, both.id, 4)  # 3 + 4 > 5 in stock: capped at 5
    services.add_item(GUEST, only_guest.id, 2)
    assert services.cart_count(GUEST) == 6
    assert services.merge_guest_cart(GUEST, user) == 2
    quantities = {line.offer_id: line.quantity for line in services.get_cart(user).lines}
    assert quantities == {both.id: 5, only_guest.id: 2}
    assert services.cart_count(GUEST) == 0
    assert services.merge_guest_cart(None, user) == 0


def test_cart_count_without_an_owner_is_zero(session):
    assert services.cart_count(None) == 0
    assert services.cart_count(GUEST) == 0
