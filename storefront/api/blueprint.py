"""The API's blueprint: flask-smorest's, with the unit of work ended before an answer is serialized."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask_smorest import Blueprint as SmorestBlueprint

from storefront.unit_of_work import commit_before_answer


class AfterCommit:
    """A resource's answer to be read once the request has committed: a cached summary the commit refreshes."""

    def __init__(self, read: Callable[[], Any]):
        self.read = read


class Blueprint(SmorestBlueprint):
    def response(self, status_code, schema=None, **kwargs: Any) -> Callable:
        """flask-smorest's `response`; the resource's result is serialized after the request commits.

        A resource answers a change with what was stored (reloaded after the commit, once the after-commit work
        has invalidated cached summaries), as it did when every resource committed before it returned.
        """
        serialize = super().response(status_code, schema, **kwargs)

        def decorator(func: Callable) -> Callable:
            @wraps(func)
            def committed_first(*args, **kw):
                result = func(*args, **kw)
                commit_before_answer()
                return result.read() if isinstance(result, AfterCommit) else result

            return serialize(committed_first)

        return decorator
