"""The text a product is searched by: name, its offers' models and description, case-folded for every script.

Kept in `Product.search_text` (matched with LIKE, served by a trigram index on PostgreSQL); written by staff
edits and by the price-list importer, read by the catalog search.
"""

from __future__ import annotations

from collections.abc import Iterable

from storefront.catalog.models import Product


def normalise_search_text(text: str) -> str:
    """Case-fold for every script (SQLite's lower() is ASCII-only) and treat ё as е, as Russian readers do."""
    return " ".join(text.casefold().replace("ё", "е").split())


def search_text_for(name: str, models: Iterable[str], description: str) -> str:
    """The `Product.search_text` for these values; importers building many products can call it directly."""
    return normalise_search_text(" ".join([name, *dict.fromkeys(m for m in models if m), description]))


def refresh_search_text(product: Product) -> None:
    """Recompute the product's search text from its name, its offers' models and its description."""
    product.search_text = search_text_for(product.name, (offer.model for offer in product.offers),
                                          product.description or "")
