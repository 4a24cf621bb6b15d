"""Catalog pages."""

from flask import Blueprint, request

from storefront.catalog.services import product_cards
from storefront.htmx import render_page_or_partial

bp = Blueprint("catalog", __name__)
PER_PAGE = 24


@bp.get("/")
def index():
    """Show the combined catalog of every supplier."""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    cards, total = product_cards(page=page, per_page=PER_PAGE)
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    return render_page_or_partial(
        "catalog/index.html", "catalog/_results.html", cards=cards, total=total, page=page, pages=pages
    )
