"""Accounts background jobs: the periodic clean-ups, registered with the periodic-job registry."""

from __future__ import annotations

from storefront.accounts import api_tokens, sessions
from storefront.accounts.services import purge_unverified
from storefront.extensions import db
from storefront.periodic import every


@every(3600)
def purge_unverified_accounts() -> int:
    """Periodic clean-up: delete accounts left unverified past the configured age. Safe to run twice."""
    removed = purge_unverified()
    db.session.commit()
    return removed


@every(3600)
def purge_refresh_tokens() -> int:
    """Periodic clean-up: delete expired API refresh tokens and revoked ones of finished log-ins."""
    removed = api_tokens.purge_refresh_tokens()
    db.session.commit()
    return removed


@every(3600)
def purge_ended_sessions() -> int:
    """Periodic clean-up: delete sign-in sessions that ended (logged out, revoked or expired) a month ago."""
    removed = sessions.purge_sessions()
    db.session.commit()
    return removed
