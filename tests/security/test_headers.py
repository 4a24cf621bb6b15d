"""Security headers (issue 17): every kind of response carries them; pages allow no inline script.

The browser test at the end loads the pages in Chromium and fails on any Content-Security-Policy violation.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from storefront import create_app
from storefront.headers import PAGE_POLICY
from tests.factories import OfferFactory, StaffFactory, UserFactory
from tests.orders.order_helpers import login

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
COMMON = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def directives(policy: str) -> dict[str, list[str]]:
    parts = (item.split() for item in policy.split(";") if item.strip())
    return {name: values for name, *values in parts}


def assert_secured(response, policy: str | None = PAGE_POLICY) -> dict[str, list[str]]:
    for name, value in COMMON.items():
        assert response.headers.get(name) == value, (name, response.headers)
    csp = directives(response.headers["Content-Security-Policy"])
    assert csp["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    if policy is not None:
        assert response.headers["Content-Security-Policy"] == policy
    assert "Strict-Transport-Security" not in response.headers  # not outside production
    return csp


@pytest.fixture
def shop(session):
    offer = OfferFactory(product__name="Чайник")
    staff = StaffFactory()
    session.commit()
    return {"product": offer.product_id, "staff": staff}


@pytest.mark.parametrize(
    ("url", "status", "headers"),
    [
        ("/", 200, {}),
        ("/", 200, {"HX-Request": "true"}),  # an HTMX partial
        ("/?price_min=-1", 400, {}),  # a form error page
        ("/login", 200, {}),
        ("/profile", 302, {}),  # a redirect to log in
        ("/no-such-page", 404, {}),
        ("/no-such-page", 404, {"HX-Request": "true"}),
        ("/static/css/storefront.css", 200, {}),
        ("/healthz", 200, {}),
        ("/api/v1/products", 200, {}),
        ("/api/v1/no-such-thing", 404, {}),
        ("/api/openapi.json", 200, {}),
    ],
)
def test_every_kind_of_response_carries_the_headers(client, shop, url, status, headers):
    response = client.get(url, headers=headers)
    assert response.status_code == status
    assert_secured(response)


def test_product_page_and_back_office_cannot_be_framed(client, shop):
    assert_secured(client.get(f"/product/{shop['product']}"))
    login(client, shop["staff"])
    response = client.get("/staff/")
    assert response.status_code == 200
    assert_secured(response)


def test_a_server_error_page_carries_them_too(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom")
    assert response.status_code == 500
    assert_secured(response)


@pytest.mark.parametrize("url", ["/api/docs", "/api/redoc"])
def test_api_docs_get_their_own_policy_naming_their_inline_scripts(client, url):
    response = client.get(url)
    assert response.status_code == 200
    csp = assert_secured(response, policy=None)
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", response.get_data(as_text=True))
    hashes = [value for value in csp["script-src"] if value.startswith("'sha256-")]
    assert len(hashes) == len(inline)  # exactly their own scripts, by hash (Swagger UI has one, ReDoc none)
    assert csp["worker-src"] == ["'self'", "blob:"]


def test_hsts_only_in_production(database_url, tmp_path):
    production = create_app("production", {
        "SECRET_KEY": "a-long-random-production-secret-for-this-test-only", "SQLALCHEMY_DATABASE_URI": database_url,
        "MAIL_FILE_DIR": str(tmp_path), "RATELIMIT_STORAGE_URI": "memory://", "REDIS_URL": None,
    })
    response = production.test_client().get("/ping")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_templates_hold_no_inline_script_or_handler():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        # E-mails are read by mail clients, not served under the CSP: their styles are inlined (css-inline)
        # because clients drop stylesheets. Scripts and handlers stay forbidden there too.
        mail = path.relative_to(TEMPLATES).parts[0] == "email"
        patterns = (r"<script(?![^>]*\bsrc=)", r"\shx-on[:-]", r"\son[a-z]+\s*=") + (
            () if mail else (r"\sstyle\s*=", r"<style"))
        for pattern in patterns:
            if re.search(pattern, text, re.IGNORECASE):
                offenders.append(f"{path.relative_to(TEMPLATES)}: {pattern}")
    assert offenders == []


# --- in a real browser ------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_pages_work_under_the_policy_without_violations(app, live_server, page):
    from playwright.sync_api import expect

    from storefront.extensions import db

    with app.app_context():
        for number in range(30):
            OfferFactory(product__name=f"Товар {number:02d}")
        UserFactory(email="ann@example.com")
        db.session.commit()
        db.engine.dispose()  # the live server is forked: no pooled connections shared with it
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text else None)
    page.on("pageerror", lambda error: violations.append(str(error)))
    for path in ("/", "/login", "/register", "/api/docs", "/api/redoc", "/no-such-page"):
        page.goto(live_server.url(path))
        page.wait_for_load_state("networkidle")
    # htmx works under the policy: search as you type swaps the results in place, blank fields left out.
    page.goto(live_server.url("/"))
    page.locator("#site-search").fill("Товар 07")
    expect(page.locator(".product-card")).to_have_count(1)
    assert "price_min" not in page.url  # data-drop-blank (static/js/storefront.js) dropped the blank filters
    # A bad filter (400) still swaps in with its message (data-swap-errors).
    page.goto(live_server.url("/"))
    page.locator("input[name=price_min]").fill("500")
    page.locator("input[name=price_min]").press("Tab")
    expect(page).to_have_url(re.compile(r"price_min=500"))
    page.locator("input[name=price_max]").fill("100")
    page.locator("input[name=price_max]").press("Tab")
    expect(page.get_by_role("alert")).to_contain_text("price_max")
    page.goto(live_server.url("/api/docs"))
    page.wait_for_selector(".swagger-ui .info")
    # ReDoc always tries its CDN "powered by" logo and hides it when that fails (static/vendor/README.md): the
    # policy keeps that request from leaving the site, which is the point.
    assert [text for text in violations if "cdn.redoc.ly" not in text] == []
