"""Periodic jobs, run by RQ's cron scheduler inside `flask worker`, or by `flask jobs run-periodic` from cron."""

from __future__ import annotations

from collections.abc import Callable

from storefront.accounts.jobs import purge_refresh_tokens, purge_unverified_accounts
from storefront.jobs.runner import relay_outbox
from storefront.webhooks.delivery import retry_due_deliveries

# (job, seconds between runs). Features append their clean-ups here.
PERIODIC: list[tuple[Callable[[], object], int]] = [
    (relay_outbox, 60),
    (purge_unverified_accounts, 3600),
    (purge_refresh_tokens, 3600),
    (retry_due_deliveries, 30),
]


def register_periodic(rq) -> None:
    for func, interval in PERIODIC:
        rq.cron_register(func, interval, queue="default")


def run_all_periodic() -> list[str]:
    """Run every periodic job once, here and now (embedded mode has no scheduler)."""
    done = []
    for func, _interval in PERIODIC:
        func()
        done.append(func.__name__)
    return done
