"""Every e-mail in two parts from one layout, in the recipient's language; the staff's previews."""

import re
from pathlib import Path

import pytest

from storefront.documents.mail_previews import PREVIEWS
from storefront.jobs.mail import render_mail
from storefront.orders.jobs import mail_supplier_part
from storefront.orders.models import Order
from tests.documents.doc_helpers import place_order
from tests.factories import StaffFactory, UserFactory
from tests.orders.order_helpers import login, mail_to

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "email"


def parts_of(message):
    return (message.get_body(preferencelist=("plain",)).get_content(),
            message.get_body(preferencelist=("html",)).get_content())


def test_the_confirmation_is_text_and_html_in_russian_styled_with_unit_prices(app, session, mail_dir):
    app.config["STOREFRONT_LOCALE"] = "ru"  # the shop's default outside the test suite
    order, user, _ = place_order(session)
    [message] = mail_to(mail_dir, user.email)
    assert {part.get_content_type() for part in message.walk()} >= {"text/plain", "text/html", "application/pdf"}
    text, html = parts_of(message)
    assert f"Заказ №{order.id} получен" in message["Subject"]
    for body in (text, html):
        assert "Заказ" in body and "Поставщик: Электролайн" in body and "Технопарк" in body
        assert re.search(r"3(\s|&nbsp;)000(\s|&nbsp;)₽", body)  # the unit price of the two phones
        assert "Москва, Тверская" in body and "support@storefront.local" in body
    assert re.search(r"2 × 3\s000\s₽ = 6\s000\s₽", text)  # quantity × unit price = sum
    assert 'style="' in html and "Цена за шт." in html  # inlined CSS; the unit-price column
    assert "Order" not in text.replace("Storefront", "")  # no English left over


def test_a_profile_language_wins_over_the_shops(app, session, mail_dir):
    app.config["STOREFRONT_LOCALE"] = "ru"
    order, user, _ = place_order(session)
    user.locale = "en"  # what `i18n`'s users.locale will hold; a plain attribute until then
    from storefront.jobs.mail import mail_locale

    assert mail_locale(user) == "en"
    subject, text, _html = render_mail("orders/placed", "Order #%(order_id)s received",
                                       {"order_id": order.id, "name": "Ann", "link": "", "parts": [], "total": "0",
                                        "address": "x", "payment": ""}, mail_locale(user))
    assert "received" in subject and "Hello Ann" in text


def test_suppliers_hear_of_new_changed_and_cancelled_parts(app, session, mail_dir):
    order, _, owner = place_order(session)
    part = session.get(Order, order.id).parts[0]
    mail_supplier_part(part.id, "changed", note="Количество изменено")
    mail_supplier_part(part.id, "cancelled")
    subjects = [m["Subject"] for m in mail_to(mail_dir, owner.email)]
    assert any("New order" in s for s in subjects)
    assert any("has changed" in s for s in subjects) and any("is cancelled" in s for s in subjects)
    text, html = parts_of(mail_to(mail_dir, owner.email)[-1])
    assert "Do not send these goods" in text and "Do not send these goods" in html


@pytest.mark.sqlite  # rendering only: no database involved
@pytest.mark.parametrize("locale", ["ru", "en"])
def test_every_email_renders_in_both_parts(app, locale):
    for preview in PREVIEWS:
        subject, text, html = render_mail(preview.template, preview.subject, preview.context, locale)
        assert subject.startswith("[Storefront] ") and len(subject) > 15, preview.slug
        assert text.strip() and "support@storefront.local" in text, preview.slug
        assert html.startswith("<!DOCTYPE html>") and 'style="' in html and "<style" not in html, preview.slug
        assert "{{" not in text + html and "%(" not in subject + text + html, preview.slug
    if locale == "ru":
        _s, text, html = render_mail("orders/placed", "Order #%(order_id)s received", PREVIEWS[5].context, "ru")
        assert "Здравствуйте" in text and "Итого" in html


@pytest.mark.sqlite
def test_every_email_template_has_a_preview(app):
    templates = {str(path.relative_to(TEMPLATES).with_suffix("")) for path in TEMPLATES.rglob("*.txt")
                 if not path.name.startswith("_")}
    assert templates == {preview.template for preview in PREVIEWS}
    for template in templates:
        assert (TEMPLATES / f"{template}.html").exists(), template


def test_staff_preview_every_email(app, client, session):
    staff = StaffFactory()
    session.commit()
    login(client, staff)
    listing = client.get("/staff/emails").get_data(as_text=True)
    for preview in PREVIEWS:
        assert f"/staff/emails/{preview.slug}" in listing
    page = client.get("/staff/emails/order_placed?lang=ru")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Заказ №1042 получен" in html and "/staff/emails/order_placed/html?lang=ru" in html
    frame = client.get("/staff/emails/order_placed/html?lang=ru")
    assert "'unsafe-inline'" in frame.headers["Content-Security-Policy"]
    assert "script-src" not in frame.headers["Content-Security-Policy"]
    assert "Итого" in frame.get_data(as_text=True)
    assert client.get("/staff/emails/nope").status_code == 404


def test_shoppers_cannot_preview(app, client, session):
    shopper = UserFactory()
    session.commit()
    login(client, shopper)
    assert client.get("/staff/emails").status_code == 403
