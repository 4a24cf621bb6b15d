"""One error handler: /api → JSON, HTMX → error partial, anything else → the full error page."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions

from storefront.extensions import api
from storefront.htmx import is_partial

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A business rule said no. Services raise these; pages show them as form errors, the API as 4xx JSON.

    `status` is the HTTP status the API answers with, `code` a stable machine-readable name, `field` the input
    that caused it (when there is one).
    """

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


PAGES = {400, 403, 404, 405, 413, 429, 500}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/api"


def handle_http_error(error: HTTPException):
    if wants_json():
        # flask-smorest's handler gives the API its one JSON error shape.
        return api.handle_http_exception(error)
    code = error.code or 500
    if code >= 500:
        original = getattr(error, "original_exception", None)
        if original is not None:
            log.error("unhandled error on %s %s", request.method, request.path, exc_info=original)
    template = f"errors/{code}.html" if code in PAGES else "errors/generic.html"
    if is_partial():
        template = "errors/_error.html"
    response = error.get_response()  # keeps headers such as Allow and Retry-After
    response.set_data(render_template(template, error=error, code=code))
    response.content_type = "text/html; charset=utf-8"
    return response


def handle_domain_error(error: DomainError):
    """A refusal no view turned into a form error: JSON on /api, else the error page with its status."""
    if wants_json():
        return api.handle_domain_error(error)
    http_error = default_exceptions.get(error.status, HTTPException)(description=error.message)
    http_error.code = error.status
    return handle_http_error(http_error)


def register_errors(app: Flask) -> None:
    # Registered after api.init_app so this handler, not flask-smorest's app-wide one, answers HTML pages.
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_http_error)
    app.register_error_handler(DomainError, handle_domain_error)
