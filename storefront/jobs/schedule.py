"""What runs periodically: the outbox relay (the job system's own) and every job the features registered."""

from __future__ import annotations

from storefront.jobs.outbox import relay_outbox
from storefront.periodic import PeriodicJob, discover

RELAY_EVERY = 60


def full_schedule() -> list[PeriodicJob]:
    return [(relay_outbox, RELAY_EVERY), *discover()]


def run_all_periodic() -> list[str]:
    """Run every periodic job once, here and now (`flask jobs run-periodic`, for cron)."""
    done = []
    for func, _interval in full_schedule():
        func()
        done.append(func.__name__)
    return done
