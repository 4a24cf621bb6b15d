"""Bearer-token authentication for API resources: `@auth_required(blp, *roles)` on MethodView methods.

Only `Authorization: Bearer <access token>` counts; the session cookie is never looked at, which is what makes
the CSRF-exempt API safe. A missing token is 401 `unauthorized`; a bad, expired, tampered or `alg: none` one is
401 `invalid_token`/`token_expired` with `WWW-Authenticate: Bearer error="invalid_token"`; the wrong role 403.
Put it outermost (right under nothing but the limiter), so authentication runs before input is parsed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import g, request
from flask_babel import gettext as _
from flask_smorest import Blueprint

from storefront.accounts import api_tokens
from storefront.accounts.models import Role, User
from storefront.api.base import BEARER_REALM
from storefront.api.docs import errors
from storefront.domain_errors import DomainError, Forbidden


class NotAuthenticated(DomainError):
    status = 401
    code = "unauthorized"


def bearer_token() -> str | None:
    """The token of this request's `Authorization: Bearer …` header, or None."""
    return api_tokens.parse_bearer(request.headers.get("Authorization", ""))


def authenticate() -> User:
    """The active user whose access token this request carries; raise 401 otherwise."""
    token = bearer_token()
    if token is None:
        raise NotAuthenticated(_("Send an access token: `Authorization: Bearer <token>`."))
    try:
        return api_tokens.decode_access_token(token)
    except api_tokens.TokenError as error:
        # RFC 6750: say that the token itself is the problem, so clients know to refresh or log in again.
        error.headers = {"WWW-Authenticate": f'{BEARER_REALM}, error="invalid_token"'}
        raise


def current_api_user() -> User:
    """The user `auth_required` loaded for this request."""
    return g.api_user


def auth_required(blp: Blueprint, *roles: Role) -> Callable:
    """Require a valid access token (and one of `roles`, when given); document it on the operation."""

    def decorator(func: Callable) -> Callable:
        @wraps(func)
        def wrapper(*args, **kwargs):
            user = authenticate()
            if roles and user.role not in roles:
                raise Forbidden(_("This needs a %(roles)s account.", roles=" / ".join(r.value for r in roles)))
            g.api_user = user
            return func(*args, **kwargs)

        wrapper = blp.doc(security=[{"bearerAuth": []}])(wrapper)
        return errors(blp, 401, 403)(wrapper) if roles else errors(blp, 401)(wrapper)

    return decorator
