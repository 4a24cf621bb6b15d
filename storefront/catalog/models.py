"""Catalog: shops, categories, products, the offers shops make for them, and free-form parameters."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    false,
    select,
    text,
    true,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql import ColumnElement, Select

from storefront.database import Money, TimestampMixin
from storefront.extensions import db


class Shop(TimestampMixin, db.Model):
    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    url: Mapped[str | None] = mapped_column(String(500))
    accepting_orders: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    owners = relationship("User", back_populates="shop")
    offers = relationship("Offer", back_populates="shop", passive_deletes=True)

    def __repr__(self) -> str:
        return f"<Shop {self.id} {self.name}>"


class Category(TimestampMixin, db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    products = relationship("Product", back_populates="category", foreign_keys="Product.category_id")

    def __repr__(self) -> str:
        return f"<Category {self.id} {self.name}>"


# Extra categories a product is also listed in (set by staff); the main one lives on Product.
product_extra_categories = Table(
    "product_extra_categories",
    db.metadata,
    Column("product_id", ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class ShopCategory(db.Model):
    """A shop's own category id mapped onto a shared category: two shops may both say 224."""

    __tablename__ = "shop_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), nullable=False)
    external_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"), nullable=False, index=True)

    shop = relationship("Shop")
    category = relationship("Category")

    __table_args__ = (UniqueConstraint("shop_id", "external_id"),)


class Product(TimestampMixin, db.Model):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Case-folded name + models + description: SQLite's lower() does not fold Cyrillic, Python's casefold() does.
    # Kept current by `catalog.search_text.refresh_search_text`.
    search_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Its Snowball stems between spaces (`catalog.search_text.search_stems_for`): SQLite's stemmed search.
    search_stems: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    # Soft delete by staff: off the catalog (a direct link says "unavailable"); offers and orders stay.
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, server_default=true())
    # The card's photo (storefront/media): set by staff, or by an import when the product has none yet.
    photo_hash: Mapped[str | None] = mapped_column(ForeignKey("media_assets.hash", ondelete="SET NULL"))

    # What the catalog's cards show, kept by `catalog.summary` whenever offers, shops, the product or its
    # category change, so a list reads one indexed row per product instead of aggregating every offer.
    # On sale: at least one of its offers `is_sellable`.
    on_sale: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    best_offer_id: Mapped[int | None] = mapped_column(Integer)  # what "add to cart" buys (see summary.best_offer)
    best_price: Mapped[Decimal | None] = mapped_column(Money)
    best_price_rrc: Mapped[Decimal | None] = mapped_column(Money)
    offer_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default=text("0"))
    in_stock: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())

    category = relationship("Category", back_populates="products", foreign_keys=[category_id])
    extra_categories = relationship("Category", secondary=product_extra_categories)
    offers = relationship("Offer", back_populates="product")

    __table_args__ = (
        Index("ix_products_category_id", "category_id"),
        Index("ix_products_name", "name"),
        # The catalog's three orders over the goods on sale: walk an index, stop after one page.
        Index("ix_products_on_sale_name", "on_sale", "name", "id"),
        Index("ix_products_on_sale_created", "on_sale", "created_at", "id"),
        Index("ix_products_on_sale_price", "on_sale", "best_price", "id"),
        # The same three within a category (its main goods; extra ones are few and merged in, see browsing).
        Index("ix_products_category_sale_name", "category_id", "on_sale", "name", "id"),
        Index("ix_products_category_sale_created", "category_id", "on_sale", "created_at", "id"),
        Index("ix_products_category_sale_price", "category_id", "on_sale", "best_price", "id"),
        # Substring search (LIKE '%term%') on PostgreSQL uses this trigram GIN index. On SQLite it is an
        # empty partial index (WHERE 0): a b-tree cannot serve '%term%', and declaring it for both keeps
        # migrations and models in step on both backends.
        Index(
            "ix_products_search_text_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
            sqlite_where=text("0"),
        ),
        # Word search with Russian (and English) stemming on PostgreSQL; SQLite matches `search_stems` instead.
        Index(
            "ix_products_search_fts", text("to_tsvector('russian'::regconfig, search_text)"),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    def __repr__(self) -> str:
        return f"<Product {self.id} {self.name}>"


class Offer(TimestampMixin, db.Model):
    """One line of a shop's price list: this shop sells this product at this price."""

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"), nullable=False)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), nullable=False)
    external_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    model: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    price: Mapped[Decimal] = mapped_column(Money, nullable=False)
    price_rrc: Mapped[Decimal] = mapped_column(Money, nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    product = relationship("Product", back_populates="offers")
    shop = relationship("Shop", back_populates="offers")
    parameters = relationship(
        "OfferParameter", back_populates="offer", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        UniqueConstraint("shop_id", "external_id"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("price_rrc >= 0", name="price_rrc_not_negative"),
        Index("ix_offers_product_active_price", "product_id", "is_active", "price"),
        Index("ix_offers_shop_active", "shop_id", "is_active"),
    )

    def __repr__(self) -> str:
        return f"<Offer {self.id} shop={self.shop_id} ext={self.external_id} {self.price}>"

    @hybrid_property
    def is_sellable(self) -> bool:
        """Can this be bought right now: an active offer from a shop taking orders, of an active product whose
        main category is active. The one definition of the rule, in Python and (below) in SQL; anything else
        stays reachable by direct link and is shown as unavailable."""
        return bool(self.is_active and self.shop.accepting_orders and self.product.is_active
                    and self.product.category.is_active)

    @is_sellable.inplace.expression
    @classmethod
    def _is_sellable_expression(cls) -> ColumnElement[bool]:
        # Plain column conditions, so the planner keeps using the indexes: the statement must have the offer's
        # shop, product and category in its FROM — `offers_with_owners` joins them — or correlate to them.
        return and_(cls.is_active, Shop.accepting_orders, Product.is_active, Category.is_active)


def offers_with_owners(*columns) -> Select:
    """SELECT `columns` FROM offers joined to their shop, their product and its main category: the FROM that
    `Offer.is_sellable` needs in SQL."""
    return (
        select(*columns)
        .select_from(Offer)
        .join(Shop, Shop.id == Offer.shop_id)
        .join(Product, Product.id == Offer.product_id)
        .join(Category, Category.id == Product.category_id)
    )


class Parameter(db.Model):
    """A characteristic's name, shared by every offer that has it ("Цвет", "Диагональ (дюйм)")."""

    __tablename__ = "parameters"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)


class OfferParameter(db.Model):
    __tablename__ = "offer_parameters"

    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True)
    parameter_id: Mapped[int] = mapped_column(ForeignKey("parameters.id", ondelete="RESTRICT"), primary_key=True)
    value: Mapped[str] = mapped_column(String(500), nullable=False)  # as shown and filtered on
    # What YAML made of the value, so an export writes back exactly what was imported.
    value_type: Mapped[str] = mapped_column(String(8), nullable=False, default="str")

    offer = relationship("Offer", back_populates="parameters")
    parameter = relationship("Parameter")

    __table_args__ = (
        CheckConstraint("value_type IN ('str', 'int', 'float', 'bool')", name="value_type_known"),
        Index("ix_offer_parameters_parameter_value", "parameter_id", "value"),
    )


# Precomputed facets (kept by `catalog.summary` with the product summaries, in the same transaction): a product
# on sale contributes each (parameter, value) its sellable offers state, once per category it is listed in (its
# main and extra categories) and once to the whole catalog (category_id 0), so a category page or the whole
# catalog reads its facets and its total instead of aggregating every offer.
ALL_GOODS = 0  # the category_id of the whole catalog's rows
TOTAL_PARAMETER = 0  # the parameter_id of a category's "goods on sale" count (value "")

product_facets = Table(
    "product_facets",
    db.metadata,
    Column("product_id", ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", Integer, primary_key=True),  # no foreign key: 0 is the whole catalog
    Column("parameter_id", Integer, primary_key=True),  # 0: the product itself (counts towards the total)
    Column("value", String(500), primary_key=True),
)

facet_counts = Table(
    "facet_counts",
    db.metadata,
    Column("category_id", Integer, primary_key=True),
    Column("parameter_id", Integer, primary_key=True),
    Column("value", String(500), primary_key=True),
    Column("count", Integer, nullable=False),
)
