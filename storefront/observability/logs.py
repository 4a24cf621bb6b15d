"""Logging: readable text in development, one JSON object per line in production, every line with its ids.

Each request gets an id — the caller's `X-Request-ID` when it is a sane token, else a new one — returned on
every response and put, with the signed-in user's id, on every log line written while it runs; a job's lines
carry its job id (`job_context`). The ids ride on the log records themselves (a record factory), so every
handler — ours, gunicorn's, pytest's caplog — sees them. At the end of each request one access line says what
was asked, the status and how long it took.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
# What a caller may send as its own id: short, and nothing a log reader could mistake for structure.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
access_log = logging.getLogger("storefront.access")
_job_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("storefront_job_id", default=None)
_HANDLER_MARK = "_storefront_handler"
# Attributes every LogRecord has: the JSON formatter writes the others (a call's `extra=`) as fields.
_RECORD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
_IDS = ("request_id", "user_id", "job_id")


def request_id_from(header: str | None) -> str:
    """The caller's id if it is sane, else a new one (uuid4, hex)."""
    if header and SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


def _current_user_id() -> int | None:
    """The user this request has already loaded (never loads one: logging must not query the database)."""
    for name in ("api_user", "_login_user"):
        user = g.get(name)
        user_id = getattr(user, "id", None)
        if isinstance(user_id, int):
            return user_id
    return None


@contextmanager
def job_context(job_id: str | None) -> Iterator[None]:
    """Every log line written inside carries `job_id`."""
    token = _job_id.set(job_id)
    try:
        yield
    finally:
        _job_id.reset(token)


def current_job_id() -> str | None:
    return _job_id.get()


def _install_record_factory() -> None:
    previous = logging.getLogRecordFactory()
    if getattr(previous, "_storefront", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        request_id = user_id = None
        if has_request_context():
            request_id, user_id = g.get("request_id"), _current_user_id()
        # Only the ids there are: a caller's `extra={"job_id": …}` (RQ's worker logs so) must not meet an
        # attribute already set, or logging raises KeyError and the worker quits on its first failed job.
        for key, value in (("request_id", request_id), ("user_id", user_id), ("job_id", _job_id.get())):
            if value is not None:
                setattr(record, key, value)
        return record

    factory._storefront = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class TextFormatter(logging.Formatter):
    """`12:00:01 INFO storefront.access [req=… user=7] GET /cart 200 12 ms`: the ids only when there are some."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(ids)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        ids = [f"{key.split('_')[0]}={value}" for key in _IDS if (value := getattr(record, key, None)) is not None]
        record.ids = f" [{' '.join(ids)}]" if ids else ""
        return super().format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the ids, and any `extra=` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in _IDS:
            if getattr(record, key, None) is not None:
                entry[key] = getattr(record, key)
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRS and key not in _IDS and key != "ids" and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(log_format: str = "text", level: str | int = "INFO") -> None:
    """One handler on the root logger (replacing an earlier one of ours), writing to stderr."""
    _install_record_factory()
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    setattr(handler, _HANDLER_MARK, True)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # the invoice PDF's font subsetting, line by line


def _without_werkzeug_access_lines(record: logging.LogRecord) -> bool:
    """False for the development server's own per-request line: written after the request has ended, it
    cannot carry the request's id, and the app's access line says the same with the ids (as gunicorn's own
    access log is off). Its other lines — "Running on …", errors — pass."""
    return not (isinstance(record.msg, str) and record.msg.rstrip().endswith('"%s" %s %s'))


def init_app(app: Flask) -> None:
    _install_record_factory()
    werkzeug_log = logging.getLogger("werkzeug")
    if _without_werkzeug_access_lines not in werkzeug_log.filters:
        werkzeug_log.addFilter(_without_werkzeug_access_lines)
    if app.config.get("LOG_CONFIGURE", True):
        configure_logging(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    # First of all before_request hooks, so every line of the request (a loader's, a limiter's) has the id.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    app.after_request(_finish_request)


def _start_request() -> None:
    g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
    g.request_started = time.perf_counter()


def _finish_request(response: Response) -> Response:
    request_id = g.get("request_id") or request_id_from(None)
    response.headers[REQUEST_ID_HEADER] = request_id
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
    access_log.info(
        "%s %s %s %s ms", request.method, request.path, response.status_code, duration_ms,
        extra={"method": request.method, "path": request.path, "status": response.status_code,
               "duration_ms": duration_ms, "remote_addr": request.remote_addr},
    )
    return response
