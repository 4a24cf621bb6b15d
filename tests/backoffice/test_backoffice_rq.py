"""With Redis, the Jobs page also lists RQ's failed jobs and puts them back on their queue."""

import pytest

from storefront import create_app
from storefront.extensions import db
from storefront.jobs import failures
from tests.orders.order_helpers import login

pytestmark = pytest.mark.redis


@pytest.fixture
def rq_app(app, clean_redis, redis_url):
    rq_app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                                    "REDIS_URL": redis_url})
    with rq_app.app_context():
        yield rq_app
        db.session.remove()


def _fail_one_job(rq_app) -> str:
    from rq import SimpleWorker

    from storefront.extensions import rq

    queue = rq.get_queue("default")
    job = queue.enqueue("storefront.nowhere.missing_task", job_id="broken-job")
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    return job.id


def test_failed_rq_jobs_are_listed_and_retried(rq_app):
    from tests.factories import StaffFactory

    job_id = _fail_one_job(rq_app)
    [listed] = failures.failed_rq_jobs()
    assert (listed.id, listed.queue, listed.task) == (job_id, "default", "storefront.nowhere.missing_task")
    assert listed.error  # the exception's last line

    staff = StaffFactory()
    db.session.commit()
    client = rq_app.test_client()
    with rq_app.test_request_context():
        login(client, staff)
    assert "storefront.nowhere.missing_task" in client.get("/staff/jobs").get_data(as_text=True)
    answer = client.post(f"/staff/jobs/rq/{job_id}/retry", headers={"HX-Request": "true"})
    assert answer.status_code == 200 and "queued again" in answer.get_data(as_text=True)
    assert failures.failed_rq_jobs() == []
    from storefront.extensions import rq

    assert job_id in rq.get_queue("default").job_ids
