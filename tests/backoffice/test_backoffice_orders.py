"""Staff orders: filters and sorting, every transition through the page, refusals, stale forms, e-mails, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storefront.audit.models import AuditEntry
from storefront.database import utcnow
from storefront.orders.models import Order, OrderEvent, OrderStatus
from storefront.orders.reports import OrderFilters, order_figures, search_orders
from storefront.orders.services import TRANSITIONS
from tests.backoffice.conftest import make_order
from tests.factories import ShopFactory, UserFactory
from tests.orders.order_helpers import mail_to

S = OrderStatus
HX = {"HX-Request": "true"}


def _ids(page) -> list[int]:
    return [order.id for order in page.items]


def test_search_filters_and_sorts(session, staff):
    ann, bob = UserFactory(email="ann@example.com"), UserFactory(email="bob@shop.org")
    shop_a, shop_b = ShopFactory(), ShopFactory()
    old = make_order(ann, shop_a, "300.00", created_at=utcnow() - timedelta(days=10))
    new = make_order(ann, shop_b, "900.00", status=S.CONFIRMED)
    other = make_order(bob, shop_a, "500.00")
    session.commit()
    assert _ids(search_orders(staff)) == [other.id, new.id, old.id]
    assert _ids(search_orders(staff, OrderFilters(status=S.CONFIRMED))) == [new.id]
    assert _ids(search_orders(staff, OrderFilters(shopper_id=ann.id, sort="created"))) == [old.id, new.id]
    assert _ids(search_orders(staff, OrderFilters(shop_id=shop_a.id))) == [other.id, old.id]
    today = utcnow().date()
    assert _ids(search_orders(staff, OrderFilters(date_from=today - timedelta(days=1)))) == [other.id, new.id]
    assert _ids(search_orders(staff, OrderFilters(date_to=today - timedelta(days=5)))) == [old.id]
    assert _ids(search_orders(staff, OrderFilters(q="SHOP.ORG"))) == [other.id]
    assert _ids(search_orders(staff, OrderFilters(q=f"#{new.id}"))) == [new.id]
    assert _ids(search_orders(staff, OrderFilters(sort="-total"))) == [new.id, other.id, old.id]
    assert _ids(search_orders(staff, OrderFilters(q="%"))) == []  # a wildcard is a literal character
    assert search_orders(staff, page_size=2).pages == 2


def test_search_is_staff_only(session):
    from storefront.domain_errors import Forbidden

    with pytest.raises(Forbidden):
        search_orders(UserFactory())


def test_dashboard_figures(session, staff):
    make_order(total="100.00")
    make_order(total="250.00")
    make_order(total="999.00", status=S.CANCELLED)  # counted as an order, not as revenue
    make_order(total="50.00", created_at=utcnow() - timedelta(days=20))
    session.commit()
    figures = order_figures(staff)
    assert figures.orders_today == 3
    assert str(figures.revenue_today) == "350.00"
    assert figures.by_status[S.NEW] == 3 and figures.by_status[S.CANCELLED] == 1
    assert len(figures.days) == 14 and figures.days[-1].orders == 3


def test_filtering_through_the_page(staff_client, session):
    make_order(email="ann@example.com")
    make_order(email="bob@example.com", status=S.SENT)
    session.commit()
    html = staff_client.get("/staff/orders?status=sent", headers=HX).get_data(as_text=True)
    assert "bob@example.com" in html and "ann@example.com" not in html
    html = staff_client.get("/staff/orders?q=ann@").get_data(as_text=True)
    assert "ann@example.com" in html and "bob@example.com" not in html


# --- status changes from the order page -------------------------------------------------------------------


VALID = [(frm, to) for frm, tos in TRANSITIONS.items() for to in sorted(tos)]  # sorted: xdist workers must collect alike
INVALID = [(frm, to) for frm in S for to in S if to not in TRANSITIONS[frm] and to != frm]


@pytest.mark.parametrize(("frm", "to"), VALID)
def test_every_valid_transition_writes_an_event_mails_the_shopper_and_is_audited(
    staff_client, session, mail_dir, frm, to
):
    order = make_order(email="ann@example.com", status=frm)
    session.commit()
    answer = staff_client.post(f"/staff/orders/{order.id}/status",
                               data={"status": to.value, "expected": frm.value, "note": "Courier booked"}, headers=HX)
    assert answer.status_code == 200
    assert "the shopper has been e-mailed" in answer.get_data(as_text=True)
    session.expire_all()
    assert session.get(Order, order.id).status == to
    event = session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id, OrderEvent.part_id.is_(None))
                            .order_by(OrderEvent.id.desc())).first()
    assert (event.from_status, event.to_status, event.note) == (frm.value, to.value, "Courier booked")
    mails = mail_to(mail_dir, "ann@example.com")
    assert len(mails) == 1 and f"Order #{order.id}" in mails[0]["Subject"]
    assert "Courier booked" in mails[0].get_body(("plain",)).get_content()
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "order.status_changed")).one()
    assert (entry.target_id, entry.details["from"], entry.details["to"]) == (order.id, frm.value, to.value)


@pytest.mark.parametrize(("frm", "to"), INVALID)
def test_invalid_transitions_are_refused(staff_client, session, mail_dir, frm, to):
    order = make_order(email="ann@example.com", status=frm)
    session.commit()
    answer = staff_client.post(f"/staff/orders/{order.id}/status", data={"status": to.value, "expected": frm.value})
    assert answer.status_code == 409
    assert "cannot become" in answer.get_data(as_text=True)
    session.expire_all()
    assert session.get(Order, order.id).status == frm
    assert mail_to(mail_dir, "ann@example.com") == []
    assert session.scalars(select(AuditEntry)).all() == []


def test_the_page_offers_only_valid_next_states(staff_client, session):
    order = make_order(status=S.ASSEMBLED)
    done = make_order(status=S.DELIVERED)
    session.commit()
    html = staff_client.get(f"/staff/orders/{order.id}").get_data(as_text=True)
    options = set(__import__("re").findall(r'<option[^>]*value="(\w+)"', html))
    assert options == {"sent", "cancelled"}
    assert "can no longer change" in staff_client.get(f"/staff/orders/{done.id}").get_data(as_text=True)


def test_a_stale_form_is_refused_with_the_current_state(staff_client, session, mail_dir):
    order = make_order(email="ann@example.com", status=S.CONFIRMED)  # someone confirmed it meanwhile
    session.commit()
    answer = staff_client.post(f"/staff/orders/{order.id}/status",
                               data={"status": "cancelled", "expected": "new"}, headers=HX)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "was changed meanwhile" in html
    assert 'data-testid="staff-order-status">Confirmed<' in html
    assert 'name="expected" type="hidden" value="confirmed"' in html
    session.expire_all()
    assert session.get(Order, order.id).status == S.CONFIRMED
    assert mail_to(mail_dir, "ann@example.com") == []
    plain = staff_client.post(f"/staff/orders/{order.id}/status", data={"status": "cancelled", "expected": "new"})
    assert plain.status_code == 409


def test_plain_form_redirects_with_a_flash(staff_client, session):
    order = make_order()
    session.commit()
    answer = staff_client.post(f"/staff/orders/{order.id}/status", data={"status": "confirmed", "expected": "new"})
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"/staff/orders/{order.id}")
    assert "is now confirmed" in staff_client.get(answer.headers["Location"]).get_data(as_text=True)


def test_garbage_status_is_a_form_error(staff_client, session):
    order = make_order()
    session.commit()
    assert staff_client.post(f"/staff/orders/{order.id}/status", data={"status": "lost", "expected": "new"}).status_code == 400
    assert staff_client.post(f"/staff/orders/{order.id}/status", data={"status": "confirmed"}).status_code == 400
    assert staff_client.post("/staff/orders/999999/status", data={"status": "confirmed", "expected": "new"}).status_code == 404


def test_status_change_needs_the_csrf_token(csrf_app, staff_client, session):
    order = make_order()
    session.commit()
    answer = staff_client.post(f"/staff/orders/{order.id}/status", data={"status": "confirmed", "expected": "new"})
    assert answer.status_code == 400
    session.expire_all()
    assert session.get(Order, order.id).status == S.NEW
