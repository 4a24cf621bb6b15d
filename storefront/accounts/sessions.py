"""Sign-in sessions kept on the server: start, check, restore from remember-me, list and revoke.

`find_live` is the one session-validity rule; pages (Flask-Login's loaders), the API (access and refresh
tokens) and the chat socket all ask it. Secrets are random and only their SHA-256 digests are stored, so a
copy of the table opens nothing. Like every service: no request, flush only, the caller commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import joinedload

from storefront.accounts.models import User, UserSession
from storefront.database import utcnow
from storefront.domain_errors import NotFound
from storefront.extensions import db

WEB = "web"
API = "api"
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is a hint for the session list, not worth a write per request
MAX_USER_AGENT = 255


class SessionNotFound(NotFound):
    code = "session_not_found"


@dataclass(frozen=True)
class NewSession:
    """A started (or restored) session and the secrets its cookies carry; the secrets are never stored."""

    row: UserSession
    key: str
    remember_token: str | None = None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _lifetime(kind: str, remember: bool) -> timedelta:
    config = current_app.config
    if kind == API:
        return timedelta(seconds=config["JWT_REFRESH_TTL"])
    return config["REMEMBER_COOKIE_DURATION"] if remember else config["SESSION_LIFETIME"]


def start_session(
    user: User, *, kind: str = WEB, remember: bool = False, address: str | None = None, user_agent: str | None = None
) -> NewSession:
    """Record a new sign-in of `user`; the caller puts `key` (and `remember_token`) into its cookies."""
    now = utcnow()
    key = secrets.token_urlsafe(32)
    row = UserSession(
        user_id=user.id, kind=kind, key_hash=digest(key), session_version=user.session_version,
        created_at=now, last_seen_at=now, expires_at=now + _lifetime(kind, remember),
        ip_address=(address or None) and address[:45], user_agent=(user_agent or None) and user_agent[:MAX_USER_AGENT],
    )
    remember_token = None
    if remember:
        secret = secrets.token_urlsafe(32)
        row.remember_hash = digest(secret)
    db.session.add(row)
    db.session.flush()
    if remember:
        remember_token = f"{row.id}.{secret}"
    return NewSession(row, key, remember_token)


def _is_live(row: UserSession | None) -> bool:
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return False
    user = row.user
    # Deactivation and "sign out everywhere" bump the version; the row must have been made under the current one.
    return user is not None and user.is_active and row.session_version == user.session_version


def find_live(*, key: str | None = None, session_id: int | None = None) -> UserSession | None:
    """The live session a cookie key or a session id names, or None: revoked, expired, or its user disabled."""
    if key is not None:
        if not isinstance(key, str) or not 20 <= len(key) <= 100:
            return None
        condition = UserSession.key_hash == digest(key)
    elif isinstance(session_id, int) and not isinstance(session_id, bool) and 0 < session_id < 2**31:
        condition = UserSession.id == session_id
    else:
        return None
    # One query per request for the session and its user, as loading the user alone used to cost.
    row = db.session.scalar(select(UserSession).options(joinedload(UserSession.user)).where(condition))
    return row if _is_live(row) else None


def touch(row: UserSession, address: str | None = None) -> None:
    """Note activity for the session list, at most once a minute (the write goes with the request's commit)."""
    now = utcnow()
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        if address:
            row.ip_address = address[:45]


def restore_remembered(token: str, *, address: str | None = None, user_agent: str | None = None) -> NewSession | None:
    """A remember-me cookie's session with both of its secrets replaced (the old cookies stop working), or None."""
    raw_id, _, secret = (token or "").partition(".")
    if not raw_id.isdigit() or len(raw_id) > 10 or not secret:
        return None
    row = find_live(session_id=int(raw_id))
    if row is None or row.remember_hash is None or not hmac.compare_digest(row.remember_hash, digest(secret)):
        return None
    key, new_secret = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    # Claim the rotation with the old digest as the condition: of two requests with one cookie, one wins.
    claimed = db.session.execute(
        update(UserSession)
        .where(UserSession.id == row.id, UserSession.remember_hash == row.remember_hash)
        .values(key_hash=digest(key), remember_hash=digest(new_secret), last_seen_at=utcnow(),
                ip_address=(address or row.ip_address or "")[:45] or None,
                user_agent=(user_agent or row.user_agent or "")[:MAX_USER_AGENT] or None),
        execution_options={"synchronize_session": False},
    ).rowcount
    if claimed != 1:
        return None
    db.session.refresh(row)
    return NewSession(row, key, f"{row.id}.{new_secret}")


def revoke(row: UserSession) -> None:
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    db.session.flush()


def revoke_by_key(key: str | None) -> None:
    """Log-out: end the session this cookie key names (safe to repeat, and for a key that names nothing)."""
    row = find_live(key=key) if key else None
    if row is not None:
        revoke(row)


def revoke_by_id(session_id: int | None) -> None:
    row = find_live(session_id=session_id) if session_id is not None else None
    if row is not None:
        revoke(row)


def revoke_all(user: User, *, keep: UserSession | None = None) -> int:
    """End every session of `user` except `keep` (password change, "sign out everywhere"); how many ended."""
    query = update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    if keep is not None:
        query = query.where(UserSession.id != keep.id)
    ended = db.session.execute(query.values(revoked_at=utcnow()), execution_options={"synchronize_session": False})
    db.session.flush()
    return ended.rowcount or 0


def active_sessions(user: User) -> list[UserSession]:
    """The user's live sessions, most recently used first (what the profile lists)."""
    rows = db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None), UserSession.expires_at > utcnow(),
               UserSession.session_version == user.session_version)
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    )
    return list(rows)


def revoke_own(user: User, session_id: int) -> UserSession:
    """End one of `user`'s own sessions; someone else's is "not found", so ids reveal nothing."""
    row = db.session.get(UserSession, session_id) if 0 < session_id < 2**31 else None
    if row is None or row.user_id != user.id:
        raise SessionNotFound(_("No such session."))
    revoke(row)
    return row


def purge_sessions(older_than: timedelta = timedelta(days=30)) -> int:
    """Delete rows that ended (revoked or expired) more than `older_than` ago (for a periodic clean-up)."""
    cutoff = utcnow() - older_than
    result = db.session.execute(
        delete(UserSession).where(or_(UserSession.revoked_at < cutoff, UserSession.expires_at < cutoff)),
        execution_options={"synchronize_session": False},
    )
    db.session.flush()
    return result.rowcount or 0
