"""The policy's rules in the services themselves: whatever door calls them, the answer is the same.

The staff check used to be written seven times, and only one of them asked whether the account is still
active; now each service calls `policy.require_staff`. The verified rule is in the services too, so a door
without the page decorator (the API, a future one) cannot skip it.
"""

from __future__ import annotations

import pytest

from storefront import policy
from storefront.accounts import management
from storefront.audit import services as audit
from storefront.domain_errors import Forbidden
from storefront.orders import access, checkout, reports, status
from storefront.orders.models import OrderStatus
from storefront.suppliers import admin as shops
from storefront.suppliers import services as suppliers
from storefront.support import services as support
from storefront.webhooks import services as webhooks
from tests.factories import OfferFactory, ShopFactory, StaffFactory, SupplierFactory, UserFactory
from tests.orders.order_helpers import shopper_with_cart

# One call per module that used to hold its own staff check.
STAFF_ONLY = {
    "orders.reports": lambda actor: reports.search_orders(actor),
    "orders.status": lambda actor: status.change_status(_an_order(), OrderStatus.CONFIRMED, actor),
    "webhooks.services": lambda actor: webhooks.list_webhooks(actor),
    "suppliers.admin": lambda actor: shops.list_shops(actor),
    "support.services": lambda actor: support.inbox(actor),
    "audit.services": lambda actor: audit.list_entries(actor),
    "accounts.management": lambda actor: management.list_users(actor),
}


def _an_order():
    user, contact = shopper_with_cart((OfferFactory(quantity=3), 1))
    return checkout.place_order(user, contact.id, "staff-rule")


@pytest.mark.parametrize("module", list(STAFF_ONLY))
@pytest.mark.parametrize("who", ["inactive staff", "shopper", "supplier"])
def test_every_staff_check_is_the_one_rule(session, module, who):
    actor = {"inactive staff": lambda: StaffFactory(is_active=False), "shopper": lambda: UserFactory(),
             "supplier": lambda: SupplierFactory()}[who]()
    with pytest.raises(Forbidden):
        STAFF_ONLY[module](actor)


@pytest.mark.parametrize("module", list(STAFF_ONLY))
def test_active_staff_pass_every_staff_check(session, module):
    STAFF_ONLY[module](StaffFactory())  # no Forbidden


def test_the_staff_rule_itself():
    assert policy.is_staff(StaffFactory.build())
    assert not policy.is_staff(StaffFactory.build(is_active=False))
    assert not policy.is_staff(UserFactory.build())
    assert not policy.is_staff(None)


UNVERIFIED_ACTIONS = {
    "place an order": lambda user, contact, order: checkout.place_order(user, contact.id, "v"),
    "import a file": lambda supplier, contact, order: suppliers.start_file_import(supplier, "p.yaml", b"shop: x"),
    "import a URL": lambda supplier, contact, order: suppliers.start_url_import(supplier, "https://example.com/p"),
    "export now": lambda supplier, contact, order: suppliers.export_now(supplier),
    "start an export": lambda supplier, contact, order: suppliers.start_export(supplier),
    "open the shop": lambda supplier, contact, order: suppliers.set_accepting_orders(supplier, True),
    "confirm a part": lambda supplier, contact, order: suppliers.confirm_part(supplier, order.id),
    "ship a part": lambda supplier, contact, order: suppliers.ship_part(supplier, order.id),
}


@pytest.mark.parametrize("action", list(UNVERIFIED_ACTIONS))
def test_unverified_accounts_are_refused_by_the_services(session, action):
    shop = ShopFactory()
    buyer, contact = shopper_with_cart((OfferFactory(shop=shop, quantity=3), 1))
    order = checkout.place_order(buyer, contact.id, "for-the-supplier")
    shopper, own_contact = shopper_with_cart((OfferFactory(quantity=3), 1), verified=False)
    supplier = SupplierFactory(shop=shop, is_verified=False, verified_at=None)
    actor, contact_used = (shopper, own_contact) if action == "place an order" else (supplier, contact)
    with pytest.raises(policy.EmailUnverified) as refused:
        UNVERIFIED_ACTIONS[action](actor, contact_used, order)
    assert refused.value.status == 403 and refused.value.code == "email_unverified"


def test_only_staff_filter_the_order_list(session):
    shopper = UserFactory()
    with pytest.raises(Forbidden):
        access.order_list(shopper, reports.OrderFilters(status=OrderStatus.NEW))
    with pytest.raises(Forbidden):
        access.order_list(shopper, reports.OrderFilters(sort="total"))
    assert access.order_list(shopper).total == 0
    assert access.order_list(StaffFactory(), reports.OrderFilters(status=OrderStatus.NEW)).total == 0


def test_the_sql_form_of_order_visibility_agrees_with_the_rule(session):
    shop = ShopFactory()
    owner, contact = shopper_with_cart((OfferFactory(shop=shop, quantity=3), 1))
    order = checkout.place_order(owner, contact.id, "visibility")
    viewers = {
        "its shopper": (owner, True), "another shopper": (UserFactory(), False), "staff": (StaffFactory(), True),
        "inactive staff": (StaffFactory(is_active=False), False), "its supplier": (SupplierFactory(shop=shop), True),
        "another supplier": (SupplierFactory(), False), "a supplier without a shop": (SupplierFactory(shop=None), False),
    }
    session.flush()
    for name, (viewer, expected) in viewers.items():
        listed = order.id in [o.id for o in access.list_orders(viewer).items]
        assert policy.can_view_order(viewer, order) is expected, name
        assert listed is expected, name
