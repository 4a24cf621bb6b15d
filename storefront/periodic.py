"""The periodic-job registry: each feature registers its own clean-ups here, in its `jobs` module.

The job system only reads the registry (`flask worker` hands it to RQ's cron scheduler; embedded mode runs
it on a timer; `flask jobs run-periodic` runs it once from cron), so it never imports a feature.
`discover()` imports every `storefront.<feature>.jobs` module, which is where registrations live.
"""

from __future__ import annotations

import pkgutil
from collections.abc import Callable
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path

PeriodicJob = tuple[Callable[[], object], int]  # (job, seconds between runs)
PERIODIC: list[PeriodicJob] = []


def every(seconds: int) -> Callable[[Callable[[], object]], Callable[[], object]]:
    """Decorator: run this job (no arguments, safe to run twice) every `seconds` seconds."""

    def register(func: Callable[[], object]) -> Callable[[], object]:
        if (func, seconds) not in PERIODIC:
            PERIODIC.append((func, seconds))
        return func

    return register


def discover() -> list[PeriodicJob]:
    """Import every feature's `jobs` module (registering its periodic jobs); the registry, in order."""
    # The package's folder from this file, not `import storefront`: the registry must not depend on the app
    # factory above it (the job system imports the registry, the factory imports the job system).
    for module in pkgutil.iter_modules([str(Path(__file__).resolve().parent)]):
        name = f"storefront.{module.name}.jobs"
        if module.ispkg and find_spec(name) is not None:
            import_module(name)
    return list(PERIODIC)
