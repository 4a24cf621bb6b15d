"""Audit log: `record()` who changed what (services call it in their own transaction), and a filtered read.

Entries are written by the services that make the change (order status, roles and account state, deletions,
shops, webhooks), so the pages and the API leave the same trail. Details are small JSON-friendly dicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from storefront import policy
from storefront.accounts.models import User
from storefront.audit.models import AuditEntry
from storefront.extensions import db
from storefront.pagination import DEFAULT_PAGE_SIZE, Page, paginate

MAX_DETAIL = 500  # characters per string value: notes are kept, essays are cut


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return value[:MAX_DETAIL]
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _clean(item) for key, item in value.items()}
    return str(value)[:MAX_DETAIL]  # enums, Decimals, dates: their text form


def record(actor: User | None, action: str, target_type: str, target_id: int | None,
           details: dict[str, Any] | None = None) -> AuditEntry:
    """Add an entry to the caller's transaction (it is kept only if the change itself commits)."""
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None, action=action[:64], target_type=target_type[:32],
        target_id=target_id, details=_clean(details or {}),
    )
    db.session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    target_type: str = ""
    target_id: int | None = None
    actor: str = ""  # part of the actor's e-mail or name
    date_from: date | None = None
    date_to: date | None = None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def list_entries(viewer: User, filters: AuditFilters = AuditFilters(), page: int = 1,
                 page_size: int = DEFAULT_PAGE_SIZE) -> Page[AuditEntry]:
    """The log, newest first, filtered (staff only)."""
    policy.require_staff(viewer, _("Only staff can read the audit log."))
    statement = (select(AuditEntry).options(joinedload(AuditEntry.actor))
                 .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()))
    if filters.action:
        statement = statement.where(AuditEntry.action == filters.action)
    if filters.target_type:
        statement = statement.where(AuditEntry.target_type == filters.target_type)
    if filters.target_id is not None:
        statement = statement.where(AuditEntry.target_id == filters.target_id)
    if filters.actor.strip():
        term = filters.actor.strip().lower()
        statement = statement.join(User, User.id == AuditEntry.actor_id).where(or_(
            func.lower(User.email).contains(term, autoescape=True), func.lower(User.name).contains(term, autoescape=True),
        ))
    if filters.date_from:
        statement = statement.where(AuditEntry.created_at >= _start_of(filters.date_from))
    if filters.date_to:
        statement = statement.where(AuditEntry.created_at < _start_of(filters.date_to + timedelta(days=1)))
    return paginate(statement, page, page_size)


def known_actions() -> list[str]:
    """Actions present in the log (for the filter's choices)."""
    return list(db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
