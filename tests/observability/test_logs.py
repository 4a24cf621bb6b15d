"""Request ids on every response and every log line of the request, the access line, job ids, JSON lines."""

from __future__ import annotations

import json
import logging

import pytest

from storefront.jobs.queue import PendingJob, run_inline
from storefront.observability.logs import JsonFormatter, TextFormatter, request_id_from
from tests.factories import UserFactory

log = logging.getLogger("tests.observability")


def noisy_job(word: str) -> None:
    """A job that logs (run by the tests below)."""
    log.info("job says %s", word)


def test_every_response_carries_a_request_id(client):
    first = client.get("/ping").headers["X-Request-ID"]
    second = client.get("/no-such-page").headers["X-Request-ID"]
    assert len(first) == 32 and first != second
    assert client.get("/ping", headers={"X-Request-ID": "lb-7f3a.01"}).headers["X-Request-ID"] == "lb-7f3a.01"
    for insane in ("", "a b", "x" * 200, "id;forged=1", "<script>"):
        answered = client.get("/ping", headers={"X-Request-ID": insane}).headers["X-Request-ID"]
        assert answered != insane and len(answered) == 32


@pytest.mark.parametrize("value, kept", [("abc-123", True), ("a:b.c_d", True), ("-leading", False), ("é", False)])
def test_request_id_rules(value, kept):
    assert (request_id_from(value) == value) is kept


def test_every_log_line_of_a_request_carries_its_id_and_the_user(client, session, caplog):
    from storefront.accounts.api_tokens import issue_token_pair

    user = UserFactory()
    pair = issue_token_pair(user)
    session.commit()
    caplog.set_level(logging.INFO)
    response = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {pair.access_token}",
                                                       "X-Request-ID": "trace-42"})
    assert response.status_code == 200
    lines = [r for r in caplog.records if getattr(r, "request_id", None) == "trace-42"]
    access = [r for r in lines if r.name == "storefront.access"]
    assert len(access) == 1
    assert access[0].status == 200 and access[0].path == "/api/v1/users/me" and access[0].user_id == user.id
    assert isinstance(access[0].duration_ms, float)


def test_job_lines_carry_the_job_id(app, session, caplog):
    caplog.set_level(logging.INFO)
    run_inline(PendingJob(task=f"{__name__}.noisy_job", kwargs={"word": "hello"}, job_id="job-77"))
    line = next(r for r in caplog.records if r.getMessage() == "job says hello")
    assert line.job_id == "job-77"
    run_inline(PendingJob(task=f"{__name__}.noisy_job", kwargs={"word": "again"}))
    assert next(r for r in caplog.records if r.getMessage() == "job says again").job_id.startswith("inline-")


def _record(**extra) -> logging.LogRecord:
    record = logging.getLogger("storefront.access").makeRecord(
        "storefront.access", logging.INFO, __file__, 1, "GET %s %s", ("/cart", 200), None, extra=extra)
    return record


def test_json_lines_for_production_and_text_for_development(app):
    assert app.config["LOG_FORMAT"] == "text"
    from storefront import create_app

    production = create_app("production", {"SECRET_KEY": "x" * 40, "REQUIRE_DATABASE_ON_START": False, "LOG_CONFIGURE": False,
                                           "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert production.config["LOG_FORMAT"] == "json"
    record = _record(status=200, duration_ms=1.5)
    record.request_id, record.user_id, record.job_id = "r-1", 7, None
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "GET /cart 200" and entry["request_id"] == "r-1" and entry["user_id"] == 7
    assert entry["status"] == 200 and entry["duration_ms"] == 1.5 and "job_id" not in entry
    assert entry["level"] == "INFO" and entry["logger"] == "storefront.access" and entry["time"].endswith("+00:00")
    text = TextFormatter().format(record)
    assert "[request=r-1 user=7]" in text and text.endswith("GET /cart 200")


def test_a_callers_own_ids_in_extra_do_not_break_logging(app, caplog):
    # RQ's worker logs a failed job with extra={"job_id": …}: that must not raise (the worker would quit).
    caplog.set_level(logging.INFO)
    logging.getLogger("rq.worker").error("job failed", extra={"job_id": "rq-1"})
    assert next(r for r in caplog.records if r.getMessage() == "job failed").job_id == "rq-1"


@pytest.mark.sqlite  # the development server's lines: no database involved
def test_under_the_development_server_every_line_of_a_request_carries_its_id(app, caplog):
    """`make run` serves with Werkzeug, whose own per-request line comes after the request (no id): it is left
    out, the app's access line (with the id) says the same."""
    import threading
    import urllib.request

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app)
    caplog.set_level(logging.INFO)
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    request = urllib.request.Request(f"http://127.0.0.1:{server.port}/ping", headers={"X-Request-ID": "dev-1"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["X-Request-ID"] == "dev-1"
    thread.join(10)
    server.server_close()
    served = [r for r in caplog.records if r.name in ("werkzeug", "storefront.access")]
    assert [r.name for r in served] == ["storefront.access"] and served[0].request_id == "dev-1"
