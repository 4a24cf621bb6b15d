"""The API's one error shape, implemented once: `StorefrontApi` answers every /api error with it.

`{"code": "not_found", "status": 404, "message": "…", "errors": {"field": ["…"]}}` — HTTP errors (webargs'
422, unknown URLs, 405, 413, 429 from Flask-Limiter, 500) come through `handle_http_exception`; domain errors
raised by services through `handle_domain_error` (wired by `storefront.errors`). This module imports nothing
from the app but the id bound (`storefront.converters`), so `storefront.extensions` can create the `Api` from it.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import marshmallow as ma
from flask_babel import gettext as _
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from storefront.converters import MAX_ID as MAX_ID  # re-exported: the schemas bound id fields with it

# Machine-readable names for HTTP errors; a service's DomainError brings its own `code`.
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    428: "precondition_required",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}
BEARER_REALM = 'Bearer realm="storefront"'


class ErrorSchema(ma.Schema):
    """Every API error, whatever its cause."""

    code = ma.fields.String(
        required=True, metadata={"description": "Stable machine-readable name", "example": "validation_error"}
    )
    status = ma.fields.Integer(required=True, metadata={"description": "The HTTP status", "example": 422})
    message = ma.fields.String(
        required=True, metadata={"description": "What went wrong, for people", "example": "Some fields are invalid."}
    )
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Raw(),
        required=True,
        metadata={
            "description": "Messages per input field (empty when the error is not about a field)",
            "example": {"email": ["Not a valid email address."]},
        },
    )


def code_for_status(status: int) -> str:
    if status in HTTP_CODES:
        return HTTP_CODES[status]
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


def _flatten_locations(messages: Any) -> dict[str, Any]:
    """webargs nests field errors under their location ({"json": {...}}); callers want them by field."""
    if not isinstance(messages, dict):
        return {"_schema": messages if isinstance(messages, list) else [str(messages)]}
    flat: dict[str, Any] = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            flat.update({str(name): value for name, value in fields.items()})
        else:
            flat[str(location)] = fields if isinstance(fields, list) else [str(fields)]
    return flat


def error_body(status: int, code: str, message: str, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "status": status, "message": message, "errors": errors or {}}


class StorefrontApi(Api):
    """flask-smorest's Api with the Storefront error shape (documented as the default error response)."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException):
        status = error.code or 500
        if status == 304:  # conditional GET (ETag): no body
            return "", 304
        data = getattr(error, "data", None) or {}
        errors: dict[str, Any] = {}
        if "errors" in data:
            errors = data["errors"] if isinstance(data["errors"], dict) else {"_schema": data["errors"]}
        elif "messages" in data:  # webargs validation errors
            errors = _flatten_locations(data["messages"])
        if status >= 500:
            message = _("Something went wrong on our side. It has been logged.")  # never leak internals
        elif data.get("message"):
            message = str(data["message"])
        elif status == 422:
            message = _("Some fields are invalid; see errors.")
        else:
            message = error.description or HTTPStatus(status).phrase
        # Keep the headers the exception brings (Allow on 405, Retry-After on 429), not its HTML content type.
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        headers.update(data.get("headers") or {})
        if status == 401:
            headers.setdefault("WWW-Authenticate", BEARER_REALM)
        return error_body(status, data.get("error_code") or code_for_status(status), message, errors), status, headers

    def handle_domain_error(self, error):
        """Answer a service's `DomainError` (status, code, field, message) in the same shape."""
        errors = getattr(error, "errors", None)
        if not isinstance(errors, dict) or not errors:
            errors = {error.field: [error.message]} if error.field else {}
        else:
            errors = {name: value if isinstance(value, list) else [value] for name, value in errors.items()}
        headers = dict(getattr(error, "headers", None) or {})
        if error.status == 401:
            headers.setdefault("WWW-Authenticate", BEARER_REALM)
        retry_after = getattr(error, "retry_after", None)
        if retry_after:
            headers.setdefault("Retry-After", str(retry_after))
        return error_body(error.status, error.code, error.message, errors), error.status, headers
