"""Languages and time: Russian first, English second, times in the shop's timezone (Flask-Babel).

The locale is, in order: the one the visitor chose (kept in the session; the profile keeps it across
devices), the best match of `Accept-Language`, and the shop's own (`STOREFRONT_LOCALE`, default "ru").
Message ids are English; `storefront/translations/ru` holds the Russian text. Use `_`/`ngettext` from
flask_babel in Python and `_()`/`ngettext()` in templates; `lazy_gettext` for form labels and other
module-level strings.
"""

from __future__ import annotations

from flask import Flask, current_app, request, session
from flask_babel import Babel, get_locale, refresh

babel = Babel()

SESSION_KEY = "locale"
# Each language named in itself: the switcher reads the same whatever the page's language.
LANGUAGE_NAMES = {"ru": "Русский", "en": "English"}


def N_(message: str) -> str:
    """Marks a msgid for extraction where the text is translated later (e.g. by Flask-Login's callback)."""
    return message


def supported_locales() -> list[str]:
    return list(current_app.config["STOREFRONT_LOCALES"])


def is_supported(locale: str | None) -> bool:
    return bool(locale) and locale in supported_locales()


def select_locale() -> str:
    wanted = supported_locales()
    if request:
        chosen = session.get(SESSION_KEY)  # a signed-in user's profile choice is put here at log-in
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


def adopt_profile_choice(locale: str | None) -> None:
    """At log-in (typed or remembered): the profile's language wins over what this browser had."""
    if is_supported(locale):
        remember_choice(locale)


def remember_choice(locale: str | None) -> None:
    """Keep `locale` for this browser's session (None forgets it) and use it from now on in this request."""
    if is_supported(locale):
        session[SESSION_KEY] = locale
    else:
        session.pop(SESSION_KEY, None)
    refresh()  # Flask-Babel caches the locale per request


def init_app(app: Flask) -> None:
    from pathlib import Path

    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES", str(Path(__file__).resolve().parent / "translations")
    )
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["STOREFRONT_LOCALE"])
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config["STOREFRONT_TIMEZONE"])
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.globals["current_locale"] = current_locale
    app.jinja_env.globals["language_names"] = LANGUAGE_NAMES
