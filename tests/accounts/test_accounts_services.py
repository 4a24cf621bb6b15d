"""Accounts services, called directly: the rules the pages and the API share."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from storefront.accounts import services, tokens
from storefront.accounts.errors import (
    AccountDisabled,
    ContactNotFound,
    EmailTaken,
    InvalidCredentials,
    InvalidEmail,
    InvalidInput,
    InvalidToken,
    ShopNameTaken,
    TooManyAttempts,
    WeakPassword,
)
from storefront.accounts.jobs import purge_unverified_accounts
from storefront.accounts.models import Contact, RefreshToken, Role, User
from storefront.accounts.navigation import safe_next, sections_for
from storefront.accounts.passwords import verify_password
from storefront.database import utcnow
from storefront.models import CartItem, Conversation, Message, Shop
from storefront.periodic import PERIODIC
from tests.accounts.accounts_helpers import NEW_PASSWORD, mails_in
from tests.factories import (
    PASSWORD,
    CartItemFactory,
    ContactFactory,
    ConversationFactory,
    MessageFactory,
    OrderFactory,
    RefreshTokenFactory,
    SupplierFactory,
    UserFactory,
)


def link(token: str) -> str:
    return f"http://shop.test/link/{token}"


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


def register(**overrides) -> User:
    data = {"email": "Ann@Example.COM", "name": "Ann", "password": PASSWORD, "verify_link": link}
    data.update(overrides)
    return services.register_user(**data)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


# --- registration ---------------------------------------------------------------------------------------


def test_register_stores_lowercase_email_and_an_argon2_hash_never_the_password(session, mail_dir):
    user = register()
    session.commit()
    stored = session.scalar(select(User.password_hash).where(User.id == user.id))
    assert user.email == "ann@example.com"
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert verify_password(stored, PASSWORD)
    assert user.role is Role.SHOPPER and not user.is_verified
    [sent] = mails_in(mail_dir)
    assert sent["to"] == "ann@example.com" and "Confirm your e-mail" in sent["subject"]
    assert sent["links"][0].startswith("http://shop.test/link/")
    assert sent["html"] and "Confirm my e-mail" in sent["html"]


def test_no_plaintext_or_fast_hash_is_stored_anywhere(session):
    import hashlib

    user = register()
    session.commit()
    row = session.execute(select(User.__table__).where(User.id == user.id)).mappings().one()
    fast = {hashlib.md5(PASSWORD.encode()).hexdigest(), hashlib.sha1(PASSWORD.encode()).hexdigest(),
            hashlib.sha256(PASSWORD.encode()).hexdigest()}
    for value in row.values():
        if isinstance(value, str):
            assert PASSWORD not in value
            assert value not in fast
    # argon2id with a real memory cost, not a toy parameter set.
    params = dict(part.split("=") for part in row["password_hash"].split("$")[3].split(","))
    assert int(params["m"]) >= 19456 and int(params["t"]) >= 2


def test_supplier_registration_creates_a_closed_shop(session):
    user = register(role=Role.SUPPLIER, shop_name="  Связной  ")
    session.commit()
    assert user.role is Role.SUPPLIER
    assert user.shop.name == "Связной"
    assert user.shop.accepting_orders is False


@pytest.mark.parametrize(
    ("overrides", "error", "field"),
    [
        ({"role": Role.SUPPLIER, "shop_name": ""}, InvalidInput, "shop_name"),
        ({"role": Role.STAFF}, InvalidInput, "account_type"),
        ({"email": "not-an-email"}, InvalidEmail, "email"),
        ({"email": "a@b@example.com"}, InvalidEmail, "email"),
        ({"email": "x" * 250 + "@example.com"}, InvalidEmail, "email"),
        ({"password": "short1"}, WeakPassword, "password"),
        ({"password": "password123"}, WeakPassword, "password"),
        ({"password": "QWERTY123"}, WeakPassword, "password"),
        ({"password": "aaaaaaaaaaaa"}, WeakPassword, "password"),
        ({"password": "ann@example.com"}, WeakPassword, "password"),
        ({"password": "x" * 129}, WeakPassword, "password"),
        ({"name": "A" * (1024 * 1024)}, InvalidInput, "name"),
        ({"name": "   "}, InvalidInput, "name"),
    ],
)
def test_bad_registrations_are_refused_and_create_nothing(session, mail_dir, overrides, error, field):
    with pytest.raises(error) as caught:
        register(**overrides)
    session.rollback()
    assert caught.value.field == field
    assert caught.value.message
    assert count(session, User) == 0 and count(session, Shop) == 0
    assert mails_in(mail_dir) == []


def test_duplicate_email_in_another_case_is_refused(session):
    register()
    session.commit()
    with pytest.raises(EmailTaken) as caught:
        register(email="ANN@example.com")
    assert caught.value.status == 409
    session.rollback()
    assert count(session, User) == 1


def test_taken_shop_name_is_refused_in_any_case(session):
    register(role=Role.SUPPLIER, shop_name="Technopark")
    session.commit()
    with pytest.raises(ShopNameTaken):
        register(email="bob@example.com", role=Role.SUPPLIER, shop_name="TECHNOPARK")
    session.rollback()
    assert count(session, User) == 1 and count(session, Shop) == 1


def test_email_problem_describes_taken_and_malformed(session):
    register()
    session.commit()
    assert "already exists" in services.email_problem("ANN@example.com")
    assert "valid e-mail" in services.email_problem("nope")
    assert services.email_problem("new@example.com") is None


# --- verification ---------------------------------------------------------------------------------------


def test_verify_email_once_then_the_link_is_used(session, mail_dir):
    user = register()
    session.commit()
    token = token_of(mails_in(mail_dir)[0]["links"][0])
    verified = services.verify_email(token, shop_link="http://shop.test/")
    session.commit()
    assert verified.id == user.id and verified.is_verified and verified.verified_at is not None
    welcome = mails_in(mail_dir)[-1]
    assert "Welcome" in welcome["subject"] and "http://shop.test/" in welcome["links"]
    with pytest.raises(InvalidToken) as caught:
        services.verify_email(token, shop_link="http://shop.test/")
    assert caught.value.code == "token_used"


def test_forged_expired_and_wrong_purpose_tokens_are_refused(app, session, mail_dir):
    user = register()
    session.commit()
    token = token_of(mails_in(mail_dir)[0]["links"][0])
    with pytest.raises(InvalidToken, match="not valid"):
        services.check_verification_token(token[:-3] + "abc")
    with pytest.raises(InvalidToken, match="not valid"):
        services.check_verification_token("garbage")
    # Signed with the reset purpose: the salt differs, so it is not a verification token.
    reset_token = tokens.make_token(tokens.RESET, {"uid": user.id, "email": user.email})
    with pytest.raises(InvalidToken, match="not valid"):
        services.check_verification_token(reset_token)
    app.config["ACCOUNTS_VERIFY_TOKEN_MAX_AGE"] = -1
    with pytest.raises(InvalidToken, match="expired") as caught:
        services.check_verification_token(token)
    assert caught.value.code == "token_expired"
    assert session.get(User, user.id).is_verified is False


def test_resend_verification_only_to_unverified_accounts(session, mail_dir):
    unverified = UserFactory(email="new@example.com", is_verified=False, verified_at=None)
    UserFactory(email="done@example.com")
    session.commit()
    services.resend_verification("NEW@example.com", link)
    services.resend_verification("done@example.com", link)
    services.resend_verification("nobody@example.com", link)
    session.commit()
    sent = mails_in(mail_dir)
    assert [m["to"] for m in sent] == [unverified.email]


# --- log-in ---------------------------------------------------------------------------------------------


def test_authenticate_accepts_right_password_in_any_email_case(session):
    user = UserFactory(email="bob@example.com")
    session.commit()
    assert services.authenticate("  BOB@example.com ", PASSWORD).id == user.id
    assert user.last_login_at is not None


def test_wrong_password_and_unknown_email_get_the_same_answer(session):
    UserFactory(email="bob@example.com")
    session.commit()
    with pytest.raises(InvalidCredentials) as wrong:
        services.authenticate("bob@example.com", "not-the-password")
    with pytest.raises(InvalidCredentials) as unknown:
        services.authenticate("nobody@example.com", PASSWORD)
    assert wrong.value.message == unknown.value.message
    assert wrong.value.field is None and unknown.value.field is None


def test_disabled_account_cannot_log_in(session):
    UserFactory(email="gone@example.com", is_active=False)
    session.commit()
    with pytest.raises(AccountDisabled):
        services.authenticate("gone@example.com", PASSWORD)


def test_login_rehashes_a_hash_made_with_old_parameters(session):
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    user = UserFactory(email="old@example.com", password_hash=weak)
    session.commit()
    services.authenticate("old@example.com", PASSWORD)
    session.commit()
    assert user.password_hash != weak
    assert "m=8192" not in user.password_hash and user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, PASSWORD)


CLIENT = "127.0.0.2"


def test_account_is_throttled_for_a_client_after_repeated_failures_whether_or_not_it_exists(app, session):
    app.config["LOGIN_ACCOUNT_CLIENT_RATE_LIMIT"] = "3 per minute"
    UserFactory(email="bob@example.com")
    session.commit()
    messages = {}
    for email_address in ("bob@example.com", "nobody@example.com"):
        for _ in range(3):
            with pytest.raises(InvalidCredentials):
                services.authenticate(email_address, "wrong-password", address=CLIENT)
        # Even the right password is refused now: guessing stops for this account from this client.
        with pytest.raises(TooManyAttempts) as caught:
            services.authenticate(email_address, PASSWORD, address=CLIENT)
        assert caught.value.status == 429 and 0 < caught.value.retry_after <= 60
        messages[email_address] = caught.value.message
    assert messages["bob@example.com"] == messages["nobody@example.com"]
    assert "wait 1 minute" in messages["bob@example.com"]


def test_success_clears_that_clients_failure_count(app, session):
    app.config["LOGIN_ACCOUNT_CLIENT_RATE_LIMIT"] = "3 per minute"
    UserFactory(email="bob@example.com")
    session.commit()
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            services.authenticate("bob@example.com", "wrong-password", address=CLIENT)
    services.authenticate("bob@example.com", PASSWORD, address=CLIENT)
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            services.authenticate("bob@example.com", "wrong-password", address=CLIENT)
    assert services.authenticate("bob@example.com", PASSWORD, address=CLIENT)


# --- passwords ------------------------------------------------------------------------------------------


def test_password_reset_changes_the_hash_ends_sessions_and_is_single_use(session, mail_dir):
    user = UserFactory(email="bob@example.com", is_verified=False, verified_at=None)
    live = RefreshTokenFactory(user=user)
    session.commit()
    version = user.session_version
    services.request_password_reset("BOB@example.com", link)
    session.commit()
    [sent] = mails_in(mail_dir)
    token = token_of(sent["links"][0])
    assert sent["to"] == "bob@example.com" and "Reset" in sent["subject"]
    services.reset_password(token, NEW_PASSWORD)
    session.commit()
    assert verify_password(user.password_hash, NEW_PASSWORD)
    assert user.session_version == version + 1
    assert session.get(RefreshToken, live.id).revoked_at is not None
    assert user.is_verified  # the reset link proved the mailbox is theirs
    with pytest.raises(InvalidToken) as caught:
        services.reset_password(token, "yet-another-secret-7")
    assert caught.value.code == "token_used"


def test_password_reset_for_unknown_address_sends_nothing(session, mail_dir):
    services.request_password_reset("nobody@example.com", link)
    session.commit()
    assert mails_in(mail_dir) == []


def test_reset_refuses_a_weak_new_password(session, mail_dir):
    user = UserFactory(email="bob@example.com")
    session.commit()
    services.request_password_reset(user.email, link)
    session.commit()
    token = token_of(mails_in(mail_dir)[0]["links"][0])
    with pytest.raises(WeakPassword):
        services.reset_password(token, "123456789")
    session.rollback()
    assert verify_password(session.get(User, user.id).password_hash, PASSWORD)


def test_expired_reset_token_is_refused(app, session):
    user = UserFactory()
    session.commit()
    token = tokens.make_token(tokens.RESET, {"uid": user.id, "pw": tokens.password_fingerprint(user.password_hash)})
    app.config["ACCOUNTS_RESET_TOKEN_MAX_AGE"] = -1
    with pytest.raises(InvalidToken, match="expired"):
        services.reset_password(token, NEW_PASSWORD)


def test_change_password_needs_the_current_one(session):
    user = UserFactory()
    session.commit()
    with pytest.raises(InvalidCredentials) as caught:
        services.change_password(user, current_password="wrong", new_password=NEW_PASSWORD)
    assert caught.value.field == "current_password"
    version = user.session_version
    services.change_password(user, current_password=PASSWORD, new_password=NEW_PASSWORD)
    assert verify_password(user.password_hash, NEW_PASSWORD) and user.session_version == version + 1


# --- profile and e-mail change --------------------------------------------------------------------------


def test_email_change_takes_effect_only_after_the_new_address_confirms(session, mail_dir):
    user = UserFactory(email="old@example.com")
    UserFactory(email="taken@example.com")
    session.commit()
    with pytest.raises(EmailTaken):
        services.request_email_change(user, new_email="TAKEN@example.com", password=PASSWORD, confirm_link=link)
    with pytest.raises(InvalidCredentials):
        services.request_email_change(user, new_email="new@example.com", password="wrong", confirm_link=link)
    services.request_email_change(user, new_email="New@Example.com", password=PASSWORD, confirm_link=link)
    session.commit()
    [sent] = mails_in(mail_dir)
    assert sent["to"] == "new@example.com"
    assert user.email == "old@example.com"
    token = token_of(sent["links"][0])
    services.confirm_email_change(token)
    session.commit()
    assert user.email == "new@example.com" and user.is_verified
    with pytest.raises(InvalidToken, match="already been used"):
        services.confirm_email_change(token)


def test_update_profile_validates_the_name(session):
    user = UserFactory()
    session.commit()
    assert services.update_profile(user, name="  New Name ").name == "New Name"
    with pytest.raises(InvalidInput):
        services.update_profile(user, name="x" * 121)


# --- contacts -------------------------------------------------------------------------------------------


def contact_data(**overrides) -> services.ContactData:
    data = {"city": "Moscow", "street": "Tverskaya", "house": "1", "phone": "+7 900 000-00-00", "recipient": "Ann"}
    data.update(overrides)
    return services.ContactData(**data)


def test_contacts_crud_for_the_owner(session):
    user = UserFactory()
    session.commit()
    contact = services.add_contact(user, contact_data())
    assert [c.id for c in services.list_contacts(user)] == [contact.id]
    services.update_contact(user, contact.id, contact_data(city="Kazan", apartment="5"))
    assert services.get_contact(user, contact.id).one_line() == "Kazan, Tverskaya, 1, apt. 5"
    services.delete_contact(user, contact.id)
    assert services.list_contacts(user) == []


def test_someone_elses_contact_is_not_found(session):
    owner, other = UserFactory(), UserFactory()
    contact = ContactFactory(user=owner)
    session.commit()
    with pytest.raises(ContactNotFound):
        services.get_contact(other, contact.id)
    with pytest.raises(ContactNotFound):
        services.update_contact(other, contact.id, contact_data(city="Hacked"))
    with pytest.raises(ContactNotFound):
        services.delete_contact(other, contact.id)
    session.rollback()
    assert session.get(Contact, contact.id).city == "Moscow"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"city": " "}, "city"), ({"street": ""}, "street"), ({"phone": "call me"}, "phone"), ({"phone": "12"}, "phone"),
     ({"house": "1" * 21}, "house"), ({"recipient": "R" * 1000}, "recipient")],
)
def test_bad_contacts_are_refused(session, overrides, field):
    user = UserFactory()
    session.commit()
    with pytest.raises(InvalidInput) as caught:
        services.add_contact(user, contact_data(**overrides))
    assert caught.value.field == field
    session.rollback()
    assert count(session, Contact) == 0


def test_contacts_are_capped(session):
    user = UserFactory()
    ContactFactory.create_batch(services.MAX_CONTACTS, user=user)
    session.commit()
    with pytest.raises(InvalidInput, match="at most"):
        services.add_contact(user, contact_data())


# --- purge ----------------------------------------------------------------------------------------------


def aged(days: float):
    return utcnow() - timedelta(days=days)


def test_purge_removes_old_unverified_accounts_with_everything_they_own(session):
    old = UserFactory(email="old@example.com", is_verified=False, verified_at=None, created_at=aged(3))
    ContactFactory(user=old)
    CartItemFactory(user=old)
    RefreshTokenFactory(user=old)
    MessageFactory(conversation=ConversationFactory(shopper=old))
    old_supplier = SupplierFactory(email="oldshop@example.com", is_verified=False, verified_at=None,
                                   created_at=aged(3), shop__name="Ghost shop", shop__accepting_orders=False)
    young = UserFactory(email="young@example.com", is_verified=False, verified_at=None, created_at=aged(1))
    veteran = UserFactory(email="veteran@example.com", is_verified=True, created_at=aged(300))
    ContactFactory(user=veteran)
    session.commit()
    shop_id = old_supplier.shop_id

    assert purge_unverified_accounts() == 2
    session.expire_all()
    remaining = set(session.scalars(select(User.email)))
    assert remaining == {young.email, veteran.email}
    assert session.get(Shop, shop_id) is None
    assert count(session, CartItem) == 0 and count(session, Conversation) == 0 and count(session, Message) == 0
    assert count(session, RefreshToken) == 0
    assert count(session, Contact) == 1  # the veteran's
    assert purge_unverified_accounts() == 0  # safe to run twice


def test_purge_age_is_configurable_and_keeps_accounts_holding_orders(app, session):
    app.config["ACCOUNTS_PURGE_UNVERIFIED_DAYS"] = 5
    three_days = UserFactory(is_verified=False, verified_at=None, created_at=aged(3))
    with_order = UserFactory(is_verified=False, verified_at=None, created_at=aged(30))
    OrderFactory(user=with_order)
    session.commit()
    three_days_id, with_order_id = three_days.id, with_order.id
    assert services.purge_unverified() == 0
    assert services.purge_unverified(older_than=timedelta(days=2)) == 1
    session.commit()
    session.expire_all()
    assert session.get(User, three_days_id) is None
    assert session.get(User, with_order_id) is not None


def test_purge_is_a_periodic_job_and_a_cli_command(app, session):
    assert (purge_unverified_accounts, 3600) in PERIODIC
    UserFactory(email="old@example.com", is_verified=False, verified_at=None, created_at=aged(3))
    UserFactory(email="new@example.com", is_verified=False, verified_at=None, created_at=aged(1))
    session.commit()
    result = app.test_cli_runner().invoke(args=["accounts", "purge-unverified"])
    assert result.exit_code == 0, result.output
    assert "removed 1 unverified account(s)" in result.output
    result = app.test_cli_runner().invoke(args=["accounts", "purge-unverified", "--days", "0"])
    assert "removed 1 unverified account(s)" in result.output
    session.expire_all()
    assert count(session, User) == 0


# --- navigation -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "http://evil.example/", "https:evil.example", "/\\evil.example", "\\\\evil.example",
     "/\t/evil.example", "javascript:alert(1)", "evil.example", "", None],
)
def test_safe_next_refuses_anything_offsite(target):
    assert safe_next(target) is None


def test_safe_next_keeps_site_paths():
    assert safe_next("/orders/?page=2") == "/orders/?page=2"


def test_each_role_sees_its_sections():
    assert [s.label for s in sections_for(Role.SHOPPER)] == ["Orders"]
    assert [s.label for s in sections_for(Role.SUPPLIER)] == ["Supplier portal"]
    assert [s.label for s in sections_for(Role.STAFF)] == ["Back-office"]
