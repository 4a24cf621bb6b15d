"""One guard against hostile input, before any view runs, for both doors (pages and /api).

- NUL characters in the path, the query string (names and values) or a JSON body: PostgreSQL cannot store or
  even compare NUL in text, so they would fail in the database with a 500. Refused with a 400 (the API's JSON
  error `invalid_characters`, or the 400 page). Page forms refuse NUL themselves with a field error
  (`storefront.forms.Form`), so the visitor gets the form back; url-encoded forms sent to /api are refused here.
- JSON nested deeper than `MAX_JSON_DEPTH`: the parsers recurse once per level, so a 5,000-deep array raises
  RecursionError (500) in whichever parser sees it first (Flask's, webargs', the guard's own NUL check). The
  depth is measured on the raw bytes before anything parses them, and before any authentication.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, request
from werkzeug.exceptions import BadRequest

# No request body of the shop nests deeper than a few levels; 32 leaves room and is far from the recursion limit.
MAX_JSON_DEPTH = 32

# A JSON string, escapes included (linear: the alternatives never overlap); brackets inside strings do not nest.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")


class InvalidInput(BadRequest):
    """A 400 whose message is shown to the visitor (the 400 page) and whose code the API answers with."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(description=message)
        self.data = {"error_code": code, "message": message}
        self.public_message = message


def has_nul(value: Any) -> bool:
    """Whether a string, or any key or value of a parsed JSON document, carries a NUL character."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(key) or has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(has_nul(item) for item in value)
    return False


def json_too_deep(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text `raw` opens more than `limit` arrays/objects inside each other (it need not be valid)."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False  # the common case: not even that many brackets in the whole body
    depth = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub(b'""', raw)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


NUL_MESSAGE = "Text must not contain NUL characters."


def refuse_hostile_input() -> None:
    if "\x00" in request.path or any(has_nul(name) or has_nul(value) for name, value in request.args.items(multi=True)):
        raise InvalidInput("invalid_characters", NUL_MESSAGE)
    if request.is_json:
        if json_too_deep(request.get_data(cache=True)):
            raise InvalidInput("too_deeply_nested", f"JSON must not nest deeper than {MAX_JSON_DEPTH} levels.")
        if has_nul(request.get_json(silent=True)):
            raise InvalidInput("invalid_characters", NUL_MESSAGE)
    elif request.path.startswith("/api/") and request.mimetype == "application/x-www-form-urlencoded":
        # Not multipart: the price-list upload lifts the body limit in its view, after this hook; its one text
        # field is the file, which the price-list validation checks for NUL itself.
        if any(has_nul(name) or has_nul(value) for name, value in request.form.items(multi=True)):
            raise InvalidInput("invalid_characters", NUL_MESSAGE)


def init_app(app: Flask) -> None:
    # First of the app's before_request hooks: nothing (rate limits, log-in, sessions) reads input before it.
    app.before_request(refuse_hostile_input)
