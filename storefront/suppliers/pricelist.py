"""Price lists (DESIGN.md §4): parse and validate a supplier's YAML into plain values, and write it back.

`parse_price_list(text, limits)` returns a `PriceList` or raises `PriceListInvalid` carrying every problem found,
each with the item id (or category id) and the field, so a supplier can fix the whole file in one go.

YAML is read with PyYAML's safe loader (libyaml when available) and its safe scalar constructors, so values
are exactly what `yaml.safe_load` makes of them — but from the event stream, one good at a time, so a
100,000-good file never exists as a node graph plus a parsed copy in memory. Stricter than safe_load: anchors
and aliases (the "billion laughs" bomb), merge keys, duplicate mapping keys (YAML keeps the last one silently),
any tag beyond text/number/bool/null/date (`!!python/object`…) and more nodes than the goods limit allows are
refused with a clear message.
"""

from __future__ import annotations

import codecs
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import yaml

from storefront.domain_errors import DomainError

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
GOOD_KEYS = frozenset({"id", "category", "model", "name", "price", "price_rrc", "quantity", "parameters"})
GOOD_REQUIRED = ("id", "category", "name", "price", "quantity")  # reported missing in this order
_REQUIRED_SET = frozenset(GOOD_REQUIRED)
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


SAFE_SCALAR_TAGS = {f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")}
SEQ_TAG, MAP_TAG = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
_SCALAR, _MAPPING_END = yaml.ScalarEvent, yaml.MappingEndEvent
MAX_DEPTH = 16


class _Source:
    """The document handed to the loader a slice at a time: given a whole string, libyaml first copies all of
    it as UTF-8. Named as a string source is, so the loader's messages read the same."""

    name = "<unicode string>"

    def __init__(self, data: str | bytes, start: int = 0):
        self.data = data
        self.position = start

    def read(self, size: int) -> str | bytes:
        piece = self.data[self.position:self.position + size]
        self.position += len(piece)
        return piece


class _Reader:
    """Builds plain values from the loader's event stream, one good at a time (a node graph of a 100,000-good
    file would need over a gigabyte). Scalars are resolved and constructed exactly as safe_load does; the loops
    are written for speed, since a large list is some 2.5 million events."""

    def __init__(self, source: _Source, max_nodes: int):
        self.loader = SafeLoader(source)
        self.get_event = self.loader.get_event
        self.max_nodes = max_nodes
        self.count = 0
        # Plain scalars that resolve to a tag start with one of these characters, and no resolver matches
        # anything else: any other plain scalar is text as written. (None: the loader resolves in ways these
        # shortcuts do not know, so every scalar goes through it.)
        resolvers = self.loader.yaml_implicit_resolvers
        simple = None not in resolvers and not self.loader.yaml_path_resolvers
        self.text_first = frozenset(resolvers) if simple else None
        # Plain scalars repeat ("id", "price", category ids, "чёрный"): each is resolved once. Bounded, and the
        # values are immutable (text, numbers, booleans, None, dates).
        self.plain: dict[str, Any] = {}

    def _node(self, event) -> None:
        """Count a node and refuse anchors (aliases are refused where they arrive)."""
        self.count += 1
        if self.count > self.max_nodes:
            raise PriceListInvalid.single(f"The file has more than {self.max_nodes:,} YAML nodes; it is too big "
                                          "to be a price list.")
        if event.anchor is not None:
            _refuse_alias(event)

    def _refuse_tag(self, event) -> None:
        raise PriceListInvalid.single(f"The file uses a YAML tag that is not allowed (line {event.start_mark.line + 1}): "
                                      "only plain text, numbers, yes/no, lists and mappings are.")

    def scalar(self, event) -> Any:
        self.count += 1  # `_node`, inline: this runs for most of the file's events
        if self.count > self.max_nodes or event.anchor is not None:
            self._node(event)
        tag = event.tag
        if tag is None or tag == "!":
            if not event.implicit[0]:  # quoted, a block, or "!": text, as the resolver would say
                return event.value
            value = event.value
            known = self.plain.get(value, _UNKNOWN)
            if known is not _UNKNOWN:
                return known
            if self.text_first is not None:
                if value and value[0] not in self.text_first:
                    return value
                if len(value) <= 18 and value.isdigit() and value.isascii() and value[0] != "0":
                    return int(value)  # [1-9][0-9]*: YAML 1.1's decimal int, the resolver's first match for it
            result = self._construct(event, self.loader.resolve(yaml.ScalarNode, value, event.implicit))
            if self.text_first is not None and len(value) <= 64 and len(self.plain) < 20_000:
                self.plain[value] = result
            return result
        return self._construct(event, tag)

    def _construct(self, event, tag: str) -> Any:
        if tag == "tag:yaml.org,2002:merge":
            raise PriceListInvalid.single(f"YAML merge keys (<<) are not allowed (line {event.start_mark.line + 1}).")
        if tag not in SAFE_SCALAR_TAGS:
            self._refuse_tag(event)
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return self.loader.yaml_constructors[tag](self.loader, node)
        except (ValueError, OverflowError):  # 2024-02-30 looks like a date but is none
            raise PriceListInvalid.single(f"“{event.value[:50]}” is not a valid value "
                                          f"(line {event.start_mark.line + 1}).") from None

    def value(self, event, depth: int = 0) -> Any:
        kind = event.__class__
        if kind is yaml.ScalarEvent:
            return self.scalar(event)
        if depth > MAX_DEPTH:
            raise PriceListInvalid.single("The file nests too deeply to be a price list.")
        if kind is yaml.MappingStartEvent:
            self._node(event)
            if event.tag not in (None, "!", MAP_TAG):
                self._refuse_tag(event)
            return self.mapping(depth)
        if kind is yaml.SequenceStartEvent:
            self._node(event)
            if event.tag not in (None, "!", SEQ_TAG):
                self._refuse_tag(event)
            get_event, items = self.get_event, []
            while (event := get_event()).__class__ is not yaml.SequenceEndEvent:
                items.append(self.value(event, depth + 1))
            return items
        if kind is yaml.AliasEvent:
            _refuse_alias(event)
        raise PriceListInvalid.single("The file is not a single YAML document.")

    def mapping(self, depth: int) -> dict:
        get_event, scalar, value, mapping = self.get_event, self.scalar, self.value, {}
        while (event := get_event()).__class__ is not _MAPPING_END:
            key = scalar(event) if event.__class__ is _SCALAR else value(event, depth + 1)
            if key.__class__ is not str or key in mapping or key == "<<":
                self._check_key(key, mapping, event)
            event = get_event()
            mapping[key] = scalar(event) if event.__class__ is _SCALAR else value(event, depth + 1)
        return mapping

    @staticmethod
    def _check_key(key: Any, mapping: dict, event) -> None:
        line = event.start_mark.line + 1
        if key == "<<":
            raise PriceListInvalid.single(f"YAML merge keys (<<) are not allowed (line {line}).")
        if isinstance(key, (list, dict)):
            raise PriceListInvalid.single(f"A mapping key must be a plain value (line {line}).")
        if key in mapping:
            raise PriceListInvalid([Problem(f"The key “{key}” appears twice in one mapping (line {line}).",
                                            field=str(key)[:200])])

    def document(self, on_good: Callable[[Any], None]) -> Any:
        """The document's root; items of a top-level `goods` list go to `on_good` instead of into it."""
        get_event = self.get_event
        get_event()  # stream start
        event = get_event()
        if isinstance(event, yaml.StreamEndEvent):
            return None
        root = get_event()
        if isinstance(root, yaml.MappingStartEvent) and root.tag in (None, "!", MAP_TAG):
            self._node(root)
            result: dict = {}
            while not isinstance(event := get_event(), yaml.MappingEndEvent):
                key = self.value(event, 1)
                if isinstance(key, (list, dict)) or key == "<<":
                    raise PriceListInvalid.single("The file's top-level keys must be shop, categories and goods.")
                self._check_key(key, result, event)
                event = get_event()
                if key == "goods" and isinstance(event, yaml.SequenceStartEvent) and event.tag in (None, "!", SEQ_TAG):
                    self._node(event)
                    result[key] = STREAMED
                    while not isinstance(item := get_event(), yaml.SequenceEndEvent):
                        on_good(self.value(item, 2))
                else:
                    result[key] = self.value(event, 1)
        else:
            result = self.value(root)
        get_event()  # document end
        if not isinstance(get_event(), yaml.StreamEndEvent):
            raise PriceListInvalid.single("The file holds more than one YAML document.")
        return result

    def read(self, on_good: Callable[[Any], None]) -> Any:
        try:
            return self.document(on_good)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            what = exc.problem or exc.context or "malformed YAML"
            raise PriceListInvalid.single(f"The file is not valid YAML{where}: {what}.") from None
        except yaml.YAMLError as exc:
            raise PriceListInvalid.single(f"The file is not valid YAML: {exc}.") from None
        finally:
            self.loader.dispose()


def _refuse_alias(event) -> None:
    # Aliases are how YAML bombs multiply: a price list never needs them.
    raise PriceListInvalid.single("YAML anchors and aliases (&name / *name) are not allowed "
                                  f"(line {event.start_mark.line + 1}).")


_UNKNOWN = object()
STREAMED = object()  # marks the goods list that `_Reader.document` handed out item by item


def decode(raw: bytes) -> str:
    """Bytes as UTF-8 text (a BOM is dropped); raise PriceListInvalid for anything else."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _not_utf8(exc.start) from None


def _not_utf8(byte: int) -> PriceListInvalid:
    return PriceListInvalid([Problem(f"The file is not UTF-8 text (byte {byte}).")])


def _utf8_source(raw: bytes, step: int = 1 << 20) -> _Source | None:
    """The bytes after any BOM if they are UTF-8 text, checked a slice at a time as `decode` would check them
    (without a decoded copy of the whole file); None when the text is blank."""
    start = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    position, blank = start, True
    while position < len(raw):
        final = position + step >= len(raw)
        try:  # not final: a character cut at the slice's end is left for the next slice
            text, consumed = codecs.utf_8_decode(raw[position:position + step], "strict", final)
        except UnicodeDecodeError as exc:
            raise _not_utf8(position - start + exc.start) from None  # counted after the BOM, as `decode` does
        blank = blank and (not text or text.isspace())
        position += consumed
    return None if blank else _Source(raw, start)


# ------------------------------------------------------------------------------------------------- validating


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
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise Wrong(f"{what} has more than 2 decimal places")
    if amount > MAX_PRICE:
        raise Wrong(f"{what} is larger than {MAX_PRICE}")
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


def export_value(value: str, value_type: str) -> Any:
    """The YAML value a stored parameter came from."""
    if value_type == "int":
        return int(value)
    if value_type == "float":
        return float(value)
    if value_type == "bool":
        return value == "True"
    return value


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
    )


class _Validator:
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
    return _Validator(limits).finish(data)


def utf8_size(text: str, step: int = 1 << 20) -> int:
    """The UTF-8 size of `text`, a slice at a time (encoding a 30 MB list whole would double its memory)."""
    return sum(len(text[start:start + step].encode("utf-8")) for start in range(0, len(text), step))


def parse_price_list(raw: bytes | str, limits: Limits = Limits()) -> PriceList:
    """Size check, UTF-8, safe YAML, then the format: a `PriceList`, or PriceListInvalid with every problem."""
    size = utf8_size(raw) if isinstance(raw, str) else len(raw)
    if size > limits.max_bytes:
        raise PriceListInvalid([Problem(f"The file is {size:,} bytes; the limit is {limits.max_bytes:,}.")])
    # The text is read as it is, never decoded, stripped or encoded whole: each copy of a 30 MB list costs as
    # much memory as the 100,000 goods parsed from it.
    if isinstance(raw, str):
        source = None if not raw or raw.isspace() else _Source(raw)
    else:
        source = _utf8_source(raw)
    if source is None:
        raise PriceListInvalid([Problem("The file is empty.")])
    max_nodes = limits.max_goods * NODES_PER_GOOD + limits.max_categories * 6 + 100
    validator = _Validator(limits)
    return validator.finish(_Reader(source, max_nodes).read(validator.good))


# ---------------------------------------------------------------------------------------------------- writing


def dump_price_list(shop: str, categories: list[dict], goods: list[dict]) -> str:
    """The YAML a supplier would write: keys in the documented order, Cyrillic as is, one value per line."""
    document = {"shop": shop, "categories": categories, "goods": goods}
    return yaml.dump(document, Dumper=SafeDumper, allow_unicode=True, sort_keys=False, width=1_000_000,
                     default_flow_style=False)
