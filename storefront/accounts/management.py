"""Staff managing accounts: list with filters, change role or state, delete. Back-office pages and the API share it.

The acting user is always passed in and checked here, on the data: only staff manage accounts, and nobody
demotes, disables or deletes themself (someone must be left to run the shop). Services flush; callers commit.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, select

from storefront import policy
from storefront.accounts import api_tokens
from storefront.accounts.errors import (
    CannotChangeSelf,
    InvalidInput,
    UserHasOrders,
    UserNotFound,
)
from storefront.accounts.models import Role, User
from storefront.accounts.services import clean_name, delete_accounts
from storefront.audit.services import record
from storefront.database import utcnow
from storefront.extensions import db
from storefront.pagination import Page, paginate

MAX_QUERY = 200


def _require_staff(actor: User) -> None:
    policy.require_staff(actor, _("Only staff can manage accounts."))


def list_users(
    actor: User,
    *,
    role: Role | None = None,
    verified: bool | None = None,
    active: bool | None = None,
    q: str | None = None,
    page: int = 1,
    page_size: int = 20,
) -> Page[User]:
    """Accounts matching the filters, newest first; `q` matches e-mail or name, case-insensitively."""
    _require_staff(actor)
    statement = select(User).order_by(User.created_at.desc(), User.id.desc())
    if role is not None:
        statement = statement.where(User.role == role)
    if verified is not None:
        statement = statement.where(User.is_verified.is_(verified))
    if active is not None:
        statement = statement.where(User.is_active.is_(active))
    term = (q or "").strip()[:MAX_QUERY].lower()
    if term:
        statement = statement.where(or_(
            func.lower(User.email).contains(term, autoescape=True), func.lower(User.name).contains(term, autoescape=True)
        ))
    return paginate(statement, page, page_size)


def get_user(actor: User, user_id: int) -> User:
    _require_staff(actor)
    user = db.session.get(User, user_id)
    if user is None:
        raise UserNotFound(_("No such user."))
    return user


def update_user(
    actor: User,
    user_id: int,
    *,
    name: str | None = None,
    role: Role | None = None,
    is_active: bool | None = None,
    is_verified: bool | None = None,
) -> User:
    """Change what staff may change; a disabled account loses every session and API token at once."""
    user = get_user(actor, user_id)
    if user.id == actor.id:
        if role is not None and role is not Role.STAFF:
            raise CannotChangeSelf(_("You cannot demote your own account."), field="role")
        if is_active is False:
            raise CannotChangeSelf(_("You cannot disable your own account."), field="is_active")
    if name is not None:
        user.name = clean_name(name)
    if role is not None and role is not user.role:
        if role is Role.SUPPLIER and user.shop_id is None:
            raise InvalidInput(_("A supplier account needs a shop; create it from the supplier's registration."),
                               field="role")
        record(actor, "user.role_changed", "user", user.id, {"email": user.email, "from": user.role.value,
                                                             "to": role.value})
        user.role = role
    if is_verified is not None and is_verified != user.is_verified:
        user.is_verified = is_verified
        user.verified_at = utcnow() if is_verified else None
        record(actor, "user.verified" if is_verified else "user.unverified", "user", user.id, {"email": user.email})
    if is_active is not None and is_active != user.is_active:
        user.is_active = is_active
        record(actor, "user.activated" if is_active else "user.deactivated", "user", user.id, {"email": user.email})
        if not is_active:
            user.session_version += 1  # ends page sessions and access tokens
            api_tokens.revoke_all_refresh_tokens(user)
    db.session.flush()
    return user


def delete_user(actor: User, user_id: int) -> None:
    """Delete an account that has never ordered; one with orders must be disabled instead (orders are records)."""
    from storefront.orders.models import Order

    user = get_user(actor, user_id)
    if user.id == actor.id:
        raise CannotChangeSelf(_("You cannot delete your own account."))
    if db.session.scalar(select(exists().where(Order.user_id == user.id))):
        raise UserHasOrders(_("This account has orders, which are kept as records; disable the account instead."))
    record(actor, "user.deleted", "user", user.id, {"email": user.email, "role": user.role.value})
    delete_accounts([user.id])
    db.session.expunge(user)
    db.session.flush()
