"""Swagger UI and ReDoc render in Chromium from the vendored assets, with no request leaving the machine."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser


def _watch_requests(page, live_server):
    """Record every request; anything not to the live server is aborted, and reported unless it is an image.

    ReDoc's sidebar always asks its CDN for a small "powered by" logo and hides it when that fails (as it does
    offline); code, styles and the spec all have to come from here.
    """
    seen, foreign = [], []
    origin = urlsplit(live_server.url("/")).netloc

    def route(route):
        url = route.request.url
        seen.append(url)
        if urlsplit(url).netloc != origin and not url.startswith(("data:", "blob:")):
            if route.request.resource_type != "image":
                foreign.append(url)
            return route.abort()
        return route.continue_()

    page.route("**/*", route)
    return seen, foreign


def test_swagger_ui_renders_every_group(live_server, page):
    seen, foreign = _watch_requests(page, live_server)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_server.url("/api/docs"))
    page.wait_for_selector(".swagger-ui .information-container h1.title", timeout=15000)
    assert "Storefront API" in page.locator(".swagger-ui .information-container h1.title").inner_text()
    page.wait_for_selector(".opblock-tag-section")
    tags = page.locator(".opblock-tag").all_inner_texts()
    assert any(tag.startswith("auth") for tag in tags) and any(tag.startswith("users") for tag in tags)
    assert page.locator(".opblock").count() >= 18
    assert page.locator("button.authorize").count() == 1  # the bearer scheme lets people paste a token
    assert any(url.endswith("/static/vendor/swagger-ui/swagger-ui-bundle.js") for url in seen)
    assert any(url.endswith("/api/openapi.json") for url in seen)
    assert not foreign, foreign
    assert not errors, errors


def test_redoc_renders(live_server, page):
    seen, foreign = _watch_requests(page, live_server)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_server.url("/api/redoc"))
    page.wait_for_selector("h1:has-text('Storefront API')", timeout=15000)
    operation = page.locator("h2", has_text="Log in with e-mail and password")
    operation.first.wait_for(state="attached")
    assert any(url.endswith("/static/vendor/redoc/redoc.standalone.js") for url in seen)
    assert not foreign, foreign
    assert not errors, errors
