"""API tokens: short-lived JWT access tokens and rotating, stored refresh tokens with reuse detection.

Both are HS256 JWTs signed with `JWT_SECRET_KEY` (default `SECRET_KEY`); decoding pins the algorithm, so an
`alg: none` or RS/HS-confusion token never verifies. Every token carries `sub`, `type`, `jti`, `iat`, `exp` and
`sv` — the user's `session_version` — and `sid`, the server-side session of the log-in (accounts/sessions.py): an
access token is good only while that session is live, so log-out, a password change, a deactivation or
"sign out everywhere" end access tokens as well as page sessions. Refresh tokens are also rows (a whitelist): each use rotates to a new token of the
same family, and presenting a token that was already rotated or revoked revokes the whole family (someone else
holds a copy). Like every service: no request, flush only, the caller commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, or_, select, update

from storefront.accounts import sessions
from storefront.accounts.models import RefreshToken, User, UserSession
from storefront.database import utcnow
from storefront.domain_errors import DomainError
from storefront.extensions import db

ALGORITHM = "HS256"
ACCESS = "access"
REFRESH = "refresh"
REQUIRED_CLAIMS = ["sub", "type", "jti", "iat", "exp", "sv", "sid"]
LEEWAY = timedelta(seconds=5)  # clock skew between web processes
REUSED_MESSAGE = _l("This refresh token was already used; every token of this log-in is now revoked.")


class TokenError(DomainError):
    """A token that is missing, malformed, forged, expired, revoked or of the wrong type."""

    status = 401
    code = "invalid_token"


class TokenExpired(TokenError):
    code = "token_expired"


class RefreshTokenReused(TokenError):
    """A rotated or revoked refresh token came back: its family has been revoked. Commit that revocation."""

    code = "token_reused"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds the access token lives
    refresh_expires_in: int
    token_type: str = "Bearer"


def signing_key() -> str | bytes:
    """JWT_SECRET_KEY, else a key derived from SECRET_KEY for this one purpose (HMAC-SHA256 wants 32 bytes)."""
    configured = current_app.config.get("JWT_SECRET_KEY")
    if configured:
        return configured
    return hmac.new(current_app.config["SECRET_KEY"].encode(), b"storefront.api-tokens", hashlib.sha256).digest()


def _encode(user: User, kind: str, ttl: int, now: datetime, **extra: Any) -> tuple[str, str]:
    jti = secrets.token_urlsafe(24)
    claims = {
        "sub": str(user.id),
        "type": kind,
        "jti": jti,
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + ttl,
        "sv": user.session_version,
        **extra,
    }
    return jwt.encode(claims, signing_key(), algorithm=ALGORITHM), jti


def _decode(token: str, kind: str) -> dict[str, Any]:
    if not isinstance(token, str) or not token or len(token) > 4096:
        raise TokenError(_("The token is missing or malformed."))
    try:
        claims = jwt.decode(
            token, signing_key(), algorithms=[ALGORITHM], leeway=LEEWAY, options={"require": REQUIRED_CLAIMS}
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenExpired(_("The token has expired.")) from exc
    except jwt.PyJWTError as exc:
        raise TokenError(_("The token is not valid.")) from exc
    if claims.get("type") != kind:
        raise TokenError(_("This is not an access token.") if kind == ACCESS else _("This is not a refresh token."))
    if not str(claims["sub"]).isdigit() or not isinstance(claims["sv"], int) or not isinstance(claims["sid"], int):
        raise TokenError(_("The token is not valid."))
    return claims


def _session_for(claims: dict[str, Any]) -> UserSession:
    """The live session the token was issued under (the one validity rule of pages, API and socket)."""
    row = sessions.find_live(session_id=claims["sid"])
    if row is None or row.user_id != int(claims["sub"]) or row.user.session_version != claims["sv"]:
        # Logged out, signed out everywhere, disabled, deleted, or the password changed since it was issued.
        raise TokenError(_("The token is no longer valid; log in again."))
    return row


def _user_for(claims: dict[str, Any]) -> User:
    return _session_for(claims).user


def issue_token_pair(user: User, *, session: UserSession | None = None) -> TokenPair:
    """A fresh access token and a stored refresh token for a log-in: `session`, else a new API session."""
    if session is None:
        session = sessions.start_session(user, kind=sessions.API).row
    return _issue(user, secrets.token_urlsafe(24), session)[0]


def _issue(user: User, family: str, session: UserSession) -> tuple[TokenPair, str]:
    config = current_app.config
    now = utcnow()
    access, _ = _encode(user, ACCESS, config["JWT_ACCESS_TTL"], now, sid=session.id)
    refresh, jti = _encode(user, REFRESH, config["JWT_REFRESH_TTL"], now, fam=family, sid=session.id)
    # The session lives as long as its newest refresh token.
    session.expires_at = now + timedelta(seconds=config["JWT_REFRESH_TTL"])
    db.session.add(
        RefreshToken(
            jti=jti, user_id=user.id, family=family, issued_at=now,
            expires_at=now + timedelta(seconds=config["JWT_REFRESH_TTL"]),
        )
    )
    db.session.flush()
    return TokenPair(access, refresh, config["JWT_ACCESS_TTL"], config["JWT_REFRESH_TTL"]), jti


def parse_bearer(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer …` header's value, or None (shared by the API and the chat socket)."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def decode_access_token(token: str) -> User:
    """The active user a genuine, unexpired access token of a live session belongs to; TokenError otherwise."""
    return _user_for(_decode(token, ACCESS))


def access_token_session(token: str) -> UserSession:
    """The live session a genuine, unexpired access token was issued under; TokenError otherwise."""
    return _session_for(_decode(token, ACCESS))


def _revoke_family(family: str) -> None:
    db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.family == family, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    db.session.flush()


def rotate_refresh(token: str) -> TokenPair:
    """Trade a refresh token for a new pair; a second use of the same token revokes its whole family.

    On `RefreshTokenReused` the caller must still commit, so that the family stays revoked.
    """
    claims = _decode(token, REFRESH)
    row = db.session.scalar(select(RefreshToken).where(RefreshToken.jti == claims["jti"]))
    if row is None or row.user_id != int(claims["sub"]):
        raise TokenError(_("This refresh token is not known; log in again."))
    if row.revoked_at is not None:
        _revoke_family(row.family)
        sessions.revoke_by_id(claims["sid"])  # someone else holds a copy: the whole log-in ends
        raise RefreshTokenReused(REUSED_MESSAGE)
    if row.expires_at <= utcnow():
        raise TokenExpired(_("The refresh token has expired; log in again."))
    session = _session_for(claims)
    user = session.user
    # Claim the token only if it is still unrevoked: of two concurrent refreshes with it, exactly one wins.
    claimed = db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == row.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow()),
        execution_options={"synchronize_session": False},
    ).rowcount
    if claimed != 1:
        _revoke_family(row.family)
        sessions.revoke_by_id(claims["sid"])  # someone else holds a copy: the whole log-in ends
        raise RefreshTokenReused(REUSED_MESSAGE)
    pair, new_jti = _issue(user, row.family, session)
    db.session.execute(
        update(RefreshToken).where(RefreshToken.id == row.id).values(replaced_by=new_jti),
        execution_options={"synchronize_session": False},
    )
    return pair


def revoke_refresh(token: str) -> None:
    """Log out: end the log-in's session and revoke every refresh token rotated in it. Safe to repeat."""
    try:
        claims = _decode(token, REFRESH)
    except TokenExpired:
        return  # an expired token opens nothing any more
    row = db.session.scalar(select(RefreshToken).where(RefreshToken.jti == claims["jti"]))
    if row is not None and row.user_id == int(claims["sub"]):
        _revoke_family(row.family)
        sessions.revoke_by_id(claims["sid"])  # its access tokens stop working now, not when they expire


def revoke_all_refresh_tokens(user: User) -> None:
    """End every API log-in of this user (deactivation, role removal, "log out everywhere")."""
    db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    db.session.flush()


def purge_refresh_tokens(now: datetime | None = None) -> int:
    """Delete expired rows, and revoked rows whose family has no live token left.

    Rotated rows of a live family stay until it ends: they are what lets a replayed token be recognised.
    """
    now = now or utcnow()
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    live_families = select(RefreshToken.family).where(
        RefreshToken.revoked_at.is_(None), RefreshToken.expires_at > now
    )
    result = db.session.execute(
        delete(RefreshToken).where(
            or_(
                RefreshToken.expires_at <= now,
                and_(RefreshToken.revoked_at.is_not(None), RefreshToken.family.not_in(live_families)),
            )
        ),
        execution_options={"synchronize_session": False},
    )
    db.session.flush()
    return result.rowcount or 0
