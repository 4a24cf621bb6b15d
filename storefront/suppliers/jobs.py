"""Suppliers' periodic jobs, registered with the periodic-job registry."""

from __future__ import annotations

from storefront.extensions import db
from storefront.periodic import every
from storefront.suppliers.preview import expire_previews


@every(3600)
def expire_unapplied_previews() -> int:
    """Periodic clean-up: previews nobody applied in time fail and drop their stored file. Safe to run twice."""
    expired = expire_previews()
    db.session.commit()
    return expired
