"""/metrics: Prometheus' text format with requests, latency, jobs, queue depth and outbox backlog; open to
127.0.0.1, ::1 and METRICS_ALLOWLIST only."""

from __future__ import annotations

import http.client

import pytest
from prometheus_client.parser import text_string_to_metric_families

from storefront.jobs.queue import PendingJob, run_inline
from storefront.observability.access import address_allowed, parse_allowlist
from tests.factories import OutboxMessageFactory


@pytest.mark.parametrize("address, allowlist, allowed", [
    ("127.0.0.1", [], True),
    ("::1", [], True),
    ("127.0.0.2", [], False),  # loopback, but not one of the two addresses: list it to open it
    ("10.0.0.5", [], False),
    ("10.0.0.5", ["10.0.0.0/8"], True),
    ("10.0.0.5", ["10.0.0.6"], False),
    ("::ffff:10.0.0.5", ["10.0.0.0/8"], True),
    ("fd00::7", ["fd00::/8"], True),
    ("192.168.1.1", ["fd00::/8"], False),
    ("not-an-address", ["0.0.0.0/0"], False),
    ("", [], False),
    (None, [], False),
])
def test_addresses_are_classified_without_connecting(address, allowlist, allowed):
    assert address_allowed(address, parse_allowlist(allowlist)) is allowed


def test_a_malformed_allowlist_stops_the_start():
    with pytest.raises(ValueError, match="not an address"):
        parse_allowlist(["10.0.0.0/8", "intranet"])


def _families(text: str) -> dict:
    return {family.name: family for family in text_string_to_metric_families(text)}


def test_metrics_report_requests_latency_jobs_and_backlog(client, session):
    client.get("/ping")
    run_inline(PendingJob(task="tests.observability.test_logs.noisy_job", kwargs={"word": "counted"}))
    OutboxMessageFactory()
    session.commit()
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain") and "version=" in response.content_type
    families = _families(response.get_data(as_text=True))
    requests = [s for s in families["storefront_http_requests"].samples
                if s.name.endswith("_total") and s.labels["endpoint"] == "main.ping"]
    assert requests and requests[0].labels == {"method": "GET", "endpoint": "main.ping", "status": "200"}
    assert any(s.name.endswith("_count") and s.labels.get("endpoint") == "main.ping"
               for s in families["storefront_http_request_duration_seconds"].samples)
    jobs = [s for s in families["storefront_jobs"].samples if s.labels.get("task", "").endswith("noisy_job")]
    assert jobs and jobs[0].labels["outcome"] == "succeeded" and jobs[0].value >= 1
    assert families["storefront_outbox_backlog"].samples[0].value == 1


def test_queue_depth_is_read_from_redis(app, client, redis_url):
    from rq import Queue

    from storefront.jobs.connection import QuickRedis

    app.config.update(REDIS_URL=redis_url, RQ_QUEUES=["operable-metrics-test"])
    connection = QuickRedis.from_url(redis_url)
    queue = Queue("operable-metrics-test", connection=connection)
    try:
        queue.enqueue("tests.observability.test_logs.noisy_job", word="waiting")
        families = _families(client.get("/metrics").get_data(as_text=True))
        depth = families["storefront_queue_depth"].samples
        assert [(s.labels["queue"], s.value) for s in depth] == [("operable-metrics-test", 1)]
        assert families["storefront_redis_up"].samples[0].value == 1
    finally:
        queue.empty()
        queue.delete(delete_jobs=True)
        connection.close()


def test_others_are_refused(app, client):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.2"}).status_code == 403
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 403
    app.config["METRICS_ALLOWLIST"] = ["203.0.113.0/24"]
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 200


@pytest.mark.sqlite  # the address check, over real sockets: one backend is enough
def test_end_to_end_from_another_loopback_address(live_server):
    """A real connection from 127.0.0.2 (outside the allowlist) is refused; from 127.0.0.1 it is served."""
    port = live_server.port

    def get(source: str) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
        try:
            connection.request("GET", "/metrics")
            return connection.getresponse().status
        finally:
            connection.close()

    assert get("127.0.0.2") == 403
    assert get("127.0.0.1") == 200
