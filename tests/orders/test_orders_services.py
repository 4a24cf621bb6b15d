"""Orders service: atomic, idempotent checkout with snapshots; the status machine; who sees which order."""

from decimal import Decimal

import pytest

from storefront.accounts.errors import ContactNotFound
from storefront.cart.models import CartItem
from storefront.cart.services import get_cart
from storefront.catalog.models import Offer
from storefront.domain_errors import Forbidden
from storefront.orders import checkout, services
from storefront.orders.models import Order, OrderEvent, OrderStatus
from tests.factories import (
    ContactFactory,
    OfferFactory,
    ShopFactory,
    StaffFactory,
    SupplierFactory,
    UserFactory,
)
from tests.orders.order_helpers import shopper_with_cart, two_shop_offers


def place(user, contact, key="key-1", **kwargs):
    return services.place_order(user, contact.id, key, **kwargs)


def stock(session, offer) -> int:
    session.expire_all()
    return session.get(Offer, offer.id).quantity


@pytest.fixture
def cart(session):
    """A shopper with 2 × a1 + 1 × a2 from shop A (6500, free delivery) and 1 × b1 from shop B (2000 + 300)."""
    a1, a2, b1 = two_shop_offers()
    user, contact = shopper_with_cart((a1, 2), (a2, 1), (b1, 1))
    session.commit()
    return user, contact, (a1, a2, b1)


def test_place_order_writes_parts_lines_snapshots_event_and_empties_the_cart(session, cart):
    user, contact, (a1, a2, b1) = cart
    order = place(user, contact)
    session.commit()
    assert order.status == OrderStatus.NEW and order.user_id == user.id
    assert (order.items_total, order.delivery_total, order.total) == (
        Decimal("8500.00"), Decimal("300.00"), Decimal("8800.00"))
    assert order.delivery_address == "Москва, Тверская, 1, apt. 10" and order.delivery_recipient == "Иван Петров"
    assert [(p.shop_name, p.subtotal, p.delivery_fee, p.status) for p in order.parts] == [
        ("Электролайн", Decimal("6500.00"), Decimal("0.00"), OrderStatus.NEW),
        ("Технопарк", Decimal("2000.00"), Decimal("300.00"), OrderStatus.NEW),
    ]
    assert [(i.product_name, i.price, i.quantity, i.shop_id) for i in order.items] == [
        ("Смартфон Apple iPhone XS Max", Decimal("3000.00"), 2, a1.shop_id),
        ("Чехол", Decimal("500.00"), 1, a2.shop_id),
        ("Кофемолка", Decimal("2000.00"), 1, b1.shop_id),
    ]
    assert [(e.from_status, e.to_status, e.actor_id) for e in order.events] == [(None, "new", user.id)]
    assert get_cart(user).is_empty
    assert (stock(session, a1), stock(session, a2), stock(session, b1)) == (8, 9, 4)


def test_lines_keep_their_snapshot_when_the_price_list_changes(session, cart):
    user, contact, (a1, _, _) = cart
    order = place(user, contact)
    session.commit()
    a1.price = Decimal("1.00")
    a1.model = "renamed"
    a1.product.name = "Совсем другое"
    session.commit()
    session.expire_all()
    item = session.get(Order, order.id).items[0]
    assert (item.product_name, item.model != "renamed", item.price) == (
        "Смартфон Apple iPhone XS Max", True, Decimal("3000.00"))


def test_the_same_idempotency_key_returns_the_same_order(session, cart):
    user, contact, (a1, _, _) = cart
    first = place(user, contact, "double-click")
    session.commit()
    again = place(user, contact, "double-click")
    session.commit()
    assert again.id == first.id
    assert session.query(Order).count() == 1 and stock(session, a1) == 8
    other_user, other_contact = shopper_with_cart((a1, 1))
    session.commit()
    # Keys are per user: another shopper's identical key is a different order.
    assert place(other_user, other_contact, "double-click").id != first.id


def test_invalid_idempotency_keys_are_refused(session, cart):
    user, contact, _ = cart
    for key in ["", "   ", "x" * 65, None, "bad\nkey"]:
        with pytest.raises(services.InvalidIdempotencyKey):
            services.place_order(user, contact.id, key)
    assert session.query(Order).count() == 0


def assert_nothing_written(session, user, offers, before):
    session.rollback()
    session.expire_all()
    assert session.query(Order).count() == 0 and session.query(OrderEvent).count() == 0
    assert [session.get(Offer, o.id).quantity for o in offers] == before
    assert session.query(CartItem).filter_by(user_id=user.id).count() == 3


def test_a_changed_price_must_be_confirmed(session, cart):
    user, contact, offers = cart
    before = [o.quantity for o in offers]
    offers[2].price = Decimal("2100.00")
    session.commit()
    with pytest.raises(services.PriceChanged) as caught:
        place(user, contact, expected_total="8800.00")
    assert caught.value.status == 409 and caught.value.actual == Decimal("8900.00")
    assert_nothing_written(session, user, offers, before)
    review = services.review_checkout(user, {offers[2].id: Decimal("2000.00"), offers[0].id: Decimal("3000.00")})
    assert review.changed_prices == {offers[2].id: Decimal("2000.00")}
    assert place(user, contact, expected_total="8900.00").total == Decimal("8900.00")


@pytest.mark.parametrize("forged", ["1.00", "abc", "", "NaN", "sNaN", "Infinity", "8800.001"])
def test_a_forged_total_writes_nothing(session, cart, forged):
    user, contact, offers = cart
    before = [o.quantity for o in offers]
    with pytest.raises(services.PriceChanged):
        place(user, contact, expected_total=forged)
    assert_nothing_written(session, user, offers, before)


def test_a_shortage_is_named_and_writes_nothing(session, cart):
    user, contact, offers = cart
    offers[2].quantity = 0
    offers[0].quantity = 1
    session.commit()
    before = [o.quantity for o in offers]
    with pytest.raises(services.OutOfStock) as caught:
        place(user, contact)
    error = caught.value
    assert error.status == 409 and error.code == "out_of_stock"
    assert {(i["offer_id"], i["available"], i["requested"]) for i in error.items} == {
        (offers[0].id, 1, 2), (offers[2].id, 0, 1)}
    assert "Кофемолка" in error.message
    assert_nothing_written(session, user, offers, before)


def test_stock_gone_between_review_and_update_rolls_back_every_line(session, cart, monkeypatch):
    """The conditional UPDATE is the last word: if it finds too little, lines already decremented go back."""
    user, contact, offers = cart
    before = [o.quantity for o in offers]
    real = checkout._take_stock
    calls = []

    def racing(offer, quantity):
        calls.append(offer.id)
        if offer.id == offers[2].id:  # someone bought the last units just now
            session.execute(Offer.__table__.update().where(Offer.id == offer.id).values(quantity=0))
        real(offer, quantity)

    monkeypatch.setattr(checkout, "_take_stock", racing)
    with pytest.raises(services.OutOfStock):
        place(user, contact)
    assert len(calls) == 3
    session.rollback()
    assert [stock(session, o) for o in offers[:2]] == before[:2]
    assert session.query(Order).count() == 0


def test_offers_that_cannot_be_bought_block_checkout_by_name(session, cart):
    user, contact, offers = cart
    offers[2].shop.accepting_orders = False
    session.commit()
    with pytest.raises(services.OffersUnavailable) as caught:
        place(user, contact)
    assert "Технопарк is not taking orders" in caught.value.message and caught.value.offer_ids == [offers[2].id]
    offers[2].shop.accepting_orders = True
    offers[1].is_active = False
    session.commit()
    with pytest.raises(services.OffersUnavailable, match="no longer sold"):
        place(user, contact)


def test_an_empty_cart_cannot_be_checked_out(session):
    user, contact = shopper_with_cart()
    session.commit()
    with pytest.raises(services.EmptyCart):
        place(user, contact)


def test_someone_elses_contact_is_not_found(session, cart):
    user, _, _ = cart
    stranger = ContactFactory()
    session.commit()
    with pytest.raises(ContactNotFound):
        services.place_order(user, stranger.id, "k")
    with pytest.raises(ContactNotFound):
        services.place_order(user, None, "k")
    assert session.query(Order).count() == 0


# --- the status machine ---------------------------------------------------------------------------------


@pytest.fixture
def order(session, cart):
    user, contact, _ = cart
    order = place(user, contact)
    session.commit()
    return order


def test_the_whole_happy_path_writes_an_event_per_step(session, order):
    staff = StaffFactory()
    for status in ["confirmed", "assembled", "sent", "delivered"]:
        services.change_status(order, status, staff, note=f"step {status}")
        session.commit()
    assert order.status == OrderStatus.DELIVERED
    steps = [(e.from_status, e.to_status) for e in services.timeline(order) if e.part_id is None]
    assert steps == [(None, "new"), ("new", "confirmed"), ("confirmed", "assembled"), ("assembled", "sent"),
                     ("sent", "delivered")]
    # Parts that were in step followed the order.
    assert {p.status for p in order.parts} == {OrderStatus.DELIVERED}
    last = [e for e in services.timeline(order) if e.part_id is None][-1]
    assert last.actor_id == staff.id and last.note == "step delivered"


@pytest.mark.parametrize(
    "path, bad",
    [([], "sent"), ([], "delivered"), ([], "new"), (["confirmed"], "new"), (["confirmed", "assembled", "sent"],
     "cancelled"), (["cancelled"], "confirmed"), (["confirmed", "assembled", "sent", "delivered"], "cancelled"),
     ([], "shipped")],
)
def test_invalid_transitions_are_refused(session, order, path, bad):
    staff = StaffFactory()
    for status in path:
        services.change_status(order, status, staff)
    session.commit()
    events = session.query(OrderEvent).count()
    with pytest.raises(services.InvalidTransition) as caught:
        services.change_status(order, bad, staff)
    assert caught.value.status == 409
    session.rollback()
    assert session.query(OrderEvent).count() == events


def test_cancelling_returns_the_stock_once(session, order, cart):
    _, _, offers = cart
    staff = StaffFactory()
    services.change_status(order, "confirmed", staff)
    services.change_status(order, "cancelled", staff, note="customer called")
    session.commit()
    assert [stock(session, o) for o in offers] == [10, 10, 5]
    assert {p.status for p in order.parts} == {OrderStatus.CANCELLED}
    with pytest.raises(services.InvalidTransition):
        services.change_status(order, "cancelled", staff)
    assert [stock(session, o) for o in offers] == [10, 10, 5]


def test_only_staff_change_the_whole_order(session, order):
    with pytest.raises(Forbidden):
        services.change_status(order, "confirmed", order.user)
    with pytest.raises(Forbidden):
        services.change_status(order, "confirmed", SupplierFactory())


def test_shopper_cancels_only_their_own_new_order(session, order, cart):
    user, _, offers = cart
    other = UserFactory()
    with pytest.raises(services.OrderNotFound):
        services.cancel_order(other, order.id)
    services.cancel_order(user, order.id)
    session.commit()
    assert order.status == OrderStatus.CANCELLED and stock(session, offers[0]) == 10


def test_shopper_cannot_cancel_once_confirmed(session, order):
    services.change_status(order, "confirmed", StaffFactory())
    session.commit()
    with pytest.raises(services.InvalidTransition, match="only a new order"):
        services.cancel_order(order.user, order.id)


def test_supplier_moves_only_their_own_part(session, order, cart):
    _, _, (a1, _, b1) = cart
    supplier_a = SupplierFactory(shop=a1.shop)
    supplier_b = SupplierFactory(shop=b1.shop)
    part_a = order.parts[0]
    services.change_part_status(part_a, "confirmed", supplier_a, note="in stock")
    session.commit()
    event = session.query(OrderEvent).filter_by(part_id=part_a.id).one()
    assert (event.from_status, event.to_status, event.actor_id) == ("new", "confirmed", supplier_a.id)
    assert order.status == OrderStatus.NEW  # the order itself waits for staff
    with pytest.raises(Forbidden):
        services.change_part_status(part_a, "assembled", supplier_b)
    with pytest.raises(services.InvalidTransition):
        services.change_part_status(part_a, "delivered", supplier_a)


def test_cancelling_a_part_returns_its_stock_and_all_parts_cancelled_cancels_the_order(session, order, cart):
    _, _, (a1, a2, b1) = cart
    part_a, part_b = order.parts
    staff = StaffFactory()
    services.change_part_status(part_b, "cancelled", SupplierFactory(shop=b1.shop))
    session.commit()
    assert (stock(session, a1), stock(session, b1)) == (8, 5)
    assert order.status == OrderStatus.NEW
    services.change_part_status(part_a, "cancelled", staff)
    session.commit()
    assert (stock(session, a1), stock(session, a2), stock(session, b1)) == (10, 10, 5)
    session.refresh(order)
    assert order.status == OrderStatus.CANCELLED
    # The order's own cancellation must not return the parts' stock a second time.
    assert (stock(session, a1), stock(session, b1)) == (10, 5)


def test_order_cannot_be_cancelled_once_a_part_was_sent(session, order, cart):
    staff = StaffFactory()
    part_a = order.parts[0]
    for status in ["confirmed", "assembled", "sent"]:
        services.change_part_status(part_a, status, staff)
    session.commit()
    with pytest.raises(services.InvalidTransition, match="already sent"):
        services.change_status(order, "cancelled", staff)


# --- who sees what --------------------------------------------------------------------------------------


def test_order_visibility_by_role(session, order, cart):
    user, _, (a1, _, _) = cart
    other_shopper = UserFactory()
    supplier_a = SupplierFactory(shop=a1.shop)
    outsider = SupplierFactory(shop=ShopFactory())
    session.commit()
    assert services.get_order_for(user, order.id).id == order.id
    assert services.get_order_for(StaffFactory(), order.id).id == order.id
    assert services.get_order_for(supplier_a, order.id).id == order.id
    for stranger in (other_shopper, outsider, SupplierFactory(shop=None)):
        with pytest.raises(services.OrderNotFound):
            services.get_order_for(stranger, order.id)
    with pytest.raises(services.OrderNotFound):
        services.get_order_for(user, 999_999)
    assert {i.shop_id for i in services.supplier_lines(supplier_a, order)} == {a1.shop_id}
    assert [p.shop_id for p in services.visible_parts(supplier_a, order)] == [a1.shop_id]
    assert len(services.visible_parts(user, order)) == 2
    assert services.supplier_lines(other_shopper, order) == []
    with pytest.raises(services.OrderNotFound):
        services.invoice_for(supplier_a, order.id)  # the invoice shows other suppliers' lines


def test_supplier_timeline_hides_other_parts(session, order, cart):
    _, _, (a1, _, _) = cart
    staff = StaffFactory()
    services.change_part_status(order.parts[1], "confirmed", staff)
    supplier_a = SupplierFactory(shop=a1.shop)
    session.commit()
    assert all(e.part_id is None for e in services.timeline(order, supplier_a))
    assert any(e.part_id for e in services.timeline(order, staff))


def test_history_lists_own_orders_newest_first_with_pages(session):
    offer = OfferFactory(quantity=100)
    user, contact = shopper_with_cart()
    other, other_contact = shopper_with_cart((offer, 1))
    session.commit()
    placed = []
    for number in range(3):
        session.add(CartItem(user_id=user.id, offer_id=offer.id, quantity=1))
        session.flush()
        placed.append(place(user, contact, f"k{number}").id)
        session.commit()
    place(other, other_contact, "theirs")
    session.commit()
    first = services.list_orders(user, page=1, per_page=2)
    assert first.total == 3 and [o.id for o in first.items] == placed[::-1][:2]
    assert [o.id for o in services.list_orders(user, page=2, per_page=2).items] == [placed[0]]
    assert services.list_orders(StaffFactory()).total == 4
    assert services.list_orders(SupplierFactory(shop=offer.shop)).total == 4
    assert services.list_orders(SupplierFactory(shop=ShopFactory())).total == 0


def test_stock_changes_invalidate_the_catalog_cache_after_commit(session, cart):
    from storefront.catalog.cache import get_cache, product_generation

    user, contact, (a1, _, b1) = cart
    cache = get_cache()
    names = [product_generation(a1.product_id), product_generation(b1.product_id)]
    before = cache.counters(names)
    order = place(user, contact)
    assert cache.counters(names) == before  # not before the commit: a rollback must leave the cache alone
    session.commit()
    placed = cache.counters(names)
    assert all(after > was for after, was in zip(placed, before, strict=True))
    services.cancel_order(user, order.id)
    session.commit()
    assert all(after > was for after, was in zip(cache.counters(names), placed, strict=True))
