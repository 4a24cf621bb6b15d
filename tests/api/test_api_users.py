"""/api/v1/users: your own account, and staff-only account management (rules in accounts.management)."""

from __future__ import annotations

import pytest

from storefront.accounts import management
from storefront.accounts.errors import CannotChangeSelf, UserHasOrders
from storefront.accounts.models import RefreshToken, Role, User
from storefront.domain_errors import Forbidden
from tests.accounts.accounts_helpers import NEW_PASSWORD
from tests.accounts.accounts_helpers import login as page_login
from tests.api.conftest import assert_error
from tests.factories import (
    PASSWORD,
    ContactFactory,
    OrderFactory,
    RefreshTokenFactory,
    StaffFactory,
    SupplierFactory,
    UserFactory,
)


def test_me_shows_and_updates_your_account(client, session, auth_headers):
    user = UserFactory(name="Ann")
    session.commit()
    headers = auth_headers(user)
    me = client.get("/api/v1/users/me", headers=headers)
    assert me.status_code == 200
    assert me.json["email"] == user.email and me.json["role"] == "shopper" and me.json["is_active"] is True
    renamed = client.patch("/api/v1/users/me", json={"name": "  Ann Buyer "}, headers=headers)
    assert renamed.status_code == 200 and renamed.json["name"] == "Ann Buyer"
    blank = client.patch("/api/v1/users/me", json={"name": "   "}, headers=headers)
    assert "name" in assert_error(blank, 422)["errors"]
    role = client.patch("/api/v1/users/me", json={"role": "staff"}, headers=headers)
    assert "role" in assert_error(role, 422, "validation_error")["errors"]  # not yours to change


def test_me_password_change_needs_the_current_one_and_ends_tokens(client, session, auth_headers):
    user = UserFactory(email="ann@example.com")
    session.commit()
    headers = auth_headers(user)
    alone = client.patch("/api/v1/users/me", json={"new_password": NEW_PASSWORD}, headers=headers)
    assert "current_password" in assert_error(alone, 422)["errors"]
    wrong = client.patch(
        "/api/v1/users/me", json={"current_password": "nope", "new_password": NEW_PASSWORD}, headers=headers
    )
    assert "current_password" in assert_error(wrong, 400, "invalid_credentials")["errors"]
    done = client.patch(
        "/api/v1/users/me", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}, headers=headers
    )
    assert done.status_code == 200
    assert_error(client.get("/api/v1/users/me", headers=headers), 401, "invalid_token")
    login = client.post("/api/v1/auth/login", json={"email": "ann@example.com", "password": NEW_PASSWORD})
    assert login.status_code == 200


def test_the_session_cookie_is_not_accepted(client, session):
    UserFactory(email="ann@example.com")
    StaffFactory(email="boss@example.com")
    session.commit()
    assert page_login(client, "boss@example.com").status_code == 302
    assert client.get("/profile").status_code == 200  # the cookie is good on pages
    for method, url in (("get", "/api/v1/users/me"), ("get", "/api/v1/users"), ("patch", "/api/v1/users/me")):
        response = getattr(client, method)(url, json={"name": "x"} if method == "patch" else None)
        assert_error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="storefront"'


def test_bad_tokens_get_401_with_www_authenticate(app, client, session, tokens_for):
    user = UserFactory()
    session.commit()
    pair = tokens_for(user)
    cases = {
        "Bearer": "unauthorized",  # no token at all
        "Basic dXNlcjpwYXNz": "unauthorized",
        "Bearer not.a.jwt": "invalid_token",
        f"Bearer {pair.access_token[:-3]}abc": "invalid_token",  # tampered signature
        f"Bearer {pair.refresh_token}": "invalid_token",  # wrong kind of token
    }
    for header, code in cases.items():
        response = client.get("/api/v1/users/me", headers={"Authorization": header})
        assert_error(response, 401, code)
        if code == "invalid_token":
            assert response.headers["WWW-Authenticate"] == 'Bearer realm="storefront", error="invalid_token"'
    app.config["JWT_ACCESS_TTL"] = -60
    expired = tokens_for(user).access_token
    response = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {expired}"})
    assert_error(response, 401, "token_expired")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_alg_none_token_is_refused_by_the_api(client, session, tokens_for):
    import base64
    import json

    import jwt

    user = UserFactory()
    session.commit()
    claims = jwt.decode(tokens_for(user).access_token, options={"verify_signature": False})

    def b64(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."
    assert_error(client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {unsigned}"}), 401, "invalid_token")


def test_user_management_is_staff_only(client, session, auth_headers):
    shopper, supplier = UserFactory(), SupplierFactory()
    session.commit()
    for user in (shopper, supplier):
        headers = auth_headers(user)
        assert_error(client.get("/api/v1/users", headers=headers), 403, "forbidden")
        assert_error(client.get(f"/api/v1/users/{shopper.id}", headers=headers), 403)
        assert_error(client.patch(f"/api/v1/users/{shopper.id}", json={"name": "x"}, headers=headers), 403)
        assert_error(client.delete(f"/api/v1/users/{shopper.id}", headers=headers), 403)
    assert_error(client.get("/api/v1/users"), 401)


def test_staff_lists_users_with_filters_and_pagination(client, session, auth_headers):
    staff = StaffFactory(email="boss@example.com", name="Boss")
    UserFactory(email="ann@example.com", name="Ann Buyer")
    UserFactory(email="new@example.com", name="Newbie", is_verified=False)
    SupplierFactory(email="sup@example.com", name="Sup")
    session.commit()
    headers = auth_headers(staff)
    everyone = client.get("/api/v1/users", headers=headers).json
    assert everyone["total"] == 4 and everyone["page"] == 1 and everyone["page_size"] == 20 and everyone["pages"] == 1
    assert len(everyone["items"]) == 4

    def emails(query):
        response = client.get(f"/api/v1/users?{query}", headers=headers)
        assert response.status_code == 200, response.json
        return {item["email"] for item in response.json["items"]}

    assert emails("role=supplier") == {"sup@example.com"}
    assert emails("verified=false") == {"new@example.com"}
    assert emails("q=BUY") == {"ann@example.com"}
    assert emails("q=%25") == set()  # a LIKE wildcard is just a character
    assert emails("role=shopper&verified=true") == {"ann@example.com"}
    first = client.get("/api/v1/users?page_size=3", headers=headers).json
    second = client.get("/api/v1/users?page_size=3&page=2", headers=headers).json
    assert (first["pages"], len(first["items"]), len(second["items"])) == (2, 3, 1)
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    assert client.get("/api/v1/users?page=9", headers=headers).json["items"] == []
    for bad in ("page_size=1000", "page_size=0", "page=0", "page=-1", "role=king", "verified=maybe"):
        assert_error(client.get(f"/api/v1/users?{bad}", headers=headers), 422, "validation_error")


def test_staff_reads_and_changes_an_account(client, session, auth_headers):
    staff = StaffFactory()
    user = UserFactory(name="Ann")
    supplier = SupplierFactory()
    RefreshTokenFactory(user=user)
    session.commit()
    headers = auth_headers(staff)
    user_headers = auth_headers(user)
    assert client.get(f"/api/v1/users/{user.id}", headers=headers).json["name"] == "Ann"
    assert_error(client.get("/api/v1/users/999999", headers=headers), 404, "user_not_found")
    assert_error(client.get("/api/v1/users/99999999999999", headers=headers), 404, "not_found")
    promoted = client.patch(f"/api/v1/users/{user.id}", json={"role": "staff", "name": "Ann S"}, headers=headers)
    assert promoted.status_code == 200 and promoted.json["role"] == "staff" and promoted.json["name"] == "Ann S"
    to_supplier = client.patch(f"/api/v1/users/{user.id}", json={"role": "supplier"}, headers=headers)
    assert "role" in assert_error(to_supplier, 422)["errors"]  # no shop to run
    assert client.patch(f"/api/v1/users/{supplier.id}", json={"role": "supplier"}, headers=headers).status_code == 200
    disabled = client.patch(f"/api/v1/users/{user.id}", json={"is_active": False}, headers=headers)
    assert disabled.json["is_active"] is False
    assert_error(client.get("/api/v1/users/me", headers=user_headers), 401)  # their tokens end at once
    session.expire_all()
    assert all(t.revoked_at is not None for t in session.query(RefreshToken).filter_by(user_id=user.id))


def test_staff_cannot_demote_disable_or_delete_themself(client, session, auth_headers):
    staff = StaffFactory()
    session.commit()
    headers = auth_headers(staff)
    assert_error(client.patch(f"/api/v1/users/{staff.id}", json={"role": "shopper"}, headers=headers), 403,
                 "cannot_change_self")
    assert_error(client.patch(f"/api/v1/users/{staff.id}", json={"is_active": False}, headers=headers), 403,
                 "cannot_change_self")
    assert_error(client.delete(f"/api/v1/users/{staff.id}", headers=headers), 403, "cannot_change_self")
    assert client.patch(f"/api/v1/users/{staff.id}", json={"name": "Still Boss"}, headers=headers).status_code == 200


def test_staff_deletes_accounts_without_orders(client, session, auth_headers):
    staff = StaffFactory()
    user = UserFactory()
    ContactFactory(user=user)
    RefreshTokenFactory(user=user)
    buyer = OrderFactory().user
    session.commit()
    user_id, buyer_id = user.id, buyer.id
    headers = auth_headers(staff)
    response = client.delete(f"/api/v1/users/{user_id}", headers=headers)
    assert response.status_code == 204
    session.expire_all()
    assert session.get(User, user_id) is None
    assert_error(client.delete(f"/api/v1/users/{user_id}", headers=headers), 404)
    assert_error(client.delete(f"/api/v1/users/{buyer_id}", headers=headers), 409, "user_has_orders")
    assert session.get(User, buyer_id) is not None


def test_management_service_checks_the_actor(session):
    shopper, staff = UserFactory(), StaffFactory()
    session.flush()
    with pytest.raises(Forbidden):
        management.list_users(shopper)
    with pytest.raises(Forbidden):
        management.update_user(shopper, staff.id, role=Role.SHOPPER)
    with pytest.raises(CannotChangeSelf):
        management.update_user(staff, staff.id, role=Role.SHOPPER)
    buyer = OrderFactory().user
    with pytest.raises(UserHasOrders):
        management.delete_user(staff, buyer.id)
    page = management.list_users(staff, role=Role.STAFF)
    assert [u.id for u in page.items] == [staff.id] and page.total == 1 and page.pages == 1


def test_me_keeps_the_interface_language_in_the_profile(client, session, auth_headers):
    user = UserFactory()
    session.commit()
    headers = auth_headers(user)
    changed = client.patch("/api/v1/users/me", json={"locale": "en"}, headers=headers)
    assert changed.status_code == 200 and changed.json["locale"] == "en"
    assert_error(client.patch("/api/v1/users/me", json={"locale": "de"}, headers=headers), 422, "validation_error")
    assert client.patch("/api/v1/users/me", json={"locale": None}, headers=headers).json["locale"] is None
