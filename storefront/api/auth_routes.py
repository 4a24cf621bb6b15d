"""/api/v1/auth: register, verify, log in, refresh, log out and reset a password — the accounts services, as JSON.

Every endpoint is public (no token needed) and rate-limited per client address (API_AUTH_RATE_LIMIT, kept in
Redis when configured, so the limit holds across processes); sign-ups also count against REGISTER_RATE_LIMIT
(as on the pages), the other e-mail sending ones against ACCOUNTS_MAIL_RATE_LIMIT, and failed log-ins against
API_LOGIN_RATE_LIMIT and the log-in throttle of the pages (accounts/throttle.py: per account and client
address). Each log-in is a server-side session (accounts/sessions.py).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import marshmallow as ma
from flask import current_app, g, request, url_for
from flask_babel import gettext as _

from storefront.accounts import api_tokens, services, sessions
from storefront.accounts.models import Role
from storefront.api.blueprint import Blueprint
from storefront.api.docs import errors, public
from storefront.api.users import UserSchema
from storefront.domain_errors import DomainError
from storefront.extensions import limiter
from storefront.security import client_address
from storefront.unit_of_work import commit_even_on

blp = Blueprint(
    "auth", __name__, url_prefix="/api/v1/auth",
    description="Accounts and tokens: register, verify, log in, refresh, log out, reset a password.",
)


def _limit(setting: str):
    """A limit read from config at request time, so tests and deployments can tune it."""
    return lambda: current_app.config[setting]


def _login_failed(_response) -> bool:
    return bool(g.get("login_failed"))


auth_limit = limiter.limit(_limit("API_AUTH_RATE_LIMIT"))
mail_limit = limiter.limit(_limit("ACCOUNTS_MAIL_RATE_LIMIT"))
register_limit = limiter.limit(_limit("REGISTER_RATE_LIMIT"))
failed_login_limit = limiter.limit(_limit("API_LOGIN_RATE_LIMIT"), deduct_when=_login_failed)


def _email_link(endpoint: str) -> services.LinkBuilder:
    """E-mailed links open the site's pages; the token in them also works with the endpoints below."""
    return lambda token: url_for(endpoint, token=token, _external=True)


def token_from(value: str) -> str:
    """Accept the bare token, or the whole e-mailed link (token as its `token` parameter or last path segment)."""
    value = value.strip()
    if "/" not in value:
        return value
    parts = urlsplit(value)
    query = parse_qs(parts.query).get("token")
    if query:
        return query[0]
    return parts.path.rstrip("/").rsplit("/", 1)[-1]


# --- schemas --------------------------------------------------------------------------------------------


def _password(**kwargs) -> ma.fields.String:
    return ma.fields.String(
        required=True, load_only=True, validate=ma.validate.Length(min=1, max=1024),
        metadata={"example": "correct-horse-battery-staple", "format": "password"}, **kwargs,
    )


def _email() -> ma.fields.Email:
    return ma.fields.Email(required=True, validate=ma.validate.Length(max=254), metadata={"example": "ann@example.com"})


class RegisterSchema(ma.Schema):
    email = _email()
    password = _password()
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120), metadata={"example": "Ann Buyer"})
    role = ma.fields.Enum(
        Role, by_value=True, load_default=Role.SHOPPER,
        validate=ma.validate.OneOf([Role.SHOPPER, Role.SUPPLIER], error=_("Choose shopper or supplier.")),
        metadata={"description": "`shopper` (default) or `supplier`", "example": "shopper"},
    )
    shop_name = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=200),
        metadata={"description": "Required for a supplier", "example": "Связной"},
    )


class TokenSchema(ma.Schema):
    token = ma.fields.String(
        required=True, validate=ma.validate.Length(min=1, max=2048),
        metadata={"description": "The token from the e-mailed link, or the whole link", "example": "eyJ1aWQiOjF9.Zx…"},
    )


class LoginSchema(ma.Schema):
    email = ma.fields.String(required=True, validate=ma.validate.Length(max=254), metadata={"example": "ann@example.com"})
    password = _password()


class RefreshTokenSchema(ma.Schema):
    refresh_token = ma.fields.String(
        required=True, validate=ma.validate.Length(min=1, max=4096), metadata={"example": "eyJhbGciOiJIUzI1NiIs…"}
    )


class TokenPairSchema(ma.Schema):
    access_token = ma.fields.String(required=True, metadata={"example": "eyJhbGciOiJIUzI1NiIs…"})
    refresh_token = ma.fields.String(required=True, metadata={"example": "eyJhbGciOiJIUzI1NiIs…"})
    token_type = ma.fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = ma.fields.Integer(
        required=True, metadata={"description": "Seconds the access token lives", "example": 900}
    )
    refresh_expires_in = ma.fields.Integer(
        required=True, metadata={"description": "Seconds the refresh token lives", "example": 1209600}
    )


class EmailSchema(ma.Schema):
    email = _email()


class PasswordResetConfirmSchema(TokenSchema):
    password = _password()


class MessageSchema(ma.Schema):
    message = ma.fields.String(required=True, metadata={"example": "If an account uses this address, …"})


# --- endpoints ------------------------------------------------------------------------------------------


@blp.route("/register", methods=["POST"])
@auth_limit
@register_limit
@public(blp)
@errors(blp, 409, 429)
@blp.arguments(RegisterSchema)
@blp.response(201, UserSchema)
def register(data):
    """Open a shopper or supplier account and e-mail its verification link."""
    user = services.register_user(
        email=data["email"], name=data["name"], password=data["password"], role=data["role"],
        shop_name=data["shop_name"], verify_link=_email_link("accounts.verify_email"),
    )
    return user


@blp.route("/verify", methods=["POST"])
@auth_limit
@public(blp)
@errors(blp, 400, 429)
@blp.arguments(TokenSchema)
@blp.response(200, UserSchema)
def verify(data):
    """Confirm an e-mail address with the token of the e-mailed link."""
    user = services.verify_email(token_from(data["token"]), shop_link=url_for("catalog.index", _external=True))
    return user


@blp.route("/login", methods=["POST"])
@auth_limit
@failed_login_limit
@public(blp)
@errors(blp, 401, 403, 429)
@blp.arguments(LoginSchema)
@blp.response(200, TokenPairSchema)
def login(data):
    """Log in with e-mail and password: an access token and a refresh token."""
    try:
        user = services.authenticate(data["email"], data["password"], address=client_address())
    except DomainError:
        g.login_failed = True  # counted against the client address by the limiter above
        raise
    session = sessions.start_session(
        user, kind=sessions.API, address=client_address(), user_agent=request.headers.get("User-Agent"),
    ).row
    pair = api_tokens.issue_token_pair(user, session=session)
    return pair


@blp.route("/refresh", methods=["POST"])
@auth_limit
@public(blp)
@errors(blp, 401, 429)
@blp.arguments(RefreshTokenSchema)
@blp.response(200, TokenPairSchema)
def refresh(data):
    """Trade a refresh token for a new pair; the old one stops working, and reusing it ends the log-in."""
    with commit_even_on(api_tokens.RefreshTokenReused):  # the family's revocation must stick although the request fails
        pair = api_tokens.rotate_refresh(data["refresh_token"])
    return pair


@blp.route("/logout", methods=["POST"])
@auth_limit
@public(blp)
@errors(blp, 401, 429)
@blp.arguments(RefreshTokenSchema)
@blp.response(204)
def logout(data):
    """End the log-in this refresh token belongs to: its session, its access tokens and every refresh token."""
    api_tokens.revoke_refresh(data["refresh_token"])


@blp.route("/password-reset", methods=["POST"])
@auth_limit
@mail_limit
@public(blp)
@errors(blp, 429)
@blp.arguments(EmailSchema)
@blp.response(202, MessageSchema)
def password_reset(data):
    """E-mail a password reset link; the answer is the same whether or not the address is registered."""
    services.request_password_reset(data["email"], _email_link("accounts.reset_password"))
    return {"message": "If an account uses this address, a link to choose a new password is on its way."}


@blp.route("/password-reset/confirm", methods=["POST"])
@auth_limit
@public(blp)
@errors(blp, 400, 429)
@blp.arguments(PasswordResetConfirmSchema)
@blp.response(204)
def password_reset_confirm(data):
    """Set a new password with the token of the e-mailed link; every session and token of the account ends."""
    services.reset_password(token_from(data["token"]), data["password"])
