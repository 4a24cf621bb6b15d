"""Who is signed in and what pages they may open: server-side sessions in cookies, and role/verified guards
for page views.

The guards are user experience only (the right redirect or 403 page before a form is shown); the rules
themselves — who may see or do what — live in `storefront.policy`, which the services call on every door.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Flask, Response, abort, current_app, g, redirect, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_user, logout_user

from storefront.accounts import sessions
from storefront.accounts.models import Role, User, UserSession
from storefront.extensions import db, login_manager
from storefront.htmx import is_partial
from storefront.i18n import N_, adopt_profile_choice
from storefront.i18n import SESSION_KEY as LOCALE_KEY

# Not Flask-Login's own remember cookie (it would carry a fixed id forever): ours names a session and rotates.
REMEMBER_COOKIE = "storefront_remember"


def client_address() -> str | None:
    """The address the request came from (X-Forwarded-For only with TRUSTED_PROXY_HOPS set: observability/proxy.py)."""
    return request.remote_addr


def _user_agent() -> str:
    return request.headers.get("User-Agent", "")[: sessions.MAX_USER_AGENT]


@login_manager.user_loader
def load_user(session_key: str) -> User | None:
    # The cookie carries the key of a server-side session: revoked, expired or foreign keys open nothing.
    row = sessions.find_live(key=session_key)
    if row is None:
        return None
    g.user_session = row
    sessions.touch(row, client_address())
    return row.user


@login_manager.request_loader
def load_remembered(req) -> User | None:
    """No live session in the cookie: a remember-me cookie restores its session, with new secrets for both."""
    token = req.cookies.get(REMEMBER_COOKIE)
    if not token:
        return None
    restored = sessions.restore_remembered(token[:200], address=client_address(), user_agent=_user_agent())
    if restored is None:
        g.remember_cookie = ""  # a dead cookie: delete it
        return None
    # The rotation must stick whatever this request does next, or the browser's new cookie would not match.
    db.session.commit()
    session["_user_id"] = restored.key
    session["_fresh"] = False  # restored, not typed: views that need a fresh log-in can still ask for one
    g.user_session = restored.row
    g.remember_cookie = restored.remember_token
    adopt_profile_choice(restored.row.user.locale)
    return restored.row.user


def current_session() -> UserSession | None:
    """The server-side session behind this request's signed-in user (None when signed out)."""
    return g.get("user_session") if current_user.is_authenticated else None


def sign_in(user: User, *, remember: bool = False) -> UserSession:
    """Start a server-side session for `user` and put it in this browser's cookies (the caller commits).

    The CSRF token is replaced too: one seen before log-in must not be good for the signed-in session.
    """
    new = sessions.start_session(user, remember=remember, address=client_address(), user_agent=_user_agent())
    csrf_field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(csrf_field, None)
    g.pop(csrf_field, None)
    login_user(user)
    adopt_profile_choice(user.locale)  # the language chosen on another device follows the account
    session["_user_id"] = new.key  # Flask-Login stored get_id(); the session key is what the cookie carries
    g.user_session = new.row
    g.remember_cookie = new.remember_token or ""
    return new.row


def sign_out() -> None:
    """End this browser's server-side session and forget its cookies (the caller commits)."""
    sessions.revoke_by_key(session.get("_user_id"))
    logout_user()
    locale = session.get(LOCALE_KEY)
    session.clear()  # the CSRF token goes with the session
    if locale:
        session[LOCALE_KEY] = locale  # the browser keeps speaking the language it chose
    g.pop("user_session", None)
    g.remember_cookie = ""


def _write_remember_cookie(response: Response) -> Response:
    value = g.pop("remember_cookie", None)
    if value is None:
        return response
    config = current_app.config
    if value == "":
        if REMEMBER_COOKIE in request.cookies:
            response.delete_cookie(REMEMBER_COOKIE, path="/", httponly=True)
        return response
    response.set_cookie(
        REMEMBER_COOKIE, value, max_age=int(config["REMEMBER_COOKIE_DURATION"].total_seconds()), path="/",
        secure=config["REMEMBER_COOKIE_SECURE"], httponly=True, samesite=config["REMEMBER_COOKIE_SAMESITE"],
    )
    return response


def roles_required(*roles: Role) -> Callable:
    """Anonymous visitors go to the login page; a signed-in user with the wrong role gets 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def verified_required(view: Callable) -> Callable:
    """Anonymous visitors go to the login page; a signed-in user who has not confirmed their e-mail is sent
    to the "confirm your e-mail" page (checkout, imports and chat need a reachable, proven address).

    UX only: the services refuse the same accounts through `policy.require_verified`."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_verified:
            target = url_for("accounts.confirm_notice")
            if is_partial():  # a fragment swap would bury the notice inside the page: navigate instead
                return "", 204, {"HX-Redirect": target}
            return redirect(target)
        return view(*args, **kwargs)

    return wrapped


def init_app(app: Flask) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    login_manager.login_message = N_("Please log in to access this page.")  # translated when flashed
    login_manager.localize_callback = gettext
    login_manager.session_protection = "basic"
    app.after_request(_write_remember_cookie)
