"""Build a benchmark catalog of a chosen size: shops × goods, deterministic for a given --seed.

    python bench/dataset.py --database-url postgresql+psycopg://postgres@127.0.0.1/storefront_bench \
        --shops 40 --goods 2500

Migrates the database, empties the catalog tables (shops, categories, products, offers, parameters and what
points at them), then bulk-inserts with SQLAlchemy Core executemany batches. Products are shared between
shops in part, so one product usually has several offers, as in a real combined catalog.
Refuses a database whose name lacks "bench" unless --force: it deletes data.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

try:
    from bench.common import make_app, refuse_unless_bench
except ImportError:  # run as a script: bench/ is on sys.path, not the repository
    from common import make_app, refuse_unless_bench

BATCH = 5000

# (category, the noun that starts a product's name, price range in roubles, {brand: [lines]}, parameters).
# A line may hold {n}: a number that multiplies the models a brand offers. Parameter values keep their YAML type.
TEMPLATES: list[tuple[str, str, tuple[int, int], dict[str, list[str]], dict[str, list]]] = [
    ("Смартфоны", "Смартфон", (9000, 160000),
     {"Samsung": ["Galaxy S2{n}", "Galaxy A{n}5", "Galaxy Z Flip{n}"], "Apple": ["iPhone 1{n}", "iPhone 1{n} Pro"],
      "Xiaomi": ["Redmi Note 1{n}", "Poco X{n}", "1{n}T"], "Honor": ["Magic{n} Lite", "X{n}b"],
      "realme": ["1{n} Pro", "C{n}7"]},
     {"Встроенная память (Гб)": [64, 128, 256, 512], "Диагональ (дюйм)": [6.1, 6.2, 6.5, 6.6, 6.7],
      "Цвет": ["чёрный", "белый", "синий", "золотистый", "зелёный", "фиолетовый"]}),
    ("Ноутбуки", "Ноутбук", (35000, 320000),
     {"Lenovo": ["IdeaPad Slim {n}", "ThinkPad E1{n}", "Legion {n}"], "ASUS": ["Vivobook 1{n}", "Zenbook 1{n}"],
      "Apple": ["MacBook Air M{n}", "MacBook Pro M{n}"], "HP": ["Pavilion 1{n}", "Victus 1{n}"],
      "Acer": ["Aspire {n}", "Swift Go 1{n}"]},
     {"Диагональ (дюйм)": [13.3, 14, 15.6, 16], "Оперативная память (Гб)": [8, 16, 32],
      "Встроенная память (Гб)": [256, 512, 1024], "Цвет": ["серый", "серебристый", "чёрный"]}),
    ("Планшеты", "Планшет", (12000, 140000),
     {"Apple": ["iPad Air {n}", "iPad mini {n}"], "Samsung": ["Galaxy Tab S{n} FE", "Galaxy Tab A{n}+"],
      "Xiaomi": ["Pad {n}", "Redmi Pad SE {n}"], "Huawei": ["MatePad 1{n}.5"]},
     {"Диагональ (дюйм)": [8.3, 10.9, 11, 12.4], "Встроенная память (Гб)": [64, 128, 256],
      "Цвет": ["серый", "серебристый", "голубой", "розовый"]}),
    ("Наушники", "Наушники", (1500, 45000),
     {"Sony": ["WH-1000XM{n}", "WF-C{n}00"], "Apple": ["AirPods Pro {n}", "AirPods {n}"],
      "JBL": ["Tune {n}20BT", "Live {n}70NC"], "Sennheiser": ["Momentum {n}", "CX Plus {n}"],
      "Xiaomi": ["Redmi Buds {n}"]},
     {"Тип подключения": ["беспроводные", "проводные"], "Время работы (ч)": [20, 30, 40, 60],
      "Цвет": ["чёрный", "белый", "бежевый", "синий"]}),
    ("Телевизоры", "Телевизор", (18000, 350000),
     {"Samsung": ["UE5{n}CU7100", "QE6{n}Q60C"], "LG": ["OLED5{n}C3", "5{n}UR78006LK"],
      "Sony": ["Bravia KD-5{n}X75WL"], "Xiaomi": ["TV A Pro 4{n}"], "Hisense": ["5{n}A6K"]},
     {"Диагональ (дюйм)": [43, 50, 55, 65, 75], "Разрешение": ["4K UHD", "Full HD", "8K"],
      "Частота обновления (Гц)": [60, 100, 120]}),
    ("Мониторы", "Монитор", (9000, 120000),
     {"Dell": ["P27{n}3DE", "S27{n}1DS"], "LG": ["27GP8{n}0-B", "24MP4{n}0"], "Samsung": ["Odyssey G{n}"],
      "AOC": ["24G{n}SP", "Q27P{n}Q"]},
     {"Диагональ (дюйм)": [23.8, 27, 31.5, 34], "Разрешение": ["1920x1080", "2560x1440", "3840x2160"],
      "Частота обновления (Гц)": [75, 144, 165, 240]}),
    ("Умные часы", "Умные часы", (4000, 90000),
     {"Apple": ["Watch Series {n}", "Watch SE {n}"], "Samsung": ["Galaxy Watch{n}"], "Huawei": ["Watch GT {n}"],
      "Amazfit": ["GTR {n}", "Bip {n}"]},
     {"Размер корпуса (мм)": [40, 41, 44, 45, 46], "Цвет": ["чёрный", "серебристый", "розовый"],
      "Защита от воды": ["WR50", "IP68"]}),
    ("Фотоаппараты", "Фотоаппарат", (45000, 380000),
     {"Canon": ["EOS R{n}0", "EOS R{n}"], "Sony": ["Alpha 7 {n}", "ZV-E1{n}"], "Nikon": ["Z{n}0", "Z f{n}"],
      "Fujifilm": ["X-T{n}0", "X-S{n}0"]},
     {"Разрешение матрицы (Мп)": [24.2, 26.1, 33.0, 45.7], "Комплектация": ["body", "kit 18-55", "kit 15-45"],
      "Цвет": ["чёрный", "серебристый"]}),
    ("Кофемашины", "Кофемашина", (15000, 190000),
     {"De'Longhi": ["Magnifica S ECAM2{n}.110", "Dinamica ECAM3{n}"], "Philips": ["EP2{n}31", "EP3{n}46"],
      "Krups": ["EA8{n}08"], "Saeco": ["GranAroma SM6{n}80"]},
     {"Мощность (Вт)": [1350, 1450, 1500], "Объём резервуара (л)": [1.5, 1.8, 2.0],
      "Капучинатор": ["ручной", "автоматический", "нет"]}),
    ("Пылесосы", "Пылесос", (5000, 80000),
     {"Dyson": ["V{n} Detect", "V{n} Absolute"], "Xiaomi": ["Robot Vacuum S1{n}", "G{n}"],
      "Samsung": ["Jet {n}5"], "Tefal": ["X-Force Flex {n}.60"], "Karcher": ["VC {n}s"]},
     {"Мощность (Вт)": [150, 450, 650, 2000], "Тип": ["вертикальный", "робот", "с мешком", "с контейнером"],
      "Цвет": ["серый", "белый", "фиолетовый"]}),
    ("Холодильники", "Холодильник", (25000, 250000),
     {"Bosch": ["KGN3{n}VI25R", "KGV3{n}NW1AR"], "LG": ["GA-B5{n}9CQSL", "GC-B4{n}9"], "Samsung": ["RB3{n}A5000WW"],
      "Атлант": ["ХМ 46{n}4-101"], "Haier": ["C2F6{n}6CWRG"]},
     {"Общий объём (л)": [300, 340, 360, 420], "Высота (см)": [185, 201, 203],
      "Цвет": ["белый", "серебристый", "бежевый", "чёрный"]}),
    ("Стиральные машины", "Стиральная машина", (20000, 120000),
     {"LG": ["F2J{n}WS2W"], "Bosch": ["WAN2{n}260BY"], "Samsung": ["WW6{n}AG4S20CE"], "Haier": ["HW60-BP{n}929A"],
      "Indesit": ["IWSB {n}085"]},
     {"Максимальная загрузка (кг)": [6, 7, 8, 9], "Скорость отжима (об/мин)": [1000, 1200, 1400],
      "Цвет": ["белый", "серебристый", "чёрный"]}),
    ("Микроволновые печи", "Микроволновая печь", (5000, 30000),
     {"Samsung": ["ME8{n}SUB"], "LG": ["MS20{n}2DB"], "Panasonic": ["NN-ST2{n}HM"], "Midea": ["MM72{n}CPI"],
      "BBK": ["20MWS-7{n}9"]},
     {"Объём (л)": [20, 23, 25], "Мощность (Вт)": [700, 800, 1000], "Гриль": ["есть", "нет"]}),
    ("Игровые консоли", "Игровая консоль", (15000, 80000),
     {"Sony": ["PlayStation {n} Slim", "PlayStation {n} Digital Edition"], "Microsoft": ["Xbox Series S {n}"],
      "Nintendo": ["Switch OLED {n}", "Switch Lite {n}"], "Valve": ["Steam Deck OLED {n}"]},
     {"Встроенная память (Гб)": [64, 512, 1024], "Цвет": ["белый", "чёрный", "красный"]}),
    ("Сетевое оборудование", "Wi-Fi роутер", (2000, 35000),
     {"TP-Link": ["Archer AX{n}3", "Deco X{n}0"], "Keenetic": ["Giga KN-101{n}", "Speedster {n}"],
      "ASUS": ["RT-AX5{n}U"], "Xiaomi": ["Router AX{n}000T"], "MikroTik": ["hAP ax{n}"]},
     {"Стандарт Wi-Fi": ["Wi-Fi 5", "Wi-Fi 6", "Wi-Fi 6E"], "Скорость (Мбит/с)": [1200, 1800, 3000],
      "Количество портов LAN": [3, 4]}),
    ("Внешние аккумуляторы", "Внешний аккумулятор", (900, 12000),
     {"Xiaomi": ["Mi Power Bank {n}", "Redmi PB{n}00LZM"], "Anker": ["PowerCore {n}0K", "7{n}7"],
      "Baseus": ["Bipow {n}", "Blade {n}"], "Samsung": ["EB-P{n}400"]},
     {"Ёмкость (мА·ч)": [10000, 20000, 25000], "Мощность (Вт)": [18, 22.5, 65], "Цвет": ["чёрный", "белый"]}),
    ("Клавиатуры", "Клавиатура", (900, 25000),
     {"Logitech": ["MX Keys S{n}", "K3{n}0", "G91{n} TKL"], "Razer": ["BlackWidow V{n}", "Huntsman Mini {n}"],
      "A4Tech": ["Bloody B8{n}0R"], "Keychron": ["K{n} Pro"]},
     {"Тип подключения": ["проводная", "беспроводная"], "Раскладка": ["RU/EN"], "Цвет": ["чёрный", "белый", "серый"]}),
    ("Портативная акустика", "Колонка", (2000, 45000),
     {"JBL": ["Charge {n}", "Flip {n}", "Go {n}"], "Яндекс": ["Станция Мини {n}", "Станция Макс {n}"],
      "Sony": ["SRS-XB1{n}0"], "Marshall": ["Emberton {n}"]},
     {"Мощность (Вт)": [5, 20, 40, 65], "Время работы (ч)": [8, 12, 20, 30], "Цвет": ["чёрный", "синий", "красный"]}),
    ("Электрочайники", "Электрочайник", (1200, 15000),
     {"Xiaomi": ["Mi Smart Kettle {n}"], "Bosch": ["TWK {n}P420"], "Tefal": ["KO {n}931"],
      "Redmond": ["RK-G2{n}1S"], "Polaris": ["PWK 17{n}3CAD"]},
     {"Объём (л)": [1.5, 1.7, 1.8], "Мощность (Вт)": [2000, 2200, 2400], "Цвет": ["белый", "чёрный", "стальной"]}),
    ("Кофе в зёрнах", "Кофе в зёрнах", (450, 4500),
     {"Lavazza": ["Qualità Oro {n}", "Crema e Aroma {n}"], "Illy": ["Classico {n}"],
      "Jardin": ["Colombia Medellin {n}", "Espresso Gusto {n}"], "Зерно": ["Эфиопия Иргачефф {n}", "Бразилия Сантос {n}"]},
     {"Обжарка": ["светлая", "средняя", "тёмная"], "Вес (г)": [250, 500, 1000], "Обработка": ["мытая", "натуральная"]}),
]

SHOP_NAMES = ["Технопарк", "Электролайн", "Гаджет Маркет", "Мир техники", "ТехноСклад", "Digital Store", "Smart Point",
              "Планета электроники", "Цифровой дом", "Всё для дома", "Кофейня «Зерно»", "Мегабайт", "Ампер",
              "ЭлектроМир", "Tech Hub", "Point of Sale"]
CITIES = ["Москва", "Санкт-Петербург", "Казань", "Екатеринбург", "Новосибирск", "Самара", "Нижний Новгород",
          "Ростов-на-Дону", "Краснодар", "Пермь"]
UNIT_SHORT = {"Гб": "GB", "дюйм": '"'}
PHRASES = ["Официальная гарантия производителя.", "Доставка по всей России.", "Новинка сезона.",
           "Оригинальная продукция, сертифицирована для РФ.", "Хит продаж.", ""]

# Children before parents; rows elsewhere that point at the catalog are detached or dropped first.
CATALOG_TABLES = ["facet_counts", "product_facets", "offer_parameters", "offers", "parameters",
                  "product_extra_categories", "shop_categories", "products", "categories", "shops"]


@dataclass
class Dataset:
    """Rows ready for `insert()`, keyed by table name, plus a few figures for the report."""

    rows: dict[str, list[dict]] = field(default_factory=dict)

    def count(self, table: str) -> int:
        return len(self.rows.get(table, []))


def slug(text: str) -> str:
    return re.sub(r"[^\w]+", "-", text.casefold()).strip("-")


def yaml_type(value) -> str:
    return {bool: "bool", int: "int", float: "float"}.get(type(value), "str")


def spec(parameter: str, value) -> str:
    """How a characteristic reads in a name: 128GB, 6.5", беспроводные."""
    unit = re.search(r"\((.+)\)$", parameter)
    if unit is None:
        return str(value)
    return f"{value}{UNIT_SHORT.get(unit.group(1), ' ' + unit.group(1))}"


def round_price(value: float) -> Decimal:
    return Decimal(max(round(value / 10.0) * 10, 10))


def generate(shops: int, goods: int, categories: int, seed: int) -> Dataset:
    """Make every row in memory, deterministically: the same arguments give the same catalog."""
    from storefront.catalog.search_text import search_stems_for

    rng = random.Random(seed)
    now = datetime.now(UTC)
    stamps = {"created_at": now, "updated_at": now}
    data = Dataset()

    category_rows = []
    for index in range(categories):
        name = TEMPLATES[index % len(TEMPLATES)][0]
        if index >= len(TEMPLATES):
            name = f"{name} · серия {index // len(TEMPLATES) + 1}"
        category_rows.append({"id": index + 1, "name": name, "is_active": True, **stamps})
    data.rows["categories"] = category_rows

    parameter_ids: dict[str, int] = {}
    for template in TEMPLATES:
        for name in template[4]:
            parameter_ids.setdefault(name, len(parameter_ids) + 1)
    data.rows["parameters"] = [{"id": pid, "name": name} for name, pid in parameter_ids.items()]

    # A pool smaller than shops × goods: each product is offered by about four shops on average.
    pool_size = max(int(goods * 1.2), shops * goods // 4)
    products, product_specs = [], []
    used_names: set[str] = set()
    for pid in range(1, pool_size + 1):
        category_index = rng.randrange(categories)
        _, noun, (low, high), brands, params = TEMPLATES[category_index % len(TEMPLATES)]
        brand = rng.choice(sorted(brands))
        line = rng.choice(brands[brand]).format(n=rng.randint(1, 9))
        values = {name: rng.choice(choices) for name, choices in params.items()}
        specs = ", ".join(spec(param, value) for param, value in values.items() if param != "Цвет")
        name = f"{noun} {brand} {line} {specs}"
        if "Цвет" in values:
            name += f" ({values['Цвет']})"
        # Names repeat in real catalogs too, but a bench reads better without: a model year, then a variant.
        suffixes = (f", {year} г." for year in range(2025, 2015, -1))
        base, k = name, 2
        while name in used_names:
            name = base + next(suffixes, f", вариант {k}")
            k += 1
        used_names.add(name)
        model = f"{slug(brand)}/{slug(line)}"
        description = " ".join(
            filter(None, [f"{noun} {brand} {line}.", "; ".join(f"{k}: {v}" for k, v in values.items()) + ".",
                          rng.choice(PHRASES)])
        )
        products.append({
            "id": pid, "name": name, "category_id": category_index + 1, "description": description,
            "search_text": f"{name} {model} {description}".casefold(),
            "search_stems": search_stems_for(f"{name} {model} {description}"), **stamps,
        })
        product_specs.append((model, rng.uniform(low, high), values))
    data.rows["products"] = products

    shop_rows, shop_categories, offers, offer_parameters = [], [], [], []
    offer_id = 0
    for sid in range(1, shops + 1):
        base_name = SHOP_NAMES[(sid - 1) % len(SHOP_NAMES)]
        name = base_name if sid <= len(SHOP_NAMES) else f"{base_name} {CITIES[(sid - 1) // len(SHOP_NAMES) % len(CITIES)]}"
        if sid > len(SHOP_NAMES) * (len(CITIES) + 1):
            name = f"{name} №{sid}"
        shop_rows.append({"id": sid, "name": name, "url": f"https://shop-{sid}.example.com/price.yaml",
                          "accepting_orders": True, **stamps})
        # The shop's own category ids, as its price list would carry them.
        external_category = {}
        for cid in range(1, categories + 1):
            external_category[cid] = rng.randint(100, 999) * 1000 + cid  # unique per shop: cid < 1000
            shop_categories.append({"shop_id": sid, "external_id": external_category[cid],
                                    "name": category_rows[cid - 1]["name"], "category_id": cid})
        markup = rng.uniform(0.92, 1.08)
        chosen = rng.sample(range(pool_size), min(goods, pool_size))
        external_ids = rng.sample(range(100_000, 10_000_000), len(chosen))
        for product_index, external_id in zip(chosen, external_ids, strict=True):
            offer_id += 1
            model, base_price, values = product_specs[product_index]
            price = round_price(base_price * markup * rng.uniform(0.97, 1.03))
            rrc = max(price, round_price(base_price * rng.uniform(1.0, 1.15)) - 10)
            offers.append({
                "id": offer_id, "product_id": product_index + 1, "shop_id": sid, "external_id": external_id,
                "model": model, "price": price, "price_rrc": rrc,
                "quantity": 0 if rng.random() < 0.12 else rng.randint(1, 60),
                "is_active": rng.random() >= 0.05, **stamps,
            })
            for param, value in values.items():
                offer_parameters.append({"offer_id": offer_id, "parameter_id": parameter_ids[param],
                                         "value": str(value), "value_type": yaml_type(value)})
    data.rows["shops"] = shop_rows
    data.rows["shop_categories"] = shop_categories
    data.rows["offers"] = offers
    data.rows["offer_parameters"] = offer_parameters
    return data


def empty_catalog(connection, metadata) -> None:
    """Delete the catalog and detach what refers to it (orders keep their snapshots)."""
    from sqlalchemy import delete, update

    tables = metadata.tables
    connection.execute(delete(tables["cart_items"]))
    connection.execute(delete(tables["import_jobs"]))
    connection.execute(update(tables["order_items"]).values(offer_id=None, shop_id=None))
    connection.execute(update(tables["order_parts"]).values(shop_id=None))
    connection.execute(update(tables["users"]).where(tables["users"].c.shop_id.is_not(None)).values(shop_id=None))
    for name in CATALOG_TABLES:
        connection.execute(delete(tables[name]))


def insert_dataset(connection, metadata, data: Dataset) -> None:
    from sqlalchemy import insert

    order = ["categories", "parameters", "shops", "shop_categories", "products", "offers", "offer_parameters"]
    for name in order:
        rows = data.rows.get(name, [])
        for start in range(0, len(rows), BATCH):
            connection.execute(insert(metadata.tables[name]), rows[start:start + BATCH])


def reset_sequences(connection, metadata) -> None:
    """Explicit ids leave PostgreSQL's sequences behind; move them past the rows so the app can insert."""
    from sqlalchemy import text

    if connection.dialect.name != "postgresql":
        return  # SQLite continues from max(rowid) by itself
    for name in ["categories", "parameters", "shops", "shop_categories", "products", "offers"]:
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"
        ))


def build(database_url: str, shops: int, goods: int, categories: int, seed: int) -> Dataset:
    """Migrate, empty the catalog, insert a fresh one and refresh the planner's statistics."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from storefront.catalog.summary import refresh_product_summaries
    from storefront.extensions import db

    app = make_app(database_url)
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        data = generate(shops, goods, categories, seed)
        generated = time.perf_counter()
        with db.engine.begin() as connection:
            empty_catalog(connection, db.metadata)
            insert_dataset(connection, db.metadata, data)
            reset_sequences(connection, db.metadata)
            # The rows went in through Core, past the ORM hook that keeps catalog summaries: fill them now.
            product_ids = list(connection.scalars(text("SELECT id FROM products")))
            refresh_product_summaries(product_ids, connection)
        inserted = time.perf_counter()
        with db.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
            else:
                connection.execute(text("ANALYZE"))
                connection.commit()
        analysed = time.perf_counter()
        db.engine.dispose()
    print(f"generated in {generated - started:.1f}s, inserted in {inserted - generated:.1f}s, "
          f"analysed in {analysed - inserted:.1f}s")
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="e.g. postgresql+psycopg://postgres@127.0.0.1/storefront_bench")
    parser.add_argument("--shops", type=int, default=40)
    parser.add_argument("--goods", type=int, default=2500, help="offers per shop")
    parser.add_argument("--categories", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--force", action="store_true", help="allow a database whose name lacks 'bench'")
    args = parser.parse_args(argv)
    if args.shops < 1 or args.goods < 1 or args.categories < 1:
        parser.error("--shops, --goods and --categories must be at least 1")
    refuse_unless_bench(args.database_url, args.force)
    started = time.perf_counter()
    data = build(args.database_url, args.shops, args.goods, args.categories, args.seed)
    print(
        f"{data.count('shops')} shops, {data.count('categories')} categories, {data.count('products')} products, "
        f"{data.count('offers')} offers, {data.count('offer_parameters')} offer parameters "
        f"in {time.perf_counter() - started:.1f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
