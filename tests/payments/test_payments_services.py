"""Payment status from payment events, the amounts' limits, suppliers' parts, overdue bank transfers."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from storefront.catalog.models import Offer
from storefront.domain_errors import DomainError, Forbidden
from storefront.orders import checkout
from storefront.orders.invoices import render_invoice
from storefront.orders.models import Order, OrderStatus
from storefront.payments import jobs as payment_jobs
from storefront.payments import services as payments
from storefront.payments.models import Payment
from storefront.payments.providers import payment_terms
from storefront.periodic import discover
from tests.factories import StaffFactory, SupplierFactory
from tests.orders.order_helpers import shopper_with_cart, two_shop_offers


def _order(session, method="bank_transfer"):
    a1, _, b1 = two_shop_offers()
    user, contact = shopper_with_cart((a1, 1), (b1, 1))  # 3000 + 300 delivery, 2000 + 300 delivery
    session.commit()
    order = checkout.place_order(user, contact.id, "k1", payment_method=method)
    session.commit()
    return order, (a1, b1)


def test_partial_payment_then_paid_then_refunded(session):
    order, _ = _order(session)
    staff = StaffFactory()
    assert (order.payment_method, order.payment_status, order.total) == ("bank_transfer", "unpaid", Decimal("5600.00"))
    payments.record_payment(staff, order, "1000.00", reference="п/п 1")
    assert (order.payment_status, order.paid_amount) == ("partly_paid", Decimal("1000.00"))
    payments.record_payment(staff, order, Decimal("4600.00"))
    assert order.payment_status == "paid" and payments.outstanding(order) == 0
    with pytest.raises(payments.PaymentRefused):
        payments.record_payment(staff, order, "0.01")  # nothing is due any more
    payments.record_payment(staff, order, "600.00", kind="refund")
    assert order.payment_status == "partly_paid"
    with pytest.raises(payments.PaymentRefused):
        payments.record_payment(staff, order, "5000.01", kind="refund")  # more than is left paid
    payments.record_payment(staff, order, "5000.00", kind="refund")
    session.commit()
    assert order.payment_status == "refunded" and payments.summary(order).net == 0
    assert [(p.kind, p.amount) for p in payments.payments_of(order.id)] == [
        ("payment", Decimal("1000.00")), ("payment", Decimal("4600.00")), ("refund", Decimal("600.00")),
        ("refund", Decimal("5000.00"))]


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "1.234", "NaN", "1e20"])
def test_bad_amounts_are_refused_and_nothing_is_written(session, amount):
    order, _ = _order(session)
    with pytest.raises(payments.InvalidAmount):
        payments.record_payment(StaffFactory(), order, amount)
    assert session.query(Payment).count() == 0


def test_only_staff_record_payments(session):
    order, _ = _order(session)
    with pytest.raises(Forbidden):
        payments.record_payment(order.user, order, "10.00")


def test_a_supplier_records_its_own_part_paid_on_delivery_only(session):
    order, (a1, b1) = _order(session, "cash_on_delivery")
    owner_a = SupplierFactory(shop=a1.shop)
    owner_b = SupplierFactory(shop=b1.shop)
    session.commit()
    info = payments.record_supplier_payment(owner_a, order.id, "3300.00")
    assert (info.total, info.paid, info.due) == (Decimal("3300.00"), Decimal("3300.00"), Decimal("0.00"))
    assert order.payment_status == "partly_paid"
    with pytest.raises(payments.PaymentRefused):
        payments.record_supplier_payment(owner_b, order.id, "2300.01")  # more than its part
    payments.record_supplier_payment(owner_b, order.id, "2300.00")
    assert order.payment_status == "paid"
    assert [p.amount for p in payments.part_payments(owner_b, order.id).payments] == [Decimal("2300.00")]

    transfer, _ = _order_same_offers(session, a1, method="bank_transfer", key="k-transfer")
    with pytest.raises(DomainError) as refused:
        payments.record_supplier_payment(owner_a, transfer.id, "10.00")
    assert refused.value.status == 403  # a bank transfer reaches the shop's account: staff record it


def test_unknown_payment_method_is_refused_before_anything_is_written(session):
    a1, _, _ = two_shop_offers()
    user, contact = shopper_with_cart((a1, 1))
    session.commit()
    with pytest.raises(DomainError) as refused:
        checkout.place_order(user, contact.id, "k1", payment_method="barter")
    assert refused.value.code == "invalid_payment_method"
    assert session.query(Order).count() == 0


def test_overdue_unpaid_bank_transfers_are_cancelled_with_stock_returned(app, session):
    order, (a1, _) = _order(session)
    on_delivery, _ = _order_same_offers(session, a1)
    paid, _ = _order_same_offers(session, a1, method="bank_transfer", key="k3")
    payments.record_payment(StaffFactory(), paid, paid.total)
    long_ago = order.created_at - timedelta(days=app.config["PAYMENT_DUE_DAYS"] + 1)
    for old in (order, on_delivery, paid):
        old.created_at = long_ago
    session.commit()
    stock_before = session.get(Offer, a1.id).quantity
    assert (payment_jobs.cancel_overdue_orders, 3600) in discover()
    assert payment_jobs.cancel_overdue_orders() == 1
    session.expire_all()
    assert session.get(Order, order.id).status == OrderStatus.CANCELLED
    assert session.get(Order, on_delivery.id).status == OrderStatus.NEW  # paid on delivery: nothing due yet
    assert session.get(Order, paid.id).status == OrderStatus.NEW
    assert session.get(Offer, a1.id).quantity == stock_before + 1
    assert payment_jobs.cancel_overdue_orders() == 0  # safe to run twice


def _order_same_offers(session, offer, method="cash_on_delivery", key="k2"):
    user, contact = shopper_with_cart((offer, 1))
    session.commit()
    order = checkout.place_order(user, contact.id, key, payment_method=method)
    session.commit()
    return order, offer


def test_the_invoice_carries_the_payment_terms(app, session):
    order, _ = _order(session)
    terms = payment_terms(order)
    assert f"within {app.config['PAYMENT_DUE_DAYS']} days" in terms and f"#{order.id}" in terms
    pdf = render_invoice(order)
    assert pdf.startswith(b"%PDF")
    cod, _ = _order_same_offers(session, order.items[0].offer, key="k9")
    assert "on delivery" in payment_terms(cod)
