"""Sessions and page guards: loading the signed-in user, and role/verified decorators for page views.

The decorators are user experience only (the right redirect or 403 page before a form is shown); the rules
themselves — who may see or do what — live in `storefront.policy`, which the services call on every door.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Flask, abort, redirect, url_for
from flask_login import current_user

from storefront.accounts.models import Role, User
from storefront.extensions import db, login_manager
from storefront.htmx import is_partial


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    # The id carries the session version: a password reset or deactivation ends every older session.
    try:
        raw_id, raw_version = user_id.split(":", 1)
        user = db.session.get(User, int(raw_id))
        version = int(raw_version)
    except (ValueError, TypeError):
        return None
    if user is None or not user.is_active or user.session_version != version:
        return None
    return user


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
    login_manager.session_protection = "basic"
