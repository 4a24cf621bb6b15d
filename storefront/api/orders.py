"""/api/v1/orders, the shoppers' side: place an order from the cart, list and read orders, the invoice, cancel.

The routes join `admin.order_blp` (which already carries the staff `PATCH /api/v1/orders/{id}`), so the
whole of /api/v1/orders is one blueprint and one tag. Placing needs an `Idempotency-Key` header: a retry with
the same key answers the order the first call made (201 again), never a second order.

Who sees what is the services' (`storefront.orders.access` on `storefront.policy`): a supplier's token gets
only its shop's parts of an order — lines, prices, part totals, events — and totals over those parts, never
the other suppliers' nor the whole order's. Placing an order needs a verified e-mail (403 `email_unverified`).
"""

from __future__ import annotations

import marshmallow as ma
from flask import Response
from flask.views import MethodView

from storefront.api.admin import STATUS, OrderListArgs
from storefront.api.admin import order_blp as blp
from storefront.api.auth import auth_required, current_api_user
from storefront.api.base import MAX_ID
from storefront.api.catalog import _money as money
from storefront.api.docs import errors
from storefront.api.pagination import page_schema
from storefront.orders import access, checkout, links, reports
from storefront.orders import status as order_status
from storefront.orders.access import SupplierOrder
from storefront.payments import services as payments


class OrderLineSchema(ma.Schema):
    offer_id = ma.fields.Integer(allow_none=True, metadata={"description": "null once the offer is deleted"})
    product_name = ma.fields.String(metadata={"description": "As it was when ordered", "example": "Кофемолка"})
    model = ma.fields.String(metadata={"example": "KM-1"})
    price = money("2000.00", "The price paid")
    quantity = ma.fields.Integer(metadata={"example": 1})


class OrderPartSchema(ma.Schema):
    id = ma.fields.Integer(metadata={"example": 9})
    shop_id = ma.fields.Integer(allow_none=True, metadata={"example": 3})
    shop_name = ma.fields.String(metadata={"example": "Электролайн"})
    status = STATUS
    subtotal = money("2000.00")
    delivery_fee = money("300.00")
    items = ma.fields.List(ma.fields.Nested(OrderLineSchema))


class OrderEventSchema(ma.Schema):
    from_status = ma.fields.String(allow_none=True, metadata={"example": "new"})
    to_status = ma.fields.String(metadata={"example": "confirmed"})
    part_id = ma.fields.Integer(allow_none=True, metadata={"description": "Set when one supplier's part moved"})
    note = ma.fields.String()
    created_at = ma.fields.DateTime()


class OrderSummarySchema(ma.Schema):
    id = ma.fields.Integer(metadata={"example": 42})
    status = STATUS
    user_id = ma.fields.Integer(metadata={"example": 7})
    items_total = money("2000.00", "A supplier sees the sum over its own parts only")
    delivery_total = money("300.00", "A supplier sees the sum over its own parts only")
    total = money("2300.00", "A supplier sees the sum over its own parts only")
    created_at = ma.fields.DateTime(metadata={"example": "2025-01-31T12:00:00+00:00"})
    updated_at = ma.fields.DateTime(allow_none=True)


def _amount(example: str, description: str | None = None, **options) -> ma.fields.Decimal:
    field = money(example, description)
    return ma.fields.Decimal(as_string=True, places=2, metadata=field.metadata, **options)


class PaymentEventSchema(ma.Schema):
    kind = ma.fields.String(metadata={"enum": ["payment", "refund"], "example": "payment"})
    amount = money("2300.00")
    method = ma.fields.String(metadata={"example": "bank_transfer"})
    part_id = ma.fields.Integer(allow_none=True, metadata={"description": "Set when a supplier took it on delivery"})
    reference = ma.fields.String(metadata={"example": "п/п 118"})
    note = ma.fields.String()
    created_at = ma.fields.DateTime()


class PaymentInfoSchema(ma.Schema):
    method = ma.fields.String(metadata={"example": "bank_transfer"})
    label = ma.fields.String(metadata={"example": "Bank transfer against the invoice"})
    status = ma.fields.String(attribute="status_code", metadata={
        "enum": ["unpaid", "partly_paid", "paid", "refunded"], "example": "unpaid"})
    paid = _amount("0.00", "Paid minus refunded", attribute="net")
    refunded = money("0.00")
    due = money("2300.00", "Still to pay")
    terms = ma.fields.String(metadata={"description": "As printed on the invoice"})


def _payment(order) -> dict | None:
    if isinstance(order, SupplierOrder):
        return None  # a supplier reads the money of its own part at /api/v1/partner/orders/{id}/payments
    return PaymentInfoSchema().dump(payments.summary(order))


def _payment_events(order) -> list | None:
    if isinstance(order, SupplierOrder):
        return None
    return PaymentEventSchema(many=True).dump(payments.payments_of(order.id))


class OrderSchema(OrderSummarySchema):
    delivery_recipient = ma.fields.String(metadata={"example": "Иван Петров"})
    delivery_address = ma.fields.String(metadata={"description": "Snapshot taken at checkout",
                                                  "example": "Москва, Тверская, 1"})
    delivery_phone = ma.fields.String(metadata={"example": "+7 900 000-00-00"})
    parts = ma.fields.List(ma.fields.Nested(OrderPartSchema),
                           metadata={"description": "One per supplier (a supplier: only its own)"})
    events = ma.fields.List(ma.fields.Nested(OrderEventSchema),
                            metadata={"description": "Status history (a supplier: the order's and its parts')"})
    payment = ma.fields.Function(_payment, metadata={
        "description": "Method, status (unpaid, partly_paid, paid, refunded), amounts and terms (null for a supplier)"})
    payments = ma.fields.Function(_payment_events, metadata={"description": "Payments and refunds, oldest first"})
    can_cancel = ma.fields.Function(
        lambda order: order.status == order_status.S.NEW and not isinstance(order, SupplierOrder),
        metadata={"description": "The shopper may still cancel it"})


class PlaceOrderSchema(ma.Schema):
    contact_id = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(min=1, max=MAX_ID),
                                   metadata={"description": "One of your delivery contacts", "example": 1})
    expected_total = money("2300.00", "The total you showed the shopper: 409 `price_changed` if it is not the total now")
    payment_method = ma.fields.String(
        validate=ma.validate.Length(max=32),
        metadata={"description": "One of PAYMENT_METHODS (default: the first): bank_transfer, cash_on_delivery, "
                                 "card_on_delivery; 400 `invalid_payment_method` otherwise", "example": "bank_transfer"})


class RecordPaymentSchema(ma.Schema):
    kind = ma.fields.String(load_default="payment", validate=ma.validate.OneOf(["payment", "refund"]),
                            metadata={"example": "payment"})
    amount = _amount("2300.00", "Positive, at most two decimals", required=True)
    reference = ma.fields.String(load_default="", validate=ma.validate.Length(max=120))
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=500))


class IdempotencyHeaderSchema(ma.Schema):
    idempotency_key = ma.fields.String(
        data_key="Idempotency-Key", required=True, validate=ma.validate.Length(min=1, max=checkout.MAX_KEY),
        metadata={"description": "Any unique string per order attempt (a UUID); retries send the same one",
                  "example": "5f0c6a4e-2b0e-4a57-9d3c-1f7d2a9e8b10"})


class CancelSchema(ma.Schema):
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=500),
                            metadata={"description": "Why (recorded in the status history)", "example": ""})


@blp.route("")
class Orders(MethodView):
    @auth_required(blp)
    @errors(blp, 403)
    @blp.arguments(OrderListArgs, location="query")
    @blp.response(200, page_schema(OrderSummarySchema))
    @blp.doc(operationId="list_orders")
    def get(self, args):
        """List orders, newest first: yours (suppliers: your part of those with your lines); staff every order.

        The filters (status, shopper_id, shop_id, date_from, date_to, q) and `sort` are for staff: 403 otherwise.
        """
        page, page_size = args.pop("page"), args.pop("page_size")
        return access.order_list(current_api_user(), reports.OrderFilters(**args), page, page_size)

    @auth_required(blp)
    @errors(blp, 400, 403, 404, 409)
    @blp.arguments(IdempotencyHeaderSchema, location="headers")
    @blp.arguments(PlaceOrderSchema)
    @blp.response(201, OrderSchema)
    @blp.doc(operationId="place_order")
    def post(self, headers, data):
        """Place an order from your cart, delivered to one of your contacts (201; a replayed key: the same order).

        Stock is taken in the same transaction, and checkouts of one cart run one at a time: of concurrent
        checkouts with different keys one gets 201 and the others 409 `empty_cart` (or `checkout_in_progress`).
        409 `out_of_stock` lists `errors.items` as `{offer_id, available, requested}`; 409 `offer_unavailable`,
        `price_changed`; 400 `invalid_idempotency_key`; 403 `email_unverified` until the account's e-mail is
        confirmed; 404 for a contact that is not yours.
        """
        order = checkout.place_order(current_api_user(), data["contact_id"], headers["idempotency_key"],
                                     data.get("expected_total"), payment_method=data.get("payment_method"),
                                     order_link=links.order_page)
        return access.get_order_for(current_api_user(), order.id)


@blp.route("/<id:order_id>")
class OrderById(MethodView):
    @auth_required(blp)
    @errors(blp, 404)
    @blp.response(200, OrderSchema)
    def get(self, order_id):
        """Show an order with its lines per supplier, delivery address and status history (others' are 404).

        A supplier sees only its own shop's parts, lines and events, with totals over those parts."""
        return access.get_order_for(current_api_user(), order_id)


@blp.route("/<id:order_id>/invoice.pdf")
class OrderInvoice(MethodView):
    @auth_required(blp)
    @errors(blp, 404)
    # The schema documents a binary body (generators hand back the bytes); the view answers a Response itself.
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf",
                  description="The PDF invoice")
    @blp.doc(operationId="download_invoice")
    def get(self, order_id):
        """Download an order's PDF invoice (the shopper's own, or any for staff)."""
        path = access.invoice_for(current_api_user(), order_id)
        return Response(path.read_bytes(), mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="invoice-{order_id}.pdf"'})


@blp.route("/<id:order_id>/cancel")
class OrderCancel(MethodView):
    @auth_required(blp)
    @errors(blp, 404, 409)
    @blp.arguments(CancelSchema)
    @blp.response(200, OrderSchema)
    @blp.doc(operationId="cancel_order")
    def post(self, data, order_id):
        """Cancel your own order while it is still new; the stock goes back on sale (409 `invalid_transition`)."""
        order = order_status.cancel_order(current_api_user(), order_id, data["note"], order_link=links.order_page)
        return access.get_order_for(current_api_user(), order.id)


@blp.route("/<id:order_id>/payments")
class OrderPayments(MethodView):
    @auth_required(blp)
    @errors(blp, 400, 403, 404, 409)
    @blp.arguments(RecordPaymentSchema)
    @blp.response(201, OrderSchema)
    def post(self, data, order_id):
        """Staff: record money received for an order, or a refund; the payment status follows (201).

        409 `payment_refused` for more than is due (or, for a refund, than was paid) and for payments of a
        cancelled order; 400 `invalid_amount`; 403 for anyone but staff.
        """
        user = current_api_user()
        payments.record_payment(user, access.get_order_for(user, order_id), data["amount"], kind=data["kind"],
                                note=data["note"], reference=data["reference"])
        return access.get_order_for(user, order_id)
