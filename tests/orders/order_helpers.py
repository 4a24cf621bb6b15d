"""Helpers shared by the tests: THE test log-in (a real server-side session), fill a cart, read the e-mails sent."""

from __future__ import annotations

import email
from decimal import Decimal
from email import policy
from email.message import EmailMessage
from pathlib import Path

from flask import g

from storefront.accounts import sessions
from storefront.accounts.models import User
from storefront.extensions import db
from tests.factories import (
    CartItemFactory,
    ContactFactory,
    OfferFactory,
    ShopFactory,
    UserFactory,
)


def start_session(user: User) -> str:
    """A live server-side session for `user`, committed (live servers in other processes must see it); its key."""
    key = sessions.start_session(user, address="127.0.0.1", user_agent="pytest").key
    db.session.commit()
    return key


def session_data(key: str) -> dict:
    """What the signed session cookie holds after a log-in with this session key."""
    return {"_user_id": key, "_fresh": True}


def login(client, user: User) -> str:
    """The one test log-in: sign `client` in as `user` with a real server-side session, as the log-in page does.

    Returns the session key, so a test can find the session (`sessions.find_live(key=...)`) or end it.
    """
    key = start_session(user)
    with client.session_transaction() as flask_session:
        flask_session.update(session_data(key))
    # pytest-flask keeps one app context for the whole test, so `g` outlives each request: forget whoever
    # Flask-Login loaded for the previous request.
    g.pop("_login_user", None)
    g.pop("user_session", None)
    return key


def shopper_with_cart(*lines: tuple, verified: bool = True):
    """A shopper with a delivery contact and a cart of (offer, quantity) lines; returns (user, contact)."""
    user = UserFactory(is_verified=verified)
    contact = ContactFactory(user=user, recipient="Иван Петров", city="Москва", street="Тверская", house="1")
    for offer, quantity in lines:
        CartItemFactory(user=user, offer=offer, quantity=quantity)
    return user, contact


def two_shop_offers():
    """Offers from two suppliers: (a1, a2) from the first shop, b1 from the second."""
    shop_a, shop_b = ShopFactory(name="Электролайн"), ShopFactory(name="Технопарк")
    a1 = OfferFactory(shop=shop_a, product__name="Смартфон Apple iPhone XS Max", price=Decimal("3000.00"), quantity=10)
    a2 = OfferFactory(shop=shop_a, product__name="Чехол", price=Decimal("500.00"), quantity=10)
    b1 = OfferFactory(shop=shop_b, product__name="Кофемолка", price=Decimal("2000.00"), quantity=5)
    return a1, a2, b1


def read_mail(folder: Path) -> list[EmailMessage]:
    if not folder.exists():
        return []
    return [email.message_from_bytes(path.read_bytes(), policy=policy.default)
            for path in sorted(folder.glob("*.eml"))]


def mail_to(folder: Path, address: str) -> list[EmailMessage]:
    return [message for message in read_mail(folder) if address in message["To"]]


def body_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def pdf_attachments(message: EmailMessage) -> list[bytes]:
    return [part.get_content() for part in message.iter_attachments() if part.get_content_type() == "application/pdf"]
