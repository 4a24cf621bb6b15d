"""Jinja filters and the values every page's shell needs."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from babel.numbers import parse_pattern
from flask import Flask, current_app, render_template, session
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

CURRENCY_SIGNS = {"RUB": "₽", "USD": "$", "EUR": "€"}


def format_money(value: Decimal | int | None) -> str:
    """`{{ price|money }}` in the interface's language: "1 990 ₽" / "₽1,990"; kopecks only when there are some.

    Babel's number format and sign position for the locale; the sign itself is the shop's ("₽" in English
    too, where Babel would write "RUB").
    """
    if value is None:
        return ""
    locale = _locale()
    amount = Decimal(value).quantize(KOPECK)
    whole = amount == amount.to_integral()
    number = (WHOLE if whole else WITH_KOPECKS).apply(amount, locale)
    currency = current_app.config["STOREFRONT_CURRENCY"]
    sign = CURRENCY_SIGNS.get(currency, currency)
    if _sign_first(locale):
        return f"{sign}{number}"
    return f"{number}\u00a0{sign}"


# Parsed once, not per figure (a catalog page shows about fifty): Babel's format_decimal parses its pattern on
# every call.
KOPECK = Decimal("0.01")
WHOLE, WITH_KOPECKS = parse_pattern("#,##0"), parse_pattern("#,##0.00")


@lru_cache(maxsize=16)
def _sign_first(locale: Locale) -> bool:
    return locale.currency_formats["standard"].pattern.startswith("¤")


def format_delivery(fee: Decimal | int | None) -> str:
    """A delivery fee as the cart, checkout, order pages and e-mails all say it: "free" when there is none."""
    return _("free") if not fee else format_money(fee)


# The shop's ways to show a moment (Babel patterns: day first in every language), in the shop's timezone.
DATETIME_FORMATS = {
    "minutes": "dd.MM.yyyy HH:mm",
    "seconds": "dd.MM.yyyy HH:mm:ss",
    "date": "dd.MM.yyyy",
    "time": "HH:mm:ss",
}


def format_datetime(value: datetime | date | None, style: str = "minutes") -> str:
    """`{{ order.created_at|datetime }}` → "03.12.2026 12:41" (Moscow time for 09:41 UTC); styles above.

    Aware or naive-UTC moments are shown in `STOREFRONT_TIMEZONE` (Europe/Moscow by default); dates as they are;
    None (never happened) → "".
    """
    if value is None:
        return ""
    pattern = DATETIME_FORMATS[style]
    if not isinstance(value, datetime):
        return babel_dates.format_date(value, pattern, locale=_locale())
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # the database keeps UTC
    return babel_dates.format_datetime(value, pattern, tzinfo=shop_timezone(), locale=_locale())


def shop_timezone() -> ZoneInfo:
    return ZoneInfo(current_app.config["STOREFRONT_TIMEZONE"]) if current_app else ZoneInfo("Europe/Moscow")


def timezone_name() -> str:
    """The shop's zone for pages to say ("Moscow time"), in the interface's language."""
    city = babel_dates.get_timezone_location(shop_timezone(), locale=_locale(), return_city=True)
    return _("%(city)s time", city=city)


def _locale() -> Locale:
    locale = get_locale() if current_app else None
    return locale or Locale.parse(current_app.config["STOREFRONT_LOCALE"] if current_app else "ru")


def init_app(app: Flask) -> None:
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["delivery"] = format_delivery
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.globals["timezone_name"] = timezone_name

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


SHELL_CHECKS = "storefront.shared_shell_checks"


def add_shared_shell_check(app: Flask, check: Callable[[], bool]) -> None:
    """A feature's say in `shell_is_shared`: `check()` is True when its part of a guest's header is everybody's
    (the cart's: a guest cart known to be empty, told without a query)."""
    app.extensions.setdefault(SHELL_CHECKS, []).append(check)


def shell_is_shared() -> bool:
    """Whether this visitor's page shell (header, footer) is everybody's, so a whole page may be `render_shared`.

    It is for a visitor who is not signed in (the account menu, support chat), has nothing flashed and passes
    every feature's check: such a header differs from anyone else's only in the CSRF token, which the shared
    page keeps as a slot. Anyone else gets a page rendered for them.
    """
    if current_user.is_authenticated or session.get("_flashes"):
        return False
    return all(check() for check in current_app.extensions.get(SHELL_CHECKS, ()))
