"""Payments' periodic job: unpaid bank-transfer orders past their due date are cancelled."""

from __future__ import annotations

import logging

from storefront.extensions import db
from storefront.payments.services import cancel_overdue
from storefront.periodic import every

log = logging.getLogger(__name__)


@every(3600)
def cancel_overdue_orders() -> int:
    """Cancel overdue unpaid orders (stock back on sale, the shopper told), then commit."""
    count = cancel_overdue()
    db.session.commit()
    if count:
        log.info("cancelled %d unpaid order(s) past their payment date", count)
    return count
