"""What the account menu shows each role, and which `next` targets a log-in may return to."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from storefront.accounts.models import Role
from storefront.i18n import N_


@dataclass(frozen=True)
class Section:
    label: str
    href: str
    roles: frozenset[Role]


# The one place that knows the sections' addresses. Plain paths because those features are not built yet;
# switch each to url_for() once its endpoint exists. Support is the header's launcher (it carries the unread badge).
SECTIONS: tuple[Section, ...] = (
    Section(N_("Orders"), "/orders/", frozenset({Role.SHOPPER})),
    Section(N_("Supplier portal"), "/supplier/", frozenset({Role.SUPPLIER})),
    Section(N_("Back-office"), "/staff/", frozenset({Role.STAFF})),
)


def sections_for(role: Role | None) -> list[Section]:
    return [section for section in SECTIONS if role in section.roles]


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: `next` must never send anyone elsewhere."""
    if not target or len(target) > 2000:
        return None
    # Browsers read a backslash as a slash and ignore tabs and newlines, so "/\\evil" or "/\t/evil" is offsite.
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
