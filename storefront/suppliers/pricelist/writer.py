"""Writing a price list: the YAML a supplier would write, from stored goods (the export), and the YAML value
a stored parameter came from (`validation.parameter_value` undone)."""

from __future__ import annotations

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


def dump_price_list(shop: str, categories: list[dict], goods: list[dict]) -> str:
    """The YAML a supplier would write: keys in the documented order, Cyrillic as is, one value per line."""
    document = {"shop": shop, "categories": categories, "goods": goods}
    return yaml.dump(document, Dumper=SafeDumper, allow_unicode=True, sort_keys=False, width=1_000_000,
                     default_flow_style=False)
