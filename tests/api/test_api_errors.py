"""The one API error shape for every kind of error, and domain errors outside the API staying HTML."""

from __future__ import annotations

from storefront.accounts.errors import TooManyAttempts
from storefront.domain_errors import Conflict, DomainError
from tests.api.conftest import assert_error
from tests.factories import UserFactory


def test_unknown_api_url_is_404_json(client):
    assert_error(client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert_error(client.get("/api/nothing"), 404, "not_found")


def test_wrong_method_is_405_json_with_allow(client):
    response = client.put("/api/v1/auth/login", json={})
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_validation_errors_are_422_by_field(client):
    body = assert_error(client.post("/api/v1/auth/login", json={"email": 5}), 422, "validation_error")
    assert body["errors"]["email"] == ["Not a valid string."]
    assert body["errors"]["password"] == ["Missing data for required field."]
    not_an_object = assert_error(client.post("/api/v1/auth/login", json=[1, 2]), 422)
    assert "_schema" in not_an_object["errors"]


def test_too_large_body_is_413_json(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 100
    response = client.post("/api/v1/auth/login", json={"email": "a@example.com", "password": "x" * 500})
    assert_error(response, 413, "payload_too_large")


def test_nul_characters_are_a_400_not_a_500(client, session, auth_headers):
    user = UserFactory()
    session.commit()
    headers = auth_headers(user)
    assert_error(client.post("/api/v1/contacts", json={"city": "Mos\x00cow"}, headers=headers), 400,
                 "invalid_characters")
    assert_error(client.get("/api/v1/contacts?page=1&x=%00", headers=headers), 400, "invalid_characters")


def test_rate_limit_is_429_json(app, client):
    app.config["API_AUTH_RATE_LIMIT"] = "1 per minute"
    client.post("/api/v1/auth/password-reset", json={"email": "a@example.com"})
    response = client.post("/api/v1/auth/password-reset", json={"email": "a@example.com"})
    assert_error(response, 429, "rate_limited")


def test_domain_errors_from_services_answer_in_the_shape(app, client):
    @app.get("/api/v1/test-conflict")
    def conflict():
        raise Conflict("Already there.", field="name")

    @app.get("/api/v1/test-throttled")
    def throttled():
        raise TooManyAttempts("Slow down.", retry_after=42)

    body = assert_error(client.get("/api/v1/test-conflict"), 409, "conflict")
    assert body == {"code": "conflict", "status": 409, "message": "Already there.", "errors": {"name": ["Already there."]}}
    response = client.get("/api/v1/test-throttled")
    assert_error(response, 429, "too_many_attempts")
    assert response.headers["Retry-After"] == "42"


def test_server_errors_do_not_leak(app, client):
    @app.get("/api/v1/test-boom")
    def boom():
        raise RuntimeError("secret internals")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    body = assert_error(client.get("/api/v1/test-boom"), 500, "internal_error")
    assert "secret" not in body["message"]


def test_domain_error_on_a_page_renders_the_error_page(app, client):
    @app.get("/test-domain-error")
    def page():
        raise DomainError("That cannot be done.", status=409)

    @app.get("/test-missing")
    def missing():
        from storefront.domain_errors import NotFound

        raise NotFound("No such thing.")

    response = client.get("/test-domain-error")
    assert response.status_code == 409 and response.content_type.startswith("text/html")
    assert "That cannot be done." in response.get_data(as_text=True)
    response = client.get("/test-missing")
    assert response.status_code == 404 and "Page not found" in response.get_data(as_text=True)
    partial = client.get("/test-domain-error", headers={"HX-Request": "true"})
    assert partial.status_code == 409 and "<html" not in partial.get_data(as_text=True)
    assert "That cannot be done." in partial.get_data(as_text=True)
