"""The order follows its parts: two suppliers move theirs through the partner API and the order takes the least
advanced live status; part cancellations return stock and tell the shopper; suppliers hear of cancellations."""

import pytest
from sqlalchemy import select

from storefront.orders import status as order_status
from storefront.orders.models import OrderEvent, OrderStatus
from storefront.webhooks.models import WebhookDelivery
from storefront.webhooks.services import create_webhook
from tests.accounts.accounts_helpers import mails_in
from tests.api.conftest import assert_error
from tests.factories import (
    OrderFactory,
    OrderItemFactory,
    OrderPartFactory,
    ShopFactory,
    StaffFactory,
    SupplierFactory,
    UserFactory,
)


@pytest.fixture
def two_parts(session):
    """A shopper's order with a part from each of two shops, each shop with its supplier."""
    shopper = UserFactory(email="shopper@example.com")
    order = OrderFactory(user=shopper)
    parts, suppliers = [], []
    for name in ("Альфа", "Бета"):
        shop = ShopFactory(name=name)
        part = OrderPartFactory(order=order, shop=shop)
        OrderItemFactory(part=part, quantity=2)
        parts.append(part)
        suppliers.append(SupplierFactory(shop=shop, email=f"{shop.id}-owner@example.com"))
    session.commit()
    return {"order": order, "parts": parts, "suppliers": suppliers, "shopper": shopper}


def _act(client, auth_headers, supplier, order_id, action, **body):
    response = client.post(f"/api/v1/partner/orders/{order_id}/{action}", headers=auth_headers(supplier),
                           json=body or None)
    assert response.status_code == 200, response.json
    return response.json


def _order_status(session, order):
    session.expire_all()
    return session.get(type(order), order.id).status


def test_two_suppliers_ship_then_deliver_and_the_order_follows(client, auth_headers, session, mail_dir, two_parts):
    order, (alpha, beta) = two_parts["order"], two_parts["suppliers"]
    _act(client, auth_headers, alpha, order.id, "confirm")
    assert _order_status(session, order) == OrderStatus.NEW  # Beta's part is still new
    _act(client, auth_headers, beta, order.id, "confirm")
    assert _order_status(session, order) == OrderStatus.CONFIRMED
    _act(client, auth_headers, alpha, order.id, "ship", note="Трек 1")
    assert _order_status(session, order) == OrderStatus.CONFIRMED  # the least advanced part rules
    _act(client, auth_headers, beta, order.id, "ship")
    assert _order_status(session, order) == OrderStatus.SENT
    _act(client, auth_headers, alpha, order.id, "deliver")
    assert _order_status(session, order) == OrderStatus.SENT
    assert _act(client, auth_headers, beta, order.id, "deliver")["status"] == "delivered"
    assert _order_status(session, order) == OrderStatus.DELIVERED

    derived = session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id,
                                                       OrderEvent.part_id.is_(None)).order_by(OrderEvent.id)).all()
    assert [(e.from_status, e.to_status) for e in derived] == [
        ("new", "confirmed"), ("confirmed", "assembled"), ("assembled", "sent"), ("sent", "delivered")]
    to_shopper = [m for m in mails_in(mail_dir) if m["to"] == "shopper@example.com"]
    # One e-mail per part move; the ones that moved the order say so (never a second e-mail for it).
    assert len(to_shopper) == 8
    assert sum(m["subject"].endswith(f"Order #{order.id}: sent") for m in to_shopper) == 1
    assert any(m["subject"].endswith(f"Order #{order.id}: delivered") for m in to_shopper)
    # The supplier moving its own part gets no e-mail about it.
    assert not [m for m in mails_in(mail_dir) if "owner@" in m["to"]]


def test_a_part_cannot_skip_its_machine(client, auth_headers, two_parts):
    order, alpha = two_parts["order"], two_parts["suppliers"][0]
    assert_error(client.post(f"/api/v1/partner/orders/{order.id}/deliver", headers=auth_headers(alpha)),
                 409, "invalid_transition")
    _act(client, auth_headers, alpha, order.id, "confirm")
    _act(client, auth_headers, alpha, order.id, "ship")
    assert_error(client.post(f"/api/v1/partner/orders/{order.id}/cancel", headers=auth_headers(alpha)),
                 409, "invalid_transition")
    assert_error(client.post(f"/api/v1/partner/orders/{order.id}/cancel", headers=auth_headers(alpha),
                             json={"note": "x" * 501}), 422)


def test_cancelling_a_part_returns_stock_tells_the_shopper_and_the_rest_moves_on(
        app, client, auth_headers, session, mail_dir, two_parts):
    order, (alpha, beta) = two_parts["order"], two_parts["suppliers"]
    offer = two_parts["parts"][1].items[0].offer
    # Nobody listens there: the deliveries fail at once, their rows say what was emitted.
    app.config.update(WEBHOOK_URL_ALLOWLIST=["127.0.0.1"], WEBHOOK_BACKOFF=0, WEBHOOK_MAX_ATTEMPTS=1)
    create_webhook(StaffFactory(), "http://127.0.0.1:9/hook", ["order_part.cancelled", "order.status_changed"],
                   secret="0123456789abcdef")
    session.commit()
    _act(client, auth_headers, alpha, order.id, "confirm")
    cancelled = _act(client, auth_headers, beta, order.id, "cancel", note="Нет в наличии")
    assert cancelled["status"] == "cancelled"
    session.expire_all()
    assert offer.quantity == 12  # the two units are back on sale
    assert _order_status(session, order) == OrderStatus.CONFIRMED  # only Alpha's live part counts now
    mail = [m for m in mails_in(mail_dir) if m["to"] == "shopper@example.com"][-1]
    assert "Бета" in mail["text"] and "Нет в наличии" in mail["text"] and "The whole order is now: Confirmed" in mail["text"]
    events = [d.event for d in session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))]
    assert events == ["order_part.cancelled", "order.status_changed"]
    _act(client, auth_headers, alpha, order.id, "cancel")
    assert _order_status(session, order) == OrderStatus.CANCELLED  # nothing is left to deliver


def test_a_shopper_cancelling_tells_each_supplier_with_the_order_number(client, session, mail_dir, two_parts):
    from tests.orders.order_helpers import login

    order = two_parts["order"]
    login(client, two_parts["shopper"])
    response = client.post(f"/orders/{order.id}/cancel", data={"note": "Передумал"})
    assert response.status_code in (200, 303), response.data
    assert _order_status(session, order) == OrderStatus.CANCELLED
    for supplier in two_parts["suppliers"]:
        mails = [m for m in mails_in(mail_dir) if m["to"] == supplier.email]
        assert len(mails) == 1
        assert f"Order #{order.id}" in mails[0]["subject"] and "cancelled" in mails[0]["subject"]
        assert "Передумал" in mails[0]["text"] and mails[0]["html"]


def test_staff_moving_the_order_still_works_and_suppliers_hear_of_it(session, mail_dir, two_parts):
    order = two_parts["order"]
    order_status.change_status(order, "confirmed", StaffFactory(), "Проверено")
    session.commit()
    assert order.status == OrderStatus.CONFIRMED
    assert all(part.status == OrderStatus.CONFIRMED for part in two_parts["parts"])
    for supplier in two_parts["suppliers"]:
        [mail] = [m for m in mails_in(mail_dir) if m["to"] == supplier.email]
        assert f"Order #{order.id} for" in mail["subject"] and "has changed" in mail["subject"]


def test_derived_status():
    S = OrderStatus
    assert order_status.derived_status([S.CONFIRMED, S.NEW]) is None
    assert order_status.derived_status([S.SENT, S.CANCELLED, S.ASSEMBLED]) == S.ASSEMBLED
    assert order_status.derived_status([S.CANCELLED, S.CANCELLED]) == S.CANCELLED
    assert order_status.derived_status([S.DELIVERED, S.CANCELLED]) == S.DELIVERED


def test_the_supplier_e_mail_speaks_the_shops_language(app, session, mail_dir, two_parts):
    app.config["STOREFRONT_LOCALE"] = "ru"
    order = two_parts["order"]
    order_status.cancel(order, None, "Не оплачен")
    session.commit()
    mail = next(m for m in mails_in(mail_dir) if m["to"] == two_parts["suppliers"][0].email)
    assert f"Заказ №{order.id}" in mail["subject"] and "отменён" in mail["subject"] and "Не отправляйте эти товары" in mail["text"]


def test_the_portal_follows_the_same_machine(client, session, mail_dir, two_parts):
    from tests.orders.order_helpers import login

    order, (alpha, beta) = two_parts["order"], two_parts["suppliers"]
    offer = two_parts["parts"][0].items[0].offer
    login(client, alpha)
    assert client.post(f"/supplier/orders/{order.id}/status", data={"status": "delivered"}).status_code == 409
    assert client.post(f"/supplier/orders/{order.id}/status",
                       data={"status": "cancelled", "note": "Снят с производства"}).status_code == 303
    session.expire_all()
    assert offer.quantity == 12
    assert "Снят с производства" in [m for m in mails_in(mail_dir) if m["to"] == "shopper@example.com"][-1]["text"]
    login(client, beta)
    client.post(f"/supplier/orders/{order.id}/status", data={"status": "confirmed"})
    assert _order_status(session, order) == OrderStatus.CONFIRMED  # Beta's is the only live part
