"""/api/v1/cart: the signed-in user's cart, grouped by supplier with delivery fees — the same cart as the pages."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from storefront.api.auth import auth_required, current_api_user
from storefront.api.base import MAX_ID
from storefront.api.blueprint import Blueprint
from storefront.api.catalog import _money as money
from storefront.api.docs import errors
from storefront.cart import reservations, services
from storefront.orders.checkout import open_checkout

blp = Blueprint("api_cart", __name__, url_prefix="/api/v1/cart",
                description="Your cart: one cart across every supplier, the one checkout turns into an order.")


class CartLineSchema(ma.Schema):
    id = ma.fields.Integer(attribute="item_id", metadata={"description": "The cart line's id", "example": 11})
    offer_id = ma.fields.Integer(metadata={"example": 5})
    product_id = ma.fields.Integer(metadata={"example": 3})
    product_name = ma.fields.String(metadata={"example": "Смартфон Apple iPhone XS Max"})
    model = ma.fields.String(metadata={"example": "MT582RU/A"})
    price = money("3000.00", "The current price")
    quantity = ma.fields.Integer(metadata={"example": 2})
    available = ma.fields.Integer(metadata={"description": "Units in stock now", "example": 10})
    line_total = money("6000.00")
    problem = ma.fields.String(allow_none=True, metadata={
        "description": "Why this line cannot be checked out as it is (null when it can)", "example": None})


class CartGroupSchema(ma.Schema):
    shop_id = ma.fields.Integer(metadata={"example": 2})
    shop_name = ma.fields.String(metadata={"example": "Электролайн"})
    lines = ma.fields.List(ma.fields.Nested(CartLineSchema))
    subtotal = money("6000.00")
    delivery_fee = money("0.00")
    total = money("6000.00")


class CartSchema(ma.Schema):
    groups = ma.fields.List(ma.fields.Nested(CartGroupSchema), metadata={"description": "Lines per supplier"})
    count = ma.fields.Integer(metadata={"description": "Units in the cart", "example": 2})
    items_total = money("6000.00")
    delivery_total = money("0.00")
    total = money("6000.00")
    problems = ma.fields.List(ma.fields.String(), metadata={"description": "Lines that block checkout"})


QUANTITY = ma.fields.Integer(required=True, strict=True,
                             validate=ma.validate.Range(min=1, max=services.MAX_QUANTITY), metadata={"example": 1})


class AddItemSchema(ma.Schema):
    offer_id = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(min=1, max=MAX_ID),
                                 metadata={"example": 1})
    quantity = QUANTITY


class QuantitySchema(ma.Schema):
    quantity = QUANTITY


@blp.route("")
class Cart(MethodView):
    @auth_required(blp)
    @blp.response(200, CartSchema)
    def get(self):
        """Show your cart with current prices and stock, grouped by supplier."""
        return services.get_cart(current_api_user())

    @auth_required(blp)
    @blp.response(204)
    @blp.doc(operationId="empty_cart")
    def delete(self):
        """Empty your cart (an already empty cart is fine: 204 as well)."""
        services.empty_cart(current_api_user())


@blp.route("/items")
class CartItems(MethodView):
    @auth_required(blp)
    @errors(blp, 404, 409)
    @blp.arguments(AddItemSchema)
    @blp.response(201, CartSchema)
    @blp.doc(operationId="add_to_cart")
    def post(self, data):
        """Put units of an offer in your cart (added to the line if it is there); answers the whole cart.

        404 `offer_not_found`; 409 `offer_unavailable` (paused shop, inactive offer) or `out_of_stock`.
        """
        services.add_item(current_api_user(), data["offer_id"], data["quantity"])
        return services.get_cart(current_api_user())


@blp.route("/items/<id:item_id>")
class CartItemById(MethodView):
    @auth_required(blp)
    @errors(blp, 404, 409)
    @blp.arguments(QuantitySchema)
    @blp.response(200, CartSchema)
    def patch(self, data, item_id):
        """Change a line's quantity (1 … stock); answers the whole cart. Another user's line is 404."""
        services.set_quantity(current_api_user(), item_id, data["quantity"])
        return services.get_cart(current_api_user())

    @auth_required(blp)
    @errors(blp, 404)
    @blp.response(204)
    def delete(self, item_id):
        """Remove a line from your cart."""
        services.remove_item(current_api_user(), item_id)


class HeldLineSchema(ma.Schema):
    offer_id = ma.fields.Integer(metadata={"example": 5})
    quantity = ma.fields.Integer(metadata={"description": "Units held for you", "example": 2})


class HoldSchema(ma.Schema):
    expires_at = ma.fields.DateTime(allow_none=True, metadata={
        "description": "When the held units go back on sale (null: nothing held)"})
    held = ma.fields.Function(lambda hold: [{"offer_id": k, "quantity": v} for k, v in sorted(hold.held.items())],
                              metadata={"description": "Units held per offer"})
    short = ma.fields.List(ma.fields.Integer(), metadata={
        "description": "Offers whose quantity could not all be held (not enough stock): see the cart's problems"})


@blp.route("/reservation")
class CartReservation(MethodView):
    @auth_required(blp)
    @errors(blp, 403)
    @blp.response(200, HoldSchema)
    def post(self):
        """Open the checkout: hold your cart's units for RESERVATION_MINUTES (again), so nobody else buys them.

        Others see the stock without them at once; `POST /api/v1/orders` turns the hold into the order; an
        expired hold is let go. Calling it again extends the hold and follows the cart's current quantities.
        403 `email_unverified` until the account's e-mail is confirmed.
        """
        return open_checkout(current_api_user())

    @auth_required(blp)
    @blp.response(204)
    def delete(self):
        """Let go of your hold (the units go back on sale); no hold is fine too."""
        reservations.release(current_api_user())
