"""Accounts rules: registration, verification, log-in, passwords, e-mail changes, profiles, contacts, purge.

Pages and the JSON API call these same functions. They never touch the request: links for e-mails come in as
`LinkBuilder`s (token → absolute URL) made by the caller, and problems are raised as domain errors. They
flush; the caller commits, and e-mails go out only after that commit.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import timedelta
from functools import cache
from pathlib import Path

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import delete, exists, func, select
from sqlalchemy.exc import IntegrityError

from storefront.accounts import api_tokens, sessions, throttle, tokens
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
from storefront.accounts.models import Contact, Role, User, UserSession
from storefront.accounts.passwords import hash_password, needs_rehash, verify_password
from storefront.database import utcnow
from storefront.extensions import db
from storefront.jobs.mail import send_mail

log = logging.getLogger(__name__)

LinkBuilder = Callable[[str], str]

MIN_PASSWORD = 8
MAX_PASSWORD = 128  # argon2 copes with more, but nobody types more, and it bounds the work per attempt
MAX_NAME = 120
MAX_EMAIL = 254
MAX_SHOP_NAME = 200
MAX_CONTACTS = 20
SELF_SERVICE_ROLES = (Role.SHOPPER, Role.SUPPLIER)  # staff accounts are made by staff or `flask create-staff`

BAD_CREDENTIALS = _l("Wrong e-mail or password.")
TOKEN_USED = _l("This link has already been used.")


# --- input rules -----------------------------------------------------------------------------------------


def normalise_email(raw: str) -> str:
    """The address as stored: validated, trimmed and lower-cased (the same address in any case is one person)."""
    raw = (raw or "").strip()
    if not raw:
        raise InvalidEmail(_("Enter your e-mail address."), field="email")
    if len(raw) > MAX_EMAIL:
        raise InvalidEmail(_("An e-mail address has at most %(count)s characters.", count=MAX_EMAIL), field="email")
    try:
        result = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(_("Enter a valid e-mail address, like name@example.com (%(reason)s).", reason=exc),
                           field="email") from exc
    return result.normalized.lower()


@cache
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("common_passwords.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why this password is refused, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD:
        return _("Use at least %(count)s characters.", count=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        return _("Use at most %(count)s characters.", count=MAX_PASSWORD)
    lowered = password.strip().lower()
    if lowered in _common_passwords() or len(set(lowered)) < 3:
        return _("This password is too common and easy to guess; choose another.")
    personal = {email.strip().lower(), email.strip().lower().split("@")[0], name.strip().lower()} - {""}
    if lowered in personal:
        return _("Your password must not be your e-mail address or your name.")
    return None


def check_password_strength(password: str, *, email: str = "", name: str = "", field: str = "password") -> None:
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise WeakPassword(problem, field=field)


def clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Enter your name."), field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(_("A name has at most %(count)s characters.", count=MAX_NAME), field="name")
    return name


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == (email or "").strip().lower()))


def email_taken(email: str) -> bool:
    return db.session.scalar(select(exists().where(func.lower(User.email) == email.strip().lower())))


def _ensure_email_free(email: str) -> None:
    if email_taken(email):
        raise EmailTaken(_("An account with this e-mail already exists. Log in, or reset your password."), field="email")


def email_problem(email: str) -> str | None:
    """Why this address cannot open a new account (malformed or taken), or None: the register page's live check."""
    try:
        _ensure_email_free(normalise_email(email))
    except (InvalidEmail, EmailTaken) as error:
        return error.message
    return None


# --- registration and verification ----------------------------------------------------------------------


def register_user(
    *,
    email: str,
    name: str,
    password: str,
    verify_link: LinkBuilder,
    role: Role = Role.SHOPPER,
    shop_name: str | None = None,
) -> User:
    """Create an unverified account (a supplier's with its shop, not yet accepting orders) and mail the link."""
    from storefront.catalog.models import Shop

    name = clean_name(name)
    email = normalise_email(email)
    check_password_strength(password, email=email, name=name)
    if role not in SELF_SERVICE_ROLES:
        raise InvalidInput(_("Choose a shopper or a supplier account."), field="account_type")
    _ensure_email_free(email)
    user = User(email=email, name=name, password_hash=hash_password(password), role=role, is_verified=False)
    if role is Role.SUPPLIER:
        shop_name = (shop_name or "").strip()
        if not shop_name:
            raise InvalidInput(_("A supplier account needs the name of its shop."), field="shop_name")
        if len(shop_name) > MAX_SHOP_NAME:
            raise InvalidInput(_("A shop name has at most %(count)s characters.", count=MAX_SHOP_NAME),
                               field="shop_name")
        if db.session.scalar(select(exists().where(func.lower(Shop.name) == shop_name.lower()))):
            raise ShopNameTaken(_("A shop with this name is already registered."), field="shop_name")
        # Closed until the supplier has published a price list and opens it from the portal.
        user.shop = Shop(name=shop_name, accepting_orders=False)
    db.session.add(user)
    try:
        with db.session.begin_nested():  # a concurrent registration of the same address loses here, cleanly
            db.session.flush()
    except IntegrityError as exc:
        raise EmailTaken(_("An account with this e-mail already exists."), field="email") from exc
    send_verification(user, verify_link)
    return user


def send_verification(user: User, verify_link: LinkBuilder) -> None:
    token = tokens.make_token(tokens.VERIFY, {"uid": user.id, "email": user.email})
    send_mail(user.email, "Confirm your e-mail", "verify_email", name=user.name, link=verify_link(token))


def resend_verification(email: str, verify_link: LinkBuilder) -> None:
    """Send a fresh link if this address belongs to an unverified account; say nothing either way."""
    user = find_user_by_email(email)
    if user is not None and user.is_active and not user.is_verified:
        send_verification(user, verify_link)


def check_verification_token(token: str) -> User:
    """The account a verification link is for, if the link can still be used."""
    payload = tokens.read_token(tokens.VERIFY, token, current_app.config["ACCOUNTS_VERIFY_TOKEN_MAX_AGE"])
    user = db.session.get(User, payload["uid"])
    if user is None or not user.is_active:
        raise InvalidToken(tokens.INVALID_MESSAGE)
    if user.is_verified or user.email != payload.get("email"):
        raise InvalidToken(TOKEN_USED, code="token_used")
    return user


def verify_email(token: str, *, shop_link: str) -> User:
    """Mark the account verified and send the welcome e-mail; `shop_link` is the absolute URL of the shop."""
    user = check_verification_token(token)
    user.is_verified = True
    user.verified_at = utcnow()
    db.session.flush()
    send_mail(user.email, "Welcome", "welcome", name=user.name, role=user.role.value, link=shop_link)
    return user


# --- log-in and passwords -------------------------------------------------------------------------------


@cache
def _dummy_hash() -> str:
    return hash_password("not-a-real-password-but-costs-the-same")


def _locked_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many failed log-in attempts from your address. Please wait %(num)d minute and try again, or reset "
        "your password.",
        "Too many failed log-in attempts from your address. Please wait %(num)d minutes and try again, or reset "
        "your password.",
        minutes,
    )


def authenticate(email: str, password: str, *, address: str | None = None) -> User:
    """The account these credentials open, for a client at `address`.

    Failures are counted per (account, address): past the limit that client is refused even with the right
    password, while other addresses — the owner's — are not. Past the slower per-account ceiling every attempt
    only waits a little first. Counted whether or not the address is registered.
    """
    email = (email or "").strip().lower()
    locked = throttle.seconds_locked(email, address)
    if locked:
        raise TooManyAttempts(_locked_message(locked), retry_after=locked)
    throttle.slow_down(email)
    user = find_user_by_email(email) if email else None
    # Unknown addresses still pay for one hash, so timing does not tell them apart.
    candidate_hash = user.password_hash if user is not None else _dummy_hash()
    if not verify_password(candidate_hash, password[: MAX_PASSWORD * 8]) or user is None:
        throttle.record_failure(email, address)
        raise InvalidCredentials(BAD_CREDENTIALS)
    if not user.is_active:
        raise AccountDisabled(_("This account has been disabled. Contact support if you think this is a mistake."))
    throttle.clear_failures(email, address)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    db.session.flush()
    return user


def _end_sessions(user: User, *, keep: UserSession | None = None) -> None:
    """End every session, remember-me cookie and API token of `user`, except the session `keep`."""
    user.session_version += 1  # also ends access tokens, which carry the version
    sessions.revoke_all(user, keep=keep)
    api_tokens.revoke_all_refresh_tokens(user)
    if keep is not None:
        keep.session_version = user.session_version


def _set_password(user: User, password: str, *, keep: UserSession | None = None) -> None:
    user.password_hash = hash_password(password)
    _end_sessions(user, keep=keep)


def sign_out_everywhere(user: User) -> None:
    """End every session of `user`: browsers, remember-me cookies and API clients."""
    _end_sessions(user)
    db.session.flush()


def revoke_session(user: User, session_id: int) -> UserSession:
    """End one of `user`'s sessions (the profile's session list); someone else's is "not found"."""
    return sessions.revoke_own(user, session_id)


def request_password_reset(email: str, reset_link: LinkBuilder) -> None:
    """Mail a reset link if the address belongs to an active account; say nothing either way."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return
    token = tokens.make_token(tokens.RESET, {"uid": user.id, "pw": tokens.password_fingerprint(user.password_hash)})
    send_mail(user.email, "Reset your password", "reset_password", name=user.name, link=reset_link(token))


def check_reset_token(token: str) -> User:
    payload = tokens.read_token(tokens.RESET, token, current_app.config["ACCOUNTS_RESET_TOKEN_MAX_AGE"])
    user = db.session.get(User, payload["uid"])
    if user is None or not user.is_active:
        raise InvalidToken(tokens.INVALID_MESSAGE)
    if payload.get("pw") != tokens.password_fingerprint(user.password_hash):
        raise InvalidToken(TOKEN_USED, code="token_used")
    return user


def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a reset link and end every existing session of the account."""
    user = check_reset_token(token)
    check_password_strength(new_password, email=user.email, name=user.name)
    _set_password(user, new_password)
    if not user.is_verified:  # following the link proved the mailbox is theirs
        user.is_verified = True
        user.verified_at = utcnow()
    db.session.flush()
    return user


def change_password(
    user: User, *, current_password: str, new_password: str, keep: UserSession | None = None
) -> User:
    """Change the password of a signed-in user, who must know the current one; every session but `keep` ends."""
    if not verify_password(user.password_hash, current_password):
        raise InvalidCredentials(_("Your current password is not correct."), field="current_password", status=400)
    check_password_strength(new_password, email=user.email, name=user.name)
    _set_password(user, new_password, keep=keep)
    db.session.flush()
    return user


# --- profile --------------------------------------------------------------------------------------------


def update_profile(user: User, *, name: str) -> User:
    user.name = clean_name(name)
    db.session.flush()
    return user


def set_locale(user: User, locale: str | None) -> User:
    """Keep the interface language `user` chose (None: let each browser's Accept-Language decide)."""
    if locale is not None and locale not in current_app.config["STOREFRONT_LOCALES"]:
        raise InvalidInput(_("Choose one of the shop's languages."), field="locale")
    user.locale = locale
    db.session.flush()
    return user


def request_email_change(user: User, *, new_email: str, password: str, confirm_link: LinkBuilder) -> str:
    """Mail a confirmation link to the new address; the account keeps its current one until it is followed."""
    new_email = normalise_email(new_email)
    if not verify_password(user.password_hash, password):
        raise InvalidCredentials(_("Your current password is not correct."), field="password", status=400)
    if new_email == user.email:
        raise InvalidEmail(_("This is already your e-mail address."), field="email")
    _ensure_email_free(new_email)
    token = tokens.make_token(tokens.CHANGE_EMAIL, {"uid": user.id, "old": user.email, "new": new_email})
    send_mail(new_email, "Confirm your new e-mail", "change_email", name=user.name, link=confirm_link(token))
    return new_email


def check_email_change_token(token: str) -> tuple[User, str]:
    payload = tokens.read_token(tokens.CHANGE_EMAIL, token, current_app.config["ACCOUNTS_VERIFY_TOKEN_MAX_AGE"])
    user = db.session.get(User, payload["uid"])
    if user is None or not user.is_active or not isinstance(payload.get("new"), str):
        raise InvalidToken(tokens.INVALID_MESSAGE)
    if user.email != payload.get("old"):
        raise InvalidToken(TOKEN_USED, code="token_used")
    return user, payload["new"]


def confirm_email_change(token: str) -> User:
    """Switch the account to the new, now verified, address."""
    user, new_email = check_email_change_token(token)
    _ensure_email_free(new_email)
    user.email = new_email
    user.is_verified = True
    user.verified_at = utcnow()
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise EmailTaken(_("An account with this e-mail already exists."), field="email") from exc
    return user


# --- delivery contacts ----------------------------------------------------------------------------------


@dataclass
class ContactData:
    city: str
    street: str
    phone: str
    recipient: str = ""
    house: str = ""
    building: str = ""
    apartment: str = ""


CONTACT_LIMITS = {"recipient": 120, "city": 100, "street": 150, "house": 20, "building": 20, "apartment": 20,
                  "phone": 32}
CONTACT_REQUIRED = {"city": _l("Enter the city."), "street": _l("Enter the street."), "phone": _l("Enter a phone number.")}
PHONE_CHARACTERS = set("0123456789+-() ")


def _clean_contact(data: ContactData) -> dict[str, str]:
    values = {f.name: (getattr(data, f.name) or "").strip() for f in fields(ContactData)}
    for name, value in values.items():
        if name in CONTACT_REQUIRED and not value:
            raise InvalidInput(CONTACT_REQUIRED[name], field=name)
        if len(value) > CONTACT_LIMITS[name]:
            raise InvalidInput(_("At most %(count)s characters.", count=CONTACT_LIMITS[name]), field=name)
    digits = sum(ch.isdigit() for ch in values["phone"])
    if not set(values["phone"]) <= PHONE_CHARACTERS or digits < 5:
        raise InvalidInput(_("Enter a phone number: digits, spaces, +, - and brackets."), field="phone")
    return values


def list_contacts(user: User) -> list[Contact]:
    return list(db.session.scalars(select(Contact).where(Contact.user_id == user.id).order_by(Contact.id)))


def get_contact(user: User, contact_id: int) -> Contact:
    """One of this user's contacts; someone else's is 'not found', so ids reveal nothing."""
    contact = db.session.scalar(select(Contact).where(Contact.id == contact_id, Contact.user_id == user.id))
    if contact is None:
        raise ContactNotFound(_("No such delivery contact."))
    return contact


def add_contact(user: User, data: ContactData) -> Contact:
    values = _clean_contact(data)
    count = db.session.scalar(select(func.count()).select_from(Contact).where(Contact.user_id == user.id))
    if count >= MAX_CONTACTS:
        raise InvalidInput(_("You can keep at most %(count)s delivery contacts; delete one first.", count=MAX_CONTACTS))
    contact = Contact(user_id=user.id, **values)
    db.session.add(contact)
    db.session.flush()
    return contact


def update_contact(user: User, contact_id: int, data: ContactData) -> Contact:
    contact = get_contact(user, contact_id)
    for name, value in _clean_contact(data).items():
        setattr(contact, name, value)
    db.session.flush()
    return contact


def patch_contact(user: User, contact_id: int, changes: dict[str, str]) -> Contact:
    """Change only the given fields of one of this user's contacts (the API's PATCH)."""
    contact = get_contact(user, contact_id)
    current = {f.name: getattr(contact, f.name) for f in fields(ContactData)}
    unknown = set(changes) - set(current)
    if unknown:
        raise InvalidInput(_("Unknown contact field."), field=min(unknown))
    return update_contact(user, contact_id, ContactData(**{**current, **changes}))


def delete_contact(user: User, contact_id: int) -> None:
    db.session.delete(get_contact(user, contact_id))
    db.session.flush()


# --- clean-up -------------------------------------------------------------------------------------------


def purge_unverified(older_than: timedelta | None = None) -> int:
    """Delete accounts still unverified after `older_than` (default: the configured days), with all they own.

    A supplier's shop goes too when no other account owns it. Accounts that somehow hold orders are kept:
    orders are business records, never deleted.
    """
    from storefront.catalog.models import Shop
    from storefront.orders.models import Order

    if older_than is None:
        older_than = timedelta(days=current_app.config["ACCOUNTS_PURGE_UNVERIFIED_DAYS"])
    cutoff = utcnow() - older_than
    rows = db.session.execute(
        select(User.id, User.shop_id).where(
            User.is_verified.is_(False),
            User.created_at < cutoff,
            ~exists().where(Order.user_id == User.id),
        )
    ).all()
    if not rows:
        return 0
    ids = [row.id for row in rows]
    shop_ids = {row.shop_id for row in rows if row.shop_id is not None}
    delete_accounts(ids)
    if shop_ids:
        orphaned = select(Shop.id).where(Shop.id.in_(shop_ids), ~exists().where(User.shop_id == Shop.id))
        db.session.execute(delete(Shop).where(Shop.id.in_(orphaned)), execution_options={"synchronize_session": False})
    db.session.flush()
    log.info("purged %d unverified account(s)", len(ids))
    return len(ids)


def delete_accounts(ids: list[int]) -> None:
    """Delete these accounts with their carts, contacts, chats and API tokens (never their orders or shop).

    One DELETE: the schema's foreign keys do the rest on every backend (SQLite runs with foreign_keys=ON) —
    CASCADE removes what only the account owned (cart lines, contacts, refresh tokens, its conversations and
    their messages), SET NULL keeps shared records and forgets the person (messages it wrote in others'
    conversations, conversations assigned to it, order events, audit entries, import jobs); orders RESTRICT.
    """
    db.session.execute(delete(User).where(User.id.in_(ids)), execution_options={"synchronize_session": False})
