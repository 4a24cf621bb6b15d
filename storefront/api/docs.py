"""Documentation helpers shared by every API resource: which errors an operation answers, and public ones.

Every operation already documents `default` (the error shape) and, with `@blp.arguments`, 422; these add the
specific statuses so readers and Swagger UI see them.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

from flask_smorest import Blueprint


def errors(blp: Blueprint, *statuses: int) -> Callable:
    """Document these error statuses (the shared error shape) on an operation."""

    def decorator(func: Callable) -> Callable:
        for status in statuses:
            func = blp.alt_response(status, response=HTTPStatus(status).name)(func)
        return func

    return decorator


def public(blp: Blueprint) -> Callable:
    """Mark an operation as needing no token (it overrides the API's global bearer `security`)."""
    return blp.doc(security=[])
