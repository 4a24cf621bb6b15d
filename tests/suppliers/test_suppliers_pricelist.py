"""Parsing and validating price lists: every bad input is a PriceListInvalid naming the item and the field."""

import codecs
import math
from decimal import Decimal

import pytest

from storefront.suppliers.pricelist import Limits, PriceListInvalid, parse_price_list
from tests.suppliers.supplier_helpers import DEMO

HEAD = "shop: S\ncategories:\n- {id: 224, name: Смартфоны}\ngoods:\n"


def problems(text, limits=None):
    with pytest.raises(PriceListInvalid) as caught:
        parse_price_list(text, limits or Limits())
    return [(p.item, p.field, p.message) for p in caught.value.problems]


def fields(text, limits=None):
    return {(item, field) for item, field, _ in problems(text, limits)}


def test_sample_file_parses_with_types():
    parsed = parse_price_list((DEMO / "technopark.yaml").read_bytes())
    assert parsed.shop == "Технопарк Демо" and len(parsed.goods) == 20
    first = parsed.goods[0]
    assert first.price == Decimal("37000.00") and first.quantity == 2
    assert {n: t for n, _, t in first.parameters} == {
        "Диагональ (дюйм)": "float", "Встроенная память (Гб)": "int", "Цвет": "str"}


@pytest.mark.parametrize(("text", "expected"), [
    ("shop: [unclosed", "not valid YAML at line 2"),
    ("shop: S\n\tgoods: []", "not valid YAML"),
    ("!!python/object/apply:os.system ['echo pwned']", "tag that is not allowed"),
    ("shop: !!python/name:os.system\ngoods: []", "tag that is not allowed"),
    ("- just\n- a list", "must be a mapping"),
    ("", "empty"),
    ("shop: S\nshop: T\ngoods: []", "appears twice"),
    ("base: &b {id: 1}\nshop: S\ngoods: [*b]", "anchors and aliases"),
    ("shop: S\ngoods:\n- <<: {id: 1}\n  name: x", "merge keys"),
    ("shop: S\ngoods: []\nx: " + "7" * 5000, "is not a valid value"),  # beyond Python's int() digit limit
])
def test_malformed_and_dangerous_yaml_is_refused(text, expected):
    assert any(expected in message for _, _, message in problems(text))


def test_yaml_bomb_is_refused_before_it_expands():
    bomb = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        bomb.append(f"a{level}: &a{level} [" + ",".join([f"*a{level - 1}"] * 9) + "]")
    assert any("aliases" in m for _, _, m in problems("\n".join(bomb)))


def test_oversized_file_and_too_many_nodes_are_refused():
    assert any("limit is 100" in m for _, _, m in problems("x" * 101, Limits(max_bytes=100)))
    many = HEAD + "".join(f"- {{id: {i}, category: 224, name: n{i}, price: 1, quantity: 1}}\n" for i in range(1, 4))
    assert ("file", "goods") in fields(many, Limits(max_goods=2))
    nodes = "shop: S\ngoods: []\nx: [" + ",".join("1" for _ in range(500)) + "]"
    assert any("YAML nodes" in m for _, _, m in problems(nodes, Limits(max_goods=1, max_categories=1)))


def test_not_utf8_is_refused():
    assert any("not UTF-8" in m for _, _, m in problems("shop: Связной".encode("cp1251")))


def test_bytes_are_read_as_utf8_across_slices_as_text_is():
    # Bytes are checked a 1 MiB slice at a time and never decoded whole: 11 ASCII bytes first put the 1 MiB mark
    # inside a two-byte "ё".
    text = "shop: S\n#  " + "ё" * 600_000 + "\n"
    raw = text.encode()
    assert problems(raw) == problems(text) == problems(codecs.BOM_UTF8 + raw) == [("file", "goods", "goods is missing")]
    bad = raw + b"\xff"
    expected = [("file", None, f"The file is not UTF-8 text (byte {len(raw)}).")]
    assert problems(bad) == problems(codecs.BOM_UTF8 + bad) == expected  # counted after a BOM, as ever
    assert problems(" \u00a0\n".encode()) == problems(" \u00a0\n") == [("file", None, "The file is empty.")]


def test_missing_misspelt_and_wrong_keys_name_item_and_field():
    text = HEAD + (
        "- {id: 1, category: 224, name: A, prise: 5, quantity: 1}\n"          # misspelt price
        "- {id: 2, category: 224, name: B, price: -5, quantity: 1}\n"         # negative price
        "- {id: 3, category: 224, name: C, price: abc, quantity: 1}\n"        # not a number
        "- {id: 4, category: 224, name: D, price: 1, quantity: -1}\n"         # negative quantity
        "- {id: 5, category: 224, name: E, price: 1, quantity: 2.5}\n"        # fractional quantity
        "- {id: 6, category: 777, name: F, price: 1, quantity: 1}\n"          # unknown category
        "- {id: 7, category: 224, name: G, price: 1, quantity: 1}\n"
        "- {id: 7, category: 224, name: G2, price: 1, quantity: 1}\n"         # duplicate id
        "- {id: true, category: 224, name: H, price: 1, quantity: 1}\n"       # boolean id
        "- {id: 9, category: 224, name: '', price: 1, quantity: 1}\n"         # empty name
        "- {id: 10, category: 224, name: J, price: 1.005, quantity: 1}\n"     # sub-cent price
        "- {id: 11, category: 224, name: K, price: .nan, quantity: 1}\n"      # NaN
        "- {id: 12, category: 224, name: L, price: 1, quantity: 1, parameters: {Цвет: [1, 2]}}\n"
        "- {id: 13, category: 224, name: M, price: 1, quantity: 1, parameters: {Цвет: }}\n"
        "- {id: 14, category: 224, name: N, price: 1, quantity: 1, parameters: [a, b]}\n"
        "- {id: 18446744073709551616, category: 224, name: O, price: 1, quantity: 1}\n"  # beyond BIGINT
        "- 'not a mapping'\n"
    )
    found = fields(text)
    assert {("item 1", "prise"), ("item 1", "price"), ("item 2", "price"), ("item 3", "price"),
            ("item 4", "quantity"), ("item 5", "quantity"), ("item 6", "category"), ("item 7", "id"),
            ("item #9", "id"), ("item 9", "name"), ("item 10", "price"), ("item 11", "price"),
            ("item 12", "parameters.Цвет"), ("item 13", "parameters.Цвет"), ("item 14", "parameters"),
            ("item #16", "id"), ("item #17", None)} <= found


def test_top_level_problems():
    assert ("file", "shop") in fields("categories: []\ngoods: []")
    assert ("file", "goods") in fields("shop: S\ncategories: []")
    assert ("file", "goods") in fields("shop: S\ngoods: {a: 1}")
    assert ("file", "sh0p") in fields("sh0p: S\nshop: S\ngoods: []")
    assert ("category 224", "id") in fields("shop: S\ncategories: [{id: 224, name: A}, {id: 224, name: B}]\ngoods: []")
    assert ("category 224", "name") in fields("shop: S\ncategories: [{id: 224}]\ngoods: []")


def test_string_limits_and_nul_characters():
    long_name = "x" * 301
    assert ("item 1", "name") in fields(HEAD + f"- {{id: 1, category: 224, name: {long_name}, price: 1, quantity: 1}}\n")
    assert ("item 1", "name") in fields(HEAD + '- {id: 1, category: 224, name: "a\\0b", price: 1, quantity: 1}\n')


def test_every_problem_is_reported_up_to_a_cap():
    text = HEAD + "".join(f"- {{id: {i}, category: 224, name: n, price: -1, price_rrc: 1, quantity: 1}}\n"
                          for i in range(1, 1201))
    with pytest.raises(PriceListInvalid) as caught:
        parse_price_list(text)
    assert caught.value.total == 1200 and len(caught.value.problems) == 1000


def test_friendly_values_are_accepted():
    text = HEAD + ("- {id: '4216292', category: 224, model: 2020, name: 12345, price: '110 000,50', quantity: 0,"
                   " parameters: {Выпуск: 2024-01-31, 2: два}}\n")
    good = parse_price_list(text).goods[0]
    assert (good.external_id, good.model, good.name, good.price) == (4216292, "2020", "12345", Decimal("110000.50"))
    assert good.price_rrc == good.price  # price_rrc defaults to price
    assert good.parameters == (("2", "два", "str"), ("Выпуск", "2024-01-31", "str"))


SCALARS = ["0", "00", "012", "0o17", "0x1F", "0b101", "1_000", "190:20:30", "+12", "-7", "12", "9000000000000",
           "1e3", "1.5e3", "6.1", ".5", "-.inf", ".NaN", "yes", "No", "on", "OFF", "true", "False", "~", "null",
           "2024-01-31", "2001-12-14t21:59:43.10-05:00", "１２", "٣", "²", "12abc", "abc", "Цвет", "=", "'quoted 12'",
           '"7"', "!!str 12", "! 12", "-x", "-1.5", "<x"]


@pytest.mark.parametrize("scalar", SCALARS)
def test_scalars_read_as_safe_load_reads_them(scalar):
    """The reader's shortcuts for plain scalars (text by first character, decimal ints, remembered values) give
    what yaml.safe_load gives — also the second time a value is seen."""
    import yaml

    from storefront.suppliers.pricelist import parameter_value
    text = HEAD + "".join(f"- id: {i}\n  category: 224\n  name: n{i}\n  price: 1\n  quantity: 1\n"
                          f"  parameters:\n    p: {scalar}\n" for i in (1, 2))
    try:
        expected = yaml.safe_load(f"v: {scalar}")["v"]
    except yaml.YAMLError:  # "=" (the value tag) has no safe constructor: refused, not guessed at
        assert any("tag that is not allowed" in m for _, _, m in problems(text))
        return
    if expected is None or (isinstance(expected, float) and not math.isfinite(expected)):  # not storable
        refusal = "empty" if expected is None else "finite"
        assert [m for _, _, m in problems(text) if refusal in m] and len(problems(text)) == 2
        return
    goods = parse_price_list(text).goods
    assert [good.parameters for good in goods] == [(("p", *parameter_value(expected)),)] * 2
