"""Accounts pages through the HTTP client: every flow, with the e-mail it sends and the link in it followed."""

from __future__ import annotations

import re

import pytest
from flask import Blueprint
from sqlalchemy import func, select

from storefront.accounts.models import Contact, Role, User
from storefront.accounts.passwords import verify_password
from storefront.models import Shop
from storefront.security import REMEMBER_COOKIE, roles_required, verified_required
from tests.accounts.accounts_helpers import (
    NEW_PASSWORD,
    login,
    mails_in,
    mails_in_sink,
    path_of,
    register,
)
from tests.factories import (
    PASSWORD,
    ContactFactory,
    StaffFactory,
    SupplierFactory,
    UserFactory,
)

HX = {"HX-Request": "true"}


CSRF_VALUE = re.compile(r'(?<="X-CSRFToken": ")[^"]+|(?<=name="csrf_token" type="hidden" value=")[^"]+')


def without_csrf(text: str) -> str:
    """The page with its CSRF tokens blanked: they are signed with the time, so two requests differ."""
    assert CSRF_VALUE.search(text), "no CSRF token found: has the page shell changed?"
    return CSRF_VALUE.sub("", text)


def html(response) -> str:
    return response.get_data(as_text=True)


def count(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def user_by_email(session, address: str) -> User | None:
    session.expire_all()
    return session.scalar(select(User).where(User.email == address))


# --- register and verify --------------------------------------------------------------------------------


def test_register_page_has_the_form_and_inline_checks(client):
    response = client.get("/register")
    assert response.status_code == 200
    page = html(response)
    assert 'name="email"' in page and 'name="shop_name"' in page and 'value="supplier"' in page
    assert 'hx-post="/register/check-email"' in page and 'hx-post="/register/check-password"' in page


def test_register_verify_by_the_emailed_link_over_smtp(smtp_app, client, session, smtp_sink):
    response = register(client, email="Ann@Example.com")
    assert response.status_code == 302 and response.headers["Location"] == "/confirm-email"
    notice = client.get("/confirm-email")
    assert "Confirm your e-mail" in html(notice) and "ann@example.com" in html(notice)

    [sent] = mails_in_sink(smtp_sink)
    assert smtp_sink.messages[0].rcpt_tos == ["ann@example.com"]
    assert "Confirm your e-mail" in sent["subject"]
    verify_link = next(link for link in sent["links"] if "/verify/" in link)
    assert verify_link.startswith("http://localhost/verify/")  # absolute: the mail may be sent by a worker
    assert verify_link in sent["html"]

    confirm_page = client.get(path_of(verify_link))
    assert confirm_page.status_code == 200 and "Confirm my e-mail" in html(confirm_page)
    assert user_by_email(session, "ann@example.com").is_verified is False  # a GET (link scanner) changes nothing
    done = client.post(path_of(verify_link))
    assert done.status_code == 302
    assert user_by_email(session, "ann@example.com").is_verified is True
    welcome = mails_in_sink(smtp_sink)[-1]
    assert "Welcome" in welcome["subject"] and "http://localhost/" in welcome["links"]

    again = client.get(path_of(verify_link))
    assert again.status_code == 400 and "already been used" in html(again)
    assert client.post(path_of(verify_link)).status_code == 400


def test_supplier_registers_with_a_closed_shop(client, session):
    response = register(client, email="seller@example.com", account_type="supplier", shop_name="Electroline")
    assert response.status_code == 302
    user = user_by_email(session, "seller@example.com")
    assert user.role is Role.SUPPLIER and user.shop.name == "Electroline" and not user.shop.accepting_orders


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": "ANN@example.com"}, "already exists"),
        ({"email": "ann@"}, "valid e-mail"),
        ({"password": "short"}, "at least 8 characters"),
        ({"password": "password123"}, "too common"),
        ({"confirm": "something-else-entirely"}, "passwords differ"),
        ({"account_type": "supplier", "shop_name": ""}, "needs the name of its shop"),
        ({"account_type": "staff"}, "Not a valid choice"),
        ({"name": "N" * 200_000}, "Field cannot be longer than 120 characters"),
        ({"name": "<script>alert(1)</script>"}, None),
    ],
)
def test_bad_registration_shows_a_clear_message_and_creates_nothing(client, session, mail_dir, overrides, message):
    UserFactory(email="ann@example.com")
    session.commit()
    response = register(client, **{"email": "new@example.com", **overrides})
    if message is None:  # markup in a name is just text: stored as typed, shown escaped
        assert response.status_code == 302
        assert "<script>alert(1)</script>" not in html(client.get("/"))
        assert "&lt;script&gt;" in html(client.get("/"))
        return
    assert response.status_code == 200
    assert message in html(response)
    assert count(session, User) == 1 and count(session, Shop) == 0
    assert mails_in(mail_dir) == []


def test_a_one_megabyte_name_gets_a_clear_message_and_creates_nothing(client, session):
    # A browser form (url-encoded) reaches the form, which names the limit beside the field.
    response = register(client, name="N" * (1024 * 1024))
    assert response.status_code == 200
    assert "Field cannot be longer than 120 characters" in html(response)
    assert "N" * 200 not in html(response)  # the huge value is not echoed back in full
    # Multipart bodies above Flask's form-memory limit are refused before the view: still a clear page.
    data = {"name": "N" * (1024 * 1024), "email": "new@example.com", "password": PASSWORD, "confirm": PASSWORD,
            "account_type": "shopper"}
    response = client.post("/register", data=data, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "far longer than any field" in html(response) and "120 characters" in html(response)
    assert count(session, User) == 0


def test_inline_email_check(client, session):
    UserFactory(email="ann@example.com")
    session.commit()
    taken = client.post("/register/check-email", data={"email": "Ann@Example.com"}, headers=HX)
    assert html(taken).startswith('<span id="email-check"') and "already exists" in html(taken)
    assert "<html" not in html(taken)
    malformed = client.post("/register/check-email", data={"email": "ann@"}, headers=HX)
    assert "valid e-mail" in html(malformed)
    free = client.post("/register/check-email", data={"email": "new@example.com"}, headers=HX)
    assert re.fullmatch(r'<span id="email-check"[^>]*></span>\s*', html(free))
    # Without HTMX the URL is just the register page.
    assert client.post("/register/check-email", data={"email": "x"}).headers["Location"] == "/register"


def test_inline_password_check(client):
    weak = client.post("/register/check-password", data={"password": "qwerty123"}, headers=HX)
    assert html(weak).startswith('<span id="password-check"') and "too common" in html(weak)
    short = client.post("/register/check-password", data={"password": "abc"}, headers=HX)
    assert "at least 8" in html(short)
    personal = client.post(
        "/register/check-password", data={"password": "ann@example.com", "email": "ann@example.com"}, headers=HX
    )
    assert "must not be your e-mail" in html(personal)
    strong = client.post("/register/check-password", data={"password": "tangerine-orbit-77"}, headers=HX)
    assert "Strong enough" in html(strong)


def test_forged_and_expired_verification_links(app, client, session, mail_dir):
    register(client)
    link = mails_in(mail_dir)[0]["links"][0]
    forged = client.get(path_of(link)[:-4] + "AAAA")
    assert forged.status_code == 400 and "not valid" in html(forged)
    assert client.post(path_of(link)[:-4] + "AAAA").status_code == 400
    app.config["ACCOUNTS_VERIFY_TOKEN_MAX_AGE"] = -1
    expired = client.get(path_of(link))
    assert expired.status_code == 400 and "expired" in html(expired)
    assert 'href="/verify/resend"' in html(expired)
    assert user_by_email(session, "ann@example.com").is_verified is False


def test_resend_verification_page_same_answer_for_any_address(client, session, mail_dir):
    UserFactory(email="pending@example.com", is_verified=False, verified_at=None)
    session.commit()
    assert client.get("/verify/resend").status_code == 200
    answers = []
    for address in ("pending@example.com", "nobody@example.com"):
        response = client.post("/verify/resend", data={"email": address}, follow_redirects=True)
        answers.append(re.search(r'flash-success">([^<]+)<', html(response)).group(1))
    assert answers[0] == answers[1]
    assert [m["to"] for m in mails_in(mail_dir)] == ["pending@example.com"]


# --- unverified users and role guards -------------------------------------------------------------------


@pytest.fixture
def guarded(app):
    """Stand-ins for checkout (verified only) and a staff page, guarded as those features will be."""
    guards = Blueprint("guards", __name__)

    @guards.route("/test-checkout", methods=["GET", "POST"])
    @verified_required
    def checkout():
        return "checkout ok"

    @guards.get("/test-staff")
    @roles_required(Role.STAFF)
    def staff_only():
        return "staff ok"

    app.register_blueprint(guards)
    return app


def test_unverified_user_sees_only_confirm_your_email(guarded, client, session):
    UserFactory(email="pending@example.com", is_verified=False, verified_at=None)
    session.commit()
    response = login(client, "pending@example.com")
    assert response.headers["Location"] == "/confirm-email"
    blocked = client.get("/test-checkout")
    assert blocked.status_code == 302 and blocked.headers["Location"] == "/confirm-email"
    htmx = client.post("/test-checkout", headers=HX)
    assert htmx.status_code == 204 and htmx.headers["HX-Redirect"] == "/confirm-email"
    assert "Confirm your e-mail" in html(client.get("/"))  # the header says so on every page


def test_verified_user_passes_and_anonymous_goes_to_login(guarded, client, session):
    anonymous = client.get("/test-checkout")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login?next=")
    UserFactory(email="ok@example.com")
    session.commit()
    login(client, "ok@example.com")
    assert html(client.get("/test-checkout")) == "checkout ok"


def test_wrong_role_gets_403_page_and_anonymous_the_login_page(guarded, client, session):
    assert client.get("/test-staff").headers["Location"].startswith("/login")
    UserFactory(email="shopper@example.com")
    StaffFactory(email="staff@example.com")
    session.commit()
    login(client, "shopper@example.com")
    denied = client.get("/test-staff")
    assert denied.status_code == 403 and "Access denied" in html(denied)
    client.post("/logout")
    login(client, "staff@example.com")
    assert html(client.get("/test-staff")) == "staff ok"


# --- log in and out -------------------------------------------------------------------------------------


def test_login_and_logout(client, session):
    UserFactory(email="bob@example.com", name="Bob")
    session.commit()
    assert client.get("/login").status_code == 200
    response = login(client, "BOB@example.com")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = html(client.get("/"))
    assert "Bob" in page and 'action="/logout"' in page
    assert client.get("/logout").status_code == 405  # a link cannot log anyone out
    out = client.post("/logout")
    assert out.status_code == 302
    assert client.get("/profile").headers["Location"].startswith("/login")


def test_wrong_password_and_unknown_email_look_the_same(client, session):
    UserFactory(email="bob@example.com")
    session.commit()
    wrong = login(client, "bob@example.com", "not-the-password")
    unknown = login(client, "nobody@example.com", "not-the-password")
    assert wrong.status_code == unknown.status_code == 200
    assert "Wrong e-mail or password." in html(wrong)
    # The same page but for the address typed.
    assert without_csrf(html(wrong).replace("bob@example.com", "X")) == \
        without_csrf(html(unknown).replace("nobody@example.com", "X"))


def test_next_is_honoured_only_for_same_site_paths(client, session):
    UserFactory(email="bob@example.com")
    session.commit()
    response = login(client, "bob@example.com", next="/profile/contacts?x=1")
    assert response.headers["Location"] == "/profile/contacts?x=1"
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example", "https:evil.example"):
        client.post("/logout")
        response = client.post("/login", query_string={"next": target},
                               data={"email": "bob@example.com", "password": PASSWORD})
        assert response.headers["Location"] == "/", target
        client.post("/logout")
        assert login(client, "bob@example.com", next=target).headers["Location"] == "/", target
    client.post("/logout")
    page = html(client.get("/login?next=//evil.example/"))
    assert "evil.example" not in page


def test_remember_me_sets_a_hardened_cookie(client, session):
    UserFactory(email="bob@example.com")
    session.commit()
    plain = login(client, "bob@example.com")
    assert REMEMBER_COOKIE not in " ".join(plain.headers.getlist("Set-Cookie"))
    client.post("/logout")
    remembered = login(client, "bob@example.com", remember="y")
    cookies = remembered.headers.getlist("Set-Cookie")
    remember = next(c for c in cookies if c.startswith(f"{REMEMBER_COOKIE}="))
    session_cookie = next(c for c in cookies if c.startswith("session="))
    for cookie in (remember, session_cookie):
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_remember_cookie_restores_the_session_until_the_password_is_reset(client, session, mail_dir):
    user = UserFactory(email="bob@example.com")
    session.commit()
    login(client, "bob@example.com", remember="y")
    client.delete_cookie("session")  # the browser was closed
    assert client.get("/profile").status_code == 200
    client.post("/password/reset", data={"email": "bob@example.com"})
    token_path = path_of(mails_in(mail_dir)[-1]["links"][0])
    other = client.application.test_client()
    other.post(token_path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    client.delete_cookie("session")
    assert client.get("/profile").status_code == 302
    assert user.id


def test_production_cookies_are_secure():
    from config import ProductionConfig

    assert ProductionConfig.SESSION_COOKIE_SECURE and ProductionConfig.REMEMBER_COOKIE_SECURE
    assert ProductionConfig.SESSION_COOKIE_HTTPONLY and ProductionConfig.REMEMBER_COOKIE_HTTPONLY
    assert ProductionConfig.SESSION_COOKIE_SAMESITE == ProductionConfig.REMEMBER_COOKIE_SAMESITE == "Lax"


# --- throttling -----------------------------------------------------------------------------------------


def test_login_failures_are_throttled_per_client_address(app, client, session):
    app.config.update(LOGIN_RATE_LIMIT="3 per minute", LOGIN_ACCOUNT_RATE_LIMIT="100 per minute")
    UserFactory(email="bob@example.com")
    session.commit()
    for number in range(3):
        assert login(client, f"guess{number}@example.com", "nope-nope").status_code == 200
    blocked = login(client, "bob@example.com")  # even the right password, from this address
    assert blocked.status_code == 429
    assert "Too many attempts from your network" in html(blocked) and 'name="password"' in html(blocked)
    assert int(blocked.headers["Retry-After"]) > 0
    # Another client address is not affected.
    other = client.post("/login", data={"email": "bob@example.com", "password": PASSWORD},
                        environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 302


def test_successful_logins_do_not_use_up_the_address_limit(app, client, session):
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    UserFactory(email="bob@example.com")
    session.commit()
    for _ in range(4):
        assert login(client, "bob@example.com").status_code == 302
        client.post("/logout")


def test_login_failures_are_throttled_per_account_and_client_with_the_same_answer_for_unknown_ones(app, session):
    app.config.update(LOGIN_RATE_LIMIT="100 per minute", LOGIN_ACCOUNT_CLIENT_RATE_LIMIT="2 per minute")
    UserFactory(email="bob@example.com")
    session.commit()
    answers = []
    for address in ("bob@example.com", "nobody@example.com"):
        # One client address for both: the (account, address) counter does the blocking, per account.
        env = {"REMOTE_ADDR": "10.0.0.9"}
        client = app.test_client()
        for _ in range(2):
            client.post("/login", data={"email": address, "password": "nope-nope"}, environ_base=env)
        blocked = client.post("/login", data={"email": address, "password": PASSWORD}, environ_base=env)
        assert blocked.status_code == 429
        answers.append(re.search(r'role="alert">\s*<p>([^<]+)</p>', html(blocked)).group(1))
    assert answers[0] == answers[1]
    assert "Too many failed log-in attempts" in answers[0]


@pytest.mark.redis
def test_throttle_counts_live_in_redis_when_configured(app, session, clean_redis, redis_url):
    from storefront.extensions import limiter

    app.config.update(RATELIMIT_STORAGE_URI=redis_url, LOGIN_ACCOUNT_CLIENT_RATE_LIMIT="2 per minute",
                      LOGIN_RATE_LIMIT="100 per minute")
    limiter.init_app(app)
    UserFactory(email="bob@example.com")
    session.commit()
    client = app.test_client()
    for _ in range(2):
        login(client, "bob@example.com", "nope-nope")
    assert any(b"login-account-client" in key for key in clean_redis.keys("*"))
    limiter.init_app(app)  # a second worker process: a fresh connection, the same counts
    assert login(app.test_client(), "bob@example.com").status_code == 429


# --- password reset and change --------------------------------------------------------------------------


def test_password_reset_flow_over_smtp_ends_every_session(smtp_app, client, session, smtp_sink):
    UserFactory(email="bob@example.com")
    session.commit()
    other_device = smtp_app.test_client()
    login(other_device, "bob@example.com")
    assert other_device.get("/profile").status_code == 200

    assert client.get("/password/reset").status_code == 200
    response = client.post("/password/reset", data={"email": "Bob@example.com"}, follow_redirects=True)
    assert "If an account uses this address" in html(response)
    [sent] = mails_in_sink(smtp_sink)
    assert smtp_sink.messages[0].rcpt_tos == ["bob@example.com"] and "Reset" in sent["subject"]
    reset_path = path_of(next(link for link in sent["links"] if "/password/reset/" in link))

    form = client.get(reset_path)
    assert form.status_code == 200 and 'name="password"' in html(form)
    weak = client.post(reset_path, data={"password": "12345678", "confirm": "12345678"})
    assert "too common" in html(weak)
    done = client.post(reset_path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/login"

    assert other_device.get("/profile").status_code == 302  # that session has ended
    assert login(client, "bob@example.com").status_code == 200  # the old password is gone
    assert login(client, "bob@example.com", NEW_PASSWORD).status_code == 302
    reused = client.get(reset_path)
    assert reused.status_code == 400 and "already been used" in html(reused)


def test_reset_request_for_unknown_address_looks_the_same_and_sends_nothing(client, session, mail_dir):
    UserFactory(email="bob@example.com")
    session.commit()
    known = client.post("/password/reset", data={"email": "bob@example.com"}, follow_redirects=True)
    unknown = client.post("/password/reset", data={"email": "nobody@example.com"}, follow_redirects=True)
    assert without_csrf(html(known)) == without_csrf(html(unknown))
    assert [m["to"] for m in mails_in(mail_dir)] == ["bob@example.com"]


def test_forged_reset_link(client):
    response = client.get("/password/reset/forged-token")
    assert response.status_code == 400 and "not valid" in html(response)
    assert client.post("/password/reset/forged-token", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
                       ).status_code == 400


def test_change_password_keeps_this_session_and_ends_the_others(app, client, session):
    user = UserFactory(email="bob@example.com")
    session.commit()
    login(client, "bob@example.com")
    other_device = app.test_client()
    login(other_device, "bob@example.com")
    wrong = client.post("/profile/password", data={"current_password": "nope", "password": NEW_PASSWORD,
                                                   "confirm": NEW_PASSWORD})
    assert "current password is not correct" in html(wrong)
    done = client.post("/profile/password", data={"current_password": PASSWORD, "password": NEW_PASSWORD,
                                                  "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert client.get("/profile").status_code == 200
    assert other_device.get("/profile").status_code == 302
    session.expire_all()
    assert verify_password(session.get(User, user.id).password_hash, NEW_PASSWORD)


# --- profile --------------------------------------------------------------------------------------------


def test_profile_name_update(client, session):
    user = UserFactory(email="bob@example.com", name="Bob")
    session.commit()
    login(client, "bob@example.com")
    page = client.get("/profile")
    assert page.status_code == 200 and 'value="Bob"' in html(page)
    assert client.post("/profile", data={"name": "Robert"}).status_code == 302
    too_long = client.post("/profile", data={"name": "R" * 5000})
    assert "cannot be longer than 120" in html(too_long)
    session.expire_all()
    assert session.get(User, user.id).name == "Robert"


def test_change_email_with_reverification_over_smtp(smtp_app, client, session, smtp_sink):
    user = UserFactory(email="bob@example.com")
    session.commit()
    login(client, "bob@example.com")
    response = client.post("/profile/email", data={"email": "Robert@Example.com", "password": PASSWORD})
    assert response.status_code == 302
    [sent] = mails_in_sink(smtp_sink)
    assert smtp_sink.messages[0].rcpt_tos == ["robert@example.com"]
    assert user_by_email(session, "bob@example.com") is not None  # not changed until confirmed
    confirm_path = path_of(next(link for link in sent["links"] if "/profile/email/" in link))
    page = client.get(confirm_path)
    assert "robert@example.com" in html(page)
    assert client.post(confirm_path).status_code == 302
    session.expire_all()
    assert session.get(User, user.id).email == "robert@example.com"
    assert client.post(confirm_path).status_code == 400  # single use


def test_change_email_refuses_taken_and_bad_addresses(client, session, mail_dir):
    UserFactory(email="bob@example.com")
    UserFactory(email="taken@example.com")
    session.commit()
    login(client, "bob@example.com")
    taken = client.post("/profile/email", data={"email": "TAKEN@example.com", "password": PASSWORD})
    assert "already exists" in html(taken)
    malformed = client.post("/profile/email", data={"email": "bob@", "password": PASSWORD})
    assert "valid e-mail" in html(malformed)
    assert mails_in(mail_dir) == []


# --- contacts -------------------------------------------------------------------------------------------

CONTACT = {"recipient": "Ann", "city": "Moscow", "street": "Tverskaya", "house": "7", "building": "",
           "apartment": "12", "phone": "+7 900 123-45-67"}


def new_contact(**overrides) -> dict:
    return {f"new-{key}": value for key, value in {**CONTACT, **overrides}.items()}


def edited_contact(contact_id: int, **overrides) -> dict:
    return {f"c{contact_id}-{key}": value for key, value in {**CONTACT, **overrides}.items()}


@pytest.fixture
def shopper(client, session):
    user = UserFactory(email="ann@example.com")
    session.commit()
    login(client, "ann@example.com")
    return user


def test_contacts_page_full_and_partial(client, session, shopper):
    ContactFactory(user=shopper, city="Kazan")
    session.commit()
    page = client.get("/profile/contacts")
    assert page.status_code == 200 and "<html" in html(page) and "Kazan" in html(page)
    partial = client.get("/profile/contacts", headers=HX)
    assert html(partial).lstrip().startswith('<section id="contacts"') and "Kazan" in html(partial)


def test_add_contact_with_and_without_htmx(client, session, shopper):
    partial = client.post("/profile/contacts", data=new_contact(city="Tula"), headers=HX)
    assert html(partial).lstrip().startswith('<section id="contacts"') and "Tula" in html(partial)
    full = client.post("/profile/contacts", data=new_contact(city="Omsk"))
    assert full.status_code == 302 and full.headers["Location"] == "/profile/contacts"
    assert sorted(c.city for c in session.scalars(select(Contact))) == ["Omsk", "Tula"]


def test_bad_contact_shows_errors_and_saves_nothing(client, session, shopper):
    partial = client.post("/profile/contacts", data=new_contact(phone="call me"), headers=HX)
    assert partial.status_code == 200 and "Enter a phone number" in html(partial)
    full = client.post("/profile/contacts", data=new_contact(city=""))
    assert full.status_code == 422 and "Enter the city." in html(full)
    assert count(session, Contact) == 0


def test_edit_contact_inline(client, session, shopper):
    contact = ContactFactory(user=shopper, city="Kazan")
    session.commit()
    form = client.get(f"/profile/contacts/{contact.id}/edit", headers=HX)
    assert html(form).lstrip().startswith(f'<li id="contact-{contact.id}"') and f'name="c{contact.id}-city"' in html(form)
    full_form = client.get(f"/profile/contacts/{contact.id}/edit")
    assert "<html" in html(full_form) and 'value="Kazan"' in html(full_form)
    bad = client.post(f"/profile/contacts/{contact.id}", data=edited_contact(contact.id, street=""), headers=HX)
    assert "Enter the street." in html(bad) and f'id="contact-{contact.id}"' in html(bad)
    row = client.post(f"/profile/contacts/{contact.id}", data=edited_contact(contact.id, city="Samara"), headers=HX)
    assert html(row).lstrip().startswith(f'<li id="contact-{contact.id}"') and "Samara" in html(row)
    assert "<form method=\"post\" action=\"/profile/contacts/" in html(row)  # the delete form, not the edit form
    cancel = client.get(f"/profile/contacts/{contact.id}", headers=HX)
    assert "Samara" in html(cancel)
    full = client.post(f"/profile/contacts/{contact.id}", data=edited_contact(contact.id, city="Perm"))
    assert full.status_code == 302
    session.expire_all()
    assert session.get(Contact, contact.id).city == "Perm"


def test_delete_contact(client, session, shopper):
    first, second = ContactFactory(user=shopper, city="Kazan"), ContactFactory(user=shopper, city="Tula")
    session.commit()
    partial = client.post(f"/profile/contacts/{first.id}/delete", headers=HX)
    assert html(partial).lstrip().startswith('<section id="contacts"')
    assert "Kazan" not in html(partial) and "Tula" in html(partial)
    full = client.post(f"/profile/contacts/{second.id}/delete")
    assert full.status_code == 302
    assert count(session, Contact) == 0


def test_someone_elses_contact_is_404_everywhere(client, session, shopper):
    theirs = ContactFactory(user=UserFactory(email="other@example.com"), city="Secret city")
    session.commit()
    for method, url, data in [
        ("get", f"/profile/contacts/{theirs.id}", None),
        ("get", f"/profile/contacts/{theirs.id}/edit", None),
        ("post", f"/profile/contacts/{theirs.id}", edited_contact(theirs.id, city="Hacked")),
        ("post", f"/profile/contacts/{theirs.id}/delete", None),
    ]:
        response = getattr(client, method)(url, data=data, headers=HX)
        assert response.status_code == 404, url
        assert "Secret city" not in html(response)
    session.expire_all()
    assert session.get(Contact, theirs.id).city == "Secret city"


def test_contacts_need_a_login(client):
    assert client.get("/profile/contacts").headers["Location"].startswith("/login")
    assert client.post("/profile/contacts", data=new_contact()).headers["Location"].startswith("/login")


# --- CSRF -----------------------------------------------------------------------------------------------


def test_posts_without_a_csrf_token_are_refused_with_a_clear_message(csrf_app, session):
    UserFactory(email="bob@example.com")
    session.commit()
    client = csrf_app.test_client()
    response = client.post("/login", data={"email": "bob@example.com", "password": PASSWORD})
    assert response.status_code == 400 and "security token" in html(response)
    response = register(client, email="new@example.com")
    assert response.status_code == 400 and "security token" in html(response)
    assert count(session, User) == 1
    htmx = client.post("/register/check-email", data={"email": "bob@example.com"}, headers=HX)
    assert htmx.status_code == 400 and "<html" not in html(htmx)


def test_forms_carry_a_csrf_token_and_the_login_works_with_it(csrf_app, session):
    UserFactory(email="bob@example.com")
    session.commit()
    client = csrf_app.test_client()
    page = html(client.get("/login"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": "bob@example.com", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    menu = html(client.get("/"))
    assert re.search(r'action="/logout">\s*<input type="hidden" name="csrf_token" value="[^"]+"', menu)


# --- navigation -----------------------------------------------------------------------------------------


def test_visitor_menu_offers_log_in_and_register(client):
    page = html(client.get("/"))
    assert 'href="/login' in page and 'href="/register"' in page and 'action="/logout"' not in page


@pytest.mark.parametrize(
    ("factory", "shown", "hidden"),
    [
        (UserFactory, ['href="/orders/"', 'href="/support/"'], ['href="/supplier/"', 'href="/staff/"']),
        (SupplierFactory, ['href="/supplier/"', 'href="/support/"'], ['href="/orders/"', 'href="/staff/"']),
        (StaffFactory, ['href="/staff/"', 'href="/support/inbox"'], ['href="/orders/"', 'href="/supplier/"']),
    ],
)
def test_menu_shows_each_role_its_sections(client, session, factory, shown, hidden):
    factory(email="someone@example.com", name="Someone")
    session.commit()
    login(client, "someone@example.com")
    page = html(client.get("/"))
    assert "Someone" in page and 'action="/logout"' in page
    for link in shown:
        assert link in page
    for link in hidden:
        assert link not in page
