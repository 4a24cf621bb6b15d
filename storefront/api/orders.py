"""/api/v1/orders, the shoppers' side: place an order from the cart, list and read orders, the invoice, cancel.

The routes join `admin.order_blp` (which already carries the staff `PATCH /api/v1/orders/{id}`), so the
whole of /api/v1/orders is one blueprint and one tag. Placing needs an `Idempotency-Key` header: a retry with
the same key answers the order the first call made (201 again), never a second order.
"""

from __future__ import annotations

import marshmallow as ma
from flask import Response
from flask.views import MethodView

from storefront.accounts.models import Role
from storefront.api.admin import STATUS, OrderListArgs
from storefront.api.admin import order_blp as blp
from storefront.api.auth import auth_required, current_api_user
from storefront.api.base import MAX_ID
from storefront.api.catalog import _money as money
from storefront.api.docs import errors
from storefront.api.pagination import page_schema
from storefront.domain_errors import Forbidden
from storefront.orders import reports
from storefront.orders import services as orders

STAFF_FILTERS = ("status", "shopper_id", "shop_id", "date_from", "date_to", "q")


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
    items_total = money("2000.00")
    delivery_total = money("300.00")
    total = money("2300.00")
    created_at = ma.fields.DateTime(metadata={"example": "2025-01-31T12:00:00+00:00"})
    updated_at = ma.fields.DateTime(allow_none=True)


class OrderSchema(OrderSummarySchema):
    delivery_recipient = ma.fields.String(metadata={"example": "Иван Петров"})
    delivery_address = ma.fields.String(metadata={"description": "Snapshot taken at checkout",
                                                  "example": "Москва, Тверская, 1"})
    delivery_phone = ma.fields.String(metadata={"example": "+7 900 000-00-00"})
    parts = ma.fields.List(ma.fields.Nested(OrderPartSchema), metadata={"description": "One per supplier"})
    events = ma.fields.List(ma.fields.Nested(OrderEventSchema), metadata={"description": "Status history"})
    can_cancel = ma.fields.Function(lambda order: order.status == orders.S.NEW,
                                    metadata={"description": "The shopper may still cancel it"})


class PlaceOrderSchema(ma.Schema):
    contact_id = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(min=1, max=MAX_ID),
                                   metadata={"description": "One of your delivery contacts", "example": 1})
    expected_total = money("2300.00", "The total you showed the shopper: 409 `price_changed` if it is not the total now")


class IdempotencyHeaderSchema(ma.Schema):
    idempotency_key = ma.fields.String(
        data_key="Idempotency-Key", required=True, validate=ma.validate.Length(min=1, max=orders.MAX_KEY),
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
    def get(self, args):
        """List orders, newest first: yours (suppliers: those with your lines); staff every order, with filters.

        The filters (status, shopper_id, shop_id, date_from, date_to, q) and `sort` are for staff: 403 otherwise.
        """
        user = current_api_user()
        page, page_size, sort = args.pop("page"), args.pop("page_size"), args.pop("sort")
        if user.role == Role.STAFF:
            return reports.search_orders(user, reports.OrderFilters(**args, sort=sort), page, page_size)
        if any(args.get(name) not in (None, "") for name in STAFF_FILTERS) or sort != reports.DEFAULT_SORT:
            raise Forbidden("Only staff can filter or sort the order list.")
        return orders.list_orders(user, page, page_size)

    @auth_required(blp)
    @errors(blp, 400, 404, 409)
    @blp.arguments(IdempotencyHeaderSchema, location="headers")
    @blp.arguments(PlaceOrderSchema)
    @blp.response(201, OrderSchema)
    def post(self, headers, data):
        """Place an order from your cart, delivered to one of your contacts (201; a replayed key: the same order).

        Stock is taken in the same transaction. 409 `out_of_stock` lists `errors.items` as
        `{offer_id, available, requested}`; 409 `offer_unavailable`, `price_changed`; 400 `empty_cart`,
        `invalid_idempotency_key`; 404 for a contact that is not yours.
        """
        order = orders.place_order(current_api_user(), data["contact_id"], headers["idempotency_key"],
                                   data.get("expected_total"))
        return orders.get_order_for(current_api_user(), order.id)


@blp.route(f"/<int(max={MAX_ID}):order_id>")
class OrderById(MethodView):
    @auth_required(blp)
    @errors(blp, 404)
    @blp.response(200, OrderSchema)
    def get(self, order_id):
        """Show an order with its lines per supplier, delivery address and status history (others' are 404)."""
        return orders.get_order_for(current_api_user(), order_id)


@blp.route(f"/<int(max={MAX_ID}):order_id>/invoice.pdf")
class OrderInvoice(MethodView):
    @auth_required(blp)
    @errors(blp, 404)
    @blp.response(200, content_type="application/pdf", description="The PDF invoice")
    @blp.doc(responses={"200": {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}})
    def get(self, order_id):
        """Download an order's PDF invoice (the shopper's own, or any for staff)."""
        path = orders.invoice_for(current_api_user(), order_id)
        return Response(path.read_bytes(), mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="invoice-{order_id}.pdf"'})


@blp.route(f"/<int(max={MAX_ID}):order_id>/cancel")
class OrderCancel(MethodView):
    @auth_required(blp)
    @errors(blp, 404, 409)
    @blp.arguments(CancelSchema)
    @blp.response(200, OrderSchema)
    def post(self, data, order_id):
        """Cancel your own order while it is still new; the stock goes back on sale (409 `invalid_transition`)."""
        order = orders.cancel_order(current_api_user(), order_id, data["note"])
        return orders.get_order_for(current_api_user(), order.id)
