"""/api/v1/categories, /shops and /products: the catalog, answered by the same services as the pages.

Reading is public. The product list takes the page's arguments (`q`, `category`, `shop`, `price_min`,
`price_max`, `in_stock`, `param.<name>=<value>`, `param_min.<name>` / `param_max.<name>` (a numeric parameter's
range), `sort`, `page`, `page_size`) through the catalog's own parser,
so its filter errors are the catalog's `invalid_filter` (400, by argument). Product list and product answers
carry an ETag and honour `If-None-Match` (304). Staff create, change and (soft or, with `?hard=true`, hard)
delete categories and products.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import marshmallow as ma
from flask import Response, current_app, request
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest.fields import Upload

from storefront.accounts.models import Role
from storefront.api.auth import auth_required, current_api_user
from storefront.api.base import MAX_ID
from storefront.api.blueprint import AfterCommit, Blueprint
from storefront.api.docs import errors, public
from storefront.api.pagination import PaginationArgs, page_schema
from storefront.catalog import browsing, editing, filters
from storefront.catalog.cache import LISTS, cached
from storefront.media.services import media_url
from storefront.pagination import page_of

categories = Blueprint("categories", __name__, url_prefix="/api/v1/categories", description="Catalog categories.")
shops = Blueprint("shops", __name__, url_prefix="/api/v1/shops", description="Suppliers' shops.")
products = Blueprint(
    "products", __name__, url_prefix="/api/v1/products", description="Search, filter and read products; staff edit them."
)
BLUEPRINTS = (categories, shops, products)


def _money(example: str, description: str | None = None) -> ma.fields.Decimal:
    # Money travels as a decimal string ("1999.90"), never a float.
    metadata = {"type": "string", "format": "decimal", "example": example,
                **({"description": description} if description else {})}
    return ma.fields.Decimal(as_string=True, places=2, metadata=metadata)


# --- schemas --------------------------------------------------------------------------------------------


class CategorySchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True, metadata={"example": 224})
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200), metadata={"example": "Смартфоны"})
    is_active = ma.fields.Boolean(dump_only=True, metadata={"example": True})


class CategoryUpdateSchema(ma.Schema):
    name = ma.fields.String(validate=ma.validate.Length(min=1, max=200), metadata={"example": "Смартфоны"})
    is_active = ma.fields.Boolean(metadata={"description": "false hides it (soft delete)", "example": True})

    @ma.validates_schema
    def _something(self, data, **_kwargs):
        if not data:
            raise ma.ValidationError(_("Give `name` and/or `is_active`."))


class ShopSchema(ma.Schema):
    id = ma.fields.Integer(metadata={"example": 3})
    name = ma.fields.String(metadata={"example": "Связной"})
    accepting_orders = ma.fields.Boolean(metadata={"example": True})
    url = ma.fields.String(allow_none=True, metadata={"example": "https://example.com"})


class ProductCardSchema(ma.Schema):
    id = ma.fields.Integer(metadata={"example": 17})
    name = ma.fields.String(metadata={"example": "Смартфон Apple iPhone XS Max 512GB (золотистый)"})
    category_id = ma.fields.Integer(metadata={"example": 224})
    category = ma.fields.String(metadata={"example": "Смартфоны"})
    best_price = _money("110000.00")
    price_rrc = _money("116990.00", "Recommended price of the best offer")
    discounted = ma.fields.Boolean(metadata={"example": True})
    offer_count = ma.fields.Integer(metadata={"description": "Suppliers offering it", "example": 2})
    in_stock = ma.fields.Boolean(metadata={"example": True})
    best_offer_id = ma.fields.Integer(metadata={"example": 51})
    created_at = ma.fields.DateTime(metadata={"example": "2025-01-31T12:00:00+00:00"})
    photo_url = ma.fields.Function(
        lambda card: media_url(card.photo, 320, external=True) if card.photo else None,
        metadata={"type": "string", "nullable": True, "description": "The card's 320 px photo, on the shop's own origin"},
    )


class FacetValueSchema(ma.Schema):
    value = ma.fields.String(metadata={"example": "золотистый"})
    count = ma.fields.Integer(metadata={"example": 4})
    selected = ma.fields.Boolean(metadata={"example": False})


def _number(example: str, description: str) -> ma.fields.Decimal:
    return ma.fields.Decimal(as_string=True, allow_none=True,
                             metadata={"type": "string", "format": "decimal", "example": example,
                                       "description": description})


class FacetSchema(ma.Schema):
    name = ma.fields.String(metadata={"example": "Цвет"})
    values = ma.fields.List(ma.fields.Nested(FacetValueSchema))
    numeric = ma.fields.Boolean(metadata={
        "example": False,
        "description": "Every value is a number: filter by range with `param_min.<name>` / `param_max.<name>`",
    })
    low = _number("6.1", "The lowest value (numeric facets), else null")
    high = _number("6.9", "The highest value (numeric facets), else null")
    range_min = _number("6.5", "The chosen `param_min.<name>`, else null")
    range_max = _number("6.9", "The chosen `param_max.<name>`, else null")


class ProductListSchema(page_schema(ProductCardSchema)):
    total_exact = ma.fields.Boolean(metadata={
        "example": True,
        "description": "false when a search or a filtered list matches more goods than it counts (1,000): `total` "
                       "is then that lower bound and `pages` leads one page on while pages are full; a search's "
                       "facet counts then cover the goods counted",
    })
    facets = ma.fields.List(
        ma.fields.Nested(FacetSchema), metadata={"description": "Parameter values with counts (within a category)"}
    )


class ProductFilterSchema(ma.Schema):
    """Documentation of the list's arguments; the catalog's parser validates them (as on the page)."""

    q = ma.fields.String(metadata={"description": "Words in name, model or description", "example": "iphone"})
    category = ma.fields.Integer(metadata={"example": 224})
    shop = ma.fields.Integer(metadata={"example": 3})
    price_min = ma.fields.Decimal(as_string=True, metadata={"example": "1000"})
    price_max = ma.fields.Decimal(as_string=True, metadata={"example": "150000"})
    in_stock = ma.fields.Boolean(metadata={"example": True})
    sort = ma.fields.String(
        validate=ma.validate.OneOf(filters.SORTS), metadata={"description": "Default: name", "example": "price_asc"}
    )
    page = ma.fields.Integer(metadata={"example": 1})
    page_size = ma.fields.Integer(
        metadata={"description": f"At most {filters.MAX_PAGE_SIZE} (default {filters.DEFAULT_PAGE_SIZE})",
                  "example": filters.DEFAULT_PAGE_SIZE}
    )


class OfferShopSchema(ma.Schema):
    id = ma.fields.Integer(attribute="shop_id", metadata={"example": 3})
    name = ma.fields.String(attribute="shop_name", metadata={"example": "Связной"})


class OfferSchema(ma.Schema):
    id = ma.fields.Integer(metadata={"example": 51})
    shop = ma.fields.Function(lambda offer: OfferShopSchema().dump(offer), metadata={"type": "object"})
    model = ma.fields.String(metadata={"example": "apple/iphone/xs-max"})
    price = _money("110000.00")
    price_rrc = _money("116990.00")
    quantity = ma.fields.Integer(metadata={"example": 14})


class ImageSchema(ma.Schema):
    url = ma.fields.Function(lambda asset: media_url(asset, 800, external=True), metadata={
        "type": "string", "example": "https://shop.example/media/9f86…/800.webp"})
    thumbnail_url = ma.fields.Function(lambda asset: media_url(asset, 320, external=True), metadata={
        "type": "string", "example": "https://shop.example/media/9f86…/320.webp"})


class PhotoUploadSchema(ma.Schema):
    photo = Upload(required=True, metadata={"description": "JPEG, PNG, WebP or GIF"})


class ProductSchema(ma.Schema):
    id = ma.fields.Integer(metadata={"example": 17})
    name = ma.fields.String(metadata={"example": "Смартфон Apple iPhone XS Max 512GB (золотистый)"})
    description = ma.fields.String(metadata={"example": "…"})
    category = ma.fields.Nested(CategorySchema)
    is_active = ma.fields.Boolean(metadata={"example": True})
    available = ma.fields.Boolean(metadata={"description": "Some offer is on sale", "example": True})
    offers = ma.fields.List(ma.fields.Nested(OfferSchema), metadata={"description": "On sale now, cheapest first"})
    images = ma.fields.List(ma.fields.Nested(ImageSchema), attribute="photos", metadata={
        "description": "Photos served by the shop itself (800 px and 320 px WebP): its own photo, then the offers'"})
    parameters = ma.fields.Function(
        lambda product: {name: list(values) for name, values in product.parameters},
        metadata={"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                  "example": {"Цвет": ["золотистый"], "Диагональ (дюйм)": ["6.5"]}},
    )


class ProductWriteSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=300), metadata={"example": "Кабель USB-C"})
    category_id = ma.fields.Integer(
        required=True, validate=ma.validate.Range(min=1, max=MAX_ID), metadata={"example": 224}
    )
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=20000), metadata={"example": "1 m"})


class ProductUpdateSchema(ma.Schema):
    name = ma.fields.String(validate=ma.validate.Length(min=1, max=300), metadata={"example": "Кабель USB-C"})
    category_id = ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_ID), metadata={"example": 224})
    description = ma.fields.String(validate=ma.validate.Length(max=20000), metadata={"example": "1 m"})
    is_active = ma.fields.Boolean(metadata={"description": "false takes it off sale (soft delete)", "example": True})
    extra_category_ids = ma.fields.List(
        ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_ID)), validate=ma.validate.Length(max=50),
        metadata={"description": "Other categories it is listed in", "example": [225]},
    )


class HardDeleteArgs(ma.Schema):
    hard = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Delete for good (409 while anything refers to it) instead of deactivating"},
    )


# --- categories -----------------------------------------------------------------------------------------


@categories.route("")
class Categories(MethodView):
    @public(categories)
    @categories.arguments(PaginationArgs, location="query")
    @categories.response(200, page_schema(CategorySchema))
    def get(self, args):
        """List the active categories by name."""
        return page_of(list(browsing.list_categories()), args["page"], args["page_size"])

    @auth_required(categories, Role.STAFF)
    @errors(categories, 409)
    @categories.arguments(CategorySchema)
    @categories.response(201, CategorySchema)
    def post(self, data):
        """Add a category (staff)."""
        category = editing.create_category(data["name"])
        return category


@categories.route("/<id:category_id>")
class CategoryById(MethodView):
    @public(categories)
    @errors(categories, 404)
    @categories.response(200, CategorySchema)
    def get(self, category_id):
        """Show an active category."""
        return browsing.get_category(category_id)

    @auth_required(categories, Role.STAFF)
    @errors(categories, 404, 409)
    @categories.arguments(CategoryUpdateSchema)
    @categories.response(200, CategorySchema)
    def patch(self, data, category_id):
        """Rename, deactivate or restore a category (staff)."""
        if "name" in data:
            category = editing.rename_category(category_id, data["name"])
        if "is_active" in data:
            category = editing.set_category_active(category_id, data["is_active"], actor=current_api_user())
        return category

    @auth_required(categories, Role.STAFF)
    @errors(categories, 404, 409)
    @categories.arguments(HardDeleteArgs, location="query")
    @categories.response(204)
    def delete(self, args, category_id):
        """Deactivate a category, or with `hard=true` delete it (409 while products or price lists use it)."""
        if args["hard"]:
            editing.delete_category(category_id, actor=current_api_user())
        else:
            editing.set_category_active(category_id, False, actor=current_api_user())


# --- shops ----------------------------------------------------------------------------------------------


@shops.route("")
class Shops(MethodView):
    @public(shops)
    @shops.arguments(PaginationArgs, location="query")
    @shops.response(200, page_schema(ShopSchema))
    def get(self, args):
        """List the shops that accept orders, by name."""
        return page_of(list(browsing.list_shops()), args["page"], args["page_size"])


@shops.route("/<id:shop_id>")
class ShopById(MethodView):
    @public(shops)
    @errors(shops, 404)
    @shops.response(200, ShopSchema)
    def get(self, shop_id):
        """Show a shop (paused ones too: `accepting_orders` says so)."""
        return browsing.get_shop(shop_id)


# --- products -------------------------------------------------------------------------------------------


def _cached_json(key: str, generations: list[str], dump: Callable[[], dict]) -> Response:
    """The JSON answer `dump()` makes, cached with the catalog's generations (and for this host: photo URLs are
    absolute). Serialising a page of cards and its facets costs more than finding them in the cache; the ETag
    is the body's, so If-None-Match still answers 304 until the data changes."""

    def render() -> tuple[bytes, str]:
        body = current_app.json.response(dump()).get_data()
        return body, hashlib.sha1(body, usedforsecurity=False).hexdigest()

    body, etag = cached(f"{key}:{request.host_url}", generations, render)
    response = current_app.response_class(body, mimetype="application/json")
    response.set_etag(etag)
    return response.make_conditional(request)  # 304, empty, when If-None-Match names it


def _detail(product_id: int):
    return browsing.product_page(product_id).product


@products.route("")
class Products(MethodView):
    @public(products)
    @errors(products, 400, 404)
    @products.doc(
        parameters=[{"in": "query", "schema": ProductFilterSchema}],
        description="Filter by a product parameter with `param.<name>=<value>` (repeat for several values), or a "
                    "numeric one by range with `param_min.<name>=<number>` and/or `param_max.<name>=<number>` "
                    "(\"6.1\" or \"6,1\"; a bad number or min > max is a 400 `invalid_filter`).",
    )
    # The ETag is the cached body's (see _cached_json), not flask-smorest's per-request hash of the dump.
    @products.doc(parameters=["IF_NONE_MATCH"], responses={304: "NOT_MODIFIED"})
    @products.response(200, ProductListSchema, headers={"ETag": "ETAG"})
    def get(self):
        """Search, filter, sort and page through the products on sale."""
        query = filters.parse_catalog_query(request.args)
        return _cached_json(f"api:products:{query.cache_key()}", [LISTS],
                            lambda: ProductListSchema().dump(browsing.search_catalog(query)))

    @auth_required(products, Role.STAFF)
    @errors(products, 404)
    @products.arguments(ProductWriteSchema)
    @products.response(201, ProductSchema)
    def post(self, data):
        """Add a product to a category (staff)."""
        product = editing.create_product(data["name"], data["category_id"], data["description"])
        return AfterCommit(lambda: _detail(product.id))  # the product page is cached: read it once refreshed


@products.route("/<id:product_id>")
class ProductById(MethodView):
    @public(products)
    @errors(products, 404)
    @products.etag
    @products.response(200, ProductSchema)
    def get(self, product_id):
        """Show a product with every offer on sale and its parameters."""
        return _detail(product_id)

    @auth_required(products, Role.STAFF)
    @errors(products, 404)
    @products.arguments(ProductUpdateSchema)
    @products.response(200, ProductSchema)
    def patch(self, data, product_id):
        """Change a product's name, description, categories, or take it off sale and back (staff)."""
        extra = data.pop("extra_category_ids", None)
        active = data.pop("is_active", None)
        editing.update_product(product_id, **data)
        if extra is not None:
            editing.set_extra_categories(product_id, extra)
        if active is not None:
            editing.set_product_active(product_id, active)
        return AfterCommit(lambda: _detail(product_id))

    @auth_required(products, Role.STAFF)
    @errors(products, 404, 409)
    @products.arguments(HardDeleteArgs, location="query")
    @products.response(204)
    def delete(self, args, product_id):
        """Take a product off sale, or with `hard=true` delete it (409 while offers refer to it)."""
        if args["hard"]:
            editing.delete_product(product_id, actor=current_api_user())
        else:
            editing.set_product_active(product_id, False)


@products.route("/<id:product_id>/photo")
class ProductPhoto(MethodView):
    @auth_required(products, Role.STAFF)
    @errors(products, 400, 404)
    @products.arguments(PhotoUploadSchema, location="files")
    @products.response(200, ProductSchema)
    def put(self, files, product_id):
        """Upload or replace a product's own photo (staff; multipart field `photo`, an image Pillow can read)."""
        data = files["photo"].stream.read(current_app.config["MEDIA_MAX_BYTES"] + 1)
        editing.set_product_photo(product_id, data, actor=current_api_user())
        return AfterCommit(lambda: _detail(product_id))
