"""Jinja filters and the values every page's shell needs."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import Flask, current_app, render_template
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

CURRENCY_SIGNS = {"RUB": "₽", "USD": "$", "EUR": "€"}


def format_money(value: Decimal | int | None) -> str:
    if value is None:
        return ""
    amount = Decimal(value).quantize(Decimal("0.01"))
    whole, _, cents = f"{amount:,.2f}".partition(".")
    text = whole.replace(",", "\u202f") + ("" if cents == "00" else f",{cents}")
    currency = current_app.config["STOREFRONT_CURRENCY"]
    return f"{text}\u00a0{CURRENCY_SIGNS.get(currency, currency)}"


# The shop's ways to show a moment, Russian style (day first); times are UTC, as the pages say.
DATETIME_FORMATS = {
    "minutes": "%d.%m.%Y %H:%M",
    "seconds": "%d.%m.%Y %H:%M:%S",
    "date": "%d.%m.%Y",
    "time": "%H:%M:%S",
}


def format_datetime(value: datetime | date | None, style: str = "minutes") -> str:
    """`{{ order.created_at|datetime }}` → "03.12.2026 09:41"; styles above; None (never happened) → ""."""
    if value is None:
        return ""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime(DATETIME_FORMATS[style])


def init_app(app: Flask) -> None:
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["datetime"] = format_datetime

    @app.context_processor
    def shell_context() -> dict:
        # Features add their own shell values (cart count, unread chats) with `bp.app_context_processor`.
        return {"shop_name": app.config["STOREFRONT_NAME"]}


def _csrf_slot() -> str:
    """Stands in for the CSRF token in HTML rendered once and served to many sessions (see `render_shared`).

    Derived from the secret key: the same in every process sharing a cache, and unknown to anyone who might
    put it in a search (the text is shown in the fragment) to have a visitor's token printed there.
    """
    digest = hmac.new(current_app.secret_key.encode(), b"storefront csrf slot", hashlib.sha256).hexdigest()
    return f"__csrf_{digest[:32]}__"


def render_shared(template: str, **context) -> str:
    """Render HTML that any visitor may be served: the session's CSRF token is left as a slot.

    Fill the slot with `fill_shared(html)` for each response. Everything else in the template must depend
    only on `context`, never on the visitor.
    """
    slot = _csrf_slot()
    return render_template(template, csrf_token=lambda: slot, **context)


def fill_shared(html: str) -> Markup:
    """HTML from `render_shared` with this session's CSRF token put in (the token is URL-safe: no escaping)."""
    return Markup(html.replace(_csrf_slot(), generate_csrf()))
