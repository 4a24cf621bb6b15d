"""The worker's heartbeat file and `flask worker-health`, which proves a worker runs (not just that Redis does)."""

from __future__ import annotations

import time

from storefront.jobs import heartbeat


def test_a_fresh_heartbeat_is_healthy_and_a_stale_one_is_not(tmp_path):
    now = time.time()
    assert heartbeat.check(tmp_path, 60, now=now)[0] is False  # no worker ever ran here
    heartbeat.beat(tmp_path, now=now - 30)
    assert heartbeat.check(tmp_path, 60, now=now)[0] is True
    heartbeat.beat(tmp_path, now=now - 90)
    healthy, why = heartbeat.check(tmp_path, 60, now=now)
    assert healthy is False and "90 s ago" in why


def test_a_busy_worker_is_given_its_jobs_time_limit(tmp_path):
    now = time.time()
    heartbeat.beat(tmp_path, state="busy", job_id="j-1", job_timeout=600, now=now - 300)
    assert heartbeat.check(tmp_path, 60, now=now)[0] is True
    assert heartbeat.check(tmp_path, 60, now=now + 400)[0] is False  # 700 s: past its limit and the grace


def test_other_hosts_do_not_count_and_a_clean_stop_forgets(tmp_path):
    heartbeat.beat(tmp_path)
    assert heartbeat.check(tmp_path, 60, host="another-container")[0] is False
    heartbeat.forget(tmp_path)
    assert heartbeat.check(tmp_path, 60)[0] is False


def test_worker_health_command(app, tmp_path):
    app.config["WORKER_HEARTBEAT_DIR"] = str(tmp_path)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["worker-health"]).exit_code == 1
    heartbeat.beat(tmp_path)
    result = runner.invoke(args=["worker-health", "--max-age", "30"])
    assert result.exit_code == 0, result.output


def test_the_rq_worker_beats_from_its_loop(app, tmp_path, redis_url):
    """RQ calls heartbeat() from its loop at least every WORKER_HEARTBEAT_EVERY s; each call rewrites the file."""
    import redis

    from storefront.jobs.worker import AppWorker, Outage, _queues

    app.config.update(WORKER_HEARTBEAT_DIR=str(tmp_path), WORKER_HEARTBEAT_EVERY=5)
    connection = redis.Redis.from_url(redis_url)
    worker = AppWorker(_queues(["operable-heartbeat-test"], connection), connection=connection, app=app,
                       outage=Outage())
    try:
        assert worker.dequeue_timeout == 5  # RQ's own wait would be worker_ttl - 15 s
        assert heartbeat.check(tmp_path, 60)[0] is False
        worker.register_birth()
        worker.heartbeat()
        assert heartbeat.check(tmp_path, 60)[0] is True
    finally:
        worker.register_death()
        connection.close()
