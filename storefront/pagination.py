"""One page of a query's results, for services that list things (pages and the API page the same way)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select

from storefront.extensions import db

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Page numbers come straight from query strings (`?page=10**20`): bounded, the offset always fits a BIGINT
# (PostgreSQL) and an SQLite integer instead of failing in the database.
MAX_PAGE = 1_000_000


def bounded(page: int, page_size: int) -> tuple[int, int]:
    """`page` within 1..MAX_PAGE and `page_size` within 1..MAX_PAGE_SIZE, whatever the caller was given."""
    return min(max(1, page), MAX_PAGE), min(max(1, page_size), MAX_PAGE_SIZE)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    page_size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size)) if self.page_size else 1


def paginate(statement: Select, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> Page:
    """Run `statement` (ordered, for stable pages) for one page, and count every match (past the end: empty)."""
    page, page_size = bounded(page, page_size)
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    items = list(db.session.scalars(statement.limit(page_size).offset((page - 1) * page_size)))
    return Page(items=items, page=page, page_size=page_size, total=total)


def page_of(items: list[T], page: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> Page[T]:
    """One page of a short list already in memory (a user's few contacts), in the same envelope."""
    page, page_size = bounded(page, page_size)
    start = (page - 1) * page_size
    return Page(items=items[start:start + page_size], page=page, page_size=page_size, total=len(items))
