"""The `|datetime` filter: the one way templates show a moment (day first, in the shop's timezone: Moscow), and no
hand-written strftime."""

import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from storefront.templating import format_datetime

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
MOMENT = datetime(2026, 12, 3, 9, 41, 7, tzinfo=UTC)


@pytest.mark.parametrize(("style", "expected"), [
    ("minutes", "03.12.2026 12:41"), ("seconds", "03.12.2026 12:41:07"), ("date", "03.12.2026"),
    ("time", "12:41:07"),
])
def test_styles(app, style, expected):
    assert format_datetime(MOMENT, style) == expected


def test_none_is_empty_and_every_zone_is_shown_in_the_shops(app):
    assert format_datetime(None) == ""
    tokyo = MOMENT.astimezone(timezone(timedelta(hours=9)))
    assert format_datetime(tokyo) == "03.12.2026 12:41"
    assert format_datetime(MOMENT.replace(tzinfo=None)) == "03.12.2026 12:41"  # naive: UTC, as the database keeps
    assert format_datetime(date(2026, 1, 2), "date") == "02.01.2026"
    app.config["STOREFRONT_TIMEZONE"] = "Asia/Yekaterinburg"
    assert format_datetime(MOMENT) == "03.12.2026 14:41"


def test_an_unknown_style_is_a_programming_error(app):
    with pytest.raises(KeyError):
        format_datetime(MOMENT, "%Y")


def test_templates_use_the_filter(app):
    rendered = app.jinja_env.from_string("{{ when|datetime }} / {{ when|datetime('date') }} / {{ none|datetime }}.")
    assert rendered.render(when=MOMENT, none=None) == "03.12.2026 12:41 / 03.12.2026 / ."
    written_by_hand = [str(path.relative_to(TEMPLATES)) for path in TEMPLATES.rglob("*.html")
                       if "strftime" in path.read_text(encoding="utf-8")]
    assert written_by_hand == []


def test_a_delivery_fee_reads_the_same_everywhere(app):
    """No delivery is "free" in the cart, at checkout, on order pages and in e-mails alike (never "0 ₽")."""
    from decimal import Decimal

    from flask_babel import force_locale

    render = app.jinja_env.from_string("{{ fee|delivery }}").render
    with force_locale("ru"):
        assert render(fee=Decimal("0.00")) == "бесплатно"
        assert "350" in render(fee=Decimal("350.00")) and "₽" in render(fee=Decimal("350.00"))
    with force_locale("en"):
        assert render(fee=Decimal("0")) == "free"
    as_money = [str(path.relative_to(TEMPLATES)) for path in TEMPLATES.rglob("*.*")
                if re.search(r"delivery_(fee|total)\|money", path.read_text(encoding="utf-8"))]
    assert as_money == []
