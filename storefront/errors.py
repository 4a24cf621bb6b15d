"""One error handler: /api → JSON, HTMX → error partial, anything else → the full error page.

Each handler first rolls the request's unit of work back: nothing a failed request wrote is kept, and a failed
statement (PostgreSQL refuses every further one in that transaction) cannot break the page that reports it.
"""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions

from storefront.domain_errors import DomainError
from storefront.extensions import api
from storefront.htmx import is_partial
from storefront.unit_of_work import rollback

log = logging.getLogger(__name__)


PAGES = {400, 403, 404, 405, 413, 429, 500}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/api"


def handle_http_error(error: HTTPException):
    rollback()
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
    rollback()
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
