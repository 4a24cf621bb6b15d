"""Price lists (DESIGN.md §4): parse and validate a supplier's YAML into plain values, and write it back.

`parse_price_list(text, limits)` returns a `PriceList` or raises `PriceListInvalid` carrying every problem found,
each with the item id (or category id) and the field, so a supplier can fix the whole file in one go.

YAML is read by PyYAML's safe loader (libyaml when available), exactly what `yaml.safe_load` does — compose the
node graph, then construct plain values — with one step in between: the graph is walked first, and a document
with aliases (the "billion laughs" bomb: safe_load expands `*a` references as shared objects that anything
walking them multiplies), duplicate mapping keys (YAML keeps the last one silently) or more nodes than the
goods limit allows is refused before any value is built. No tag can build an object: the safe constructor
rejects `!!python/...` tags.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import yaml

from storefront.errors import DomainError

try:  # libyaml is ~10x faster on big lists; the pure-Python loader behaves the same.
    from yaml import CSafeDumper as SafeDumper
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - libyaml ships with the PyYAML wheels
    from yaml import SafeDumper, SafeLoader

MAX_ID = 2**63 - 1  # BIGINT
MAX_QUANTITY = 2**31 - 1  # INTEGER
MAX_PRICE = Decimal("9999999999.99")  # NUMERIC(12, 2)
CENT = Decimal("0.01")
MAX_ERRORS = 1000  # a file that is wrong everywhere still gets a readable report
# Column sizes: longer values are refused (never cut, which would make re-imports look like changes).
LENGTHS = {"shop": 200, "category": 200, "name": 300, "model": 200, "parameter": 200, "value": 500}
TOP_KEYS = {"shop", "categories", "goods"}
CATEGORY_KEYS = {"id", "name"}
GOOD_KEYS = {"id", "category", "model", "name", "price", "price_rrc", "quantity", "parameters"}
GOOD_REQUIRED = ("id", "category", "name", "price", "quantity")
NODES_PER_GOOD = 80  # a good with 30 parameters is ~70 nodes; far beyond that is not a price list


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 20 * 1024 * 1024
    max_goods: int = 200_000
    max_categories: int = 10_000
    max_parameters: int = 100  # per good


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


@dataclass
class PriceList:
    shop: str
    categories: list[CategoryRow] = field(default_factory=list)
    goods: list[Good] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------- reading


def _check_graph(root: yaml.Node, max_nodes: int) -> list[Problem]:
    """Refuse aliases, duplicate keys and oversized documents before constructing anything."""
    seen: set[int] = set()
    stack = [root]
    count = 0
    while stack:
        node = stack.pop()
        count += 1
        if count > max_nodes:
            return [Problem(f"The file has more than {max_nodes:,} YAML nodes; it is too big to be a price list.")]
        if isinstance(node, yaml.ScalarNode):
            continue
        if id(node) in seen:
            # Only an alias (*name) makes a node appear twice: it is how YAML bombs multiply.
            return [Problem(f"YAML anchors and aliases (&name / *name) are not allowed (line {node.start_mark.line + 1}).")]
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value == "<<":
                        return [Problem(f"YAML merge keys (<<) are not allowed (line {key.start_mark.line + 1}).")]
                    if key.value in keys:
                        return [Problem(f"The key “{key.value}” appears twice in one mapping "
                                        f"(line {key.start_mark.line + 1}).", field=str(key.value)[:200])]
                    keys.add(key.value)
                stack.append(key)
                stack.append(value)
        else:
            stack.extend(node.value)
    return []


def load_yaml(text: str, max_nodes: int) -> Any:
    """`yaml.safe_load(text)` with the graph checked between composing and constructing."""
    loader = SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        problems = _check_graph(node, max_nodes)
        if problems:
            raise PriceListInvalid(problems)
        return loader.construct_document(node)
    except yaml.constructor.ConstructorError as exc:
        line = f" (line {exc.problem_mark.line + 1})" if exc.problem_mark else ""
        raise PriceListInvalid([Problem(f"The file uses a YAML tag that is not allowed{line}: only plain "
                                        "text, numbers, yes/no, lists and mappings are.")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = exc.problem or exc.context or "malformed YAML"
        raise PriceListInvalid([Problem(f"The file is not valid YAML{where}: {what}.")]) from None
    except yaml.YAMLError as exc:
        raise PriceListInvalid([Problem(f"The file is not valid YAML: {exc}.")]) from None
    except RecursionError:
        raise PriceListInvalid([Problem("The file nests too deeply to be a price list.")]) from None
    finally:
        loader.dispose()


def decode(raw: bytes) -> str:
    """Bytes as UTF-8 text (a BOM is dropped); raise PriceListInvalid for anything else."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PriceListInvalid([Problem(f"The file is not UTF-8 text (byte {exc.start}).")]) from None


# ------------------------------------------------------------------------------------------------- validating


class Wrong(ValueError):
    """One value breaks the format; the message names the field ("price cannot be negative")."""


class _Collector:
    def __init__(self):
        self.problems: list[Problem] = []
        self.total = 0

    def add(self, message: str, item: str = "file", field_name: str | None = None) -> None:
        self.total += 1
        if len(self.problems) < MAX_ERRORS:
            self.problems.append(Problem(message, item, field_name))


def _text(value: Any, what: str, limit: int) -> str:
    """A name-like value: strings as written (trimmed); YAML numbers a supplier meant as text become text."""
    if isinstance(value, bool) or value is None or not isinstance(value, (str, int, float, date)):
        raise Wrong(f"{what} must be text")
    text = value.isoformat() if isinstance(value, date) else str(value)
    text = text.strip()
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
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise Wrong(f"{what} has more than 2 decimal places")
    if amount > MAX_PRICE:
        raise Wrong(f"{what} is larger than {MAX_PRICE}")
    return amount.quantize(CENT)


def _quantity(value: Any) -> int:
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


def export_value(value: str, value_type: str) -> Any:
    """The YAML value a stored parameter came from."""
    if value_type == "int":
        return int(value)
    if value_type == "float":
        return float(value)
    if value_type == "bool":
        return value == "True"
    return value


def _parameters(raw: Any, item: str, out: _Collector, limits: Limits) -> tuple[tuple[str, str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        out.add("parameters must be a mapping of name: value", item, "parameters")
        return ()
    if len(raw) > limits.max_parameters:
        out.add(f"more than {limits.max_parameters} parameters", item, "parameters")
        return ()
    result = {}
    for key, value in raw.items():
        try:
            name = _text(key, "the parameter name", LENGTHS["parameter"])
        except ValueError as exc:
            out.add(str(exc), item, "parameters")
            continue
        where = f"parameters.{name}"
        if value is None:
            out.add("the value is empty", item, where)
            continue
        try:
            text, kind = parameter_value(value)
        except ValueError as exc:
            out.add(f"the value {exc}", item, where)
            continue
        if not text or len(text) > LENGTHS["value"] or "\x00" in text:
            out.add(f"the value must be 1 to {LENGTHS['value']} characters of text", item, where)
            continue
        if name in result:
            out.add("the parameter is given twice", item, where)
            continue
        result[name] = (name, text, kind)
    return tuple(sorted(result.values()))


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


def _good(entry: Any, index: int, category_ids: set[int], out: _Collector, limits: Limits) -> tuple[int | None, Good | None]:
    """(the item's id if readable, the good if valid)."""
    item = f"item #{index}"
    if not isinstance(entry, dict):
        out.add("each item must be a mapping (id, category, name, price, quantity, …)", item)
        return None, None
    raw_id = entry.get("id")
    try:
        external_id = _identifier(raw_id, "id")
        item = f"item {external_id}"
    except ValueError as exc:
        out.add(str(exc) if "id" in entry else "id is missing", item, "id")
        external_id = None
    before = out.total
    for key in entry.keys() - GOOD_KEYS:
        out.add(f"unknown key “{key}”", item, str(key)[:200])
    for key in GOOD_REQUIRED:
        if key not in entry:
            out.add(f"{key} is missing", item, key)
    values: dict[str, Any] = {}
    checks = {
        "category": lambda v: _identifier(v, "category"),
        "name": lambda v: _text(v, "name", LENGTHS["name"]),
        "model": lambda v: "" if v is None else _text(v, "model", LENGTHS["model"]),
        "price": lambda v: _money(v, "price"),
        "price_rrc": lambda v: _money(v, "price_rrc"),
        "quantity": _quantity,
    }
    for key, check in checks.items():
        if key not in entry:
            continue
        try:
            values[key] = check(entry[key])
        except ValueError as exc:
            out.add(str(exc), item, key)
    if "category" in values and values["category"] not in category_ids:
        out.add(f"category {values['category']} is not in the file's categories", item, "category")
    parameters = _parameters(entry.get("parameters"), item, out, limits)
    if external_id is None or out.total != before:
        return external_id, None
    price = values["price"]
    return external_id, Good(
        external_id=external_id, category_id=values["category"], name=values["name"], model=values.get("model", ""),
        price=price, price_rrc=values.get("price_rrc", price), quantity=values["quantity"], parameters=parameters,
    )


def validate(data: Any, limits: Limits = Limits()) -> PriceList:
    """Check a loaded document against the format; raise PriceListInvalid listing every problem."""
    out = _Collector()
    if not isinstance(data, dict):
        raise PriceListInvalid([Problem("The file must be a mapping with shop, categories and goods.")])
    for key in data.keys() - TOP_KEYS:
        out.add(f"unknown key “{key}” (expected shop, categories, goods)", "file", str(key)[:200])
    shop = ""
    try:
        shop = _text(data.get("shop"), "shop", LENGTHS["shop"])
    except ValueError as exc:
        out.add(str(exc) if "shop" in data else "shop is missing", "file", "shop")
    categories = _categories(data.get("categories"), out, limits)
    raw_goods = data.get("goods")
    goods: list[Good] = []
    if "goods" not in data:
        out.add("goods is missing", "file", "goods")
    elif not isinstance(raw_goods, list):
        out.add("goods must be a list", "file", "goods")
    elif len(raw_goods) > limits.max_goods:
        out.add(f"the file has {len(raw_goods):,} goods; the limit is {limits.max_goods:,}", "file", "goods")
    else:
        category_ids = {row.external_id for row in categories}
        seen: set[int] = set()
        for index, entry in enumerate(raw_goods, start=1):
            external_id, good = _good(entry, index, category_ids, out, limits)
            if external_id is not None:
                if external_id in seen:
                    out.add("this item id appears more than once", f"item {external_id}", "id")
                    continue
                seen.add(external_id)
            if good is not None:
                goods.append(good)
    if out.total:
        raise PriceListInvalid(out.problems, out.total)
    return PriceList(shop=shop, categories=categories, goods=goods)


def parse_price_list(raw: bytes | str, limits: Limits = Limits()) -> PriceList:
    """Size check, UTF-8, safe YAML, then the format: a `PriceList`, or PriceListInvalid with every problem."""
    size = len(raw.encode("utf-8")) if isinstance(raw, str) else len(raw)
    if size > limits.max_bytes:
        raise PriceListInvalid([Problem(f"The file is {size:,} bytes; the limit is {limits.max_bytes:,}.")])
    text = raw if isinstance(raw, str) else decode(raw)
    if not text.strip():
        raise PriceListInvalid([Problem("The file is empty.")])
    max_nodes = limits.max_goods * NODES_PER_GOOD + limits.max_categories * 6 + 100
    return validate(load_yaml(text, max_nodes), limits)


# ---------------------------------------------------------------------------------------------------- writing


def dump_price_list(shop: str, categories: list[dict], goods: list[dict]) -> str:
    """The YAML a supplier would write: keys in the documented order, Cyrillic as is, one value per line."""
    document = {"shop": shop, "categories": categories, "goods": goods}
    return yaml.dump(document, Dumper=SafeDumper, allow_unicode=True, sort_keys=False, width=1_000_000,
                     default_flow_style=False)
