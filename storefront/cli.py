"""Command-line tasks: demo data, staff accounts, the job worker and periodic jobs."""

from __future__ import annotations

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
@click.option("--processes", "-p", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes forked from the loaded app.")
@click.option("--fork-all", is_flag=True, help="Run every job in a forked child, not only the imports queue.")
@with_appcontext
def worker_command(burst: bool, cron: bool, processes: int, fork_all: bool) -> None:
    """Run RQ workers inside the loaded app, with RQ's scheduler for delayed jobs and retries."""
    from storefront.jobs.worker import serve, serve_processes

    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: jobs run in-process, no worker is needed.")
    from storefront.observability.logs import configure_logging

    configure_logging(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])  # also when the app left it alone
    queues = app.config["RQ_QUEUES"]
    if processes == 1 or burst:
        serve(app, queues, burst=burst, fork_all=fork_all, cron=cron)
    else:
        serve_processes(app, queues, processes, fork_all=fork_all, cron=cron)


@click.command("worker-health")
@click.option("--max-age", default=60, show_default=True, type=click.IntRange(1),
              help="Seconds since the last heartbeat (a busy worker: its job's time limit on top).")
@with_appcontext
def worker_health_command(max_age: int) -> None:
    """Exit 0 if a `flask worker` on this host has written its heartbeat lately, 1 otherwise (health check)."""
    from storefront.jobs import heartbeat

    healthy, why = heartbeat.check(current_app.config["WORKER_HEARTBEAT_DIR"], max_age)
    click.echo(why)
    if not healthy:
        raise SystemExit(1)


@click.group("jobs")
def jobs_group() -> None:
    """Background job housekeeping."""


@jobs_group.command("run-periodic")
@with_appcontext
def run_periodic_command() -> None:
    """Run every periodic job once now (for cron when no worker runs)."""
    from storefront.jobs.schedule import run_all_periodic

    for name in run_all_periodic():
        click.echo(f"ran {name}")


@jobs_group.command("relay")
@click.option("--all", "everything", is_flag=True, help="Every row not done, lease or not.")
@with_appcontext
def relay_command(everything: bool) -> None:
    """Dispatch outbox messages that are due (never sent, or sent and not done after their lease)."""
    from storefront.jobs.outbox import relay_outbox

    click.echo(f"relayed {relay_outbox(everything)} message(s)")


@click.group("accounts")
def accounts_group() -> None:
    """Account housekeeping."""


@accounts_group.command("purge-unverified")
@click.option("--days", type=int, default=None, help="Age in days (default: ACCOUNTS_PURGE_UNVERIFIED_DAYS).")
@with_appcontext
def purge_unverified_command(days: int | None) -> None:
    """Delete accounts still unverified after the configured number of days (for cron)."""
    from datetime import timedelta

    from storefront.accounts.services import purge_unverified

    removed = purge_unverified(timedelta(days=days) if days is not None else None)
    db.session.commit()  # a command is its own unit of work
    click.echo(f"removed {removed} unverified account(s)")


def register_commands(app: Flask) -> None:
    for command in (seed_demo_command, create_staff_command, worker_command, worker_health_command, jobs_group,
                    accounts_group):
        app.cli.add_command(command)
