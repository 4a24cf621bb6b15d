"""With Redis, an import is queued on "imports" and a real `flask worker --burst` process runs it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storefront import create_app
from storefront.catalog.models import Offer
from storefront.extensions import db
from storefront.suppliers import services
from storefront.suppliers.models import ImportJob, ImportState
from tests.factories import ShopFactory, SupplierFactory
from tests.suppliers.supplier_helpers import DEMO

pytestmark = pytest.mark.redis
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def rq_app(app, clean_redis, redis_url, tmp_path):
    rq_app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                                    "REDIS_URL": redis_url, "MAIL_FILE_DIR": str(tmp_path / "rq-mail")})
    with rq_app.app_context():
        yield rq_app
        db.session.remove()


def run_worker(rq_app, redis_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "STOREFRONT_CONFIG": "development", "DATABASE_URL": rq_app.config["SQLALCHEMY_DATABASE_URI"],
           "REDIS_URL": redis_url, "MAIL_FILE_DIR": rq_app.config["MAIL_FILE_DIR"], "FLASK_APP": "wsgi"}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst", "--no-cron"],
                          check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_import_runs_in_a_real_rq_worker(rq_app, redis_url, clean_redis):
    from storefront.extensions import rq

    user = SupplierFactory(shop=ShopFactory(name="Технопарк Демо"))
    job = services.start_file_import(user, "technopark.yaml", (DEMO / "technopark.yaml").read_bytes())
    job_id, shop_id = job.id, user.shop_id
    db.session.commit()
    assert rq.get_queue("imports").count == 1
    assert db.session.get(ImportJob, job_id).state == ImportState.QUEUED  # queued, not run in-process

    result = run_worker(rq_app, redis_url)
    assert result.returncode == 0, result.stderr[-2000:]
    db.session.expire_all()
    job = db.session.get(ImportJob, job_id)
    assert job.state == ImportState.SUCCEEDED and job.created_count == 20
    assert db.session.scalar(select(func.count()).select_from(Offer).where(Offer.shop_id == shop_id)) == 20


def test_a_failing_import_leaves_the_worker_alive(rq_app, redis_url, clean_redis):
    user = SupplierFactory(shop=ShopFactory(name="S"))
    bomb = "a: &a [x, x]\nb: [*a, *a]\nshop: S\ngoods: []\n"
    bad = services.start_file_import(user, "bomb.yaml", bomb.encode()).id
    good = services.start_file_import(user, "ok.yaml", b"shop: S\ncategories: []\ngoods: []\n").id
    db.session.commit()
    result = run_worker(rq_app, redis_url)
    assert result.returncode == 0, result.stderr[-2000:]
    db.session.expire_all()
    assert db.session.get(ImportJob, bad).state == ImportState.FAILED
    assert "aliases" in db.session.get(ImportJob, bad).errors[0]["message"]
    assert db.session.get(ImportJob, good).state == ImportState.SUCCEEDED
