"""Writing a price list: the YAML a supplier would write, from stored goods (the export), and the YAML value
a stored parameter came from (`validation.parameter_value` undone)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

try:  # libyaml is ~10x faster on big lists
    from yaml import CSafeDumper as SafeDumper
except ImportError:  # pragma: no cover - libyaml ships with the PyYAML wheels
    from yaml import SafeDumper


def export_value(value: str, value_type: str) -> Any:
    """The YAML value a stored parameter came from."""
    if value_type == "int":
        return int(value)
    if value_type == "float":
        return float(value)
    if value_type == "bool":
        return value == "True"
    return value


def _dump(document: Any) -> str:
    return yaml.dump(document, Dumper=SafeDumper, allow_unicode=True, sort_keys=False, width=1_000_000,
                     default_flow_style=False)


def dump_price_list(shop: str, categories: list[dict], goods: list[dict]) -> str:
    """The YAML a supplier would write: keys in the documented order, Cyrillic as is, one value per line."""
    return _dump({"shop": shop, "categories": categories, "goods": goods})


def dump_price_list_parts(shop: str, categories: list[dict], goods: list[dict], size: int) -> Iterator[str]:
    """`dump_price_list` in pieces, the goods `size` at a time, so a long export can report (and write) as it goes.
    Joined, the pieces are exactly `dump_price_list`'s text: the dumper writes a mapping's list unindented."""
    if not goods:
        yield dump_price_list(shop, categories, goods)
        return
    yield _dump({"shop": shop, "categories": categories}) + "goods:\n"
    for start in range(0, len(goods), size):
        yield _dump(goods[start:start + size])
