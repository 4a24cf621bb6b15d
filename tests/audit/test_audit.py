"""Audit log: services record who changed what; staff read it, filtered, on a page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storefront.accounts import management
from storefront.accounts.errors import CannotChangeSelf
from storefront.accounts.models import Role
from storefront.audit.models import AuditEntry
from storefront.audit.services import AuditFilters, list_entries, record
from storefront.catalog import editing as catalog
from storefront.database import utcnow
from storefront.domain_errors import Forbidden
from tests.factories import (
    AuditEntryFactory,
    CategoryFactory,
    StaffFactory,
    UserFactory,
)
from tests.orders.order_helpers import login


def _actions(session) -> list[str]:
    return [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_account_changes_and_deletions_are_recorded(session):
    staff, user, doomed = StaffFactory(), UserFactory(is_verified=False), UserFactory()
    session.commit()
    management.update_user(staff, user.id, role=Role.STAFF)
    management.update_user(staff, user.id, is_verified=True)
    management.update_user(staff, user.id, is_active=False)
    management.delete_user(staff, doomed.id)
    session.commit()
    assert _actions(session) == ["user.role_changed", "user.verified", "user.deactivated", "user.deleted"]
    role_change = session.scalars(select(AuditEntry)).first()
    assert (role_change.actor_id, role_change.target_id) == (staff.id, user.id)
    assert role_change.details == {"email": user.email, "from": "shopper", "to": "staff"}


def test_refused_changes_leave_no_entry(session):
    staff = StaffFactory()
    session.commit()
    with pytest.raises(CannotChangeSelf):
        management.update_user(staff, staff.id, role=Role.SHOPPER)
    session.rollback()
    assert _actions(session) == []


def test_catalog_deletions_are_recorded(session):
    staff = StaffFactory()
    empty, other = CategoryFactory(name="Empty"), CategoryFactory(name="Other")
    session.commit()
    catalog.set_category_active(other.id, False, actor=staff)
    catalog.delete_category(empty.id, actor=staff)
    session.commit()
    assert _actions(session) == ["category.deactivated", "category.deleted"]
    assert session.scalars(select(AuditEntry)).all()[-1].details == {"name": "Empty"}


def test_details_are_kept_small_and_plain(session):
    entry = record(None, "order.status_changed", "order", 1, {"note": "x" * 2000, "status": Role.STAFF})
    session.flush()
    assert len(entry.details["note"]) == 500 and entry.details["status"] == "staff"


def test_filters(session):
    alice, bob = StaffFactory(email="alice@example.com"), StaffFactory(email="bob@example.com")
    first = AuditEntryFactory(actor=alice, action="user.deleted", target_type="user", target_id=5)
    second = AuditEntryFactory(actor=bob, action="order.status_changed", target_type="order", target_id=9)
    old = AuditEntryFactory(actor=bob, action="order.status_changed", target_type="order", target_id=9,
                            created_at=utcnow() - timedelta(days=30))
    session.commit()
    assert [e.id for e in list_entries(alice).items] == [second.id, first.id, old.id]
    assert [e.id for e in list_entries(alice, AuditFilters(action="user.deleted")).items] == [first.id]
    assert [e.id for e in list_entries(alice, AuditFilters(actor="BOB@")).items] == [second.id, old.id]
    assert [e.id for e in list_entries(alice, AuditFilters(target_type="order", target_id=9,
                                                           date_from=utcnow().date())).items] == [second.id]
    assert [e.id for e in list_entries(alice, AuditFilters(date_to=utcnow().date() - timedelta(days=1))).items] == [old.id]
    with pytest.raises(Forbidden):
        list_entries(UserFactory())


def test_the_page_filters(client, session):
    staff = StaffFactory(email="alice@example.com")
    AuditEntryFactory(actor=staff, action="user.deleted", target_type="user", target_id=5, details={"email": "gone@x.org"})
    AuditEntryFactory(actor=staff, action="shop.paused", target_type="shop", target_id=2)
    session.commit()
    login(client, staff)
    html = client.get("/staff/audit?action=user.deleted", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "gone@x.org" in html and "shop.paused" not in html
    html = client.get("/staff/audit?target_type=shop").get_data(as_text=True)
    assert "shop #2" in html and "gone@x.org" not in html
