"""Embedded mode: a pool runs jobs off the request, a timer runs the periodic jobs; the registry is the features'."""

import ast
import threading
from pathlib import Path

from storefront import create_app
from storefront.extensions import db
from storefront.jobs import enqueue
from storefront.jobs.embedded import PeriodicTimer, drain
from storefront.jobs.schedule import full_schedule

RELEASE = threading.Event()
DONE: list[int] = []
JOBS_DIR = Path(__file__).resolve().parents[2] / "storefront" / "jobs"


def blocking_job(n: int) -> None:
    RELEASE.wait(60)
    DONE.append(n)


def test_the_pool_takes_the_job_after_the_commit_and_the_request_does_not_wait(app):
    RELEASE.clear()
    DONE.clear()
    pooled = create_app("testing", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                                    "JOB_THREADS": 1, "JOB_EMBEDDED_PERIODIC": False})
    with pooled.app_context():
        enqueue(blocking_job, n=7)
        db.session.commit()  # returns while the job still waits: it runs on the pool's thread
        assert DONE == []
        RELEASE.set()
        drain(pooled)
        assert DONE == [7]
        db.session.remove()
        db.engine.dispose()


def test_the_timer_runs_each_job_once_per_interval(app):
    ran = []

    def tick():
        ran.append("tick")

    timer = PeriodicTimer(app, [(tick, 60)])
    assert timer.run_due(now=1000.0) == ["tick"]
    assert timer.run_due(now=1030.0) == []
    assert timer.run_due(now=1061.0) == ["tick"]
    assert ran == ["tick", "tick"]


def test_each_feature_registers_its_periodic_jobs():
    schedule = {func.__name__: seconds for func, seconds in full_schedule()}
    assert schedule["relay_outbox"] == 60
    assert schedule["purge_unverified_accounts"] == 3600
    assert schedule["purge_refresh_tokens"] == 3600
    assert schedule["purge_ended_sessions"] == 3600
    assert schedule["retry_due_deliveries"] == 30


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_jobs_package_imports_no_feature_and_runner_does_not_import_queue():
    # storefront.observability: logging and metrics, infrastructure like the database (no feature behind it).
    core = {"storefront.jobs", "storefront.extensions", "storefront.database", "storefront.after_commit",
            "storefront.domain_errors", "storefront.pagination", "storefront.periodic",
            "storefront.observability.logs", "storefront.observability.metrics"}
    for path in JOBS_DIR.glob("*.py"):
        inside = {name for name in _imports(path) if name.startswith("storefront")}
        strays = {name for name in inside if not any(name == c or name.startswith(c + ".") for c in core)}
        assert not strays, f"{path.name} imports {strays}"
    assert not any(name.startswith("storefront.jobs.queue") for name in _imports(JOBS_DIR / "runner.py"))
