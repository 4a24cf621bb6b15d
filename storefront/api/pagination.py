"""Pagination for every API list: `page` and `page_size` (at most 100) in, one envelope out.

    @blp.arguments(PaginationArgs, location="query")          # or a subclass adding the list's filters
    @blp.response(200, page_schema(ItemSchema))
    def get(self, args): return some_service.list_things(..., page=args["page"], page_size=args["page_size"])

The envelope is `{"items": [...], "page": 1, "page_size": 20, "total": 123, "pages": 7}`; anything with those
attributes (`storefront.pagination.Page`, the catalog's result page) serialises into it.
"""

from __future__ import annotations

from functools import cache

import marshmallow as ma

from storefront.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE


class PaginationArgs(ma.Schema):
    page = ma.fields.Integer(
        load_default=1, validate=ma.validate.Range(min=1, max=MAX_PAGE),
        metadata={"description": f"Page number, at most {MAX_PAGE:_}", "example": 1},
    )
    page_size = ma.fields.Integer(
        load_default=DEFAULT_PAGE_SIZE,
        validate=ma.validate.Range(min=1, max=MAX_PAGE_SIZE),
        metadata={"description": f"Items per page, at most {MAX_PAGE_SIZE}", "example": DEFAULT_PAGE_SIZE},
    )


class PageMeta(ma.Schema):
    page = ma.fields.Integer(required=True, metadata={"example": 1})
    page_size = ma.fields.Integer(required=True, metadata={"example": DEFAULT_PAGE_SIZE})
    total = ma.fields.Integer(required=True, metadata={"description": "Matches over every page", "example": 123})
    pages = ma.fields.Integer(required=True, metadata={"example": 7})


@cache
def page_schema(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """The envelope schema for a list of `item_schema` (one class per item schema, named after it)."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    return type(name, (PageMeta,), {"items": ma.fields.List(ma.fields.Nested(item_schema), required=True)})
