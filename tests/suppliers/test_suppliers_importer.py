"""The importer on both databases: samples, idempotency, deactivation, all-or-nothing, round trips, sharing."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from storefront.catalog.browsing import product_page
from storefront.catalog.models import (
    Category,
    Offer,
    OfferParameter,
    Parameter,
    Product,
    ShopCategory,
)
from storefront.extensions import db
from storefront.suppliers.export import price_list_yaml
from storefront.suppliers.pricelist import PriceListInvalid, parse_price_list
from tests.factories import ProductFactory, ShopFactory
from tests.suppliers.supplier_helpers import (
    DEMO,
    count_statements,
    good,
    import_text,
    price_list,
    writes,
)

BIG = 9_007_199_254_740_993  # beyond 53 bits: a float would lose it


def offers_of(shop):
    return {o.external_id: o for o in db.session.scalars(select(Offer).where(Offer.shop_id == shop.id))}


def params_of(offer):
    return {p.parameter.name: (p.value, p.value_type) for p in offer.parameters}


def offer_reads(statements):
    return [s for s in statements if s.lstrip().startswith("SELECT") and "FROM offer" in s]


def snapshot():
    """Everything the importer may write, to prove that a refused import wrote nothing."""
    return {
        "offers": sorted(db.session.execute(select(Offer.id, Offer.external_id, Offer.price, Offer.quantity,
                                                   Offer.is_active, Offer.product_id, Offer.model)).all()),
        "products": sorted(db.session.execute(select(Product.id, Product.name, Product.search_text)).all()),
        "params": sorted(db.session.execute(select(OfferParameter.offer_id, OfferParameter.parameter_id,
                                                   OfferParameter.value)).all()),
        "categories": sorted(db.session.execute(select(Category.id, Category.name)).all()),
        "links": sorted(db.session.execute(select(ShopCategory.id, ShopCategory.external_id, ShopCategory.name)).all()),
    }


@pytest.mark.parametrize(("file", "shop_name", "goods"), [
    ("technopark.yaml", "Технопарк Демо", 20), ("electroline.yaml", "Электролиния", 8),
    ("zerno-coffee.yaml", "Кофейня «Зерно»", 13),
])
def test_sample_files_import_with_their_counts(session, file, shop_name, goods):
    shop = ShopFactory(name=shop_name)
    result = import_text(shop, (DEMO / file).read_bytes())
    assert (result.created, result.updated, result.unchanged, result.deactivated) == (goods, 0, 0, 0)
    assert len(offers_of(shop)) == goods
    assert db.session.scalar(select(func.count()).select_from(ShopCategory).where(ShopCategory.shop_id == shop.id)) == 3


def test_all_three_samples_share_products_by_name(session):
    shops = {}
    for file in ("technopark.yaml", "electroline.yaml", "zerno-coffee.yaml"):
        text = (DEMO / file).read_bytes()
        shops[file] = ShopFactory(name=parse_price_list(text).shop)
        import_text(shops[file], text)
    # Both electronics shops sell "Смартфон Samsung Galaxy S24 128GB (чёрный)": one product, two offers.
    product = db.session.scalar(select(Product).where(Product.name == "Смартфон Samsung Galaxy S24 128GB (чёрный)"))
    assert {offer.shop.name for offer in product.offers} == {"Технопарк Демо", "Электролиния"}
    assert len(product_page(product.id).product.offers) == 2
    # Both shops' "Смартфоны" (ids 10 and 1) map onto one shared category.
    assert db.session.scalar(select(func.count()).select_from(Category).where(Category.name == "Смартфоны")) == 1


def test_second_import_of_the_same_file_writes_nothing(session):
    shop = ShopFactory(name="Технопарк Демо")
    text = (DEMO / "technopark.yaml").read_bytes()
    import_text(shop, text)
    with count_statements() as statements:
        result = import_text(shop, text)
    assert (result.created, result.updated, result.unchanged, result.deactivated) == (0, 0, 20, 0)
    assert result.touched_products == set()
    assert writes(statements) == []
    # Set-based: a handful of reads whatever the file's size, not one per good.
    assert len(statements) <= 10, statements


def test_changes_are_counted_and_applied(session):
    shop = ShopFactory(name="Связной")
    goods = [good(1, "Phone A", price=100, quantity=1, parameters={"Цвет": "чёрный"}),
             good(2, "Phone B", price=200), good(3, "Phone C", price=300)]
    import_text(shop, price_list("Связной", goods))
    goods[0]["parameters"] = {"Цвет": "белый"}
    goods[1]["price"] = "199.90"
    goods[2]["quantity"] = 0
    goods.append(good(4, "Phone D"))
    result = import_text(shop, price_list("Связной", goods))
    assert (result.created, result.updated, result.unchanged, result.deactivated) == (1, 3, 0, 0)
    offers = offers_of(shop)
    assert params_of(offers[1]) == {"Цвет": ("белый", "str")}
    assert offers[2].price == Decimal("199.90")
    assert offers[3].quantity == 0


def test_vanished_goods_are_deactivated_not_deleted_and_come_back(session):
    shop = ShopFactory(name="Связной")
    goods = [good(1, "Phone A"), good(2, "Phone B"), good(3, "Phone C")]
    import_text(shop, price_list("Связной", goods))
    result = import_text(shop, price_list("Связной", goods[:1]))
    assert (result.unchanged, result.deactivated) == (1, 2)
    offers = offers_of(shop)
    assert len(offers) == 3 and [o.is_active for _, o in sorted(offers.items())] == [True, False, False]
    # Importing the short list again deactivates nothing more; the full list brings them back as updates.
    assert import_text(shop, price_list("Связной", goods[:1])).deactivated == 0
    result = import_text(shop, price_list("Связной", goods))
    assert (result.updated, result.unchanged) == (2, 1)
    assert all(o.is_active for o in offers_of(shop).values())


def test_lists_longer_than_a_chunk_are_compared_a_chunk_at_a_time(session, monkeypatch):
    """Chunks of two goods: shared names, renames, parameters and vanished goods across chunk boundaries come out
    as with one chunk, and the shop's offers are read a chunk at a time."""
    from storefront.suppliers import importer

    monkeypatch.setattr(importer, "CHUNK", 2)
    shop = ShopFactory(name="Связной")
    goods = [good(n, f"Phone {n % 3}", model=f"m/{n}", price=100 + n, parameters={"Цвет": f"c{n % 2}"})
             for n in range(1, 8)]
    result = import_text(shop, price_list("Связной", goods))
    assert (result.created, result.updated, result.unchanged, result.deactivated) == (7, 0, 0, 0)
    offers = offers_of(shop)
    assert len({offer.product_id for offer in offers.values()}) == 3
    phone_1 = offers[1].product  # goods 1, 4 and 7 are in three chunks: one product, found by all their models
    assert offers[4].product_id == offers[7].product_id == phone_1.id
    assert all(f"m/{n}" in phone_1.search_text for n in (1, 4, 7))
    assert {ext: params_of(offer) for ext, offer in offers.items()} == {n: {"Цвет": (f"c{n % 2}", "str")} for n in range(1, 8)}

    with count_statements() as chunked:
        result = import_text(shop, price_list("Связной", goods))
    assert (result.created, result.updated, result.unchanged, result.deactivated) == (0, 0, 7, 0)
    assert writes(chunked) == []
    monkeypatch.setattr(importer, "CHUNK", 5000)
    with count_statements() as whole:
        import_text(shop, price_list("Связной", goods))
    # Each chunk reads its offers and their parameters; one more read finds the vanished offers.
    assert (len(offer_reads(chunked)), len(offer_reads(whole))) == (4 * 2 + 1, 2 + 1)
    monkeypatch.setattr(importer, "CHUNK", 2)

    # 2 and 5 vanish; 3 gets other parameters, 4 a new name, 6 a lower price; 8 is new and shares "Phone 2".
    goods[2]["parameters"] = {"Цвет": "белый"}
    goods[3]["name"] = "Phone 9"
    goods[5]["price"] = 50
    changed = [g for g in goods if g["id"] not in (2, 5)] + [good(8, "Phone 2", model="m/8")]
    result = import_text(shop, price_list("Связной", changed))
    assert (result.created, result.updated, result.unchanged, result.deactivated) == (1, 3, 2, 2)
    offers = offers_of(shop)
    assert {ext for ext, offer in offers.items() if not offer.is_active} == {2, 5}
    assert params_of(offers[3]) == {"Цвет": ("белый", "str")} and offers[6].price == Decimal("50.00")
    assert offers[4].product.name == "Phone 9" and offers[4].product_id != phone_1.id
    assert offers[8].product_id == offers[2].product_id and "m/8" in offers[8].product.search_text
    # The vanished goods come back as updates, each in its chunk.
    result = import_text(shop, price_list("Связной", [*changed, goods[1], goods[4]]))
    assert (result.created, result.updated, result.unchanged, result.deactivated) == (0, 2, 6, 0)
    assert all(offer.is_active for offer in offers_of(shop).values())


def test_invalid_file_changes_nothing(session):
    shop = ShopFactory(name="Связной")
    import_text(shop, price_list("Связной", [good(1, "Phone A"), good(2, "Phone B")]))
    before = snapshot()
    bad = price_list("Связной", [good(1, "Phone A", price=5), good(3, "Phone C", price=-1, price_rrc=10), good(4, "New", category=999)])
    with pytest.raises(PriceListInvalid) as caught:
        import_text(shop, bad)
    problems = {(p.item, p.field) for p in caught.value.problems}
    assert problems == {("item 3", "price"), ("item 4", "category")}
    db.session.rollback()
    assert snapshot() == before


def test_a_failure_while_writing_rolls_everything_back(session, monkeypatch):
    from storefront.suppliers import importer

    shop = ShopFactory(name="Связной")
    import_text(shop, price_list("Связной", [good(1, "Phone A")]))
    before = snapshot()

    def boom(*_args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "_write_parameters", boom)
    new = price_list("Связной", [good(1, "Phone A", price=5), good(2, "Phone B", parameters={"Цвет": "x"})])
    with pytest.raises(RuntimeError):
        import_text(shop, new)
    db.session.rollback()
    assert snapshot() == before


def test_the_file_must_be_for_the_suppliers_shop(session):
    shop = ShopFactory(name="Связной")
    with pytest.raises(PriceListInvalid, match="for the shop “Эльдорадо”"):
        import_text(shop, price_list("Эльдорадо", [good(1, "Phone A")]))


def test_two_suppliers_may_both_use_category_224_for_different_things(session):
    a, b = ShopFactory(name="A"), ShopFactory(name="B")
    import_text(a, price_list("A", [good(1, "Phone")], [{"id": 224, "name": "Смартфоны"}]))
    import_text(b, price_list("B", [good(1, "Coffee")], [{"id": 224, "name": "Кофе"}]))
    phone = db.session.scalar(select(Product).where(Product.name == "Phone"))
    coffee = db.session.scalar(select(Product).where(Product.name == "Coffee"))
    assert phone.category.name == "Смартфоны" and coffee.category.name == "Кофе"
    # Each shop's 224 is its own row; the same external item id 1 is two offers.
    assert {(link.shop_id, link.name) for link in db.session.scalars(select(ShopCategory))} == {(a.id, "Смартфоны"), (b.id, "Кофе")}
    assert len(offers_of(a)) == len(offers_of(b)) == 1


def test_large_int_ids_quotes_mixed_scripts_and_decimal_prices(session):
    shop = ShopFactory(name='Магазин "Ромашка" / Daisy')
    text = price_list('Магазин "Ромашка" / Daisy', [
        good(BIG, 'Телевизор LG 55" «OLED» (it\'s black)', category=4_294_967_297, price=110000.5, price_rrc="116990.99"),
        good(2**63 - 1, "Кабель USB-C 2m", category=4_294_967_297, price=99),
    ], [{"id": 4_294_967_297, "name": "TV & Видео"}])
    import_text(shop, text)
    offers = offers_of(shop)
    assert offers[BIG].product.name == 'Телевизор LG 55" «OLED» (it\'s black)'
    assert offers[BIG].price == Decimal("110000.50") and offers[BIG].price_rrc == Decimal("116990.99")
    assert offers[2**63 - 1].price == Decimal("99.00")
    assert db.session.scalar(select(ShopCategory.external_id).where(ShopCategory.shop_id == shop.id)) == 4_294_967_297
    # Search text is case-folded name + model, so "оled" finds the TV.
    assert "oled" in offers[BIG].product.search_text


def test_export_then_import_is_a_no_op_with_parameter_types_kept(session):
    shop = ShopFactory(name="Связной")
    params = {"Диагональ (дюйм)": 6.5, "Память": 512, "NFC": True, "5G": False, "Цвет": "золотистый",
              "Артикул": "00123", "Версия": "1.10", "Дата выпуска": "2024-01-31", "Вес": 1e-05}
    text = price_list("Связной", [
        good(4216292, "Смартфон Apple iPhone XS Max 512GB (золотистый)", price=110000, price_rrc=116990, quantity=14,
             parameters=params),
        good(2, "Без модели", model="", price="0.99"),
    ])
    import_text(shop, text)
    exported = price_list_yaml(shop)
    again = parse_price_list(exported)
    by_id = {g.external_id: g for g in again.goods}
    assert {n: (v, t) for n, v, t in by_id[4216292].parameters} == {
        "Диагональ (дюйм)": ("6.5", "float"), "Память": ("512", "int"), "NFC": ("True", "bool"),
        "5G": ("False", "bool"), "Цвет": ("золотистый", "str"), "Артикул": ("00123", "str"),
        "Версия": ("1.10", "str"), "Дата выпуска": ("2024-01-31", "str"), "Вес": ("1e-05", "float"),
    }
    before = snapshot()
    with count_statements() as statements:
        result = import_text(shop, exported)
    assert (result.created, result.updated, result.unchanged, result.deactivated) == (0, 0, 2, 0)
    assert writes(statements) == []
    assert snapshot() == before
    assert price_list_yaml(shop) == exported


def test_staff_deactivated_product_stays_off_and_keeps_its_category(session):
    shop = ShopFactory(name="Связной")
    import_text(shop, price_list("Связной", [good(1, "Phone A")]))
    product = db.session.scalar(select(Product).where(Product.name == "Phone A"))
    product.is_active = False
    db.session.commit()
    result = import_text(shop, price_list("Связной", [good(1, "Phone A", price=5)]))
    assert result.updated == 1
    db.session.refresh(product)
    assert product.is_active is False


def test_products_are_shared_by_name_and_model(session):
    existing = ProductFactory(name="Phone A")
    other_model = ProductFactory(name="Cable")
    same_name = ProductFactory(name="Cable")
    other = ShopFactory(name="Other")
    import_text(other, price_list("Other", [good(7, "Cable", model="acme/usb-c")]))  # joins the oldest "Cable"
    db.session.execute(db.update(Offer).where(Offer.shop_id == other.id).values(product_id=same_name.id))
    db.session.commit()
    shop = ShopFactory(name="Связной")
    import_text(shop, price_list("Связной", [good(1, "Phone A"), good(2, "Cable", model="acme/usb-c"),
                                             good(3, "Cable", model="other/lightning")]))
    offers = offers_of(shop)
    assert offers[1].product_id == existing.id
    assert offers[2].product_id == same_name.id  # same name and model as Other's offer
    assert offers[3].product_id == other_model.id  # same name only: the oldest product of that name
    assert "acme/usb-c" in db.session.get(Product, same_name.id).search_text


def test_renamed_good_moves_to_the_product_of_its_new_name(session):
    shop = ShopFactory(name="Связной")
    import_text(shop, price_list("Связной", [good(1, "Phone A")]))
    old_product = offers_of(shop)[1].product_id
    result = import_text(shop, price_list("Связной", [good(1, "Phone A (2024)")]))
    assert result.updated == 1 and old_product in result.touched_products
    assert offers_of(shop)[1].product.name == "Phone A (2024)"


def test_renamed_category_relinks_the_shop_category(session):
    shop = ShopFactory(name="Связной")
    import_text(shop, price_list("Связной", [good(1, "Phone A")]))
    import_text(shop, price_list("Связной", [good(1, "Phone A"), good(2, "Phone B")], [{"id": 224, "name": "Телефоны"}]))
    link = db.session.scalar(select(ShopCategory).where(ShopCategory.shop_id == shop.id))
    assert (link.name, link.category.name) == ("Телефоны", "Телефоны")
    assert offers_of(shop)[2].product.category.name == "Телефоны"


def test_parameters_are_shared_by_name(session):
    a, b = ShopFactory(name="A"), ShopFactory(name="B")
    import_text(a, price_list("A", [good(1, "X", parameters={"Цвет": "red"})]))
    import_text(b, price_list("B", [good(1, "Y", parameters={"Цвет": "blue"})]))
    assert db.session.scalar(select(func.count()).select_from(Parameter).where(Parameter.name == "Цвет")) == 1


def test_seed_demo_imports_the_samples_through_the_importer_and_is_idempotent(session):
    from storefront.demo import seed_demo

    first = seed_demo()
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Offer)) == 41
    with count_statements() as statements:
        second = seed_demo()
        db.session.commit()
    assert [(email, role) for email, role, _ in second] == [(email, role) for email, role, _ in first]
    assert all(created for *_, created in first) and not any(created for *_, created in second)
    assert writes(statements) == []


def test_imports_keep_the_catalog_summaries_the_lists_read(app, session):
    from storefront.catalog.browsing import search_catalog
    from storefront.catalog.filters import CatalogQuery

    app.config["CATALOG_CACHE_TTL"] = 0  # read the lists straight from the database

    def card(name):
        return next((c for c in search_catalog(CatalogQuery(q=name)).items if c.name == name), None)

    shop = ShopFactory(name="Связной")
    goods = [good(1, "Phone A", price=100, quantity=3), good(2, "Phone B", price=200)]
    import_text(shop, price_list("Связной", goods))
    assert card("Phone A").best_price == Decimal("100.00") and card("Phone A").in_stock
    goods[0].update(price="90.50", quantity=0)
    import_text(shop, price_list("Связной", goods[:1]))  # Phone B vanishes from the list
    a = card("Phone A")
    assert (a.best_price, a.in_stock) == (Decimal("90.50"), False)
    assert card("Phone B") is None  # its only offer was deactivated: off sale
