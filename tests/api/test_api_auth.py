"""/api/v1/auth endpoints: register, verify, log in, refresh (rotation and reuse), log out, password reset."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select

from storefront.accounts.models import RefreshToken, Role, User
from tests.accounts.accounts_helpers import NEW_PASSWORD, mails_in
from tests.accounts.accounts_helpers import login as page_login
from tests.api.conftest import assert_error, bearer
from tests.factories import PASSWORD, UserFactory


def _login(client, email, password=PASSWORD):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def _token_in(link: str) -> str:
    return urlsplit(link).path.rstrip("/").rsplit("/", 1)[-1]


def test_register_shopper_then_verify_with_the_mailed_token(client, session, mail_dir):
    response = client.post(
        "/api/v1/auth/register", json={"email": "Ann@Example.com", "password": PASSWORD, "name": "Ann"}
    )
    assert response.status_code == 201
    body = response.json
    assert body["email"] == "ann@example.com" and body["role"] == "shopper" and body["is_verified"] is False
    assert "password" not in body and "password_hash" not in body
    (mail,) = mails_in(mail_dir)
    link = next(link for link in mail["links"] if "/verify/" in link)
    response = client.post("/api/v1/auth/verify", json={"token": _token_in(link)})
    assert response.status_code == 200 and response.json["is_verified"] is True
    assert session.get(User, body["id"]).is_verified
    again = client.post("/api/v1/auth/verify", json={"token": _token_in(link)})
    assert_error(again, 400, "token_used")


def test_verify_accepts_the_whole_link(client, mail_dir):
    client.post("/api/v1/auth/register", json={"email": "bo@example.com", "password": PASSWORD, "name": "Bo"})
    link = next(link for link in mails_in(mail_dir)[0]["links"] if "/verify/" in link)
    response = client.post("/api/v1/auth/verify", json={"token": link})
    assert response.status_code == 200 and response.json["email"] == "bo@example.com"


def test_register_supplier_needs_a_shop_name(client, session):
    data = {"email": "sup@example.com", "password": PASSWORD, "name": "Sup", "role": "supplier"}
    body = assert_error(client.post("/api/v1/auth/register", json=data), 422, "invalid")
    assert "shop_name" in body["errors"]
    response = client.post("/api/v1/auth/register", json={**data, "shop_name": "Связной"})
    assert response.status_code == 201 and response.json["role"] == "supplier" and response.json["shop_id"]
    user = session.scalar(select(User).where(User.email == "sup@example.com"))
    assert user.shop.name == "Связной" and user.shop.accepting_orders is False


def test_register_refuses_bad_input_with_field_errors(client, session):
    UserFactory(email="taken@example.com")
    session.commit()
    taken = {"email": "taken@example.com", "password": PASSWORD, "name": "T"}
    assert assert_error(client.post("/api/v1/auth/register", json=taken), 409, "email_taken")["errors"] == {
        "email": ["An account with this e-mail already exists. Log in, or reset your password."]
    }
    weak = client.post("/api/v1/auth/register", json={"email": "w@example.com", "password": "password", "name": "W"})
    assert "password" in assert_error(weak, 422, "weak_password")["errors"]
    staff = client.post(
        "/api/v1/auth/register", json={"email": "s@example.com", "password": PASSWORD, "name": "S", "role": "staff"}
    )
    assert "role" in assert_error(staff, 422, "validation_error")["errors"]
    missing = assert_error(client.post("/api/v1/auth/register", json={}), 422, "validation_error")
    assert set(missing["errors"]) == {"email", "password", "name"}
    unknown = client.post("/api/v1/auth/register", json={**taken, "email": "x@example.com", "is_staff": True})
    assert "is_staff" in assert_error(unknown, 422)["errors"]


def test_login_gives_a_working_token_pair(client, session):
    user = UserFactory(email="ann@example.com")
    session.commit()
    response = _login(client, "ANN@example.com")
    assert response.status_code == 200
    pair = response.json
    assert pair["token_type"] == "Bearer" and pair["expires_in"] == 900 and pair["refresh_expires_in"] == 1209600
    me = client.get("/api/v1/users/me", headers=bearer(pair["access_token"]))
    assert me.status_code == 200 and me.json["id"] == user.id
    assert session.scalar(select(RefreshToken).where(RefreshToken.user_id == user.id)) is not None


def test_login_failures(client, session):
    UserFactory(email="ann@example.com")
    UserFactory(email="off@example.com", is_active=False)
    session.commit()
    wrong = assert_error(_login(client, "ann@example.com", "wrong-password"), 401, "invalid_credentials")
    unknown = assert_error(_login(client, "nobody@example.com"), 401, "invalid_credentials")
    assert wrong["message"] == unknown["message"]  # nothing tells who is registered
    assert_error(_login(client, "off@example.com"), 403, "account_disabled")
    assert_error(client.post("/api/v1/auth/login", data="not json", content_type="application/json"), 400)


def test_login_is_throttled_per_account_and_client(app, client, session):
    app.config["LOGIN_ACCOUNT_CLIENT_RATE_LIMIT"] = "2 per minute"
    UserFactory(email="ann@example.com")
    session.commit()
    for _ in range(2):
        assert _login(client, "ann@example.com", "wrong-password").status_code == 401
    response = _login(client, "ann@example.com")  # even the right password waits
    assert_error(response, 429, "too_many_attempts")
    assert int(response.headers["Retry-After"]) > 0


def test_failed_logins_are_throttled_per_address(app, client, session):
    app.config["API_LOGIN_RATE_LIMIT"] = "2 per minute"
    UserFactory(email="ann@example.com")
    session.commit()
    assert _login(client, "ann@example.com").status_code == 200  # successes do not count
    for n in range(2):
        assert _login(client, f"nobody{n}@example.com").status_code == 401
    response = _login(client, "ann@example.com")
    assert_error(response, 429, "rate_limited")
    assert "Retry-After" in response.headers


def test_auth_endpoints_are_rate_limited(app, client):
    app.config["API_AUTH_RATE_LIMIT"] = "3 per minute"
    for _ in range(3):
        assert client.post("/api/v1/auth/refresh", json={"refresh_token": "x"}).status_code == 401
    response = client.post("/api/v1/auth/refresh", json={"refresh_token": "x"})
    assert_error(response, 429, "rate_limited")
    assert response.headers["Retry-After"]


def test_refresh_rotates_and_reuse_revokes_the_family(client, session):
    user = UserFactory(email="ann@example.com")
    session.commit()
    first = _login(client, "ann@example.com").json
    second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    assert second.json["refresh_token"] != first["refresh_token"]
    assert client.get("/api/v1/users/me", headers=bearer(second.json["access_token"])).json["id"] == user.id
    reused = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert_error(reused, 401, "token_reused")
    assert reused.headers["WWW-Authenticate"].startswith("Bearer")
    # The revocation was committed: the legitimate newer token is dead too.
    later = client.post("/api/v1/auth/refresh", json={"refresh_token": second.json["refresh_token"]})
    assert_error(later, 401, "token_reused")
    session.expire_all()
    rows = session.scalars(select(RefreshToken).where(RefreshToken.user_id == user.id)).all()
    assert rows and all(row.revoked_at is not None for row in rows)


def test_logout_revokes_the_refresh_token(client, session):
    UserFactory(email="ann@example.com")
    session.commit()
    pair = _login(client, "ann@example.com").json
    response = client.post("/api/v1/auth/logout", json={"refresh_token": pair["refresh_token"]})
    assert response.status_code == 204 and response.data == b""
    assert_error(client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}), 401)
    assert client.post("/api/v1/auth/logout", json={"refresh_token": pair["refresh_token"]}).status_code == 204
    assert_error(client.post("/api/v1/auth/logout", json={"refresh_token": "nonsense"}), 401, "invalid_token")
    assert_error(client.post("/api/v1/auth/logout", json={"refresh_token": pair["access_token"]}), 401)


def test_password_reset_answers_the_same_and_ends_tokens(client, session, mail_dir):
    UserFactory(email="ann@example.com")
    session.commit()
    known = client.post("/api/v1/auth/password-reset", json={"email": "ann@example.com"})
    unknown = client.post("/api/v1/auth/password-reset", json={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202 and known.json == unknown.json
    (mail,) = mails_in(mail_dir)
    assert mail["to"] == "ann@example.com"
    pair = _login(client, "ann@example.com").json
    link = next(link for link in mail["links"] if "/password/reset/" in link)
    weak = client.post("/api/v1/auth/password-reset/confirm", json={"token": _token_in(link), "password": "123"})
    assert "password" in assert_error(weak, 422, "weak_password")["errors"]
    done = client.post("/api/v1/auth/password-reset/confirm", json={"token": link, "password": NEW_PASSWORD})
    assert done.status_code == 204
    assert_error(client.get("/api/v1/users/me", headers=bearer(pair["access_token"])), 401, "invalid_token")
    assert_error(client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}), 401)
    assert_error(_login(client, "ann@example.com"), 401)
    assert _login(client, "ann@example.com", NEW_PASSWORD).status_code == 200
    used = client.post("/api/v1/auth/password-reset/confirm", json={"token": link, "password": "another-good-one-77"})
    assert_error(used, 400, "token_used")


def test_one_account_from_the_pages_and_the_api(client, session):
    """Register through the API, log in on the login page, then use the API again: one account, two doors."""
    response = client.post(
        "/api/v1/auth/register", json={"email": "both@example.com", "password": PASSWORD, "name": "Both"}
    )
    assert response.status_code == 201
    page = page_login(client, "both@example.com")
    assert page.status_code == 302  # the page session works with the API-made account
    assert client.get("/profile").status_code == 200
    # The page session does not open the API, and the API token is what does.
    assert_error(client.get("/api/v1/users/me"), 401, "unauthorized")
    pair = _login(client, "both@example.com").json
    renamed = client.patch("/api/v1/users/me", json={"name": "Both Doors"}, headers=bearer(pair["access_token"]))
    assert renamed.status_code == 200
    assert "Both Doors" in client.get("/profile").get_data(as_text=True)
    user = session.scalar(select(User).where(User.email == "both@example.com"))
    assert user.role is Role.SHOPPER and user.name == "Both Doors"
