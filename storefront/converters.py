"""URL converters shared by every route (pages and API).

`<id:name>` is the one rule for a database id in a path: digits within the 32-bit range of the id columns.
A larger number is a plain 404 at routing time; without the bound it would reach the database and fail there
(PostgreSQL: `NumericValueOutOfRange`; SQLite: `OverflowError`), answering 500.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

# Ids are INTEGER columns on both backends.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """A positive id no larger than the id columns hold (documented as such in the OpenAPI spec)."""

    def __init__(self, map: Map) -> None:
        super().__init__(map, min=1, max=MAX_ID)


def init_app(app: Flask) -> None:
    # Before any blueprint is registered: rules resolve their converters when they are added to the map.
    app.url_map.converters["id"] = IdConverter
