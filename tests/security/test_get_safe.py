"""GET never changes state (issue 17): `GET /support/?order=2` used to change what the conversation is about.

The crawl asks for every GET page and API route, as a shopper, a supplier and staff, and compares every table
before and after. Allowed: read bookkeeping only (read markers, last-seen times, the `updated_at` they touch) and
the invoice cache. One write on a first visit remains, on purpose: `/support/` opens the visitor's (empty)
conversation, which the chat socket attaches to by id; it happens once and a repeated GET changes nothing —
so the crawl's users each already have theirs.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storefront.accounts.api_tokens import issue_token_pair
from storefront.extensions import db
from storefront.models import Conversation
from tests.factories import (
    CategoryFactory,
    ContactFactory,
    ConversationFactory,
    ImportJobFactory,
    MessageFactory,
    OfferFactory,
    OrderFactory,
    OrderItemFactory,
    StaffFactory,
    SupplierFactory,
    UserFactory,
    WebhookDeliveryFactory,
)
from tests.orders.order_helpers import login

# Columns a read may move: how far someone has read, when they were last seen, where a rendered invoice is kept.
BOOKKEEPING = re.compile(r"(_read_id|last_seen\w*|last_login_at|invoice\w*|updated_at)$")


NUMBERED_DOCUMENT = re.compile(r"(invoice|packing-slip)\.pdf$")
NUMBERING_TABLES = {"issued_documents", "document_counters"}


def snapshot() -> dict[str, list[tuple]]:
    db.session.expire_all()
    state = {}
    for table in db.metadata.sorted_tables:
        columns = [column for column in table.columns if not BOOKKEEPING.search(column.name)]
        rows = db.session.execute(select(*columns)).all()
        state[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    db.session.rollback()
    return state


def test_a_support_link_about_an_order_changes_nothing(client, session):
    shopper = UserFactory()
    order = OrderFactory(user=shopper)
    ConversationFactory(shopper=shopper, is_open=True, shopper_read_id=0, staff_read_id=0)
    session.commit()
    login(client, shopper)
    before = snapshot()
    response = client.get(f"/support/?order={order.id}")
    assert response.status_code == 200
    assert f"Ask about order #{order.id}" in response.get_data(as_text=True)
    assert snapshot() == before
    assert client.post("/support/order", data={"order": order.id}).status_code == 303  # the button does it
    assert session.scalars(select(Conversation.order_id)).one() == order.id


@pytest.fixture
def world(session):
    """One of everything a GET route can show, with the objects' ids by the name routes give them."""
    shopper = UserFactory()
    staff = StaffFactory()
    item = OrderItemFactory(order__user=shopper)
    supplier = SupplierFactory(shop=item.part.shop)
    contact = ContactFactory(user=shopper)
    conversation = ConversationFactory(shopper=shopper, is_open=True, shopper_read_id=0, staff_read_id=0)
    ConversationFactory(shopper=supplier, is_open=True, shopper_read_id=0, staff_read_id=0)  # see the docstring
    MessageFactory(conversation=conversation)
    delivery = WebhookDeliveryFactory()
    job = ImportJobFactory(shop=item.part.shop)
    OfferFactory(product__category=CategoryFactory())
    session.commit()
    ids = {
        "order_id": item.order_id, "product_id": item.offer.product_id, "category_id": item.offer.product.category_id,
        "shop_id": item.part.shop_id, "contact_id": contact.id, "conversation_id": conversation.id,
        "webhook_id": delivery.webhook_id, "delivery_id": delivery.id, "import_id": job.id,
        "user_id": shopper.id,
    }
    return {"people": {"shopper": shopper, "supplier": supplier, "staff": staff}, "ids": ids}


def _get_urls(app, ids: dict[str, int]) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.rule.startswith("/ws/"):
            continue
        if not set(rule.arguments) <= set(ids):
            continue  # e-mailed tokens and the like: nothing to crawl
        urls.append(rule.rule if not rule.arguments else
                    re.sub(r"<[^:>]+:(\w+)>", lambda match: str(ids[match.group(1)]), rule.rule))
    return urls


@pytest.mark.parametrize("who", ["shopper", "supplier", "staff"])
def test_no_get_route_writes(app, client, world, who):
    user = world["people"][who]
    login(client, user)
    with app.app_context():
        token = issue_token_pair(db.session.merge(user)).access_token
        db.session.commit()
    urls = _get_urls(app, world["ids"])
    assert len(urls) >= 40
    before = snapshot()
    for url in urls:
        headers = {"Authorization": f"Bearer {token}"} if url.startswith("/api/") else {}
        response = client.get(url, headers=headers)
        assert response.status_code < 500, url
        after = snapshot()
        if NUMBERED_DOCUMENT.search(url):
            # Reviewed exception: the first print of an invoice or a packing slip gives it its number (once per
            # supplier's part; the order's invoice job usually did already). Only the numbering may change, and
            # printing it again changes nothing at all.
            changed = {name for name in after if after[name] != before[name]}
            assert changed <= NUMBERING_TABLES, f"GET {url} as {who} changed {changed - NUMBERING_TABLES}"
            before = after
            assert client.get(url, headers=headers).status_code < 500 and snapshot() == before, url
        assert after == before, f"GET {url} as {who} changed the database"
