"""Languages and time: Russian first, English second, times in the shop's timezone (Flask-Babel).

The locale is, in order: the one the visitor chose (kept in the session; the profile keeps it across
devices), the best match of `Accept-Language`, and the shop's own (`STOREFRONT_LOCALE`, default "ru").
Message ids are English; `storefront/translations/ru` holds the Russian text. Use `_`/`ngettext` from
flask_babel in Python and `_()`/`ngettext()` in templates; `lazy_gettext` for form labels and other
module-level strings.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request, session
from flask_babel import Babel, get_locale

babel = Babel()

SESSION_KEY = "locale"


def supported_locales() -> list[str]:
    return list(current_app.config["STOREFRONT_LOCALES"])


def select_locale() -> str:
    wanted = supported_locales()
    if request:
        chosen = session.get(SESSION_KEY) or getattr(g, "profile_locale", None)
        if chosen in wanted:
            return chosen
        if request.accept_languages:
            match = request.accept_languages.best_match(wanted)
            if match:
                return match
    return current_app.config["STOREFRONT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["STOREFRONT_TIMEZONE"]


def current_locale() -> str:
    """"ru" or "en": for cache keys and `<html lang>`."""
    return str(get_locale() or current_app.config["STOREFRONT_LOCALE"])


def init_app(app: Flask) -> None:
    from pathlib import Path

    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES", str(Path(__file__).resolve().parent / "translations")
    )
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["STOREFRONT_LOCALE"])
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config["STOREFRONT_TIMEZONE"])
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.globals["current_locale"] = current_locale
