"""The text a product is searched by: name, its offers' models and description, case-folded for every script.

Kept in `Product.search_text` (matched with LIKE, served by a trigram index on PostgreSQL), with its Snowball
stems in `Product.search_stems` ("смартфоны" and "смартфон" share the stem "смартфон"); written by staff edits
and by the price-list importer (the ORM fills the stems itself, see `_fill_stems`), read by the catalog search.

Both backends find the same goods: PostgreSQL matches words with full-text search in its `russian`
configuration (Snowball's Russian stemmer for Cyrillic words, its English one for Latin words: an index on
`to_tsvector('russian', search_text)`), SQLite matches the same stems, made here by the same Snowball stemmers,
in `search_stems`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import lru_cache

import snowballstemmer
from sqlalchemy import event, inspect

from storefront.catalog.models import Product

_WORD = re.compile(r"\w+")
_local = threading.local()  # Snowball stemmers keep state while stemming: one per thread


def normalise_search_text(text: str) -> str:
    """Case-fold for every script (SQLite's lower() is ASCII-only) and treat ё as е, as Russian readers do."""
    return " ".join(text.casefold().replace("ё", "е").split())


def search_text_for(name: str, models: Iterable[str], description: str) -> str:
    """The `Product.search_text` for these values; importers building many products can call it directly."""
    return normalise_search_text(" ".join([name, *dict.fromkeys(m for m in models if m), description]))


@lru_cache(maxsize=65536)  # a catalog's vocabulary is small: importing 100,000 goods stems few distinct words
def _stem(word: str) -> str:
    stemmers = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = (snowballstemmer.stemmer("english"), snowballstemmer.stemmer("russian"))
    if any(ch.isdigit() for ch in word):
        return word  # "256gb", "s24": kept whole, as PostgreSQL's parser does with numbers in words
    return stemmers[0 if word.isascii() else 1].stemWord(word)


def stems_of(text: str) -> list[str]:
    """The distinct stems of the words of (normalised) `text`, in order."""
    return list(dict.fromkeys(_stem(word) for word in _WORD.findall(normalise_search_text(text))))


def search_stems_for(search_text: str) -> str:
    """The `Product.search_stems` for a search text: its stems, each between spaces (so LIKE '% stem %' finds
    whole stems only)."""
    return f" {' '.join(stems_of(search_text))} " if search_text.strip() else ""


def refresh_search_text(product: Product) -> None:
    """Recompute the product's search text from its name, its offers' models and its description."""
    product.search_text = search_text_for(product.name, (offer.model for offer in product.offers),
                                          product.description or "")


@event.listens_for(Product, "before_insert")
def _fill_stems(_mapper, _connection, product: Product) -> None:
    # Every ORM write of search_text keeps its stems in step; bulk writers call search_stems_for themselves.
    product.search_stems = search_stems_for(product.search_text or "")


@event.listens_for(Product, "before_update")
def _refill_stems(_mapper, _connection, product: Product) -> None:
    if inspect(product).attrs.search_text.history.has_changes():  # passive: never loads the column
        product.search_stems = search_stems_for(product.search_text or "")
