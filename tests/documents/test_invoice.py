"""The invoice an accountant accepts: one per supplier's part, seller and buyer, number, date, VAT, words."""

from datetime import UTC, datetime
from decimal import Decimal

from storefront.documents import numbering
from storefront.documents.models import DocumentCounter, IssuedDocument
from storefront.documents.pdf import invoice_pdf, packing_slip_pdf, total_in_words, vat_of
from storefront.extensions import db
from storefront.orders.models import Order
from tests.documents.doc_helpers import pdf_text, place_order


def test_invoice_text_has_seller_buyer_number_date_vat_units_and_words(app, session):
    order, user, _ = place_order(session)
    order = session.get(Order, order.id)
    text = pdf_text(invoice_pdf(order))
    part_a, part_b = order.parts
    number_a = numbering.issued(part_a.id, "invoice")
    number_b = numbering.issued(part_b.id, "invoice")
    assert number_a.number != number_b.number  # one invoice per supplier's part, each its own number
    day = numbering.shop_time(number_a.issued_at)
    assert f"Счёт на оплату № {numbering.label(number_a)} от {day:%d.%m.%Y}" in text
    assert f"Счёт на оплату № {numbering.label(number_b)}" in text
    # The seller (shop A's legal details, its bank) and the buyer.
    for detail in ("ООО «Электролайн»", "ИНН 7707083893", "КПП 773601001", "ОГРН 1027700132195", "ул. Вавилова",
                   "ПАО Сбербанк", "044525225", "40702810938000000001"):
        assert detail in text, detail
    assert user.email in text and "Тверская" in text
    # Lines: unit, quantity, price, sum, VAT; shop A at 20 %, shop B has no details: "без НДС".
    assert "шт." in text and "3 000,00" in text and "6 000,00" in text
    assert "НДС (20%): 1 083,33" in text  # 6 000 + 500 = 6 500 incl. VAT: 6 500 × 20 / 120
    assert "без НДС" in text and "реквизиты продавца не заполнены" in text
    assert "Шесть тысяч пятьсот рублей 00 копеек" in text
    assert "Руководитель" in text and "Бухгалтер" in text
    # The payment terms are Russian too, though the suite (and this reader) speaks English.
    assert "Оплата банковским переводом по этому счёту" in text and "Unpaid orders" not in text


def test_the_date_is_the_shops(app, session):
    order, _, _ = place_order(session)
    part = session.get(Order, order.id).parts[0]
    # 22:30 UTC on 31 December is already 1 January in Moscow: the number belongs to the new year.
    document = IssuedDocument(part_id=part.id, kind="invoice", year=2027, number=1,
                              issued_at=datetime(2026, 12, 31, 22, 30, tzinfo=UTC))
    assert f"{numbering.shop_time(document.issued_at):%d.%m.%Y %H:%M}" == "01.01.2027 01:30"


def test_numbers_are_issued_once_per_part_and_count_up_per_year(app, session):
    order, _, _ = place_order(session)
    parts = session.get(Order, order.id).parts
    first = numbering.issue(parts[0].id, "invoice")
    again = numbering.issue(parts[0].id, "invoice")
    second = numbering.issue(parts[1].id, "invoice")
    slip = numbering.issue(parts[0].id, "packing_slip")
    session.commit()
    assert again.id == first.id and second.number == first.number + 1
    assert slip.number == 1  # its own sequence
    counter = db.session.get(DocumentCounter, ("invoice", first.year))
    assert counter.last_number == second.number


def test_packing_slip_lists_only_the_parts_goods(app, session):
    order, _, _ = place_order(session)
    part = session.get(Order, order.id).parts[0]
    text = pdf_text(packing_slip_pdf(part))
    assert "Товарная накладная №" in text and f"заказ № {order.id}" in text
    assert "Смартфон Apple iPhone XS Max" in text and "Кофемолка" not in text
    assert "шт." in text and "ООО «Электролайн»" in text and "Отпустил" in text and "Получил" in text


def test_money_words_and_vat():
    assert total_in_words(Decimal("1301.21")) == "Одна тысяча триста один рубль 21 копейка"
    assert total_in_words(Decimal("2")) == "Два рубля 00 копеек"
    assert vat_of(Decimal("120"), 20) == Decimal("20.00") and vat_of(Decimal("120"), None) is None


def test_the_demo_shops_invoice_with_their_legal_details(app, session):
    # `make run`'s demo data: an invoice of a demo good names its seller, not "details not filled in".
    from sqlalchemy import select

    from storefront.catalog.models import Offer, Shop
    from storefront.demo import seed_demo
    from storefront.orders import services
    from tests.orders.order_helpers import shopper_with_cart

    seed_demo()
    session.commit()
    offers = [session.scalars(select(Offer).join(Shop).where(Shop.name == name, Offer.quantity > 0)).first()
              for name in ("Технопарк Демо", "Кофейня «Зерно»")]
    user, contact = shopper_with_cart(*((offer, 1) for offer in offers))
    session.commit()
    order = services.place_order(user, contact.id, "demo-1")
    session.commit()
    text = pdf_text(invoice_pdf(session.get(Order, order.id)))
    for detail in ("ООО «Технопарк Демо»", "ИНН 7801543210", "КПП 780101001", "ООО «Зерно»", "ИНН 5001987653",
                   "ПАО Сбербанк", "НДС (20%)", "без НДС"):
        assert detail in text, detail
    assert "реквизиты продавца не заполнены" not in text
