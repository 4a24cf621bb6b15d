"""What the live socket is told, and when: pushes are published after the commit that made them true."""

from __future__ import annotations

from storefront.cart import services as cart
from storefront.extensions import db
from storefront.orders import checkout, status
from storefront.support import services as support
from tests.factories import OfferFactory, StaffFactory, UserFactory
from tests.orders.order_helpers import shopper_with_cart


def test_a_status_change_is_pushed_to_the_order_and_its_shopper_after_commit(app, pushes):
    with app.app_context():
        offer = OfferFactory(quantity=3)
        user, contact = shopper_with_cart((offer, 1))
        staff = StaffFactory()
        db.session.commit()
        order = checkout.place_order(user, contact.id, "live-1")
        db.session.commit()
        recorder = pushes(f"order:{order.id}", f"user:{user.id}")

        status.change_status(order, "confirmed", staff)
        db.session.flush()
        assert recorder.frames == []  # nothing before the commit
        db.session.commit()
        assert set(recorder.kinds()) == {(f"order:{order.id}", "order"), (f"user:{user.id}", "orders")}

        recorder.frames.clear()
        status.change_status(order, "assembled", staff)
        db.session.rollback()
        assert recorder.frames == []  # a rolled-back change is never announced


def test_checkout_pushes_stock_to_the_product_and_the_count_to_the_badge(app, pushes):
    with app.app_context():
        offer = OfferFactory(quantity=2)
        user, contact = shopper_with_cart((offer, 2))
        db.session.commit()
        recorder = pushes(f"product:{offer.product_id}", f"user:{user.id}")
        checkout.place_order(user, contact.id, "live-2")
        db.session.commit()
        kinds = recorder.kinds()
        assert (f"product:{offer.product_id}", "product") in kinds
        assert {"topic": f"user:{user.id}", "kind": "cart", "count": 0} in recorder.frames
        assert (f"user:{user.id}", "orders") in kinds


def test_cart_changes_push_the_new_count_to_the_shoppers_tabs(app, pushes):
    with app.app_context():
        offer = OfferFactory(quantity=10)
        user = UserFactory()
        db.session.commit()
        recorder = pushes(f"user:{user.id}")
        item = cart.add_item(user, offer.id, 2)
        db.session.commit()
        cart.set_quantity(user, item.id, 5)
        db.session.commit()
        cart.add_item("guest-session-key-0123456789", offer.id, 1)  # guests have no socket: nothing to push
        db.session.commit()
        assert [frame["count"] for frame in recorder.frames] == [2, 5]


def test_support_messages_push_the_other_sides_unread_count(app, pushes):
    with app.app_context():
        shopper, staff = UserFactory(), StaffFactory()
        db.session.commit()
        recorder = pushes(f"user:{shopper.id}", "staff")
        conversation = support.get_or_open_conversation(shopper)
        support.post_message(conversation, shopper, "Where is my order?")
        db.session.commit()
        assert recorder.kinds() == [("staff", "unread")]
        recorder.frames.clear()
        support.post_message(conversation, staff, "On its way.")
        db.session.commit()
        assert recorder.kinds() == [(f"user:{shopper.id}", "unread")]
