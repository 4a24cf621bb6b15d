"""factory-boy factories for every model; they flush into the app's session (tests commit when they need to)."""

from __future__ import annotations

from decimal import Decimal

import factory
from factory.alchemy import SQLAlchemyModelFactory

from storefront.accounts.passwords import hash_password
from storefront.database import utcnow
from storefront.extensions import db
from storefront.models import (
    AuditEntry,
    CartItem,
    Category,
    Contact,
    Conversation,
    ImportJob,
    Message,
    Offer,
    OfferParameter,
    Order,
    OrderEvent,
    OrderItem,
    OrderPart,
    OutboxMessage,
    Parameter,
    Product,
    RefreshToken,
    Role,
    Shop,
    ShopCategory,
    User,
    Webhook,
    WebhookDelivery,
)

PASSWORD = "correct-horse-battery-staple"
_PASSWORD_HASH = None


def password_hash() -> str:
    # argon2 is deliberately slow: hash the shared test password once.
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:
        _PASSWORD_HASH = hash_password(PASSWORD)
    return _PASSWORD_HASH


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class ShopFactory(Base):
    class Meta:
        model = Shop

    name = factory.Sequence(lambda n: f"Shop {n}")
    url = factory.LazyAttribute(lambda o: f"https://example.com/{o.name.replace(' ', '-').lower()}")
    accepting_orders = True


class UserFactory(Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Sequence(lambda n: f"User {n}")
    password_hash = factory.LazyFunction(password_hash)
    role = Role.SHOPPER
    is_verified = True
    verified_at = factory.LazyFunction(utcnow)
    is_active = True


class StaffFactory(UserFactory):
    role = Role.STAFF


class SupplierFactory(UserFactory):
    role = Role.SUPPLIER
    shop = factory.SubFactory(ShopFactory)


class RefreshTokenFactory(Base):
    class Meta:
        model = RefreshToken

    jti = factory.Sequence(lambda n: f"jti-{n}")
    user = factory.SubFactory(UserFactory)
    family = factory.Sequence(lambda n: f"family-{n}")
    expires_at = factory.LazyFunction(lambda: utcnow().replace(year=utcnow().year + 1))


class ContactFactory(Base):
    class Meta:
        model = Contact

    user = factory.SubFactory(UserFactory)
    recipient = "Ivan Petrov"
    city = "Moscow"
    street = "Tverskaya"
    house = "1"
    apartment = "10"
    phone = "+7 900 000-00-00"


class CategoryFactory(Base):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    is_active = True


class ShopCategoryFactory(Base):
    class Meta:
        model = ShopCategory

    shop = factory.SubFactory(ShopFactory)
    external_id = factory.Sequence(lambda n: 1000 + n)
    name = factory.LazyAttribute(lambda o: o.category.name)
    category = factory.SubFactory(CategoryFactory)


class ProductFactory(Base):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    category = factory.SubFactory(CategoryFactory)
    description = "A fine product."
    search_text = factory.LazyAttribute(lambda o: f"{o.name} {o.description}".casefold())


class OfferFactory(Base):
    class Meta:
        model = Offer

    product = factory.SubFactory(ProductFactory)
    shop = factory.SubFactory(ShopFactory)
    external_id = factory.Sequence(lambda n: 4_000_000_000 + n)  # beyond 32 bits, as suppliers send them
    model = factory.Sequence(lambda n: f"brand/model-{n}")
    price = Decimal("1000.00")
    price_rrc = Decimal("1200.00")
    quantity = 10
    is_active = True


class ParameterFactory(Base):
    class Meta:
        model = Parameter

    name = factory.Sequence(lambda n: f"Parameter {n}")


class OfferParameterFactory(Base):
    class Meta:
        model = OfferParameter

    offer = factory.SubFactory(OfferFactory)
    parameter = factory.SubFactory(ParameterFactory)
    value = "value"
    value_type = "str"


class CartItemFactory(Base):
    class Meta:
        model = CartItem

    user = factory.SubFactory(UserFactory)
    offer = factory.SubFactory(OfferFactory)
    quantity = 1


class OrderFactory(Base):
    class Meta:
        model = Order

    user = factory.SubFactory(UserFactory)
    delivery_recipient = "Ivan Petrov"
    delivery_address = "Moscow, Tverskaya, 1"
    delivery_phone = "+7 900 000-00-00"
    items_total = Decimal("1000.00")
    delivery_total = Decimal("0.00")
    total = Decimal("1000.00")


class OrderPartFactory(Base):
    class Meta:
        model = OrderPart

    order = factory.SubFactory(OrderFactory)
    shop = factory.SubFactory(ShopFactory)
    shop_name = factory.LazyAttribute(lambda o: o.shop.name)
    subtotal = Decimal("1000.00")
    delivery_fee = Decimal("0.00")


class OrderItemFactory(Base):
    class Meta:
        model = OrderItem

    part = factory.SubFactory(OrderPartFactory)
    order = factory.LazyAttribute(lambda o: o.part.order)
    offer = factory.SubFactory(OfferFactory, shop=factory.SelfAttribute("..part.shop"))
    shop = factory.LazyAttribute(lambda o: o.part.shop)
    product_name = factory.LazyAttribute(lambda o: o.offer.product.name)
    model = factory.LazyAttribute(lambda o: o.offer.model)
    price = Decimal("1000.00")
    quantity = 1


class OrderEventFactory(Base):
    class Meta:
        model = OrderEvent

    order = factory.SubFactory(OrderFactory)
    from_status = None
    to_status = "new"


class ImportJobFactory(Base):
    class Meta:
        model = ImportJob

    shop = factory.SubFactory(ShopFactory)
    source_kind = "file"
    source = "pricelist.yaml"


class ConversationFactory(Base):
    class Meta:
        model = Conversation

    shopper = factory.SubFactory(UserFactory)


class MessageFactory(Base):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    author = factory.LazyAttribute(lambda o: o.conversation.shopper)
    body = "Hello, where is my order?"


class WebhookFactory(Base):
    class Meta:
        model = Webhook

    url = "http://127.0.0.1:9/hook"
    secret = "webhook-secret"
    events = ["order.created"]


class WebhookDeliveryFactory(Base):
    class Meta:
        model = WebhookDelivery

    webhook = factory.SubFactory(WebhookFactory)
    event = "order.created"
    payload = {"order_id": 1}


class AuditEntryFactory(Base):
    class Meta:
        model = AuditEntry

    actor = factory.SubFactory(StaffFactory)
    action = "user.role_changed"
    target_type = "user"
    target_id = 1


class OutboxMessageFactory(Base):
    class Meta:
        model = OutboxMessage

    task = "storefront.jobs.mail.deliver_mail"
    kwargs = {}
