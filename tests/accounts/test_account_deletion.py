"""Deleting accounts through the schema's foreign keys: what only the account owned goes, shared records stay."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from storefront.accounts.models import Contact, RefreshToken, User
from storefront.accounts.services import delete_accounts
from storefront.audit.models import AuditEntry
from storefront.cart.models import CartItem
from storefront.orders.models import Order, OrderEvent
from storefront.suppliers.models import ImportJob
from storefront.support.models import Conversation, Message
from tests.factories import (
    AuditEntryFactory,
    CartItemFactory,
    ContactFactory,
    ConversationFactory,
    ImportJobFactory,
    MessageFactory,
    OrderEventFactory,
    OrderFactory,
    RefreshTokenFactory,
    StaffFactory,
    SupplierFactory,
    UserFactory,
)
from tests.suppliers.supplier_helpers import count_statements, writes


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def people(session):
    """A shopper who owns things, a staff member and a supplier who touched shared records, and a bystander."""
    shopper, staff, supplier, other = UserFactory(), StaffFactory(), SupplierFactory(), UserFactory()
    ContactFactory(user=shopper)
    CartItemFactory(user=shopper)
    RefreshTokenFactory(user=shopper)
    own = ConversationFactory(shopper=shopper, assignee=staff)
    MessageFactory(conversation=own)
    MessageFactory(conversation=own, author=staff)
    theirs = ConversationFactory(shopper=other, assignee=staff)
    MessageFactory(conversation=theirs)
    MessageFactory(conversation=theirs, author=staff)
    ContactFactory(user=other)
    order = OrderFactory(user=other)
    OrderEventFactory(order=order, actor_id=None)
    session.flush()
    OrderEventFactory(order=order, actor_id=staff.id)
    AuditEntryFactory(actor=staff)
    ImportJobFactory(shop=supplier.shop, requested_by_id=supplier.id)
    session.commit()
    return {"shopper": shopper.id, "staff": staff.id, "supplier": supplier.id, "other": other.id,
            "own": own.id, "theirs": theirs.id, "shop": supplier.shop_id, "order": order.id}


def test_one_delete_and_the_cascades_remove_what_the_account_owned(session, people):
    with count_statements() as statements:
        delete_accounts([people["shopper"], people["staff"], people["supplier"]])
    assert [s.split()[0].upper() for s in writes(statements)] == ["DELETE"]
    session.commit()
    session.expire_all()
    assert set(session.scalars(select(User.id))) == {people["other"]}
    # Owned by the shopper only: gone, with the messages of its conversation (the staff reply too).
    assert count(session, CartItem) == 0 and count(session, RefreshToken) == 0
    assert list(session.scalars(select(Contact.user_id))) == [people["other"]]
    assert session.get(Conversation, people["own"]) is None
    # Shared records stay and forget who the deleted people were.
    theirs = session.get(Conversation, people["theirs"])
    assert theirs.assignee_id is None
    assert sorted((m.author_id or 0) for m in theirs.messages) == [0, people["other"]]
    assert count(session, Message) == 2
    assert session.get(Order, people["order"]) is not None
    assert [e.actor_id for e in session.scalars(select(OrderEvent))] == [None, None]
    assert [e.actor_id for e in session.scalars(select(AuditEntry))] == [None]
    job = session.scalars(select(ImportJob)).one()
    assert job.requested_by_id is None and job.shop_id == people["shop"]  # the shop is not the account's to delete


def test_an_account_holding_orders_is_refused_by_the_schema(session, people):
    # Orders are business records (ON DELETE RESTRICT); callers check first and offer to disable instead.
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            delete_accounts([people["other"]])
    session.rollback()
    assert session.get(User, people["other"]) is not None
    assert count(session, Contact) == 2
