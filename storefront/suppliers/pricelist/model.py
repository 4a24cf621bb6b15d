"""The price list's values: what a parsed file is (`PriceList` of `CategoryRow`s and `Good`s), the limits it is
read under, and the one error that lists every `Problem` found in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from storefront.domain_errors import DomainError

MAX_ERRORS = 1000  # a file that is wrong everywhere still gets a readable report
STREAMED = object()  # marks the goods list the reader handed to the validator item by item


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 20 * 1024 * 1024
    max_goods: int = 200_000
    max_categories: int = 10_000
    max_parameters: int = 100  # per good
    max_images: int = 10  # per good


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file: where (`item` — "item 4216292", "category 224", "file") and which `field`."""

    message: str
    item: str = "file"
    field: str | None = None

    def as_dict(self) -> dict:
        return {"item": self.item, "field": self.field, "message": self.message}


class PriceListInvalid(DomainError):
    code = "invalid_price_list"

    def __init__(self, problems: list[Problem], total: int | None = None):
        self.problems = problems[:MAX_ERRORS]
        self.total = total if total is not None else len(problems)
        first = problems[0].message if problems else "The price list is not valid."
        super().__init__(first if self.total == 1 else f"{self.total} problems in the price list; first: {first}",
                         field=problems[0].field if problems else None)

    @classmethod
    def single(cls, message: str, field: str | None = None) -> PriceListInvalid:
        return cls([Problem(message, field=field)])


@dataclass(frozen=True, slots=True)
class CategoryRow:
    external_id: int
    name: str


@dataclass(frozen=True, slots=True)
class Good:
    external_id: int
    category_id: int  # the shop's own category id
    name: str
    model: str
    price: Decimal
    price_rrc: Decimal
    quantity: int
    # (name, value as text, value_type) sorted by name: what OfferParameter stores, comparable as a whole.
    parameters: tuple[tuple[str, str, str], ...] = ()
    images: tuple[str, ...] = ()  # photo URLs: `image` first, then `images`, as written (http/https)


@dataclass
class PriceList:
    shop: str
    categories: list[CategoryRow] = field(default_factory=list)
    goods: list[Good] = field(default_factory=list)
