"""The catalog's search, filter, sort and paging request: one parser for the pages and the API.

`parse_catalog_query(args)` turns raw query-string values (a werkzeug MultiDict or a plain mapping of str or
list of str) into a validated `CatalogQuery`, or raises `InvalidFilter` naming every bad field. URL argument
names (`q`, `category`, `shop`, `price_min`, `price_max`, `in_stock`, `param.<name>`, `param_min.<name>`,
`param_max.<name>`, `sort`, `page`, `page_size`) are the field names in errors and what `CatalogQuery.to_args()` writes back.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _

from storefront.domain_errors import DomainError

SORTS = ("name", "price_asc", "price_desc", "newest")
DEFAULT_SORT = "name"
DEFAULT_PAGE_SIZE = 24
MAX_PAGE_SIZE = 100
MAX_PAGE = 10_000  # deep offsets cost a scan; nobody pages 240,000 goods by hand
MAX_QUERY_LENGTH = 200
MAX_PARAMS = 20
MAX_PARAM_VALUES = 20
MAX_PRICE = Decimal("9999999999.99")  # what Numeric(12, 2) holds
PARAM_PREFIX = "param."
# A numeric parameter's range: `param_min.<name>` / `param_max.<name>` (either end may be left out).
PARAM_MIN_PREFIX = "param_min."
PARAM_MAX_PREFIX = "param_max."
MAX_RANGE_TEXT = 30
# What counts as a number in a parameter's value: "128", "-5", "6.1" or "6,1" (no exponents, no spaces). The SQL
# cast (catalog.browsing) guards on the same pattern, so a text value is never cast.
NUMBER_PATTERN = r"^-?[0-9]+([.,][0-9]+)?$"
_NUMBER = re.compile(NUMBER_PATTERN)
TRUE_WORDS = {"1", "true", "on", "yes"}
FALSE_WORDS = {"", "0", "false", "off", "no"}


class InvalidFilter(DomainError):
    """One or more catalog arguments are malformed; `errors` maps each URL argument to its message."""

    code = "invalid_filter"

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        first = next(iter(self.errors))
        super().__init__("; ".join(f"{name}: {message}" for name, message in self.errors.items()), field=first)


@dataclass(frozen=True)
class CatalogQuery:
    """What a shopper (or API client) asked the catalog for; every field already validated."""

    q: str = ""
    category_id: int | None = None
    shop_id: int | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    in_stock: bool = False
    # Parameter name → accepted values (any of them; several names must all match).
    params: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Numeric parameter name → (lowest, highest) accepted value, either None for an open end.
    ranges: dict[str, tuple[Decimal | None, Decimal | None]] = field(default_factory=dict)
    sort: str = DEFAULT_SORT
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    def with_changes(self, **changes: Any) -> CatalogQuery:
        return replace(self, **changes)

    def to_args(self, **changes: Any) -> dict[str, Any]:
        """URL arguments for this query (defaults left out); `changes` use URL names, None drops one."""
        args: dict[str, Any] = {
            "q": self.q or None,
            "category": self.category_id,
            "shop": self.shop_id,
            "price_min": _plain(self.price_min),
            "price_max": _plain(self.price_max),
            "in_stock": 1 if self.in_stock else None,
            "sort": self.sort if self.sort != DEFAULT_SORT else None,
            "page": self.page if self.page != 1 else None,
            "page_size": self.page_size if self.page_size != DEFAULT_PAGE_SIZE else None,
        }
        params = changes.pop("params", self.params) or {}
        ranges = changes.pop("ranges", self.ranges) or {}
        args.update(changes)
        args = {name: value for name, value in args.items() if value is not None}
        for name, values in sorted(params.items()):
            args[PARAM_PREFIX + name] = list(values)
        for name, (low, high) in sorted(ranges.items()):
            if low is not None:
                args[PARAM_MIN_PREFIX + name] = _plain_number(low)
            if high is not None:
                args[PARAM_MAX_PREFIX + name] = _plain_number(high)
        return args

    def cache_key(self) -> str:
        """A short, stable key for this exact query (cached results are shared between identical queries)."""
        parts = (self.q, self.category_id, self.shop_id, _plain(self.price_min), _plain(self.price_max),
                 self.in_stock, sorted(self.params.items()),
                 sorted((name, _plain_number(low), _plain_number(high)) for name, (low, high) in self.ranges.items()),
                 self.sort, self.page, self.page_size)
        return hashlib.sha1(repr(parts).encode()).hexdigest()


def _plain(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return format(value.normalize(), "f")


def _plain_number(value: Decimal | None) -> str | None:
    # Not normalize(): it writes 100 as "1E+2".
    return None if value is None else format(value, "f")


def parse_number(text: str) -> Decimal | None:
    """A parameter value as a number ("6,1" → 6.1), or None when it is not one (see NUMBER_PATTERN)."""
    if len(text) > MAX_RANGE_TEXT or not _NUMBER.fullmatch(text):
        return None
    return Decimal(text.replace(",", "."))


def _values(args: Mapping[str, Any], name: str) -> list[str]:
    if hasattr(args, "getlist"):
        values = args.getlist(name)
    else:
        value = args.get(name)
        values = [] if value is None else list(value) if isinstance(value, (list, tuple)) else [value]
    return [str(value) for value in values]


def _first(args: Mapping[str, Any], name: str) -> str:
    values = _values(args, name)
    return values[0].strip() if values else ""


def _int(text: str, name: str, errors: dict[str, str], *, low: int, high: int) -> int | None:
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        errors[name] = _("must be a whole number")
        return None
    number = int(text)
    if not low <= number <= high:
        errors[name] = _("must be between %(low)s and %(high)s", low=low, high=high)
        return None
    return number


def _price(text: str, name: str, errors: dict[str, str]) -> Decimal | None:
    if not text:
        return None
    try:
        # Accept a decimal comma: "1999,90" is how Russian shoppers write prices.
        value = Decimal(text.replace(",", ".")) if len(text) <= 20 else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        errors[name] = _("must be a number")
        return None
    if value < 0:
        errors[name] = _("must not be negative")
        return None
    if value > MAX_PRICE:
        errors[name] = _("is too large")
        return None
    return value.quantize(Decimal("0.01"))


def _params(args: Mapping[str, Any], errors: dict[str, str]) -> dict[str, tuple[str, ...]]:
    params: dict[str, tuple[str, ...]] = {}
    for key in list(args):
        if not key.startswith(PARAM_PREFIX):
            continue
        name = key[len(PARAM_PREFIX):].strip()
        values = tuple(dict.fromkeys(v.strip() for v in _values(args, key) if v.strip()))
        if not values:
            continue
        if not name or len(name) > 200 or any(len(v) > 500 for v in values) or len(values) > MAX_PARAM_VALUES:
            errors[key] = _("is not a valid parameter filter")
            continue
        params[name] = tuple(sorted(values))
    if len(params) > MAX_PARAMS:
        errors["param"] = _("at most %(count)s parameter filters", count=MAX_PARAMS)
    return params


def _ranges(args: Mapping[str, Any], errors: dict[str, str]) -> dict[str, tuple[Decimal | None, Decimal | None]]:
    bounds: dict[str, dict[str, Decimal]] = {}
    for key in list(args):
        end = "min" if key.startswith(PARAM_MIN_PREFIX) else "max" if key.startswith(PARAM_MAX_PREFIX) else None
        if end is None:
            continue
        name = key.split(".", 1)[1].strip()
        text = _first(args, key)
        if not text:
            continue
        if not name or len(name) > 200:
            errors[key] = _("is not a valid parameter filter")
            continue
        number = parse_number(text)
        if number is None:
            errors[key] = _("must be a number")
            continue
        bounds.setdefault(name, {})[end] = number
    ranges: dict[str, tuple[Decimal | None, Decimal | None]] = {}
    for name, ends in bounds.items():
        low, high = ends.get("min"), ends.get("max")
        if low is not None and high is not None and low > high:
            errors[PARAM_MAX_PREFIX + name] = _("must not be less than the minimum value")
            continue
        ranges[name] = (low, high)
    return ranges


def parse_catalog_query(args: Mapping[str, Any], **fixed: Any) -> CatalogQuery:
    """Validate raw query arguments into a `CatalogQuery`; `fixed` fields (from the URL path) win.

    Raises `InvalidFilter` with every bad argument. Empty values mean "not set", so a submitted form with
    blank fields is fine.
    """
    errors: dict[str, str] = {}
    q = " ".join(_first(args, "q").split())
    if len(q) > MAX_QUERY_LENGTH:
        errors["q"] = _("must be at most %(count)s characters", count=MAX_QUERY_LENGTH)
        q = ""
    category_id = _int(_first(args, "category"), "category", errors, low=1, high=2**31 - 1)
    shop_id = _int(_first(args, "shop"), "shop", errors, low=1, high=2**31 - 1)
    price_min = _price(_first(args, "price_min"), "price_min", errors)
    price_max = _price(_first(args, "price_max"), "price_max", errors)
    if price_min is not None and price_max is not None and price_min > price_max:
        errors["price_max"] = _("must not be less than the minimum price")
    in_stock_text = _first(args, "in_stock").lower()
    if in_stock_text not in TRUE_WORDS | FALSE_WORDS:
        errors["in_stock"] = _("must be true or false")
    sort = _first(args, "sort") or DEFAULT_SORT
    if sort not in SORTS:
        errors["sort"] = _("must be one of %(values)s", values=", ".join(SORTS))
        sort = DEFAULT_SORT
    page = _int(_first(args, "page"), "page", errors, low=1, high=MAX_PAGE)
    page_size = _int(_first(args, "page_size"), "page_size", errors, low=1, high=MAX_PAGE_SIZE)
    params = _params(args, errors)
    ranges = _ranges(args, errors)
    if len(params) + len(ranges) > MAX_PARAMS and "param" not in errors:
        errors["param"] = _("at most %(count)s parameter filters", count=MAX_PARAMS)
    if errors:
        raise InvalidFilter(errors)
    query = CatalogQuery(
        q=q, category_id=category_id, shop_id=shop_id, price_min=price_min, price_max=price_max,
        in_stock=in_stock_text in TRUE_WORDS, params=params, ranges=ranges, sort=sort, page=page or 1,
        page_size=page_size or DEFAULT_PAGE_SIZE,
    )
    return query.with_changes(**fixed) if fixed else query
