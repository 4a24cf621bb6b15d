"""Every feature's models in one import, for Alembic autogenerate and the shell."""

from storefront.accounts.models import Contact, RefreshToken, Role, User, UserSession
from storefront.audit.models import AuditEntry
from storefront.cart.models import CartItem, StockReservation
from storefront.catalog.models import (
    Category,
    Offer,
    OfferParameter,
    Parameter,
    Product,
    Shop,
    ShopCategory,
    product_extra_categories,
)
from storefront.jobs.models import OutboxMessage
from storefront.orders.models import Order, OrderEvent, OrderItem, OrderPart, OrderStatus
from storefront.payments.models import Payment
from storefront.suppliers.models import ImportJob, ImportPayload, ImportState
from storefront.support.models import Conversation, Message
from storefront.webhooks.models import Webhook, WebhookDelivery

__all__ = [
    "AuditEntry",
    "CartItem",
    "Category",
    "Contact",
    "Conversation",
    "ImportJob",
    "ImportPayload",
    "ImportState",
    "Message",
    "Offer",
    "OfferParameter",
    "Order",
    "OrderEvent",
    "OrderItem",
    "OrderPart",
    "OrderStatus",
    "OutboxMessage",
    "Parameter",
    "Payment",
    "Product",
    "RefreshToken",
    "Role",
    "Shop",
    "ShopCategory",
    "StockReservation",
    "User",
    "UserSession",
    "Webhook",
    "WebhookDelivery",
    "product_extra_categories",
]
