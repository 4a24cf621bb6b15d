"""The shell: home page, HTMX partial, error pages that negotiate, health endpoints."""

from tests.factories import OfferFactory


def test_home_page_lists_sellable_goods(app, client, session):
    OfferFactory(product__name="Смартфон Apple iPhone 15", price="69500.00")
    OfferFactory(product__name="Hidden", shop__accepting_orders=False)
    session.commit()
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Смартфон Apple iPhone 15" in html
    assert "Hidden" not in html
    assert 'lang="en"' in html and 'href="#main"' in html  # skip link and language for assistive tech
    assert "htmx-2.0.4.min.js" in html
    assert "X-CSRFToken" in html


def test_htmx_request_gets_only_the_partial(client):
    response = client.get("/", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="results"')
    assert "<html" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_missing_page_is_html_in_the_site_look(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.content_type.startswith("text/html")
    assert "Page not found" in response.get_data(as_text=True)


def test_missing_api_resource_is_json(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.is_json
    body = response.json
    assert set(body) == {"code", "status", "message", "errors"}  # the one API error shape
    assert (body["code"], body["status"], body["errors"]) == ("not_found", 404, {})
    assert body["message"]


def test_htmx_error_is_a_partial(client):
    response = client.get("/no-such-page", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert "<html" not in response.get_data(as_text=True)
    assert 'role="alert"' in response.get_data(as_text=True)


def test_server_error_shows_the_500_page(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
    assert "kaboom" not in response.get_data(as_text=True)


def test_upload_too_large_is_413_page(app, client):
    @app.post("/upload-test")
    def upload_test():
        from flask import request

        return str(len(request.form))

    app.config["MAX_CONTENT_LENGTH"] = 10
    response = client.post("/upload-test", data={"x": "y" * 100})
    assert response.status_code == 413
    assert "File too large" in response.get_data(as_text=True)


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": True, "redis": None}  # tests/observability: the rest


def test_ping_is_trivial(client):
    assert client.get("/ping").get_data(as_text=True) == "pong"
