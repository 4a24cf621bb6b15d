"""/api/v1/support: support chat conversations and their messages, for integrations and tests.

The same rules as the pages and the `/ws/support` socket (`storefront.support.services`): staff see every
conversation, a shopper only their own (someone else's answers 404); a posted message is stored, then fanned out
to every connected socket after the commit, exactly as one sent from a page.
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from storefront.api.auth import auth_required, current_api_user
from storefront.api.base import MAX_ID
from storefront.api.blueprint import Blueprint
from storefront.api.docs import errors
from storefront.api.pagination import PaginationArgs, page_schema
from storefront.support import services

blp = Blueprint(
    "support_api", __name__, url_prefix="/api/v1/support/conversations",
    description="Support chat: conversations between shoppers and staff.",
)
ID_RANGE = ma.validate.Range(min=1, max=MAX_ID)


class ChatAuthorSchema(ma.Schema):
    id = ma.fields.Integer(required=True, metadata={"example": 42})
    name = ma.fields.String(required=True, metadata={"example": "Olga"})
    role = ma.fields.String(required=True, metadata={"example": "shopper"})


class ChatMessageSchema(ma.Schema):
    """A stored message: the same shape the socket sends (`services.message_payload`)."""

    id = ma.fields.Integer(required=True, metadata={"example": 1001})
    conversation_id = ma.fields.Integer(required=True, metadata={"example": 7})
    author = ma.fields.Nested(
        ChatAuthorSchema, required=True, allow_none=True, metadata={"description": "null once the author is deleted"}
    )
    body = ma.fields.String(required=True, metadata={"example": "Where is my order?"})
    created_at = ma.fields.String(
        required=True, metadata={"format": "date-time", "example": "2025-01-31T12:00:00+00:00"}
    )


class SupportConversationSchema(ma.Schema):
    id = ma.fields.Integer(attribute="conversation.id", metadata={"example": 7})
    shopper = ma.fields.Function(
        lambda row: {"id": row.conversation.shopper_id, "name": row.conversation.shopper.name or "Shopper"},
        metadata={"example": {"id": 42, "name": "Olga"}},
    )
    order_id = ma.fields.Integer(attribute="conversation.order_id", allow_none=True, metadata={"example": None})
    assignee_id = ma.fields.Integer(
        attribute="conversation.assignee_id", allow_none=True, metadata={"description": "The staff member on it"}
    )
    is_open = ma.fields.Boolean(attribute="conversation.is_open", metadata={"example": True})
    last_message_at = ma.fields.DateTime(
        attribute="conversation.last_message_at", allow_none=True, metadata={"example": "2025-01-31T12:00:00+00:00"}
    )
    unread = ma.fields.Integer(metadata={"description": "Messages your side has not read", "example": 2})


class ConversationListArgs(PaginationArgs):
    filter = ma.fields.String(
        validate=ma.validate.OneOf(services.INBOX_FILTERS),
        metadata={"description": "Staff: open (default), mine or closed. Shoppers: open or closed; default all",
                  "example": "open"},
    )


class OpenConversationSchema(ma.Schema):
    order_id = ma.fields.Integer(
        allow_none=True, validate=ID_RANGE, metadata={"description": "One of your orders to ask about", "example": None}
    )


class MessageListArgs(ma.Schema):
    after = ma.fields.Integer(
        load_default=0, validate=ma.validate.Range(min=0, max=MAX_ID),
        metadata={"description": "Only messages with a larger id (the last one you have)", "example": 0},
    )
    limit = ma.fields.Integer(
        load_default=100, validate=ma.validate.Range(min=1, max=services.CATCH_UP_LIMIT),
        metadata={"description": f"At most {services.CATCH_UP_LIMIT}", "example": 100},
    )


class ChatMessageCreateSchema(ma.Schema):
    body = ma.fields.String(
        required=True, validate=ma.validate.Length(min=1, max=100_000),
        metadata={"description": "Plain text; trimmed, at most SUPPORT_MAX_MESSAGE_LENGTH (4000) characters",
                  "example": "Hello, where is my order?"},
    )


@blp.route("")
class Conversations(MethodView):
    @auth_required(blp)
    @errors(blp, 403)
    @blp.arguments(ConversationListArgs, location="query")
    @blp.response(200, page_schema(SupportConversationSchema))
    def get(self, args):
        """List conversations: staff as the inbox (filterable), a shopper their own; most recent first."""
        found = services.list_conversations(
            current_api_user(), args.get("filter"), page=args["page"], page_size=args["page_size"]
        )
        return found

    @auth_required(blp)
    @errors(blp, 403, 404)
    @blp.arguments(OpenConversationSchema)
    @blp.response(200, SupportConversationSchema)
    def post(self, data):
        """Open (or return) your conversation with support, optionally about one of your orders (shoppers)."""
        row = services.open_for_api(current_api_user(), data.get("order_id"))
        return row


class ConversationOrderSchema(ma.Schema):
    id = ma.fields.Integer(metadata={"example": 12})
    status = ma.fields.Function(lambda order: order.status.value, metadata={"example": "confirmed"})
    total = ma.fields.Decimal(as_string=True, metadata={"example": "2300.00"})
    created_at = ma.fields.DateTime(metadata={"example": "2025-01-31T12:00:00+00:00"})
    url = ma.fields.Function(lambda order: f"/api/v1/orders/{order.id}",
                             metadata={"description": "The order in the API", "example": "/api/v1/orders/12"})


@blp.route("/<id:conversation_id>/<any(assign, close, reopen):action>")
class ConversationAction(MethodView):
    @auth_required(blp)
    @errors(blp, 403, 404)
    @blp.response(200, SupportConversationSchema)
    def post(self, conversation_id, action):
        """Staff: `assign` the conversation to yourself, `close` it (the shopper writing again reopens it) or
        `reopen` it; the same rules and inbox fan-out as the conversation page's buttons."""
        return services.act_for_api(current_api_user(), conversation_id, action)


@blp.route("/<id:conversation_id>/orders")
class ConversationOrders(MethodView):
    @auth_required(blp)
    @errors(blp, 403, 404)
    @blp.response(200, ConversationOrderSchema(many=True))
    def get(self, conversation_id):
        """The shopper's five latest orders, newest first, as staff see them beside the conversation (staff)."""
        _, orders = services.orders_for_staff(current_api_user(), conversation_id)
        return orders


@blp.route("/<id:conversation_id>/messages")
class ConversationMessages(MethodView):
    @auth_required(blp)
    @errors(blp, 403, 404)
    @blp.arguments(MessageListArgs, location="query")
    @blp.response(200, ChatMessageSchema(many=True))
    def get(self, args, conversation_id):
        """List a conversation's messages after a message id, oldest first (page on with the last id)."""
        messages = services.history_for_api(current_api_user(), conversation_id, args["after"], args["limit"])
        payload = [services.message_payload(message) for message in messages]
        return payload

    @auth_required(blp)
    @errors(blp, 403, 404, 429)
    @blp.arguments(ChatMessageCreateSchema)
    @blp.response(201, ChatMessageSchema)
    def post(self, data, conversation_id):
        """Post a message into a conversation; connected sockets receive it like one sent from a page."""
        message = services.send_for_api(current_api_user(), conversation_id, data["body"])
        return services.message_payload(message)
