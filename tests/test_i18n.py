"""The interface speaks Russian first: the shop's locale by default, English on request or by choice."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from storefront.accounts.models import User
from storefront.extensions import db
from tests.factories import PASSWORD, OfferFactory, OrderEventFactory, OrderFactory, UserFactory
from tests.orders.order_helpers import login


@pytest.fixture
def russian_app(app):
    app.config["STOREFRONT_LOCALE"] = "ru"  # the shop's default outside the test suite
    return app


def test_no_accept_language_gives_the_russian_interface(russian_app):
    page = russian_app.test_client().get("/").get_data(as_text=True)
    assert '<html lang="ru"' in page
    assert "Корзина" in page


def test_accept_language_en_gives_the_english_interface(russian_app):
    page = russian_app.test_client().get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en"' in page
    assert "Корзина" not in page and "Cart" in page


def test_the_switcher_keeps_the_choice_in_the_session_without_javascript(russian_app):
    client = russian_app.test_client()
    page = client.get("/").get_data(as_text=True)
    assert 'action="/language"' in page and 'value="en"' in page
    response = client.post("/language", data={"locale": "en", "next": "/cart"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/cart")
    page = client.get("/", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert '<html lang="en"' in page and "Cart" in page  # the choice beats Accept-Language
    assert client.post("/language", data={"locale": "de"}).status_code == 302  # unknown: refused, nothing kept
    assert '<html lang="en"' in client.get("/").get_data(as_text=True)


def test_the_switcher_refuses_a_post_without_the_csrf_token(csrf_app):
    assert csrf_app.test_client().post("/language", data={"locale": "en"}).status_code == 400


def test_the_choice_is_kept_in_the_profile_and_follows_the_account_to_another_device(russian_app, session):
    user = UserFactory(email="maria@example.com")
    db.session.commit()
    laptop = russian_app.test_client()
    login(laptop, user)
    laptop.post("/language", data={"locale": "en", "next": "/"})
    assert db.session.get(User, user.id).locale == "en"

    phone = russian_app.test_client()
    assert '<html lang="ru"' in phone.get("/login").get_data(as_text=True)
    response = phone.post("/login", data={"email": "maria@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert '<html lang="en"' in phone.get("/").get_data(as_text=True)
    phone.post("/logout")
    assert '<html lang="en"' in phone.get("/").get_data(as_text=True)  # the browser keeps its language


def test_a_flash_and_a_form_error_in_russian(russian_app):
    client = russian_app.test_client()
    page = client.post("/login", data={"email": "", "password": ""}).get_data(as_text=True)
    assert "Введите адрес электронной почты." in page
    client.get("/orders/")  # needs a log-in: Flask-Login's flash
    assert "Войдите, чтобы открыть эту страницу." in client.get("/login").get_data(as_text=True)


def test_an_api_error_message_follows_accept_language_and_its_code_stays_english(app):
    english = app.test_client().get("/api/v1/orders").get_json()
    russian = app.test_client().get("/api/v1/orders", headers={"Accept-Language": "ru"}).get_json()
    assert english["code"] == russian["code"] == "unauthorized"
    assert english["message"].startswith("Send an access token")
    assert russian["message"].startswith("Отправьте токен доступа")


@pytest.mark.parametrize(("count", "words"), [(1, "1 товар"), (2, "2 товара"), (5, "5 товаров"), (21, "21 товар")])
def test_plural_forms(russian_app, count, words):
    from flask_babel import force_locale, ngettext

    with force_locale("ru"):
        assert ngettext("%(num)d product", "%(num)d products", count) == words


def test_times_are_shown_in_moscow_time_and_money_the_russian_way(russian_app, session):
    user = UserFactory()
    order = OrderFactory(user=user, created_at=datetime(2026, 12, 3, 9, 41, tzinfo=UTC), total=Decimal("1990.00"))
    OrderEventFactory(order=order, from_status="new", to_status="cancelled")
    db.session.commit()
    client = russian_app.test_client()
    login(client, user)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "03.12.2026 12:41" in page and "Москва" in page
    assert "Новый → <strong>Отменён</strong>" in page
    assert "1\u00a0990\u00a0₽" in page


def test_money_in_english(app):
    from storefront.templating import format_money

    assert format_money(Decimal("69500")) == "₽69,500"
    assert format_money(Decimal("1990.50")) == "₽1,990.50"


def test_the_cached_catalog_fragment_is_kept_per_language(russian_app, session):
    OfferFactory(product__name="Кофемолка", price=Decimal("1990.00"), quantity=3)
    db.session.commit()
    client = russian_app.test_client()
    english = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    russian = client.get("/", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "1 product" in english and "₽1,990" in english
    assert "1 товар" in russian and "1\u00a0990\u00a0₽" in russian and "1 product" not in russian


def test_status_labels_are_one_translated_mapping(russian_app):
    from flask_babel import force_locale

    from storefront.orders.labels import status_label

    with force_locale("ru"):
        assert [status_label(s) for s in ("new", "confirmed", "assembled", "sent", "delivered", "cancelled")] == [
            "Новый", "Подтверждён", "Собран", "Отправлен", "Доставлен", "Отменён"]
    with force_locale("en"):
        assert status_label("cancelled") == "Cancelled" and status_label("odd") == "odd"


def test_every_marked_string_has_a_russian_translation(tmp_path):
    # What `make messages` would collect: a string marked but never translated shows English in a Russian shop
    # (the webhook form's part and payment events did).
    import subprocess
    import sys
    from pathlib import Path

    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[1]
    pot = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).with_name("pybabel")), "-q", "extract", "-F", "babel.cfg",
                    "-k", "lazy_gettext", "-k", "_l", "--no-location", "-o", str(pot), "."],
                   cwd=root, check=True, capture_output=True, timeout=120)
    with pot.open("rb") as wanted, (root / "storefront/translations/ru/LC_MESSAGES/messages.po").open("rb") as po:
        template, russian = read_po(wanted), read_po(po)
    missing = []
    for message in template:
        if message.id:
            found = russian.get(message.id, context=message.context)
            if found is None or not (all(found.string) if isinstance(found.string, tuple) else found.string):
                missing.append(message.id)
    assert missing == []
