"""Jinja filters and the values every page's shell needs."""

from __future__ import annotations

from decimal import Decimal

from flask import Flask, current_app

CURRENCY_SIGNS = {"RUB": "₽", "USD": "$", "EUR": "€"}


def format_money(value: Decimal | int | None) -> str:
    if value is None:
        return ""
    amount = Decimal(value).quantize(Decimal("0.01"))
    whole, _, cents = f"{amount:,.2f}".partition(".")
    text = whole.replace(",", "\u202f") + ("" if cents == "00" else f",{cents}")
    currency = current_app.config["STOREFRONT_CURRENCY"]
    return f"{text}\u00a0{CURRENCY_SIGNS.get(currency, currency)}"


def init_app(app: Flask) -> None:
    app.jinja_env.filters["money"] = format_money

    @app.context_processor
    def shell_context() -> dict:
        # Features add their own shell values (cart count, unread chats) with `bp.app_context_processor`.
        return {"shop_name": app.config["STOREFRONT_NAME"]}
