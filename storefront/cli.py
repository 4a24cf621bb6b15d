"""Command-line tasks: demo data, staff accounts, the job worker and periodic jobs."""

from __future__ import annotations

import os
import threading

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from storefront.extensions import db


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Fill the database with demo shops, goods and accounts (safe to run again)."""
    from storefront.demo import DEMO_PASSWORD, seed_demo

    accounts = seed_demo()
    db.session.commit()
    for email, role, created in accounts:
        click.echo(f"  {email:32} {role}{'' if created else ' (already there)'}")
    click.echo(f"Demo password for every account above: {DEMO_PASSWORD}")


@click.command("create-staff")
@click.argument("email")
@click.option("--name", default="Staff")
@click.password_option()
@with_appcontext
def create_staff_command(email: str, name: str, password: str) -> None:
    """Create a verified staff account, or promote an existing one."""
    from storefront.accounts.models import Role, User
    from storefront.accounts.passwords import hash_password
    from storefront.database import utcnow

    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        user = User(email=email.strip().lower(), name=name)
        db.session.add(user)
    user.role = Role.STAFF
    user.password_hash = hash_password(password)
    user.is_verified = True
    user.verified_at = user.verified_at or utcnow()
    user.is_active = True
    db.session.commit()
    click.echo(f"Staff account ready: {user.email}")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the queued jobs, then exit.")
@click.option("--cron/--no-cron", default=True, help="Also run the periodic jobs (one scheduler is enough).")
@with_appcontext
def worker_command(burst: bool, cron: bool) -> None:
    """Run an RQ worker (with RQ's scheduler for delayed jobs and retries) inside the app."""
    from storefront.extensions import rq
    from storefront.jobs.periodic import PERIODIC
    from storefront.jobs.runner import relay_outbox

    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: jobs run in-process, no worker is needed.")
    # The worker runs each job in a fresh `flask` subprocess, which finds the app through FLASK_APP.
    os.environ.setdefault("FLASK_APP", "wsgi")
    relay_outbox()
    if cron and not burst:
        for func_, interval in PERIODIC:
            rq.cron_register(func_, interval, queue="default")
        scheduler = rq.make_cron_scheduler()
        scheduler._install_signal_handlers = lambda: None  # signals belong to the worker's main thread
        threading.Thread(target=scheduler.start, name="cron", daemon=True).start()
    worker = rq.make_worker(current_app.config["RQ_QUEUES"])
    worker.work(burst=burst, with_scheduler=True)


@click.group("jobs")
def jobs_group() -> None:
    """Background job housekeeping."""


@jobs_group.command("run-periodic")
@with_appcontext
def run_periodic_command() -> None:
    """Run every periodic job once now (for cron when no worker runs)."""
    from storefront.jobs.periodic import run_all_periodic

    for name in run_all_periodic():
        click.echo(f"ran {name}")


@jobs_group.command("relay")
@with_appcontext
def relay_command() -> None:
    """Dispatch outbox messages that never reached the queue."""
    from storefront.jobs.runner import relay_outbox

    click.echo(f"relayed {relay_outbox()} message(s)")


def register_commands(app: Flask) -> None:
    for command in (seed_demo_command, create_staff_command, worker_command, jobs_group):
        app.cli.add_command(command)
