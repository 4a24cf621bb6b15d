"""The public catalog, for the pages and the API alike: search, filters, facets, product pages, shops.

`parse_catalog_query(args)` (catalog.filters) validates raw arguments into a `CatalogQuery`; `search_catalog(query)`
answers it with a `CatalogPage` (cards, total, paging, facets); `product_page(id)` and `list_categories()` /
`list_shops()` / `get_shop(id)` / `get_category(id)` serve the rest. Results are plain frozen dataclasses, cached
(see `catalog.cache`), and cost a fixed number of SQL queries whatever the page size. Lists read each product's
summary columns (`catalog.summary`) through indexes; only filters on offers (shop, price, stock, parameters) look
at the offers themselves, and then a card shows the best of the matching offers.

What is for sale is `Offer.is_sellable` (catalog.models); everything else stays reachable by direct link but is
shown as unavailable. Staff changes live in `catalog.editing`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import (
    Numeric,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
    union,
)
from sqlalchemy.orm import aliased

from storefront.catalog.cache import LISTS, PRICES, STOCK, cached, product_generation, shows_cards
from storefront.catalog.filters import NUMBER_PATTERN, CatalogQuery, parse_number
from storefront.catalog.models import (
    ALL_GOODS,
    TOTAL_PARAMETER,
    Category,
    Offer,
    OfferParameter,
    Parameter,
    Product,
    Shop,
    facet_counts,
    offers_with_owners,
    product_extra_categories,
    product_facets,
)
from storefront.catalog.search_text import normalise_search_text, stems_of
from storefront.catalog.summary import Summary, best_offer, summarise
from storefront.database import Money
from storefront.domain_errors import NotFound
from storefront.extensions import db
from storefront.media.models import OfferImage

MAX_SEARCH_TERMS = 8
MAX_FACET_VALUES = 30
RELATED_LIMIT = 4
MAX_PHOTOS = 8  # in a product's gallery
# A search's or a filtered list's total counts at most this many matches (a search's facets too). Past it the page
# says "more than 1 000" and a search's facet counts are those of the first matches: the count's cost stays flat
# however many goods match (at 100,000 products "смартфон" matches 5,000, and counting them all cost more than
# finding the page). Plain category pages and all goods keep exact, precomputed totals.
COUNT_LIMIT = 1000


# ---------------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class CategoryRef:
    id: int
    name: str
    is_active: bool = True


@dataclass(frozen=True)
class ShopRef:
    id: int
    name: str
    accepting_orders: bool = True
    url: str | None = None


@dataclass(frozen=True)
class ProductCard:
    id: int
    name: str
    category_id: int
    category: str
    best_price: Decimal
    price_rrc: Decimal  # the best offer's recommended price: struck through when higher than best_price
    offer_count: int  # suppliers offering it (within the current filters)
    in_stock: bool
    best_offer_id: int  # what "add to cart" buys: the cheapest offer in stock, else the cheapest
    created_at: datetime
    photo: str | None = None  # the card's picture: a media asset hash (storefront/media)

    @property
    def discounted(self) -> bool:
        return self.price_rrc > self.best_price


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Facet:
    name: str
    values: tuple[FacetValue, ...]
    # Every value a number ("6,1", "128"): the filter is a range (`low`..`high` is what the goods state).
    numeric: bool = False
    low: Decimal | None = None
    high: Decimal | None = None
    # The range chosen (CatalogQuery.ranges), either end None when open.
    range_min: Decimal | None = None
    range_max: Decimal | None = None


@dataclass(frozen=True)
class CatalogPage:
    query: CatalogQuery
    items: tuple[ProductCard, ...]
    total: int
    # False: more goods match than COUNT_LIMIT; `total` is that lower bound and facet counts cover those goods.
    total_exact: bool = True
    category: CategoryRef | None = None
    shop: ShopRef | None = None
    facets: tuple[Facet, ...] = ()
    # Filled only when asked for (the pages' sidebar): active categories and shops that accept orders.
    categories: tuple[CategoryRef, ...] = ()
    shops: tuple[ShopRef, ...] = ()

    @property
    def page(self) -> int:
        return self.query.page

    @property
    def page_size(self) -> int:
        return self.query.page_size

    @property
    def pages(self) -> int:
        counted = max((self.total + self.page_size - 1) // self.page_size, 1)
        if not self.total_exact and len(self.items) == self.page_size:
            return max(counted, self.page + 1)  # past the counted goods, a full page still leads on
        return counted

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def page_window(self, radius: int = 2) -> list[int | None]:
        """Page numbers to link: the first, the last and `radius` around the current one; None marks a gap."""
        wanted = {1, self.pages, *range(self.page - radius, self.page + radius + 1)}
        numbers = sorted(n for n in wanted if 1 <= n <= self.pages)
        window: list[int | None] = []
        for number in numbers:
            if window and number - window[-1] > 1:
                window.append(None)
            window.append(number)
        return window


@dataclass(frozen=True)
class ProductOffer:
    id: int
    shop_id: int
    shop_name: str
    model: str
    price: Decimal
    price_rrc: Decimal
    quantity: int


@dataclass(frozen=True)
class ProductDetail:
    id: int
    name: str
    description: str
    category: CategoryRef
    is_active: bool
    offers: tuple[ProductOffer, ...]  # sellable offers only, cheapest first
    parameters: tuple[tuple[str, tuple[str, ...]], ...]  # name → the values its offers state
    photos: tuple[str, ...] = ()  # media asset hashes: the product's own photo, then its offers' (gallery)

    @property
    def available(self) -> bool:
        return bool(self.offers)

    @property
    def best_offer(self) -> ProductOffer | None:
        return best_offer(self.offers)


@dataclass(frozen=True)
class RelatedProduct:
    id: int
    name: str
    best_price: Decimal
    photo: str | None = None


@dataclass(frozen=True)
class ProductPage:
    product: ProductDetail
    related: tuple[RelatedProduct, ...] = field(default=())



# ----------------------------------------------------------------------------------------------------- search


def _search_terms(q: str) -> list[str]:
    return list(dict.fromkeys(normalise_search_text(q).split()))[:MAX_SEARCH_TERMS]


RUSSIAN = literal_column("'russian'::regconfig")


def _matches(term: str):
    """A product matches a search term that its text contains ("смарт", "s24") or whose stem one of its words
    has ("смартфоны" finds "смартфон"): PostgreSQL's Russian full-text search, or the same Snowball stems on
    SQLite (see `catalog.search_text`). Each half is served by an index on PostgreSQL (trigram, full-text)."""
    # autoescape: the shopper's % and _ are literal characters, not wildcards (no match-everything scans).
    contains = Product.search_text.contains(term, autoescape=True)
    if db.session.get_bind().dialect.name == "postgresql":
        # The same expression as the index ix_products_search_fts, so the planner uses it.
        stemmed = func.to_tsvector(RUSSIAN, Product.search_text).op("@@")(func.plainto_tsquery(RUSSIAN, term))
    else:
        stems = stems_of(term)
        if not stems:
            return contains
        stemmed = and_(*(Product.search_stems.contains(f" {stem} ", autoescape=True) for stem in stems))
    return or_(contains, stemmed)


# ---------------------------------------------------------------------------------------------------- queries


def _matching_offers(on_product, on_offer, *columns):
    """Sellable offers passing the query's product and offer filters."""
    return offers_with_owners(*columns).where(*on_product, Offer.is_sellable, *on_offer)


def _has_parameter(name: str, values: tuple[str, ...]):
    # Aliased, so the facet query (which joins Parameter itself) correlates only on Offer.
    parameter, offer_parameter = aliased(Parameter), aliased(OfferParameter)
    return exists(
        select(literal(1))
        .select_from(offer_parameter)
        .join(parameter, parameter.id == offer_parameter.parameter_id)
        .where(offer_parameter.offer_id == Offer.id, parameter.name == name, offer_parameter.value.in_(values))
    )


def _as_number(value):
    """A parameter's text value as a number in SQL, NULL when it is not one, so the cast never fails
    (PostgreSQL raises on CAST('6,1' AS NUMERIC)): the guard is the parser's NUMBER_PATTERN, and a decimal comma
    becomes a point. SQLAlchemy gives SQLite a REGEXP function (Python's re) for `regexp_match`."""
    return case((value.regexp_match(NUMBER_PATTERN), cast(func.replace(value, ",", "."), Numeric)), else_=None)


def _has_range(name: str, low, high):
    parameter, offer_parameter = aliased(Parameter), aliased(OfferParameter)
    number = _as_number(offer_parameter.value)
    bounds = []
    if low is not None:
        bounds.append(number >= literal(low, Numeric))
    if high is not None:
        bounds.append(number <= literal(high, Numeric))
    return exists(
        select(literal(1))
        .select_from(offer_parameter)
        .join(parameter, parameter.id == offer_parameter.parameter_id)
        .where(offer_parameter.offer_id == Offer.id, parameter.name == name, *bounds)
    )


def _in_category(category_id: int):
    # A union of two indexed lookups: `category_id = x OR id IN (…)` would make PostgreSQL scan every product.
    listed = union(
        select(Product.id.label("id")).where(Product.category_id == category_id),
        select(product_extra_categories.c.product_id).where(product_extra_categories.c.category_id == category_id),
    )
    return Product.id.in_(select(listed.subquery().c.id))


def _conditions(query: CatalogQuery, *, with_params: bool = True, with_category: bool = True) -> tuple[list, list]:
    """The query's filters as (conditions on the product, conditions on each offer beyond being sellable).

    No offer conditions means the product summaries answer alone (see `catalog.summary`).
    """
    on_product = [Product.on_sale]
    on_product += [_matches(term) for term in _search_terms(query.q)]
    if query.category_id is not None and with_category:
        on_product.append(_in_category(query.category_id))
    on_offer = []
    if query.shop_id is not None:
        on_offer.append(Offer.shop_id == query.shop_id)
    if query.price_min is not None:
        on_offer.append(Offer.price >= query.price_min)
    if query.price_max is not None:
        on_offer.append(Offer.price <= query.price_max)
    if query.in_stock:
        on_offer.append(Offer.quantity > 0)
    if with_params:
        on_offer += [_has_parameter(name, values) for name, values in query.params.items()]
        on_offer += [_has_range(name, low, high) for name, (low, high) in query.ranges.items()]
    return on_product, on_offer


def _products_on_sale(on_product, on_offer, *columns, with_category: bool = False):
    """Products matching the product filters that have at least one sellable offer matching the offer filters.

    The main category is joined when asked (its name is on the cards) and whenever offers are filtered: the
    EXISTS correlates to the outer product and its category, which `Offer.is_sellable` reads.
    """
    statement = select(*columns).select_from(Product)
    if with_category or on_offer:
        statement = statement.join(Category, Category.id == Product.category_id)
    if on_offer:
        statement = statement.where(exists(
            select(literal(1)).select_from(Offer).join(Shop, Shop.id == Offer.shop_id)
            .where(Offer.product_id == Product.id, Offer.is_sellable, *on_offer)
        ))
    return statement.where(*on_product)


PAGE_COLUMNS = (
    Product.id, Product.name, Product.category_id, Category.name.label("category"), Product.created_at,
    Product.best_offer_id, Product.best_price, Product.best_price_rrc, Product.offer_count, Product.in_stock,
    Product.photo_hash,
)
# Each sort as (column, descending) pairs, the id last so pages never overlap; indexes on products serve them.
SORT_KEYS = {
    "name": (("name", False), ("id", False)),
    "newest": (("created_at", True), ("id", True)),
    "price_asc": (("best_price", False), ("id", False)),
    "price_desc": (("best_price", True), ("id", True)),
}


def _order(columns, sort: str) -> list:
    return [columns[name].desc() if descending else columns[name] for name, descending in SORT_KEYS[sort]]


def _page_in_category(query: CatalogQuery, on_offer):
    """A category's page: its main goods and its extra goods each walked in the sort's order on their own index
    (category, on sale, sort key), each stopping at the page's end, then merged — no sort of the whole category."""
    on_product, _ = _conditions(query, with_category=False)
    limit = query.offset + query.page_size
    extras = select(product_extra_categories.c.product_id).where(
        product_extra_categories.c.category_id == query.category_id)
    branches = []
    for where in (Product.category_id == query.category_id, Product.id.in_(extras)):
        branch = _products_on_sale([*on_product, where], on_offer, *PAGE_COLUMNS, with_category=True)
        branches.append(select(branch.order_by(*_order(Product.__table__.c, query.sort)).limit(limit).subquery()))
    listed = union(*branches).subquery("listed")
    return db.session.execute(
        select(listed).order_by(*_order(listed.c, query.sort)).limit(query.page_size).offset(query.offset)
    ).all()


def _page_by_product(query: CatalogQuery, on_product, on_offer):
    """Walk the goods on sale in an index's order, keep those matching, stop at the page's end."""
    if query.category_id is not None and not query.q:
        return _page_in_category(query, on_offer)
    statement = _products_on_sale(on_product, on_offer, *PAGE_COLUMNS, with_category=True)
    if query.q:
        # Find the matches through the trigram index first, then sort them: walking the sort's index and
        # filtering would read most of the catalog when the matches sort late ("Смартфон…" after "Ноутбук…").
        matches = statement.cte("matches").prefix_with("MATERIALIZED", dialect="postgresql")
        statement, columns = select(matches), matches.c
    else:
        columns = Product.__table__.c
    return db.session.execute(
        statement.order_by(*_order(columns, query.sort)).limit(query.page_size).offset(query.offset)
    ).all()


def _filters_offers(query: CatalogQuery) -> bool:
    """Filters on offers: a card then shows the best *matching* offer (see `_filtered_cards`)."""
    return (query.shop_id is not None or query.price_min is not None or query.price_max is not None
            or query.in_stock or bool(query.params) or bool(query.ranges))


def _is_plain(query: CatalogQuery) -> bool:
    """No search and no filter beyond the category: the precomputed facets and totals answer."""
    return not (query.q or _filters_offers(query))


def _list_generations(query: CatalogQuery) -> list[str]:
    """What a list's goods and their order depend on, beyond the cards it shows (see `catalog.cache`)."""
    if _filters_offers(query):
        return [LISTS, STOCK]  # the matching offers' stock picks each card's offer and its price
    return [LISTS, PRICES] if query.sort in ("price_asc", "price_desc") else [LISTS]


def _stats(query: CatalogQuery, on_product, on_offer, *, need_total: bool) -> tuple[int | None, bool, tuple[Facet, ...]]:
    """The total and the facets of the query's filter set, cached once for all its pages, sizes and sorts."""
    key = query.with_changes(sort="name", page=1, page_size=1).cache_key()
    # v2: (total, exact, facets); a Redis cache shared with the previous release holds (total, facets) pairs.
    # Counts change with what is on sale (LISTS); with "in stock" chosen, also with offers running out.
    generations = [LISTS, STOCK] if query.in_stock else [LISTS]
    return cached(f"stats2:{key}:{int(need_total)}", generations,
                  lambda: _compute_stats(query, on_product, on_offer, need_total))


def _compute_stats(
    query: CatalogQuery, on_product, on_offer, need_total: bool
) -> tuple[int | None, bool, tuple[Facet, ...]]:
    category_id = query.category_id if query.category_id is not None else ALL_GOODS
    if _is_plain(query):
        # A category page or the whole catalog: one indexed read of the counts the writers keep.
        rows = db.session.execute(
            select(facet_counts.c.parameter_id, Parameter.name, facet_counts.c.value, facet_counts.c.count)
            .outerjoin(Parameter, Parameter.id == facet_counts.c.parameter_id)
            .where(facet_counts.c.category_id == category_id, facet_counts.c.count > 0)
        ).all()
        return _split_total(rows, query)
    if not on_offer and not query.params and not query.ranges:
        # A search: the precomputed facet rows of its first COUNT_LIMIT + 1 matches (one row each counts
        # towards the total, so one more than the limit says "more").
        matching = select(Product.id).where(*on_product).limit(COUNT_LIMIT + 1)
        rows = db.session.execute(
            select(product_facets.c.parameter_id, Parameter.name, product_facets.c.value, func.count())
            .outerjoin(Parameter, Parameter.id == product_facets.c.parameter_id)
            .where(product_facets.c.category_id == category_id, product_facets.c.product_id.in_(matching))
            .group_by(product_facets.c.parameter_id, Parameter.name, product_facets.c.value)
        ).all()
        return _split_total(rows, query, limited=True)
    total, exact = None, True
    if need_total:
        counted = _products_on_sale(on_product, on_offer, literal(1)).limit(COUNT_LIMIT + 1).subquery()
        total = db.session.scalar(select(func.count()).select_from(counted)) or 0
        total, exact = min(total, COUNT_LIMIT), total <= COUNT_LIMIT
    return total, exact, _facets(query)


def _split_total(rows, query: CatalogQuery, *, limited: bool = False) -> tuple[int, bool, tuple[Facet, ...]]:
    total = sum(count for parameter_id, _name, _value, count in rows if parameter_id == TOTAL_PARAMETER)
    facets = _build_facets(
        [(name, value, count) for parameter_id, name, value, count in rows if parameter_id != TOTAL_PARAMETER], query
    )
    if limited and total > COUNT_LIMIT:
        return COUNT_LIMIT, False, facets
    return total, True, facets


def _page_by_filtered_price(query: CatalogQuery, on_product, on_offer):
    """Price order within offer filters: each product's best price among its matching offers, total included."""
    matching = (
        _matching_offers(on_product, on_offer, Offer.product_id, Offer.price, Offer.quantity).subquery()
    )
    # The price a card shows: the cheapest offer in stock, else the cheapest (see summary.best_offer).
    best_price = func.coalesce(func.min(case((matching.c.quantity > 0, matching.c.price))), func.min(matching.c.price))
    stats = (
        select(matching.c.product_id, type_coerce(best_price, Money).label("best_price"))
        .group_by(matching.c.product_id)
        .subquery()
    )
    order = _order({"best_price": stats.c.best_price, "id": Product.id}, query.sort)
    rows = db.session.execute(
        select(*PAGE_COLUMNS, func.count().over().label("total"))
        .join(stats, stats.c.product_id == Product.id)
        .join(Category, Category.id == Product.category_id)
        .order_by(*order)
        .limit(query.page_size)
        .offset(query.offset)
    ).all()
    return rows, (rows[0].total if rows else None)


def _category_ref(category_id: int) -> CategoryRef:
    row = db.session.execute(
        select(Category.id, Category.name, Category.is_active).where(Category.id == category_id)
    ).first()
    if row is None or not row.is_active:
        raise NotFound(_("No such category."), field="category")
    return CategoryRef(*row)


def _shop_ref(shop_id: int) -> ShopRef:
    row = db.session.execute(
        select(Shop.id, Shop.name, Shop.accepting_orders, Shop.url).where(Shop.id == shop_id)
    ).first()
    if row is None:
        raise NotFound(_("No such supplier."), field="shop")
    return ShopRef(*row)


def search_catalog(query: CatalogQuery, *, navigation: bool = False) -> CatalogPage:
    """One page of product cards for `query`, with the total and (within a category) parameter facets.

    Raises NotFound (field "category" or "shop") for an unknown or inactive category or an unknown shop.
    `navigation` also fills the sidebar lists of categories and shops.
    """
    return cached(f"list:{query.cache_key()}:{int(navigation)}", _list_generations(query),
                  lambda: _search(query, navigation))


def _search(query: CatalogQuery, navigation: bool) -> CatalogPage:
    category = _category_ref(query.category_id) if query.category_id is not None else None
    shop = _shop_ref(query.shop_id) if query.shop_id is not None else None
    on_product, on_offer = _conditions(query)
    if on_offer and query.sort in ("price_asc", "price_desc"):
        rows, total = _page_by_filtered_price(query, on_product, on_offer)
    else:
        rows, total = _page_by_product(query, on_product, on_offer), None
    facets: tuple[Facet, ...] = ()
    exact = True
    if rows or query.page > 1 or query.params or query.ranges:
        # An empty first page needs no count (nor facets, unless chosen: they show how to widen the choice).
        counted, counted_exact, facets = _stats(query, on_product, on_offer, need_total=total is None)
        if total is None:
            total, exact = counted, counted_exact
    items = _filtered_cards(rows, on_product, on_offer) if on_offer else tuple(map(_summary_card, rows))
    shows_cards(card.id for card in items)
    return CatalogPage(
        query=query,
        items=items,
        total=total or 0,
        total_exact=exact,
        category=category,
        shop=shop,
        facets=facets,
        categories=list_categories() if navigation else (),
        shops=list_shops() if navigation else (),
    )


def _card(row, summary: Summary) -> ProductCard:
    return ProductCard(
        id=row.id, name=row.name, category_id=row.category_id, category=row.category,
        best_price=summary.best_price, price_rrc=summary.best_price_rrc, offer_count=summary.offer_count,
        in_stock=summary.in_stock, best_offer_id=summary.best_offer_id, created_at=row.created_at,
        photo=row.photo_hash,
    )


def _summary_card(row) -> ProductCard:
    return _card(row, Summary(True, row.best_offer_id, row.best_price, row.best_price_rrc, row.offer_count,
                              row.in_stock))


def _filtered_cards(rows, on_product, on_offer) -> tuple[ProductCard, ...]:
    """Cards whose figures come from the offers matching the filters (a shop's price, not the best overall)."""
    if not rows:
        return ()
    # One query for the whole page's offers (no per-card queries).
    offers = db.session.execute(
        _matching_offers(on_product, on_offer, Offer.id, Offer.product_id, Offer.shop_id, Offer.price,
                         Offer.price_rrc, Offer.quantity)
        .where(Offer.product_id.in_([row.id for row in rows]))
    ).all()
    by_product = defaultdict(list)
    for offer in offers:
        by_product[offer.product_id].append(offer)
    return tuple(_card(row, summarise(by_product[row.id])) for row in rows)


def _facet_sort_key(value: str):
    # Numbers in numeric order ("64" before "128"), then text.
    try:
        number = Decimal(value.replace(",", "."))
    except ArithmeticError:
        number = None
    if number is None or not number.is_finite():
        return (1, Decimal(0), value)
    return (0, number, value)


def _facets(query: CatalogQuery) -> tuple[Facet, ...]:
    """Values of every parameter among the matching goods, with product counts.

    A value's count ignores the filter on its own parameter (values of one parameter are alternatives), so
    choosing "Цвет: синий" still shows how many are black.
    """
    on_product, on_offer = _conditions(query, with_params=False)
    statement = (
        _matching_offers(on_product, on_offer, Parameter.name, OfferParameter.value,
                         func.count(Offer.product_id.distinct()))
        .join(OfferParameter, OfferParameter.offer_id == Offer.id)
        .join(Parameter, Parameter.id == OfferParameter.parameter_id)
        .group_by(Parameter.name, OfferParameter.value)
    )
    for name, values in query.params.items():
        statement = statement.where(or_(Parameter.name == name, _has_parameter(name, values)))
    for name, (low, high) in query.ranges.items():
        statement = statement.where(or_(Parameter.name == name, _has_range(name, low, high)))
    return _build_facets(db.session.execute(statement).all(), query)


def _build_facets(rows, query: CatalogQuery) -> tuple[Facet, ...]:
    """Facets from (parameter name, value, product count) rows: by name, values in numeric-then-text order."""
    grouped: dict[str, list[FacetValue]] = defaultdict(list)
    for name, value, count in rows:
        grouped[name].append(FacetValue(value, count, value in query.params.get(name, ())))
    facets = []
    for name in sorted(grouped):
        values = sorted(grouped[name], key=lambda v: _facet_sort_key(v.value))
        # Before trimming to the top values, so the range's ends are the real ones.
        numbers = [parse_number(v.value) for v in values]
        numeric = bool(numbers) and all(number is not None for number in numbers)
        if len(values) > MAX_FACET_VALUES:
            top = {v.value for v in sorted(values, key=lambda v: -v.count)[:MAX_FACET_VALUES]}
            values = [v for v in values if v.value in top or v.selected]
        chosen = query.ranges.get(name, (None, None))
        facets.append(Facet(name, tuple(values), numeric=numeric,
                            low=min(numbers) if numeric else None, high=max(numbers) if numeric else None,
                            range_min=chosen[0], range_max=chosen[1]))
    return tuple(facets)


def list_categories() -> tuple[CategoryRef, ...]:
    """Active categories by name."""
    return cached("categories", [LISTS], lambda: tuple(
        CategoryRef(*row) for row in db.session.execute(
            select(Category.id, Category.name, Category.is_active).where(Category.is_active).order_by(Category.name)
        )
    ))


def list_shops() -> tuple[ShopRef, ...]:
    """Shops that accept orders, by name."""
    return cached("shops", [LISTS], lambda: tuple(
        ShopRef(*row) for row in db.session.execute(
            select(Shop.id, Shop.name, Shop.accepting_orders, Shop.url)
            .where(Shop.accepting_orders).order_by(Shop.name)
        )
    ))


def get_shop(shop_id: int) -> ShopRef:
    """One shop (paused ones too: its page says it is not taking orders). Raises NotFound."""
    return _shop_ref(shop_id)


def get_category(category_id: int) -> CategoryRef:
    """One active category. Raises NotFound for unknown or deactivated ones."""
    return _category_ref(category_id)


# ----------------------------------------------------------------------------------------------- product page


def product_page(product_id: int) -> ProductPage:
    """A product with every supplier's offer, its parameters and related goods. Raises NotFound.

    A product nobody sells right now (shops paused, staff deactivated it or its category) still answers, with
    no offers, so that old links say "unavailable" instead of "not found".
    """
    product = cached(f"product:{product_id}", [product_generation(product_id)], lambda: _product_detail(product_id))
    related = cached(f"related:{product_id}", [LISTS], lambda: _related(product))
    return ProductPage(product, related)


def _product_detail(product_id: int) -> ProductDetail:
    row = db.session.execute(
        select(Product.id, Product.name, Product.description, Product.is_active, Product.photo_hash,
               Category.id.label("category_id"), Category.name.label("category"), Category.is_active.label("category_active"))
        .join(Category, Category.id == Product.category_id)
        .where(Product.id == product_id)
    ).first()
    if row is None:
        raise NotFound(_("No such product."), field="product")
    offers = db.session.execute(
        offers_with_owners(Offer.id, Offer.shop_id, Shop.name, Offer.model, Offer.price, Offer.price_rrc,
                           Offer.quantity)
        .where(Offer.product_id == product_id, Offer.is_sellable)
        .order_by(Offer.price, Offer.id)
    ).all()
    parameters: dict[str, list[str]] = defaultdict(list)
    for name, value in db.session.execute(
        select(Parameter.name, OfferParameter.value)
        .join(OfferParameter, OfferParameter.parameter_id == Parameter.id)
        .join(Offer, Offer.id == OfferParameter.offer_id)
        .where(Offer.product_id == product_id, Offer.is_active)
        .distinct()
        .order_by(Parameter.name, OfferParameter.value)
    ):
        parameters[name].append(value)
    photos = [row.photo_hash] if row.photo_hash else []
    for (asset_hash,) in db.session.execute(
        select(OfferImage.asset_hash).join(Offer, Offer.id == OfferImage.offer_id)
        .where(Offer.product_id == product_id, Offer.is_active)
        .order_by(Offer.price, Offer.id, OfferImage.position)
    ):
        if asset_hash not in photos:
            photos.append(asset_hash)
    return ProductDetail(
        id=row.id, name=row.name, description=row.description,
        category=CategoryRef(row.category_id, row.category, row.category_active), is_active=row.is_active,
        offers=tuple(ProductOffer(*offer) for offer in offers),
        parameters=tuple((name, tuple(sorted(values, key=_facet_sort_key))) for name, values in parameters.items()),
        photos=tuple(photos[:MAX_PHOTOS]),
    )


def _related(product: ProductDetail) -> tuple[RelatedProduct, ...]:
    if not product.category.is_active:
        return ()
    rows = db.session.execute(
        select(Product.id, Product.name, Product.best_price, Product.photo_hash)
        .where(Product.on_sale, Product.category_id == product.category.id, Product.id != product.id)
        .order_by(Product.name, Product.id)
        .limit(RELATED_LIMIT)
    ).all()
    shows_cards(row.id for row in rows)  # their prices
    return tuple(RelatedProduct(*row) for row in rows)
