"""Cart's periodic job: expired stock holds go back on sale."""

from __future__ import annotations

from storefront.cart.reservations import release_expired
from storefront.extensions import db
from storefront.periodic import every


@every(60)
def release_expired_reservations() -> int:
    """Put expired checkout holds back on their offers, then commit."""
    units = release_expired()
    db.session.commit()
    return units
