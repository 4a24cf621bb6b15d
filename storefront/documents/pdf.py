"""The PDF documents: an order's invoices (one per supplier's part) and a part's packing slip (накладная).

Each supplier is the seller of its own lines, so each part gets its own invoice — its own seller, number,
VAT and total — on its own page; the order's PDF holds them all (one file to attach and download). They are
Russian documents for Russian accounting, so they are printed in Russian whatever the reader's language.
fpdf2 with DejaVu Sans embedded, so Cyrillic prints as written.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from fpdf import FPDF
from fpdf.fonts import FontFace
from num2words import num2words

from storefront.documents import numbering
from storefront.documents.legal import LegalDetails, details_of, vat_label
from storefront.orders.models import Order, OrderPart
from storefront.payments.providers import payment_terms  # the one rule (issue 22): the invoice prints it

FONTS = Path(__file__).resolve().parents[1] / "orders" / "fonts"  # shipped with the app; see LICENSE-DejaVu.txt
CENT = Decimal("0.01")


def total_in_words(amount: Decimal) -> str:
    """"Одна тысяча триста рублей 00 копеек": the rubles in words, the kopecks in digits, as accountants write it."""
    amount = Decimal(amount).quantize(CENT)
    rubles = int(amount)
    kopecks = int((amount - rubles) * 100)
    # num2words reads an int as kopecks: hand it the amount itself, keep its rubles, write the kopecks in digits.
    words = num2words(amount, lang="ru", to="currency", currency="RUB").split(",")[0].strip()
    words = words[:1].upper() + words[1:]
    return f"{words} {kopecks:02d} {_kopecks_word(kopecks)}"


def _kopecks_word(kopecks: int) -> str:
    if kopecks % 10 == 1 and kopecks % 100 != 11:
        return "копейка"
    if kopecks % 10 in (2, 3, 4) and kopecks % 100 not in (12, 13, 14):
        return "копейки"
    return "копеек"


def vat_of(amount: Decimal, rate: int | None) -> Decimal | None:
    """VAT included in `amount` at `rate` percent (None: no VAT)."""
    if rate is None:
        return None
    return (Decimal(amount) * rate / (100 + rate)).quantize(CENT, rounding=ROUND_HALF_UP)


def _money(value: Decimal) -> str:
    return f"{Decimal(value).quantize(CENT):,.2f}".replace(",", " ").replace(".", ",")


def _pdf(title: str) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator(current_app.config["STOREFRONT_NAME"])
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(True, margin=15)
    return pdf


def _text(pdf: FPDF, text: str, size: int = 9, bold: bool = False, height: float = 5) -> None:
    pdf.set_font("DejaVu", "B" if bold else "", size)
    pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")


def _seller_lines(seller: LegalDetails) -> list[str]:
    if not seller.complete:
        return [f"{seller.shop_name} (реквизиты продавца не заполнены)"]
    tax_ids = f"ИНН {seller.inn}" + (f", КПП {seller.kpp}" if seller.kpp else "")
    return [f"{seller.legal_name}, {tax_ids}, ОГРН {seller.ogrn}", f"Адрес: {seller.legal_address}"]


def _buyer_lines(order: Order) -> list[str]:
    return [
        f"Покупатель: {order.buyer_name}, {order.buyer_email}, тел. {order.delivery_phone}",
        f"Грузополучатель: {order.delivery_recipient or order.buyer_name}, {order.delivery_address}",
    ]


def _bank_block(pdf: FPDF, seller: LegalDetails) -> None:
    pdf.set_font("DejaVu", "", 9)
    with pdf.table(col_widths=(110, 20, 60), text_align=("LEFT", "LEFT", "LEFT"), first_row_as_headings=False) as t:
        t.row([f"Банк получателя: {seller.bank_name}", "БИК", seller.bik])
        t.row([f"ИНН {seller.inn}" + (f"   КПП {seller.kpp}" if seller.kpp else ""), "Сч. №", seller.account])
        t.row([f"Получатель: {seller.legal_name or seller.shop_name}", "", ""])


def _signatures(pdf: FPDF, left: str, right: str) -> None:
    pdf.ln(8)
    pdf.set_font("DejaVu", "", 9)
    half = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    pdf.cell(half, 6, f"{left} ____________ / ________________ /")
    pdf.cell(half, 6, f"{right} ____________ / ________________ /", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.cell(0, 6, "М. П.", new_x="LMARGIN", new_y="NEXT")


def _invoice_page(pdf: FPDF, order: Order, part: OrderPart) -> None:
    seller = details_of(part.shop) if part.shop is not None else LegalDetails(shop_id=0, shop_name=part.shop_name)
    document = numbering.issue(part.id, "invoice")
    day = numbering.shop_time(document.issued_at)
    rate = seller.vat_rate
    pdf.add_page()
    if seller.complete:
        _bank_block(pdf, seller)
        pdf.ln(3)
    _text(pdf, f"Счёт на оплату № {numbering.label(document)} от {day:%d.%m.%Y}", 14, bold=True, height=8)
    _text(pdf, f"к заказу № {order.id} в магазине {current_app.config['STOREFRONT_NAME']} "
               f"(оформлен {numbering.shop_time(order.created_at):%d.%m.%Y %H:%M} по московскому времени)")
    pdf.ln(2)
    _text(pdf, "Поставщик (продавец):", bold=True)
    for line in _seller_lines(seller):
        _text(pdf, line)
    pdf.ln(1)
    for line in _buyer_lines(order):
        _text(pdf, line)
    pdf.ln(3)
    rows = [(item.product_name + (f" ({item.model})" if item.model else ""), "шт.", item.quantity, item.price,
             item.line_total) for item in part.items]
    if part.delivery_fee:
        rows.append(("Доставка", "усл.", 1, part.delivery_fee, part.delivery_fee))
    total = sum((row[4] for row in rows), Decimal("0"))
    pdf.set_font("DejaVu", "", 8)
    with pdf.table(col_widths=(8, 62, 10, 16, 24, 24, 18, 28),
                   text_align=("RIGHT", "LEFT", "CENTER", "RIGHT", "RIGHT", "RIGHT", "CENTER", "RIGHT"),
                   headings_style=FontFace(emphasis="BOLD")) as table:
        table.row(["№", "Товар (работа, услуга)", "Ед.", "Кол-во", "Цена", "Сумма", "Ставка НДС", "Сумма НДС"])
        for number, (name, unit, quantity, price, amount) in enumerate(rows, start=1):
            vat = vat_of(amount, rate)
            table.row([str(number), name, unit, str(quantity), _money(price), _money(amount), vat_label(rate),
                       "без НДС" if vat is None else _money(vat)])
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(0, 6, f"Итого: {_money(total)}", align="R", new_x="LMARGIN", new_y="NEXT")
    vat_total = vat_of(total, rate)
    pdf.cell(0, 6, "Без НДС" if vat_total is None else f"В том числе НДС ({rate}%): {_money(vat_total)}",
             align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, f"Всего к оплате: {_money(total)}", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    _text(pdf, f"Всего наименований {len(rows)}, на сумму {_money(total)} руб.")
    _text(pdf, total_in_words(total), bold=True)
    # The payment terms' spot: the payments feature records the order's method / terms.
    with force_locale("ru"):  # the document is Russian whoever prints it (the terms follow the reader elsewhere)
        terms = payment_terms(order)
    if terms:
        _text(pdf, f"Условия оплаты: {terms}")
    _signatures(pdf, "Руководитель", "Бухгалтер")


def invoice_pdf(order: Order) -> bytes:
    """The order's invoices, one page per supplier's part (numbers issued on the first rendering)."""
    pdf = _pdf(f"Счёт к заказу № {order.id}")
    for part in order.parts:
        _invoice_page(pdf, order, part)
    if not order.parts:
        pdf.add_page()
        _text(pdf, f"Заказ № {order.id}: нет позиций.")
    return bytes(pdf.output())


def packing_slip_pdf(part: OrderPart) -> bytes:
    """The supplier part's packing slip (товарная накладная): what the shop hands over, to whom, for what."""
    order = part.order
    seller = details_of(part.shop) if part.shop is not None else LegalDetails(shop_id=0, shop_name=part.shop_name)
    document = numbering.issue(part.id, "packing_slip")
    day = numbering.shop_time(document.issued_at)
    pdf = _pdf(f"Накладная {numbering.label(document)}")
    pdf.add_page()
    _text(pdf, f"Товарная накладная № {numbering.label(document)} от {day:%d.%m.%Y}", 14, bold=True, height=8)
    _text(pdf, f"Основание: заказ № {order.id} от {numbering.shop_time(order.created_at):%d.%m.%Y}")
    pdf.ln(2)
    _text(pdf, "Поставщик (грузоотправитель):", bold=True)
    for line in _seller_lines(seller):
        _text(pdf, line)
    pdf.ln(1)
    for line in _buyer_lines(order):
        _text(pdf, line)
    pdf.ln(3)
    pdf.set_font("DejaVu", "", 8)
    total = Decimal("0")
    quantity = 0
    with pdf.table(col_widths=(8, 70, 36, 11, 15, 24, 26),
                   text_align=("RIGHT", "LEFT", "LEFT", "CENTER", "RIGHT", "RIGHT", "RIGHT"),
                   headings_style=FontFace(emphasis="BOLD")) as table:
        table.row(["№", "Товар", "Модель", "Ед.", "Кол-во", "Цена", "Сумма"])
        for number, item in enumerate(part.items, start=1):
            table.row([str(number), item.product_name, item.model or "", "шт.", str(item.quantity),
                       _money(item.price), _money(item.line_total)])
            total += item.line_total
            quantity += item.quantity
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(0, 6, f"Итого: {quantity} шт. на сумму {_money(total)}", align="R", new_x="LMARGIN", new_y="NEXT")
    vat_total = vat_of(total, seller.vat_rate)
    pdf.cell(0, 6, "Без НДС" if vat_total is None else f"В том числе НДС ({seller.vat_rate}%): {_money(vat_total)}",
             align="R", new_x="LMARGIN", new_y="NEXT")
    _text(pdf, f"Сумма прописью: {total_in_words(total)}")
    _signatures(pdf, "Отпустил", "Получил")
    return bytes(pdf.output())

