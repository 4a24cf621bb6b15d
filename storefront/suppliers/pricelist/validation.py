"""Validating a price list: plain values (as the reader made them) → a `PriceList`, or `PriceListInvalid`
naming every problem with its item (or category) and field, so a supplier can fix the whole file in one go.

Every number is checked against the column it is stored in before anything is written: an id beyond BIGINT, a
quantity beyond INTEGER, a price beyond NUMERIC(12, 2) (`1.0e+30`), negative, NaN or infinite is an item error
naming the field, never an error in the import job.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from storefront.outbound import FetchError, check_url
from storefront.suppliers.pricelist.model import (
    MAX_ERRORS,
    STREAMED,
    CategoryRow,
    Good,
    Limits,
    PriceList,
    PriceListInvalid,
    Problem,
)

MAX_ID = 2**63 - 1  # BIGINT
MAX_QUANTITY = 2**31 - 1  # INTEGER
MAX_PRICE = Decimal("9999999999.99")  # NUMERIC(12, 2)
CENT = Decimal("0.01")
# Column sizes: longer values are refused (never cut, which would make re-imports look like changes).
LENGTHS = {"shop": 200, "category": 200, "name": 300, "model": 200, "parameter": 200, "value": 500}
TOP_KEYS = {"shop", "categories", "goods"}
CATEGORY_KEYS = {"id", "name"}
GOOD_KEYS = frozenset({"id", "category", "model", "name", "price", "price_rrc", "quantity", "parameters", "image",
                       "images"})
GOOD_REQUIRED = ("id", "category", "name", "price", "quantity")  # reported missing in this order
_REQUIRED_SET = frozenset(GOOD_REQUIRED)


class Wrong(ValueError):
    """One value breaks the format; the message names the field ("price cannot be negative")."""


class _Collector:
    def __init__(self):
        self.problems: list[Problem] = []
        self.total = 0
        # Parameters repeat across goods ("Цвет: чёрный"): one shared tuple each keeps 100,000 goods small.
        self.shared: dict[tuple, tuple] = {}
        self.parameters: dict[tuple, tuple[str, str, str]] = {}  # see `_parameters`

    def share(self, value: tuple) -> tuple:
        return self.shared.setdefault(value, value)

    def add(self, message: str, item: str = "file", field_name: str | None = None) -> None:
        self.total += 1
        if len(self.problems) < MAX_ERRORS:
            self.problems.append(Problem(message, item, field_name))


def _text(value: Any, what: str, limit: int) -> str:
    """A name-like value: strings as written (trimmed); YAML numbers a supplier meant as text become text."""
    if value.__class__ is str:
        text = value.strip()
    elif isinstance(value, bool) or value is None or not isinstance(value, (str, int, float, date)):
        raise Wrong(f"{what} must be text")
    else:
        text = (value.isoformat() if isinstance(value, date) else str(value)).strip()
    if not text:
        raise Wrong(f"{what} is empty")
    if len(text) > limit:
        raise Wrong(f"{what} is longer than {limit} characters")
    if "\x00" in text:
        raise Wrong(f"{what} contains a NUL character")
    return text


def _identifier(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise Wrong(f"{what} must be a whole number, not {str(value).lower()}")
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 19:
        value = int(value.strip())  # some suppliers quote their ids
    if not isinstance(value, int):
        raise Wrong(f"{what} must be a whole number")
    if not 0 < value <= MAX_ID:
        raise Wrong(f"{what} must be between 1 and {MAX_ID}")
    return value


def _money(value: Any, what: str) -> Decimal:
    if value.__class__ is int and 0 <= value <= MAX_PRICE:  # most prices: whole numbers
        return Decimal(value).quantize(CENT)
    if isinstance(value, bool) or value is None:
        raise Wrong(f"{what} must be a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Wrong(f"{what} must be a finite number")
        value = repr(value)  # the digits YAML read, not the binary float's expansion
    if isinstance(value, str):
        value = value.strip().replace(" ", "").replace(",", ".")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise Wrong(f"{what} must be a number") from None
    if not amount.is_finite():
        raise Wrong(f"{what} must be a finite number")
    if amount < 0:
        raise Wrong(f"{what} cannot be negative")
    # Before rounding: quantizing 1E+30 to cents needs more digits than the decimal context has, and raises.
    if amount > MAX_PRICE:
        raise Wrong(f"{what} is larger than {MAX_PRICE}")
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise Wrong(f"{what} has more than 2 decimal places")
    return amount.quantize(CENT)


def _quantity(value: Any, _what: str = "quantity") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Wrong("quantity must be a whole number")
    if value < 0:
        raise Wrong("quantity cannot be negative")
    if value > MAX_QUANTITY:
        raise Wrong(f"quantity is larger than {MAX_QUANTITY}")
    return value


def parameter_value(value: Any) -> tuple[str, str]:
    """(text, type) for a parameter value, as OfferParameter stores it; `export_value` undoes it exactly."""
    if isinstance(value, bool):
        return str(value), "bool"
    if isinstance(value, int):
        return str(value), "int"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Wrong("must be a finite number")
        return repr(value), "float"
    if isinstance(value, (date, datetime)):
        return value.isoformat(), "str"  # YAML reads 2024-01-31 as a date; it comes back as that text
    if isinstance(value, str):
        return value.strip(), "str"
    raise Wrong("must be a single value (text, number or yes/no), not a list or mapping")


def _parameters(raw: Any, problems: list, out: _Collector, limits: Limits) -> tuple[tuple[str, str, str], ...]:
    """The good's parameters, sorted; what is wrong goes to `problems` as (message, field)."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        problems.append(("parameters must be a mapping of name: value", "parameters"))
        return ()
    if len(raw) > limits.max_parameters:
        problems.append((f"more than {limits.max_parameters} parameters", "parameters"))
        return ()
    result = {}
    for key, value in raw.items():
        # The same "Цвет: чёрный" is checked once per file; the classes are part of the key, as 1 == 1.0 == True.
        seen = (key.__class__, key, value.__class__, value) if value.__class__ in _PLAIN else None
        parameter = out.parameters.get(seen) if seen else None
        if parameter is None:
            parameter = _parameter(key, value, problems)
            if parameter is None:
                continue
            if seen and len(out.parameters) < 50_000:
                out.parameters[seen] = parameter
            else:
                parameter = out.share(parameter)
        if parameter[0] in result:
            problems.append(("the parameter is given twice", f"parameters.{parameter[0]}"))
            continue
        result[parameter[0]] = parameter
    return out.share(tuple(sorted(result.values())))


_PLAIN = frozenset({str, int, float, bool})


def _parameter(key: Any, value: Any, problems: list) -> tuple[str, str, str] | None:
    """(name, value as text, type), or None with the reason added to `problems`."""
    try:
        name = _text(key, "the parameter name", LENGTHS["parameter"])
    except ValueError as exc:
        problems.append((str(exc), "parameters"))
        return None
    where = f"parameters.{name}"
    if value is None:
        problems.append(("the value is empty", where))
        return None
    try:
        text, kind = parameter_value(value)
    except ValueError as exc:
        problems.append((f"the value {exc}", where))
        return None
    if not text or len(text) > LENGTHS["value"] or "\x00" in text:
        problems.append((f"the value must be 1 to {LENGTHS['value']} characters of text", where))
        return None
    return (name, text, kind)


def _images(entry: dict, problems: list, limits: Limits) -> tuple[str, ...]:
    """The good's photo URLs (`image`, then `images`), each an http(s) URL; duplicates dropped."""
    raw: list[tuple[str, Any]] = []
    if entry.get("image") is not None:
        raw.append(("image", entry["image"]))
    more = entry.get("images")
    if more is not None:
        if not isinstance(more, list):
            problems.append(("images must be a list of URLs", "images"))
        else:
            raw += [(f"images.{index}", value) for index, value in enumerate(more)]
    urls: list[str] = []
    for where, value in raw:
        if not isinstance(value, str):
            problems.append(("a photo must be given by its URL (text)", where))
            continue
        try:
            url = check_url(value).url
        except FetchError as exc:
            problems.append((exc.message, where))
            continue
        if url not in urls:
            urls.append(url)
    if len(urls) > limits.max_images:
        problems.append((f"more than {limits.max_images} photos", "images"))
        return ()
    return tuple(urls)


def _categories(raw: Any, out: _Collector, limits: Limits) -> list[CategoryRow]:
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        out.add("categories must be a list", "file", "categories")
        return []
    if len(raw) > limits.max_categories:
        out.add(f"more than {limits.max_categories:,} categories", "file", "categories")
        return []
    rows, seen = [], set()
    for index, entry in enumerate(raw, start=1):
        item = f"category #{index}"
        if not isinstance(entry, dict):
            out.add("each category must be a mapping with id and name", item)
            continue
        for key in entry.keys() - CATEGORY_KEYS:
            out.add(f"unknown key “{key}” (a category has id and name)", item, str(key)[:200])
        try:
            external_id = _identifier(entry.get("id"), "id")
            item = f"category {external_id}"
        except ValueError as exc:
            out.add(str(exc) if "id" in entry else "id is missing", item, "id")
            continue
        try:
            name = _text(entry.get("name"), "name", LENGTHS["category"])
        except ValueError as exc:
            out.add(str(exc) if "name" in entry else "name is missing", item, "name")
            continue
        if external_id in seen:
            out.add("this category id appears more than once", item, "id")
            continue
        seen.add(external_id)
        rows.append(CategoryRow(external_id, name))
    return rows


def _model(value: Any, what: str) -> str:
    return "" if value is None or value == "" else _text(value, what, LENGTHS[what])


def _name(value: Any, what: str) -> str:
    return _text(value, what, LENGTHS[what])


# (key, check(value, key)) in the order problems are reported.
_GOOD_CHECKS: tuple[tuple[str, Callable[[Any, str], Any]], ...] = (
    ("category", _identifier), ("name", _name), ("model", _model), ("price", _money), ("price_rrc", _money),
    ("quantity", _quantity),
)


def _good(entry: Any, index: int, out: _Collector, limits: Limits) -> tuple[int | None, Good | None]:
    """(the item's id if readable, the good if valid)."""
    if not isinstance(entry, dict):
        out.add("each item must be a mapping (id, category, name, price, quantity, …)", f"item #{index}")
        return None, None
    problems: list[tuple[str, str | None]] = []  # named after the item at the end: most goods have none
    try:
        external_id = _identifier(entry.get("id"), "id")
    except ValueError as exc:
        out.add(str(exc) if "id" in entry else "id is missing", f"item #{index}", "id")
        external_id = None
    keys = entry.keys()
    if not keys <= GOOD_KEYS:
        problems += [(f"unknown key “{key}”", str(key)[:200]) for key in keys if key not in GOOD_KEYS]
    if not keys >= _REQUIRED_SET:  # a missing id was reported above
        problems += [(f"{key} is missing", key) for key in GOOD_REQUIRED[1:] if key not in keys]
    values: dict[str, Any] = {}
    for key, check in _GOOD_CHECKS:
        if key in entry:
            try:
                values[key] = check(entry[key], key)
            except ValueError as exc:
                problems.append((str(exc), key))
    parameters = _parameters(entry.get("parameters"), problems, out, limits)
    images = _images(entry, problems, limits) if "image" in keys or "images" in keys else ()
    if problems:
        item = f"item #{index}" if external_id is None else f"item {external_id}"
        for message, field_name in problems:
            out.add(message, item, field_name)
    if external_id is None or problems:
        return external_id, None
    price = values["price"]
    return external_id, Good(
        external_id=external_id, category_id=values["category"], name=values["name"], model=values.get("model", ""),
        price=price, price_rrc=values.get("price_rrc", price), quantity=values["quantity"], parameters=parameters,
        images=images,
    )


class Validator:
    """Checks the document as it streams in: each good is validated (and its raw mapping dropped) on arrival."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.out = _Collector()
        self.goods: list[Good] = []
        self.seen: set[int] = set()
        self.count = 0

    def good(self, entry: Any) -> None:
        self.count += 1
        if self.count > self.limits.max_goods:
            if self.count == self.limits.max_goods + 1:
                self.out.add(f"the file has more than {self.limits.max_goods:,} goods, the limit", "file", "goods")
            return
        external_id, good = _good(entry, self.count, self.out, self.limits)
        if external_id is not None:
            if external_id in self.seen:
                self.out.add("this item id appears more than once", f"item {external_id}", "id")
                return
            self.seen.add(external_id)
        if good is not None:
            self.goods.append(good)

    def finish(self, data: Any) -> PriceList:
        out = self.out
        if not isinstance(data, dict):
            raise PriceListInvalid([Problem("The file must be a mapping with shop, categories and goods.")])
        for key in data.keys() - TOP_KEYS:
            out.add(f"unknown key “{key}” (expected shop, categories, goods)", "file", str(key)[:200])
        shop = ""
        try:
            shop = _text(data.get("shop"), "shop", LENGTHS["shop"])
        except ValueError as exc:
            out.add(str(exc) if "shop" in data else "shop is missing", "file", "shop")
        categories = _categories(data.get("categories"), out, self.limits)
        raw_goods = data.get("goods")
        if "goods" not in data:
            out.add("goods is missing", "file", "goods")
        elif raw_goods is not STREAMED:
            if not isinstance(raw_goods, list):
                out.add("goods must be a list", "file", "goods")
            else:
                for entry in raw_goods:
                    self.good(entry)
        # Categories may come after the goods in a file: their ids are checked once both are known.
        category_ids = {row.external_id for row in categories}
        for good in self.goods:
            if good.category_id not in category_ids:
                out.add(f"category {good.category_id} is not in the file's categories", f"item {good.external_id}",
                        "category")
        if out.total:
            raise PriceListInvalid(out.problems, out.total)
        return PriceList(shop=shop, categories=categories, goods=self.goods)


def validate(data: Any, limits: Limits = Limits()) -> PriceList:
    """Check an already loaded document against the format; raise PriceListInvalid listing every problem."""
    return Validator(limits).finish(data)
