"""/api/v1/guest: checking out without an account, and reading the order by its signed link's token.

The same checkout service as `POST /api/v1/orders` (stock, prices, idempotency, payment methods); the cart
lines travel in the request, the buyer's details replace a saved contact, and the `Idempotency-Key` is scoped
to the guest's e-mail. The answer carries `token`, the same signed token as the confirmation e-mail's link
(`link`): `GET /api/v1/guest/orders/{token}` reads the order with it until it expires.
"""

from __future__ import annotations

import marshmallow as ma
from flask import current_app
from flask.views import MethodView

from storefront.api.base import MAX_ID
from storefront.api.blueprint import Blueprint
from storefront.api.docs import errors, public
from storefront.api.orders import IdempotencyHeaderSchema, OrderSchema
from storefront.cart.services import MAX_QUANTITY
from storefront.extensions import limiter
from storefront.orders import checkout, guests, links

blp = Blueprint("api_guest", __name__, url_prefix="/api/v1/guest",
                description="Guests: place an order without an account, and follow it by its signed token.")


class GuestLineSchema(ma.Schema):
    offer_id = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(min=1, max=MAX_ID),
                                 metadata={"example": 5})
    quantity = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(min=1, max=MAX_QUANTITY),
                                 metadata={"example": 1})


class GuestOrderInSchema(ma.Schema):
    email = ma.fields.String(required=True, validate=ma.validate.Length(max=254),
                             metadata={"example": "ann@example.com"})
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120), metadata={"example": "Анна"})
    phone = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=32),
                             metadata={"example": "+7 900 000-00-00"})
    address = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500),
                               metadata={"example": "Москва, Тверская, 1"})
    lines = ma.fields.List(ma.fields.Nested(GuestLineSchema), required=True,
                           validate=ma.validate.Length(min=1, max=checkout.MAX_GUEST_LINES))
    payment_method = ma.fields.String(validate=ma.validate.Length(max=32), metadata={"example": "cash_on_delivery"})
    expected_total = ma.fields.Decimal(as_string=True, places=2, metadata={
        "type": "string", "format": "decimal", "example": "2300.00",
        "description": "The total you showed the guest: 409 `price_changed` if it is not the total now"})


class GuestOrderSchema(ma.Schema):
    order = ma.fields.Nested(OrderSchema)
    token = ma.fields.String(metadata={"description": "Reads the order at GET /api/v1/guest/orders/{token}"})
    link = ma.fields.String(metadata={"description": "The order page for the guest (as in the e-mail)"})


def _answer(order) -> dict:
    return {"order": order, "token": guests.guest_token(order), "link": links.guest_order_page(order.id)}


def _limit() -> str:
    return current_app.config["GUEST_CHECKOUT_RATE_LIMIT"]


@blp.route("/orders")
class GuestOrders(MethodView):
    decorators = [limiter.limit(_limit, methods=["POST"])]

    @public(blp)
    @errors(blp, 400, 404, 409, 422, 429)
    @blp.arguments(IdempotencyHeaderSchema, location="headers")
    @blp.arguments(GuestOrderInSchema)
    @blp.response(201, GuestOrderSchema)
    def post(self, headers, data):
        """Place an order as a guest from the lines sent (201; a replayed key with the same e-mail: that order).

        The same rules as an account's checkout: 409 `out_of_stock` (`errors.items`), `offer_unavailable`,
        `price_changed`; 404 `offer_not_found`; 422 `invalid_email`; 400 `invalid_guest`, `invalid_payment_method`,
        `invalid_idempotency_key`; 429 past GUEST_CHECKOUT_RATE_LIMIT per client address.
        """
        guest = checkout.clean_guest(data["email"], data["name"], data["phone"], data["address"])
        order = checkout.place_guest_order(
            guest, headers["idempotency_key"], data.get("expected_total"), lines=data["lines"],
            payment_method=data.get("payment_method"), order_link=links.guest_order_page)
        return _answer(order)


@blp.route("/orders/<string:token>")
class GuestOrderByToken(MethodView):
    @public(blp)
    @errors(blp, 404)
    @blp.response(200, GuestOrderSchema)
    def get(self, token):
        """Read a guest order by the token of its signed link (404 when forged or expired: `token_expired`)."""
        return _answer(guests.order_for_token(token))
