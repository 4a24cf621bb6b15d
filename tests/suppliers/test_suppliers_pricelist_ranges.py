"""Price-list numbers out of range (issue 17) and the reader / validation / writer split (issue 16).

Every number is checked against the column it lands in: a price of `1.0e+30` used to raise InvalidOperation
while rounding to cents, failing the import job with "error on our side" instead of naming the price.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storefront.catalog.models import Offer
from storefront.extensions import db
from storefront.suppliers import services
from storefront.suppliers.models import ImportJob, ImportState
from storefront.suppliers.pricelist import MAX_ID, MAX_PRICE, MAX_QUANTITY, PriceListInvalid, parse_price_list
from tests.factories import ShopFactory, SupplierFactory
from tests.suppliers.supplier_helpers import good, price_list

HEAD = "shop: S\ncategories:\n- {id: 224, name: Смартфоны}\ngoods:\n"
PACKAGE = Path(__file__).resolve().parents[2] / "storefront" / "suppliers" / "pricelist"


def one_good(**values: str) -> str:
    fields = {"id": "1", "category": "224", "name": "A", "price": "1", "quantity": "1", **values}
    return HEAD + "- {" + ", ".join(f"{key}: {value}" for key, value in fields.items()) + "}\n"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("price", "1.0e+30", f"price is larger than {MAX_PRICE}"),
        ("price", "1e30", f"price is larger than {MAX_PRICE}"),  # YAML 1.1 reads this one as text
        ("price", "'1E+30'", f"price is larger than {MAX_PRICE}"),
        ("price", "1" + "0" * 40, f"price is larger than {MAX_PRICE}"),
        ("price", "10000000000", f"price is larger than {MAX_PRICE}"),
        ("price", "1.0e-30", "price has more than 2 decimal places"),
        ("price", "-1", "price cannot be negative"),
        ("price", "-1.0e+30", "price cannot be negative"),
        ("price", ".nan", "price must be a finite number"),
        ("price", ".inf", "price must be a finite number"),
        ("price", "-.inf", "price must be a finite number"),
        ("price", "'NaN'", "price must be a finite number"),
        ("price", "'sNaN'", "price must be a finite number"),
        ("price_rrc", "1.0e+30", f"price_rrc is larger than {MAX_PRICE}"),
        ("quantity", str(MAX_QUANTITY + 1), f"quantity is larger than {MAX_QUANTITY}"),
        ("quantity", "1" + "0" * 30, f"quantity is larger than {MAX_QUANTITY}"),
        ("quantity", "1.0e+30", "quantity must be a whole number"),
        ("quantity", ".inf", "quantity must be a whole number"),
        ("quantity", "-1", "quantity cannot be negative"),
        ("category", str(MAX_ID + 1), f"category must be between 1 and {MAX_ID}"),
        ("category", "1.0e+30", "category must be a whole number"),
        ("category", "0", f"category must be between 1 and {MAX_ID}"),
    ],
)
def test_a_number_out_of_range_is_an_item_error_naming_the_field(field, value, message):
    with pytest.raises(PriceListInvalid) as caught:
        parse_price_list(one_good(**{field: value}))
    found = [(p.item, p.field, p.message) for p in caught.value.problems]
    assert ("item 1", field, message) in found, found


@pytest.mark.parametrize("value", [str(MAX_ID + 1), "-1", "1.0e+30", ".nan"])
def test_an_item_id_out_of_range_names_the_id(value):
    with pytest.raises(PriceListInvalid) as caught:
        parse_price_list(one_good(id=value))
    assert [(p.item, p.field) for p in caught.value.problems] == [("item #1", "id")]


def test_the_largest_values_that_fit_are_accepted():
    parsed = parse_price_list(one_good(id=str(MAX_ID), price=str(MAX_PRICE), price_rrc="0", quantity=str(MAX_QUANTITY)))
    good_ = parsed.goods[0]
    assert (good_.external_id, good_.price, good_.quantity) == (MAX_ID, MAX_PRICE, MAX_QUANTITY)


def test_an_import_with_a_price_of_1e30_fails_naming_the_price_not_our_side(session):
    user = SupplierFactory(shop=ShopFactory(name="S"))
    text = price_list("S", [good(1, "A"), good(2, "B")]).replace("price: 1000\n  price_rrc", "price: 1.0e+30\n  price_rrc", 1)
    assert "1.0e+30" in text
    job_id = services.start_file_import(user, "a.yaml", text.encode()).id
    db.session.commit()  # the job runs now (no Redis)
    db.session.expire_all()
    job = db.session.get(ImportJob, job_id)
    assert job.state == ImportState.FAILED
    assert [(p["item"], p["field"]) for p in job.errors] == [("item 1", "price")]
    assert "on our side" not in job.errors[0]["message"]
    assert db.session.scalar(select(func.count()).select_from(Offer)) == 0


# --- the split ------------------------------------------------------------------------------------------------


def _imports(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    return {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}


def test_reader_validation_and_writer_depend_only_on_the_shared_model():
    siblings = {f"storefront.suppliers.pricelist.{name}" for name in ("reader", "validation", "writer")}
    for module in ("model", "reader", "validation", "writer"):
        assert not (_imports(module) & siblings), module  # none reaches into another's responsibility
    assert "storefront.suppliers.pricelist.model" in _imports("reader") & _imports("validation")


def test_callers_import_the_public_names_from_the_package():
    from storefront.suppliers import pricelist

    for name in ("Good", "Limits", "PriceList", "PriceListInvalid", "Problem", "decode", "dump_price_list",
                 "export_value", "parameter_value", "parse_price_list", "validate"):
        assert hasattr(pricelist, name), name
