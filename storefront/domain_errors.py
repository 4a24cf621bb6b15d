"""Domain errors: how a service says no. Pages turn them into form errors, the API into 4xx JSON."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule said no. Services raise these; pages show them as form errors, the API as 4xx JSON.

    `status` is the HTTP status the API answers with, `code` a stable machine-readable name, `field` the input
    that caused it (when there is one).
    """

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, status: int | None = None, code: str | None = None):
        message = str(message)  # a lazy (translatable) message is read now, in the language of this request
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
