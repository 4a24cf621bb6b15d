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
from storefront.documents.models import DocumentCounter, IssuedDocument, ShopLegalDetails
from storefront.jobs.models import OutboxMessage
from storefront.media.models import MediaAsset, MediaSource, OfferImage
from storefront.orders.models import Order, OrderEvent, OrderItem, OrderPart, OrderStatus
from storefront.payments.models import Payment
from storefront.suppliers.models import ImportJob, ImportPayload, ImportState
from storefront.support.models import Conversation, Message
from storefront.webhooks.models import Webhook, WebhookDelivery

__all__ = [
    "AuditEntry", "CartItem", "Category", "Contact", "Conversation", "DocumentCounter", "ImportJob", "ImportPayload",
    "ImportState", "IssuedDocument", "MediaAsset", "MediaSource", "Message", "Offer", "OfferImage", "OfferParameter",
    "Order", "OrderEvent", "OrderItem", "OrderPart", "OrderStatus", "OutboxMessage", "Parameter", "Payment", "Product",
    "RefreshToken", "Role", "Shop", "ShopCategory", "ShopLegalDetails", "StockReservation", "User", "UserSession",
    "Webhook", "WebhookDelivery", "product_extra_categories",
]
