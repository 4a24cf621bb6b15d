"""Webhooks background jobs: failed deliveries are retried by a periodic job once their backoff has passed."""

from __future__ import annotations

from storefront.periodic import every
from storefront.webhooks.delivery import retry_due_deliveries

every(30)(retry_due_deliveries)

__all__ = ["retry_due_deliveries"]
