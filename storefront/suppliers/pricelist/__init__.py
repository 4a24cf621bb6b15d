"""Price lists (DESIGN.md §4): read a supplier's YAML, validate it into plain values, and write it back.

`parse_price_list(raw, limits)` returns a `PriceList` or raises `PriceListInvalid` carrying every problem found,
each with the item id (or category id) and the field, so a supplier can fix the whole file in one go.

One module per responsibility: `reader` (bytes → plain values, safely), `validation` (plain values → a
`PriceList`, every number within its column's range), `writer` (stored goods → YAML); `model` holds the
values they share. Callers import from here.
"""

from __future__ import annotations

from storefront.suppliers.pricelist.model import (
    MAX_ERRORS,
    CategoryRow,
    Good,
    Limits,
    PriceList,
    PriceListInvalid,
    Problem,
)
from storefront.suppliers.pricelist.reader import NODES_PER_GOOD, Reader, Source, decode, utf8_size, utf8_source
from storefront.suppliers.pricelist.validation import (
    MAX_ID,
    MAX_PRICE,
    MAX_QUANTITY,
    Validator,
    Wrong,
    parameter_value,
    validate,
)
from storefront.suppliers.pricelist.writer import dump_price_list, dump_price_list_parts, export_value

__all__ = [
    "MAX_ERRORS", "MAX_ID", "MAX_PRICE", "MAX_QUANTITY", "CategoryRow", "Good", "Limits", "PriceList",
    "PriceListInvalid", "Problem", "Wrong", "decode", "dump_price_list", "dump_price_list_parts", "export_value", "parameter_value",
    "parse_price_list", "utf8_size", "validate",
]


def parse_price_list(raw: bytes | str, limits: Limits = Limits()) -> PriceList:
    """Size check, UTF-8, safe YAML, then the format: a `PriceList`, or PriceListInvalid with every problem."""
    size = utf8_size(raw) if isinstance(raw, str) else len(raw)
    if size > limits.max_bytes:
        raise PriceListInvalid([Problem(f"The file is {size:,} bytes; the limit is {limits.max_bytes:,}.")])
    # The text is read as it is, never decoded, stripped or encoded whole: each copy of a 30 MB list costs as
    # much memory as the 100,000 goods parsed from it.
    if isinstance(raw, str):
        source = None if not raw or raw.isspace() else Source(raw)
    else:
        source = utf8_source(raw)
    if source is None:
        raise PriceListInvalid([Problem("The file is empty.")])
    max_nodes = limits.max_goods * NODES_PER_GOOD + limits.max_categories * 6 + 100
    validator = Validator(limits)
    return validator.finish(Reader(source, max_nodes).read(validator.good))
