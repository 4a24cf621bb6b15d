"""Catalog pages: the combined catalog, a category, a shop's goods, and a product with every supplier's offer.

The list pages share one template pair: the full page, and `_results.html` (filters, facets, cards and
pagination) for HTMX requests to the same URL. Every filter, the sort and the page live in the query string.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, abort, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.routing import BuildError

from storefront.catalog.browsing import ProductDetail, ProductPage, product_page, search_catalog
from storefront.catalog.cache import LISTS, cached, product_generation
from storefront.catalog.filters import CatalogQuery, InvalidFilter, parse_catalog_query
from storefront.domain_errors import NotFound
from storefront.htmx import is_partial
from storefront.i18n import current_locale
from storefront.templating import fill_shared, render_shared, shell_is_shared

bp = Blueprint("catalog", __name__)
T = TypeVar("T")


@bp.context_processor
def cart_link() -> dict:
    # The cart feature owns adding to the cart; until its endpoint exists, post to the URL it will have.
    try:
        url = url_for("cart.add_item")
    except BuildError:
        url = "/cart/add"
    return {"cart_add_url": url}


def _render_list(endpoint: str, path_args: dict, fixed: dict):
    """Parse the query string, search, and render the list page or its partial (400 with the form on bad input)."""
    errors, status = {}, 200
    try:
        query = parse_catalog_query(request.args, **fixed)
    except InvalidFilter as error:
        errors, status = error.errors, 400
        query = CatalogQuery(**fixed)
    if is_partial():
        return fill_shared(_list_and_results(endpoint, path_args, fixed, query, errors)[0]), status
    if not errors and shell_is_shared():
        # Everything on the page is everybody's: one render per URL, language and catalog generation.
        def render() -> str:
            results, context = _list_and_results(endpoint, path_args, fixed, query, errors)
            return render_shared("catalog/index.html", results_html=Markup(results), **context())

        return fill_shared(cached(f"page:{_url_key()}", [LISTS], render)), status
    results, context = _list_and_results(endpoint, path_args, fixed, query, errors)
    return render_template("catalog/index.html", results_html=fill_shared(results), **context()), status


def _list_context(endpoint: str, path_args: dict, fixed: dict, query: CatalogQuery, errors: dict) -> dict:
    try:
        result = search_catalog(query, navigation=True)
    except NotFound as error:
        abort(404, description=error.message)
    fixed_args = {{"category_id": "category", "shop_id": "shop"}[name] for name in fixed}

    def page_url(**changes) -> str:
        args = query.to_args(**changes)
        for name in fixed_args:
            args.pop(name, None)
        return url_for(endpoint, **path_args, **args)

    def browse_url(category_id: int | None = None) -> str:
        args = query.to_args(category=None, page=None, params={}, ranges={})
        if category_id is None:
            return url_for("catalog.index", **args)
        return url_for("catalog.show_category", category_id=category_id, **args)

    return {
        "result": result, "query": query, "errors": errors, "args": request.args, "fixed": fixed_args,
        "list_url": url_for(endpoint, **path_args), "page_url": page_url, "browse_url": browse_url,
    }


def _url_key() -> str:
    # Keyed by language too: pages carry translated words (and money formatted for the locale).
    return hashlib.sha256(f"{request.endpoint} {request.full_path} {current_locale()}".encode()).hexdigest()


def _shared_fragment(key: str, generations: list[str], load: Callable[[], T],
                     render: Callable[[T], str]) -> tuple[str, Callable[[], T]]:
    """A fragment shared by every visitor (CSRF slots to `fill_shared`), cached, and a getter of the data it shows.

    The data is loaded inside the fragment's computation, so the fragment depends on what that data does (the
    cards it shows, the price order or offers' stock behind them: see catalog.cache); the getter loads it
    again only if the fragment was a hit, and then from the cache.
    """
    loaded: list[T] = []

    def compute() -> str:
        loaded.append(load())
        return render(loaded[0])

    html = cached(key, generations, compute)
    return html, lambda: loaded[0] if loaded else load()


def _list_and_results(endpoint: str, path_args: dict, fixed: dict, query: CatalogQuery,
                      errors: dict) -> tuple[str, Callable[[], dict]]:
    """The list's results fragment and a getter of the page's context.

    The fragment depends only on the URL (the query and the raw filter values it shows), the interface's language
    and the catalog's data, so it is rendered once and shared, cached with the lists; only the CSRF token in its
    add-to-cart forms is the visitor's own. Not so the form with the visitor's errors.
    """
    def load() -> dict:
        return _list_context(endpoint, path_args, fixed, query, errors)

    if errors:
        context = load()
        return render_template("catalog/_results.html", **context), lambda: context
    return _shared_fragment(f"html:{_url_key()}", [LISTS], load,
                            lambda context: render_shared("catalog/_results.html", **context))


@bp.get("/")
def index():
    """Show the combined catalog of every supplier, searched, filtered, sorted and paged."""
    category = request.args.get("category", "")
    if category.isascii() and category.isdigit():
        # One address per view: a category filter lives in the path.
        args = request.args.to_dict(flat=False)
        args.pop("category")
        return redirect(url_for("catalog.show_category", category_id=int(category), **args))
    return _render_list("catalog.index", {}, {})


@bp.get("/category/<id:category_id>")
def show_category(category_id: int):
    """Show one category's goods with its parameter facets."""
    return _render_list("catalog.show_category", {"category_id": category_id}, {"category_id": category_id})


@bp.get("/shop/<id:shop_id>")
def show_shop(shop_id: int):
    """Show one supplier's goods."""
    return _render_list("catalog.show_shop", {"shop_id": shop_id}, {"shop_id": shop_id})


def _product_or_404(product_id: int) -> ProductPage:
    try:
        return product_page(product_id)
    except NotFound as error:
        abort(404, description=error.message)


@bp.get("/product/<id:product_id>")
def show_product(product_id: int):
    """Show a product with every supplier's offer, its parameters and related goods."""
    # Like the lists' results, the content is shared by every visitor of the URL in a language: cached with the
    # product's generation (its offers, stock, prices) and the lists' (its related goods); so is the whole page
    # for a visitor whose shell is everybody's.
    generations = [product_generation(product_id), LISTS]

    def content() -> tuple[ProductDetail, str]:
        html, page = _shared_fragment(
            f"html:product:{product_id}:{_url_key()}", generations, lambda: _product_or_404(product_id),
            lambda page: render_shared("catalog/_product.html", product=page.product, related=page.related))
        return page().product, html

    if shell_is_shared():
        def render() -> str:
            product, html = content()
            return render_shared("catalog/product.html", product=product, product_html=Markup(html))

        return fill_shared(cached(f"page:product:{product_id}:{_url_key()}", generations, render))
    product, html = content()
    return render_template("catalog/product.html", product=product, product_html=fill_shared(html))
