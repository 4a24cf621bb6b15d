"""Staff endpoints: order status changes and the filtered order list, shops, and webhook subscriptions.

The same services as the back-office pages: `orders.services` (the status machine, the shopper's e-mail),
`orders.reports` (filters), `suppliers.admin` (shops) and `webhooks.services` (subscriptions, deliveries).
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from storefront.accounts.models import Role
from storefront.api.auth import auth_required, current_api_user
from storefront.api.base import MAX_ID
from storefront.api.blueprint import Blueprint
from storefront.api.docs import errors
from storefront.api.pagination import PaginationArgs, page_schema
from storefront.extensions import db
from storefront.orders import reports
from storefront.orders import services as orders
from storefront.orders.links import order_page
from storefront.orders.models import OrderStatus
from storefront.suppliers import admin as shops
from storefront.webhooks import services as webhooks
from storefront.webhooks.delivery import signing_secret

# Shared with storefront/api/orders.py (the shoppers' side): one blueprint, one tag for /api/v1/orders.
order_blp = Blueprint("api_orders", __name__, url_prefix="/api/v1/orders",
                      description="Orders: shoppers place, list and cancel their own; staff see all and move statuses.")
admin_blp = Blueprint("admin", __name__, url_prefix="/api/v1/admin", description="Every order and shop (staff).")
webhook_blp = Blueprint("webhooks", __name__, url_prefix="/api/v1/webhooks",
                        description="Outgoing webhook subscriptions and their delivery log (staff).")
BLUEPRINTS = (order_blp, admin_blp, webhook_blp)
STATUS = ma.fields.Enum(OrderStatus, by_value=True, metadata={"example": "confirmed"})


class AdminOrderPartSchema(ma.Schema):
    shop_id = ma.fields.Integer(allow_none=True, metadata={"example": 3})
    shop_name = ma.fields.String(metadata={"example": "Электролайн"})
    status = STATUS


class AdminOrderSchema(ma.Schema):
    id = ma.fields.Integer(metadata={"example": 42})
    status = STATUS
    user_id = ma.fields.Integer(metadata={"example": 7})
    email = ma.fields.Function(lambda order: order.buyer_email, metadata={"example": "ann@example.com"})
    total = ma.fields.Decimal(as_string=True, metadata={"type": "string", "format": "decimal", "example": "1300.00"})
    created_at = ma.fields.DateTime(metadata={"example": "2025-01-31T12:00:00+00:00"})
    allowed_statuses = ma.fields.Function(lambda order: [s.value for s in orders.allowed_transitions(order.status)],
                                          metadata={"example": ["sent", "cancelled"]})
    parts = ma.fields.List(ma.fields.Nested(AdminOrderPartSchema))


class StatusChangeSchema(ma.Schema):
    status = ma.fields.Enum(OrderStatus, by_value=True, required=True, metadata={"example": "confirmed"})
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=500),
                            metadata={"description": "Told to the shopper in the e-mail", "example": "Courier booked"})
    expected_status = ma.fields.Enum(OrderStatus, by_value=True, metadata={
        "description": "The status you saw: 409 `stale_order` if it moved meanwhile", "example": "new"})


class OrderListArgs(PaginationArgs):
    status = ma.fields.Enum(OrderStatus, by_value=True)
    shopper_id = ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_ID))
    shop_id = ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_ID))
    date_from = ma.fields.Date(metadata={"example": "2025-01-01"})
    date_to = ma.fields.Date(metadata={"description": "Inclusive", "example": "2025-01-31"})
    q = ma.fields.String(validate=ma.validate.Length(max=200), metadata={"description": "Order number or e-mail"})
    sort = ma.fields.String(load_default=reports.DEFAULT_SORT, validate=ma.validate.OneOf(list(reports.SORTS)))


@order_blp.route("/<id:order_id>")
class OrderStatusResource(MethodView):
    @auth_required(order_blp, Role.STAFF)
    @errors(order_blp, 404, 409)
    @order_blp.arguments(StatusChangeSchema)
    @order_blp.response(200, AdminOrderSchema)
    @order_blp.doc(operationId="update_order_status")
    def patch(self, data, order_id):
        """Move an order to a valid next status; the shopper is e-mailed (409 lists the allowed statuses)."""
        order = orders.get_order_for(current_api_user(), order_id)
        try:
            orders.change_status(order, data["status"], current_api_user(), data["note"],
                                 expected=data.get("expected_status"), order_link=order_page)
        except orders.InvalidTransition as error:
            db.session.rollback()
            current = orders.get_order_for(current_api_user(), order_id)
            error.errors = {"status": [error.message],
                            "allowed_statuses": [s.value for s in orders.allowed_transitions(current.status)]}
            raise
        return order


@admin_blp.route("/orders")
class AdminOrders(MethodView):
    @auth_required(admin_blp, Role.STAFF)
    @admin_blp.arguments(OrderListArgs, location="query")
    @admin_blp.response(200, page_schema(AdminOrderSchema))
    def get(self, args):
        """List every order with filters (status, shopper, shop, dates, number or e-mail) and a sort."""
        page, page_size = args.pop("page"), args.pop("page_size")
        return reports.search_orders(current_api_user(), reports.OrderFilters(**args), page, page_size)


class AdminShopSchema(ma.Schema):
    id = ma.fields.Integer(attribute="shop.id", metadata={"example": 3})
    name = ma.fields.String(attribute="shop.name", metadata={"example": "Электролайн"})
    accepting_orders = ma.fields.Boolean(attribute="shop.accepting_orders")
    active_offers = ma.fields.Integer()
    supplier_emails = ma.fields.Function(lambda row: [u.email for u in row.owners])


class AdminShopUpdateSchema(ma.Schema):
    accepting_orders = ma.fields.Boolean(metadata={"description": "false pauses the shop"})
    supplier_email = ma.fields.Email(metadata={"description": "Link this account as the shop's supplier"})


@admin_blp.route("/shops")
class AdminShops(MethodView):
    @auth_required(admin_blp, Role.STAFF)
    @admin_blp.response(200, AdminShopSchema(many=True))
    def get(self):
        """List every shop with its suppliers and order acceptance."""
        return shops.list_shops(current_api_user())


@admin_blp.route("/shops/<id:shop_id>")
class AdminShop(MethodView):
    @auth_required(admin_blp, Role.STAFF)
    @errors(admin_blp, 404, 409)
    @admin_blp.arguments(AdminShopUpdateSchema)
    @admin_blp.response(200, AdminShopSchema)
    def patch(self, data, shop_id):
        """Pause or resume a shop, and/or link a supplier account to it."""
        actor = current_api_user()
        shops.get_shop(actor, shop_id)  # 404 before anything else
        if "accepting_orders" in data:
            shops.set_shop_accepting(actor, shop_id, data["accepting_orders"])
        if "supplier_email" in data:
            shops.assign_supplier(actor, shop_id, data["supplier_email"])
        return shops.shop_row(actor, shop_id)


class WebhookSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True, metadata={"example": 1})
    url = ma.fields.String(required=True, validate=ma.validate.Length(max=1000),
                           metadata={"example": "https://erp.example.com/hooks/storefront"})
    events = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(list(webhooks.EVENTS))), required=True,
                            metadata={"example": ["order.created", "order.shipped"]})
    secret = ma.fields.String(load_default=None, validate=ma.validate.Length(max=200),
                              metadata={"description": "HMAC key; a `whsec_…` one is generated when left out",
                                        "example": None})
    signing_secret = ma.fields.Function(
        lambda hook: signing_secret(hook.secret), dump_only=True,
        metadata={"description": "The secret as Standard Webhooks verifiers take it (`webhook-signature`)",
                  "example": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})
    is_active = ma.fields.Boolean(dump_only=True, metadata={"description": "false while paused"})
    created_at = ma.fields.DateTime(dump_only=True)


class WebhookStateSchema(ma.Schema):
    is_active = ma.fields.Boolean(required=True, metadata={
        "description": "false pauses the subscription (no new deliveries), true resumes it", "example": False})


class DeliverySchema(ma.Schema):
    id = ma.fields.Integer()
    event = ma.fields.String(metadata={"example": "order.created"})
    state = ma.fields.String(metadata={"enum": ["pending", "sending", "retrying", "succeeded", "failed"],
                                       "description": "pending (queued) → sending → succeeded, or retrying → failed",
                                       "example": "succeeded"})
    attempts = ma.fields.Integer()
    response_code = ma.fields.Integer(allow_none=True, metadata={"example": 200})
    error = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    delivered_at = ma.fields.DateTime(allow_none=True)
    payload = ma.fields.Dict()


@webhook_blp.route("")
class Webhooks(MethodView):
    @auth_required(webhook_blp, Role.STAFF)
    @webhook_blp.response(200, WebhookSchema(many=True))
    def get(self):
        """List webhook subscriptions."""
        return webhooks.list_webhooks(current_api_user())

    @auth_required(webhook_blp, Role.STAFF)
    @webhook_blp.arguments(WebhookSchema)
    @webhook_blp.response(201, WebhookSchema)
    def post(self, data):
        """Subscribe a public http(s) URL to events (422 for private addresses or other schemes)."""
        hook = webhooks.create_webhook(current_api_user(), data["url"], data["events"], data.get("secret"))
        return hook


@webhook_blp.route("/<id:webhook_id>")
class WebhookById(MethodView):
    @auth_required(webhook_blp, Role.STAFF)
    @errors(webhook_blp, 404)
    @webhook_blp.response(200, WebhookSchema)
    def get(self, webhook_id):
        """Show a subscription (its secret, in both forms, and whether it is paused)."""
        return webhooks.get_webhook(current_api_user(), webhook_id)

    @auth_required(webhook_blp, Role.STAFF)
    @errors(webhook_blp, 404)
    @webhook_blp.arguments(WebhookStateSchema)
    @webhook_blp.response(200, WebhookSchema)
    def patch(self, data, webhook_id):
        """Pause (`is_active: false`) or resume (`true`) a subscription; paused ones get no new deliveries."""
        return webhooks.set_webhook_active(current_api_user(), webhook_id, data["is_active"])

    @auth_required(webhook_blp, Role.STAFF)
    @errors(webhook_blp, 404)
    @webhook_blp.response(204)
    def delete(self, webhook_id):
        """Remove a subscription and its delivery log."""
        webhooks.delete_webhook(current_api_user(), webhook_id)


@webhook_blp.route("/<id:webhook_id>/deliveries")
class WebhookDeliveries(MethodView):
    @auth_required(webhook_blp, Role.STAFF)
    @errors(webhook_blp, 404)
    @webhook_blp.arguments(PaginationArgs, location="query")
    @webhook_blp.response(200, page_schema(DeliverySchema))
    def get(self, args, webhook_id):
        """A subscription's deliveries, newest first, with response codes and errors."""
        return webhooks.list_deliveries(current_api_user(), webhook_id, args["page"], args["page_size"])


@webhook_blp.route("/<id:webhook_id>/test")
class WebhookTest(MethodView):
    @auth_required(webhook_blp, Role.STAFF)
    @errors(webhook_blp, 404)
    @webhook_blp.response(202, DeliverySchema)
    @webhook_blp.doc(operationId="send_test_event")
    def post(self, webhook_id):
        """Queue a `webhook.test` delivery to this subscription (paused ones too), to check the receiver."""
        return webhooks.send_test_event(current_api_user(), webhook_id)


@webhook_blp.route("/<id:webhook_id>/deliveries/<id:delivery_id>/redeliver")
class WebhookRedeliver(MethodView):
    @auth_required(webhook_blp, Role.STAFF)
    @errors(webhook_blp, 404)
    @webhook_blp.response(202, DeliverySchema)
    @webhook_blp.doc(operationId="redeliver")
    def post(self, webhook_id, delivery_id):
        """Send a delivery's event again, as a new delivery (answered; the old one keeps its record)."""
        return webhooks.redeliver(current_api_user(), delivery_id, webhook_id=webhook_id)
