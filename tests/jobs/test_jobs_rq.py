"""With REDIS_URL set, jobs go to RQ and a real `flask worker` process runs them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from storefront import create_app
from storefront.extensions import db
from storefront.jobs.mail import send_mail
from storefront.jobs.models import OutboxMessage
from storefront.jobs.outbox import relay_outbox

pytestmark = pytest.mark.redis
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def rq_app(app, clean_redis, redis_url, tmp_path):
    rq_app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": redis_url,
            "MAIL_FILE_DIR": str(tmp_path / "rq-mail"),
            "OUTBOX_RELAY_AFTER": 0,
        },
    )
    with rq_app.app_context():
        yield rq_app
        db.session.remove()


def run_worker(rq_app, redis_url: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "STOREFRONT_CONFIG": "development",
        "DATABASE_URL": rq_app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": redis_url,
        "MAIL_FILE_DIR": rq_app.config["MAIL_FILE_DIR"],
        "FLASK_APP": "wsgi",
    }
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def mail_files(rq_app) -> list[Path]:
    folder = Path(rq_app.config["MAIL_FILE_DIR"])
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def test_job_is_queued_in_redis_and_run_by_flask_worker(rq_app, redis_url, clean_redis):
    from storefront.extensions import rq

    send_mail("buyer@example.com", "Hello", "test", name="Buyer", link="http://127.0.0.1:5000/x")
    db.session.commit()
    assert rq.get_queue("mail").count == 1
    assert mail_files(rq_app) == []  # queued, not run in-process

    result = run_worker(rq_app, redis_url)
    assert result.returncode == 0, result.stderr[-2000:]
    files = mail_files(rq_app)
    assert len(files) == 1
    assert "buyer@example.com" in files[0].read_text()
    assert rq.get_queue("mail").count == 0


def test_rolled_back_job_never_reaches_redis(rq_app, clean_redis):
    from storefront.extensions import rq

    send_mail("nobody@example.com", "Never", "test")
    db.session.rollback()
    assert rq.get_queue("mail").count == 0


def test_outbox_row_is_dispatched_with_its_id_as_job_id(rq_app, redis_url, clean_redis):
    from rq.job import Job

    from storefront.extensions import rq

    send_mail("buyer@example.com", "Order placed", "test", durable=True)
    db.session.commit()
    message = db.session.scalars(db.select(OutboxMessage)).one()
    assert message.dispatched_at is not None
    assert Job.exists(message.job_id, connection=rq.get_queue("mail").connection)

    assert run_worker(rq_app, redis_url).returncode == 0
    db.session.refresh(message)
    assert message.completed_at is not None
    assert len(mail_files(rq_app)) == 1


def test_redis_outage_delays_durable_work_but_never_drops_it(app, rq_app, redis_url, clean_redis, tmp_path):
    # 127.0.0.1:1 refuses connections: Redis is "down" for this app.
    down_app = create_app(
        "testing",
        {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": "redis://127.0.0.1:1/0",
         "MAIL_FILE_DIR": rq_app.config["MAIL_FILE_DIR"]},
    )
    with down_app.app_context():
        send_mail("buyer@example.com", "Order placed", "test", durable=True)
        db.session.commit()
        message = db.session.scalars(db.select(OutboxMessage)).one()
        assert message.dispatched_at is None and message.completed_at is None
        message_id = message.id
        db.session.remove()
    assert mail_files(rq_app) == []

    # Redis is back: the relay (run periodically by the worker) hands the row to RQ.
    assert relay_outbox() == 1
    assert run_worker(rq_app, redis_url).returncode == 0
    message = db.session.get(OutboxMessage, message_id)
    db.session.refresh(message)
    assert message.completed_at is not None
    assert len(mail_files(rq_app)) == 1
