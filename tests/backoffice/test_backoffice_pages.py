"""Every back-office page renders as a full page and as its HTMX partial; every /staff URL is staff-only."""

from __future__ import annotations

import re

import pytest

from tests.backoffice.conftest import make_order
from tests.factories import (
    ImportJobFactory,
    OfferFactory,
    OutboxMessageFactory,
    ProductFactory,
    ShopFactory,
    SupplierFactory,
    UserFactory,
    WebhookDeliveryFactory,
    WebhookFactory,
)
from tests.orders.order_helpers import login

HX = {"HX-Request": "true"}


@pytest.fixture
def data(session, staff):
    from storefront.audit.services import record
    from storefront.database import utcnow
    from storefront.suppliers.models import ImportState

    order = make_order(email="ann@example.com")
    product = ProductFactory(name="Кофемолка")
    OfferFactory(product=product, quantity=2)
    webhook = WebhookFactory(url="https://93.184.216.34/hook", events=["order.created"])
    WebhookDeliveryFactory(webhook=webhook, state="failed", response_code=500, error="HTTP 500", attempts=5)
    OutboxMessageFactory(failed_at=utcnow(), last_error="SMTPError: boom", attempts=1)
    ImportJobFactory(state=ImportState.FAILED, source_kind="url", source="https://example.com/list.yaml",
                     errors=[{"message": "The server answered HTTP 404 Not Found."}])
    record(staff, "user.role_changed", "user", order.user_id, {"from": "shopper", "to": "staff"})
    session.commit()
    return {"order": order.id, "product": product.id, "webhook": webhook.id}


PAGES = [
    ("/staff/", "dashboard", ["Today", "Low stock", "Кофемолка", "<svg"]),
    ("/staff/orders", "orders-table", ["ann@example.com"]),
    ("/staff/orders/{order}", "staff-order", ["Change the status", "Confirmed"]),
    ("/staff/users", "users-table", ["stella@example.com", "ann@example.com"]),
    ("/staff/categories", "categories", ["Add"]),
    ("/staff/products", "products", ["Кофемолка"]),
    ("/staff/products/{product}", "product-form", ["Кофемолка", "Save"]),
    ("/staff/shops", "shops", ["Pause", "Link supplier"]),
    ("/staff/jobs", "jobs", ["SMTPError: boom", "HTTP 404 Not Found", "Retry"]),
    ("/staff/webhooks", "webhooks", ["https://93.184.216.34/hook", "order.created"]),
    ("/staff/webhooks/{webhook}", "deliveries", ["HTTP 500", "Send a test event"]),
    ("/staff/audit", "audit-table", ["user.role_changed", "stella@example.com"]),
]


@pytest.mark.parametrize(("url", "target", "texts"), PAGES)
def test_page_full_and_partial(staff_client, data, url, target, texts):
    url = url.format(**data)
    full = staff_client.get(url)
    assert full.status_code == 200, full.get_data(as_text=True)
    html = full.get_data(as_text=True)
    assert "<html" in html and 'aria-label="Back-office"' in html
    assert f'id="{target}"' in html
    for text in texts:
        assert text in html
    partial = staff_client.get(url, headers=HX)
    assert partial.status_code == 200
    fragment = partial.get_data(as_text=True)
    assert "<html" not in fragment
    assert re.match(rf'\s*(?:<!--.*?-->\s*)?<section id="{target}"', fragment, re.DOTALL), fragment[:200]
    for text in texts:
        assert text in fragment


def _staff_urls(app) -> list[tuple[str, str]]:
    """Every /staff route with sample arguments, once per method."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/staff"):
            continue
        values = {arg: ("x" if "job_id" == arg else 1) for arg in rule.arguments}
        url = rule.rule
        for arg, value in values.items():
            url = re.sub(rf"<(?:\w+:)?{arg}>", str(value), url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, url))
    return found


def test_every_staff_url_refuses_shoppers_suppliers_and_visitors(app, client, session):
    shopper = UserFactory()
    supplier = SupplierFactory(shop=ShopFactory())
    session.commit()
    urls = _staff_urls(app)
    assert len(urls) >= 30
    for method, url in urls:
        answer = client.open(url, method=method)
        assert answer.status_code == 302 and "/login" in answer.headers["Location"], (method, url)
    for user in (shopper, supplier):
        login(client, user)
        for method, url in urls:
            answer = client.open(url, method=method)
            assert answer.status_code == 403, (user.role, method, url, answer.status_code)
            assert client.open(url, method=method, headers=HX).status_code == 403


def test_order_filters_keep_state_in_links(staff_client, data):
    html = staff_client.get("/staff/orders?status=new&sort=total").get_data(as_text=True)
    # Sort links and page links carry the current filters.
    assert "status=new" in html and "sort=-total" in html


def test_bad_filters_are_a_400_not_a_500(staff_client, data):
    answer = staff_client.get("/staff/orders?date_from=yesterday&status=lost")
    assert answer.status_code == 400
    assert "Some filters are not valid" in answer.get_data(as_text=True)
    assert staff_client.get("/staff/orders?date_from=yesterday", headers=HX).status_code == 200
    assert staff_client.get("/staff/audit?target_id=abc").status_code == 400
    assert staff_client.get("/staff/users?role=emperor").status_code == 400


def test_unknown_ids_are_404(staff_client, data):
    for url in ("/staff/orders/999999", "/staff/products/999999", "/staff/webhooks/999999"):
        assert staff_client.get(url).status_code == 404
